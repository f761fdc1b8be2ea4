"""The database schema in one place: DDL, its version, and forward migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

VERSION = 3

# Dates are ISO 8601 UTC strings ("2024-06-01T12:00:00Z"): they sort as text and read well.
SCHEMA = """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    user_title TEXT,
    site_url TEXT,
    role TEXT NOT NULL DEFAULT 'third-party',
    folder TEXT,
    added_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_fetched_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    error_count INTEGER NOT NULL DEFAULT 0,
    next_retry_at TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    fetch_seconds REAL,
    remote_images INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    guid TEXT,
    link TEXT,
    title TEXT,
    author TEXT,
    summary TEXT,
    content TEXT,
    published TEXT,
    updated TEXT,
    first_seen TEXT NOT NULL,
    sort_date TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    read INTEGER NOT NULL DEFAULT 0,
    starred INTEGER NOT NULL DEFAULT 0,
    hidden INTEGER NOT NULL DEFAULT 0,
    UNIQUE (feed_id, key)
);
CREATE INDEX items_by_date ON items (sort_date DESC, id DESC);
CREATE INDEX items_by_feed_date ON items (feed_id, sort_date DESC, id DESC);
CREATE INDEX items_unread ON items (read, sort_date DESC, id DESC) WHERE read = 0;
CREATE INDEX items_starred ON items (sort_date DESC, id DESC) WHERE starred = 1;
CREATE INDEX items_hidden ON items (id) WHERE hidden = 1;

-- Plain text of each item (HTML stripped), rowid = items.id. remove_diacritics 2 makes
-- "campana" find "campaña".
CREATE VIRTUAL TABLE items_fts USING fts5 (
    title, author, summary, content,
    tokenize = "unicode61 remove_diacritics 2"
);
"""

Migration = Callable[[sqlite3.Connection], None]


def _v1_fetch_seconds(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE feeds ADD COLUMN fetch_seconds REAL")


def _v2_hidden_index(db: sqlite3.Connection) -> None:
    # Lets a search skip hidden items inside the FTS query (see Storage._ranked).
    db.execute("CREATE INDEX items_hidden ON items (id) WHERE hidden = 1")


# MIGRATIONS[n] upgrades a database at version n to n + 1.
MIGRATIONS: dict[int, Migration] = {1: _v1_fetch_seconds, 2: _v2_hidden_index}
