"""The database schema in one place: DDL, its version, and forward migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

VERSION = 4

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
    categories TEXT,  -- JSON array of the feed's category terms (hashtag suggestions)
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

-- ---- curation (v4) ----------------------------------------------------------------------
-- The user's own words about an item: a private note, and the commentary posts are made of.
CREATE TABLE annotations (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    note TEXT NOT NULL DEFAULT '',
    commentary TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
-- rowid = annotations.item_id, so a search can find items by what the user wrote.
CREATE VIRTUAL TABLE annotations_fts USING fts5 (
    note, commentary,
    tokenize = "unicode61 remove_diacritics 2"
);

-- The user's own social accounts. Secrets never live here (OS keyring only).
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    network TEXT NOT NULL,          -- x | bluesky | mastodon | linkedin | webhook
    handle TEXT,
    api_base TEXT,                  -- instance, PDS service or API base URL
    char_limit INTEGER,             -- NULL: the network's default (Mastodon: read from it)
    disclaimer TEXT NOT NULL DEFAULT '',
    disclaimer_mandatory INTEGER NOT NULL DEFAULT 0,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,              -- may hold template placeholders
    utm_skip_domains TEXT NOT NULL DEFAULT '[]',  -- JSON array of domains
    hashtags TEXT NOT NULL DEFAULT '[]',          -- JSON array, without '#'
    default_template_id INTEGER REFERENCES templates(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE templates (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    segment TEXT NOT NULL DEFAULT '',  -- audience segment ("CFOs", "engineers")
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (segment, name)
);

-- A draft remembers its item (and what it showed, should the item go) and the item's role
-- when drafted, for the content-mix analytics.
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY,
    item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
    item_role TEXT,
    item_link TEXT,
    item_title TEXT,
    item_source TEXT,
    item_author TEXT,
    text TEXT NOT NULL DEFAULT '',
    template_id INTEGER REFERENCES templates(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT                 -- deleted drafts wait here, so delete can be undone
);
CREATE INDEX drafts_by_update ON drafts (updated_at DESC) WHERE deleted_at IS NULL;

-- One variant of a draft per target account; synced = it follows the draft's text.
CREATE TABLE variants (
    draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    text TEXT NOT NULL DEFAULT '',
    synced INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (draft_id, account_id)
);
"""

Migration = Callable[[sqlite3.Connection], None]


def _v1_fetch_seconds(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE feeds ADD COLUMN fetch_seconds REAL")


def _v2_hidden_index(db: sqlite3.Connection) -> None:
    # Lets a search skip hidden items inside the FTS query (see Storage._ranked).
    db.execute("CREATE INDEX items_hidden ON items (id) WHERE hidden = 1")


def _v3_curation(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE items ADD COLUMN categories TEXT")
    start = SCHEMA.index("-- ---- curation (v4)")
    # Comments may hold ";": drop them before splitting into statements.
    code = "\n".join(line.split("--")[0] for line in SCHEMA[start:].splitlines())
    for statement in code.split(";"):
        if statement.strip():
            db.execute(statement)


# MIGRATIONS[n] upgrades a database at version n to n + 1.
MIGRATIONS: dict[int, Migration] = {
    1: _v1_fetch_seconds, 2: _v2_hidden_index, 3: _v3_curation,
}
