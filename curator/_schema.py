"""The database schema in one place: DDL, its version, and forward migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

VERSION = 10

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

-- ---- publishing (v5) --------------------------------------------------------------------
-- 'ok' | 'reconnect_needed' (the network refused the token: 401 or expired).
ALTER TABLE accounts ADD COLUMN state TEXT NOT NULL DEFAULT 'ok';

-- One outgoing post to one account. Its text is final when queued (composed from the draft's
-- variant), so later edits to the draft never change what goes out. The account's name is
-- copied: history stays readable when the account is removed.
-- state: scheduled -> publishing -> published | failed | needs_attention; or cancelled.
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    draft_id INTEGER REFERENCES drafts(id) ON DELETE SET NULL,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    account_name TEXT NOT NULL,
    network TEXT NOT NULL,
    text TEXT NOT NULL,
    link TEXT,
    title TEXT,
    description TEXT,
    thumbnail_url TEXT,
    language TEXT,
    thread TEXT NOT NULL DEFAULT '[]',  -- JSON array: the parts after the first
    scheduled_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'scheduled',
    attempts INTEGER NOT NULL DEFAULT 0,   -- times it was handed to the network
    next_attempt_at TEXT NOT NULL,         -- scheduled_at, then later after a retryable error
    last_error TEXT,
    idempotency_key TEXT NOT NULL UNIQUE,  -- set when queued, never changes
    claimed_at TEXT,
    claimed_by TEXT,                       -- "host:pid" of the process publishing it
    remote_id TEXT,
    remote_url TEXT,
    published_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX posts_due ON posts (next_attempt_at, id) WHERE state = 'scheduled';
CREATE INDEX posts_claimed ON posts (claimed_at) WHERE state = 'publishing';
CREATE INDEX posts_by_schedule ON posts (scheduled_at, id);
CREATE INDEX posts_published ON posts (published_at DESC, id DESC) WHERE state = 'published';

-- ---- network options (v6) ---------------------------------------------------------------
ALTER TABLE accounts ADD COLUMN language TEXT;          -- BCP 47 tag of the posts, e.g. 'es'
ALTER TABLE accounts ADD COLUMN visibility TEXT;        -- Mastodon: public | unlisted | ...
ALTER TABLE accounts ADD COLUMN server_schedule INTEGER NOT NULL DEFAULT 0;  -- Mastodon
ALTER TABLE accounts ADD COLUMN api_version TEXT;       -- LinkedIn-Version (YYYYMM)
-- 1: handed to the network's own scheduler (Mastodon), which posts it at scheduled_at.
ALTER TABLE posts ADD COLUMN server_scheduled INTEGER NOT NULL DEFAULT 0;

-- ---- scheduling (v7) --------------------------------------------------------------------
ALTER TABLE accounts ADD COLUMN timezone TEXT;    -- IANA name; NULL: the computer's zone
ALTER TABLE accounts ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;  -- 1: nothing is published
-- Weekly posting slots, local time in the account's zone. An account with none uses
-- curator.slots.DEFAULT_SLOTS.
CREATE TABLE slots (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),  -- 0 = Monday
    time TEXT NOT NULL,                                         -- 'HH:MM'
    PRIMARY KEY (account_id, weekday, time)
);
-- Small settings the GUI and the CLI share (the overdue grace, the content mix): JSON values.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX posts_account_queue ON posts (account_id, scheduled_at) WHERE state = 'scheduled';

-- ---- analytics (v8) ---------------------------------------------------------------------
-- Every fetch of a post's engagement counts is a new row: the history of each count is kept.
-- A NULL count is one the network does not give this account (never 0); `unavailable` says
-- why when it gives none.
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    fetched_at TEXT NOT NULL,
    likes INTEGER,
    reposts INTEGER,
    replies INTEGER,
    quotes INTEGER,
    impressions INTEGER,
    unavailable TEXT
);
CREATE INDEX metrics_by_post ON metrics (post_id, fetched_at, id);
-- What came of a post, logged by the user. value NULL: the kind's value (setting "values").
CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    value REAL,
    happened_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX outcomes_by_post ON outcomes (post_id, happened_at);
-- Follower counts per account over time; source: 'network' or 'entered' (by the user).
CREATE TABLE followers (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    counted_at TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    source TEXT NOT NULL DEFAULT 'entered'
);
CREATE INDEX followers_by_account ON followers (account_id, counted_at, id);

-- ---- approved content packs (v9) --------------------------------------------------------
-- A subscription with role 'approved' is a content pack (curator/packs.py): its pack-level
-- `_curator` facts, and the templates imported from it (so an update rewrites only those).
CREATE TABLE packs (
    feed_id INTEGER PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
    publisher TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    template_ids TEXT NOT NULL DEFAULT '[]'  -- JSON array of templates.id
);
-- The `_curator` extension of one pack item: what may be said about it, where, until when.
CREATE TABLE approved (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    commentary TEXT NOT NULL DEFAULT '[]',  -- JSON array of [segment, text]
    networks TEXT,                          -- JSON array; NULL: every network
    expires_at TEXT,
    disclaimer TEXT NOT NULL DEFAULT '',
    hashtags TEXT NOT NULL DEFAULT '[]',
    utm_campaign TEXT
);
-- The approved item's expiry when the post was queued: still holds should the item go.
ALTER TABLE posts ADD COLUMN approved_expires_at TEXT;

-- ---- watch words (v10) ------------------------------------------------------------------
-- Named lists of words, phrases and /regular expressions/ (curator/watch.py); terms is a
-- JSON array of the terms as the user wrote them.
CREATE TABLE watch_lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    terms TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- Which term of which list an item matched: written at ingest for new items, and rewritten
-- by a rematch when a list changes. Keyed by list first: a list's items page by that key.
CREATE TABLE watch_matches (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    list_id INTEGER NOT NULL REFERENCES watch_lists(id) ON DELETE CASCADE,
    term TEXT NOT NULL,
    PRIMARY KEY (list_id, item_id, term)
) WITHOUT ROWID;
-- Item.watched, the cascade from items, and "which lists match this item".
CREATE INDEX watch_matches_by_item ON watch_matches (item_id, list_id);
"""

Migration = Callable[[sqlite3.Connection], None]


def _v1_fetch_seconds(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE feeds ADD COLUMN fetch_seconds REAL")


def _v2_hidden_index(db: sqlite3.Connection) -> None:
    # Lets a search skip hidden items inside the FTS query (see Storage._ranked).
    db.execute("CREATE INDEX items_hidden ON items (id) WHERE hidden = 1")


def _section(start: str, end: str | None = None) -> list[str]:
    """The statements of SCHEMA from the line `start` to the line `end` (or the end)."""
    first = SCHEMA.index(start)
    last = SCHEMA.index(end) if end else len(SCHEMA)
    # Comments may hold ";": drop them before splitting into statements.
    code = "\n".join(line.split("--")[0] for line in SCHEMA[first:last].splitlines())
    return [s for s in code.split(";") if s.strip()]


def _run(db: sqlite3.Connection, statements: list[str]) -> None:
    for statement in statements:
        db.execute(statement)


def _v3_curation(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE items ADD COLUMN categories TEXT")
    _run(db, _section("-- ---- curation (v4)", "-- ---- publishing (v5)"))


def _v4_publishing(db: sqlite3.Connection) -> None:
    _run(db, _section("-- ---- publishing (v5)", "-- ---- network options (v6)"))


def _v5_network_options(db: sqlite3.Connection) -> None:
    _run(db, _section("-- ---- network options (v6)", "-- ---- scheduling (v7)"))


def _v6_scheduling(db: sqlite3.Connection) -> None:
    _run(db, _section("-- ---- scheduling (v7)", "-- ---- analytics (v8)"))


def _v7_analytics(db: sqlite3.Connection) -> None:
    _run(db, _section("-- ---- analytics (v8)", "-- ---- approved content packs (v9)"))


def _v8_packs(db: sqlite3.Connection) -> None:
    _run(db, _section("-- ---- approved content packs (v9)", "-- ---- watch words (v10)"))


def _v9_watch(db: sqlite3.Connection) -> None:
    _run(db, _section("-- ---- watch words (v10)"))


# MIGRATIONS[n] upgrades a database at version n to n + 1.
MIGRATIONS: dict[int, Migration] = {
    1: _v1_fetch_seconds, 2: _v2_hidden_index, 3: _v3_curation, 4: _v4_publishing,
    5: _v5_network_options, 6: _v6_scheduling, 7: _v7_analytics, 8: _v8_packs,
    9: _v9_watch,
}
