"""Storage: every SQL statement Curator runs, behind plain methods."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import _schema
from ._sqlite import Database, migrate, wrap_errors
from .errors import FeedExistsError, FeedNotFoundError, InvalidSearchError, ItemNotFoundError
from .types import Feed, Item, ItemPage, Role

if TYPE_CHECKING:
    from ._watch import Ingest


def iso(d: datetime | None) -> str | None:
    """'2024-06-01T12:00:00Z' (isoformat is C code, ~3x cheaper than strftime)."""
    if d is None:
        return None
    if d.utcoffset():
        d = d.astimezone(UTC)
    return d.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def from_iso(s: str | None) -> datetime | None:
    # fromisoformat reads the "Z" in 3.11 and is ~60x cheaper than strptime.
    return datetime.fromisoformat(s) if s else None


RANK_CANDIDATES = 2000  # a search ranks at most this many of the newest matches
BUSY_LIST = 2000  # a watch list with this many matches pages by date (see _filters)


class FeedForUpdate(NamedTuple):
    id: int
    url: str
    etag: str | None
    last_modified: str | None
    title: str | None
    site_url: str | None
    error_count: int
    last_error: str | None
    next_retry_at: datetime | None
    disabled: bool
    fetch_seconds: float | None = None


class EntryRow(NamedTuple):
    """An entry ready to store: sanitized, keyed, hashed, with its search text."""

    key: str
    guid: str | None
    link: str | None
    title: str | None
    author: str | None
    summary: str | None
    content: str | None
    published: str | None
    updated: str | None
    content_hash: str
    text_summary: str
    text_content: str
    categories: str | None = None  # JSON array of the entry's category terms; None: none


class FeedSnapshot(NamedTuple):
    """A deleted feed's rows, held in memory to undo the removal."""

    feed: dict[str, Any]  # the feeds row, column -> value
    item_columns: tuple[str, ...]
    items: list[tuple[Any, ...]]  # items rows, flags included
    search: list[tuple[Any, ...]]  # items_fts rows: rowid, title, author, summary, content
    annotations: Sequence[tuple[Any, ...]] = ()  # item_id, note, commentary, updated_at
    watch: Sequence[tuple[Any, ...]] = ()  # watch_matches rows: item_id, list_id, term


@dataclass(frozen=True)
class ItemQuery:
    """What an item list shows. All filters combine with AND."""

    feed_id: int | None = None
    folder: str | None = None
    role: Role | None = None
    unread: bool = False
    starred: bool = False
    include_hidden: bool = False
    hidden_only: bool = False
    search: str | None = None  # also finds items by the user's note and commentary
    oldest_first: bool = False  # lists only: search results come best match first
    annotated: bool = False  # only items with a note or a commentary
    watch_list_id: int | None = None  # only items matching this watch list
    watched: bool = False  # only items matching some watch list


_FEED_COLUMNS = """
    f.id, f.url, coalesce(f.user_title, f.title) AS title, f.site_url, f.role, f.folder,
    f.added_at, f.last_fetched_at, f.last_success_at, f.last_error, f.error_count,
    f.next_retry_at, f.disabled, f.remote_images
"""
_ITEM_COLUMNS = """
    i.id, i.feed_id, coalesce(f.user_title, f.title) AS feed_title, i.title, i.link, i.author,
    i.published, i.updated, i.first_seen, i.summary, {content} AS content, i.read, i.starred,
    i.hidden, i.guid, i.sort_date, i.categories,
    EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id AND a.commentary != '')
        AS has_commentary,
    EXISTS (SELECT 1 FROM watch_matches w WHERE w.item_id = i.id) AS watched
"""


class Storage:
    def __init__(self, path: Path):
        self.db = Database(path)
        migrate(self.db, _schema.VERSION, _schema.SCHEMA, _schema.MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    # ---- feeds ---------------------------------------------------------------------------

    def add_feed(
        self, url: str, *, title: str | None, site_url: str | None, role: Role,
        folder: str | None, now: datetime,
    ) -> int:
        try:
            with self.db.transaction() as db:
                cur = db.execute(
                    "INSERT INTO feeds (url, title, site_url, role, folder, added_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (url, title, site_url, role.value, folder, iso(now)),
                )
                return int(cur.lastrowid or 0)
        except sqlite3.IntegrityError:
            raise FeedExistsError(f"Already subscribed to {url}.") from None

    def feed_id_for_url(self, url: str) -> int | None:
        row = self.db.conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def get_feed(self, feed_id: int) -> Feed:
        feeds = self._feeds("WHERE f.id = ?", (feed_id,), only=feed_id)
        if not feeds:
            raise FeedNotFoundError(f"There is no feed with id {feed_id}.")
        return feeds[0]

    def list_feeds(self) -> list[Feed]:
        return self._feeds("", ())

    def _feeds(self, where: str, params: Sequence[Any], only: int | None = None) -> list[Feed]:
        # One grouped pass over items: correlated count subqueries let the planner pick the
        # partial unread index and scan every unread item once per feed (47 s at 1,000 feeds).
        sql = f"""
            SELECT {_FEED_COLUMNS}, coalesce(c.unread, 0) AS unread, coalesce(c.total, 0) AS total
            FROM feeds f LEFT JOIN (
                SELECT feed_id, count(*) AS total,
                    sum(read = 0 AND hidden = 0) AS unread
                FROM items INDEXED BY items_by_feed_date
                {"WHERE feed_id = ?" if only is not None else ""} GROUP BY feed_id
            ) c ON c.feed_id = f.id
            {where}
            ORDER BY coalesce(f.folder, ''), lower(coalesce(f.user_title, f.title, f.url)), f.id
        """
        if only is not None:
            params = (only, *params)
        with wrap_errors():
            rows = self.db.conn.execute(sql, params).fetchall()
        return [_feed(r) for r in rows]

    def update_feed(self, feed_id: int, **fields: Any) -> None:
        allowed = {"user_title", "role", "folder", "url", "disabled", "remote_images",
                   "next_retry_at", "error_count", "last_error"}
        assert set(fields) <= allowed, fields
        if not fields:
            return
        sets = ", ".join(f"{k} = ?" for k in fields)
        values = [v.value if isinstance(v, Role) else v for v in fields.values()]
        try:
            with self.db.transaction() as db:
                cur = db.execute(f"UPDATE feeds SET {sets} WHERE id = ?", (*values, feed_id))
        except sqlite3.IntegrityError:
            url = fields.get("url")
            raise FeedExistsError(f"Another subscription already has {url}.") from None
        if cur.rowcount == 0:
            raise FeedNotFoundError(f"There is no feed with id {feed_id}.")

    def delete_feed(self, feed_id: int) -> None:
        with self.db.transaction() as db:
            db.execute(
                "DELETE FROM items_fts WHERE rowid IN (SELECT id FROM items WHERE feed_id = ?)",
                (feed_id,),
            )
            _delete_annotation_search(db, feed_id)  # the annotations cascade; these do not
            cur = db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
        if cur.rowcount == 0:
            raise FeedNotFoundError(f"There is no feed with id {feed_id}.")

    def delete_feed_keeping(self, feed_id: int) -> FeedSnapshot:
        """Delete a feed like delete_feed, returning its rows so restore_feed can undo it."""
        with self.db.transaction() as db:
            row = db.execute("SELECT * FROM feeds WHERE id = ?", (feed_id,)).fetchone()
            if row is None:
                raise FeedNotFoundError(f"There is no feed with id {feed_id}.")
            cur = db.execute("SELECT * FROM items WHERE feed_id = ? ORDER BY id", (feed_id,))
            columns = tuple(d[0] for d in cur.description)
            items = [tuple(r) for r in cur]
            search = [tuple(r) for r in db.execute(
                "SELECT rowid, title, author, summary, content FROM items_fts "
                "WHERE rowid IN (SELECT id FROM items WHERE feed_id = ?)", (feed_id,))]
            annotations = [tuple(r) for r in db.execute(
                "SELECT item_id, note, commentary, updated_at FROM annotations "
                "WHERE item_id IN (SELECT id FROM items WHERE feed_id = ?)", (feed_id,))]
            watch = [tuple(r) for r in db.execute(
                "SELECT item_id, list_id, term FROM watch_matches "
                "WHERE item_id IN (SELECT id FROM items WHERE feed_id = ?)", (feed_id,))]
            db.execute(
                "DELETE FROM items_fts WHERE rowid IN (SELECT id FROM items WHERE feed_id = ?)",
                (feed_id,),
            )
            _delete_annotation_search(db, feed_id)
            db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
        return FeedSnapshot(dict(row), columns, items, search, annotations, watch)

    def restore_feed(self, snapshot: FeedSnapshot) -> int:
        """Put back a feed deleted by delete_feed_keeping, with its items, flags and search
        rows. Ids are kept when still free (a selection or a link to them stays good).

        Raises:
            FeedExistsError: the feed's URL was subscribed again meanwhile.
        """
        url = snapshot.feed["url"]
        with self.db.transaction() as db:
            if db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone():
                raise FeedExistsError(
                    f"Cannot undo the removal: {url} was subscribed again meanwhile."
                )
            feed = dict(snapshot.feed)
            if db.execute("SELECT 1 FROM feeds WHERE id = ?", (feed["id"],)).fetchone():
                del feed["id"]  # a newer feed took the id
            cur = db.execute(
                f"INSERT INTO feeds ({', '.join(feed)}) VALUES ({', '.join('?' * len(feed))})",
                tuple(feed.values()),
            )
            feed_id = int(cur.lastrowid or 0)
            if not snapshot.items:
                return feed_id
            id_at = snapshot.item_columns.index("id")
            feed_at = snapshot.item_columns.index("feed_id")
            old_ids = [row[id_at] for row in snapshot.items]
            new_ids = dict(zip(old_ids, old_ids, strict=True))
            if _any_taken(db, old_ids):
                # Items fetched since then took some ids: number them all anew.
                next_id = (db.execute("SELECT max(id) FROM items").fetchone()[0] or 0) + 1
                new_ids = {old: next_id + n for n, old in enumerate(old_ids)}
            rows = []
            for row in snapshot.items:
                values = list(row)
                values[id_at] = new_ids[values[id_at]]
                values[feed_at] = feed_id
                rows.append(values)
            columns = snapshot.item_columns
            db.executemany(
                f"INSERT INTO items ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                rows,
            )
            db.executemany(
                "INSERT INTO items_fts (rowid, title, author, summary, content) VALUES (?,?,?,?,?)",
                [(new_ids[rowid], *rest) for rowid, *rest in snapshot.search],
            )
            notes = [(new_ids[item_id], *rest) for item_id, *rest in snapshot.annotations]
            db.executemany("INSERT INTO annotations (item_id, note, commentary, updated_at) "
                           "VALUES (?,?,?,?)", notes)
            db.executemany("INSERT INTO annotations_fts (rowid, note, commentary) VALUES (?,?,?)",
                           [(item_id, note, commentary) for item_id, note, commentary, _ in notes])
            # Matches of lists removed meanwhile are dropped (their list id is gone).
            db.executemany(
                "INSERT OR IGNORE INTO watch_matches (item_id, list_id, term) SELECT ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM watch_lists WHERE id = ?)",
                [(new_ids[item_id], list_id, term, list_id)
                 for item_id, list_id, term in snapshot.watch])
        return feed_id

    def feeds_for_update(self, ids: Iterable[int] | None = None) -> list[FeedForUpdate]:
        sql = ("SELECT id, url, etag, last_modified, title, site_url, error_count, last_error, "
               "next_retry_at, disabled, fetch_seconds FROM feeds")
        params: tuple[Any, ...] = ()
        if ids is not None:
            id_list = list(ids)
            sql += f" WHERE id IN ({','.join('?' * len(id_list))})"
            params = tuple(id_list)
        rows = self.db.conn.execute(sql + " ORDER BY id", params).fetchall()
        return [
            FeedForUpdate(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], from_iso(r[8]),
                          bool(r[9]), r[10])
            for r in rows
        ]

    # ---- refresh results -----------------------------------------------------------------

    def store_entries(
        self, db: sqlite3.Connection, feed_id: int, rows: Sequence[EntryRow], now: datetime,
        watch: Ingest | None = None,
    ) -> tuple[int, int]:
        """Insert new entries, update changed ones (read/starred kept). Returns (new, updated).
        `watch`: the refresh's watch lists; new entries matching them are marked."""
        existing = {
            key: (item_id, digest)
            for key, item_id, digest in db.execute(
                "SELECT key, id, content_hash FROM items WHERE feed_id = ?", (feed_id,)
            )
        }
        now_s = iso(now)
        new: list[EntryRow] = []
        changed: list[tuple[int, EntryRow]] = []
        for row in rows:
            old = existing.get(row.key)
            if old is None:
                new.append(row)
                existing[row.key] = (0, row.content_hash)  # a repeat in the same batch is ignored
            elif old[0] and old[1] != row.content_hash:
                changed.append((old[0], row))
        if new:
            # Ids are assigned here (we hold the write lock) so items and their FTS rows
            # can both go in with executemany.
            next_id = (db.execute("SELECT max(id) FROM items").fetchone()[0] or 0) + 1
            ids = range(next_id, next_id + len(new))
            db.executemany(
                "INSERT INTO items (id, feed_id, key, guid, link, title, author, summary, content,"
                " published, updated, first_seen, sort_date, content_hash, categories)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (i, feed_id, r.key, r.guid, r.link, r.title, r.author, r.summary, r.content,
                     r.published, r.updated, now_s, r.published or now_s, r.content_hash,
                     r.categories)
                    for i, r in zip(ids, new, strict=True)
                ],
            )
            db.executemany(
                "INSERT INTO items_fts (rowid, title, author, summary, content) VALUES (?,?,?,?,?)",
                [
                    (i, r.title or "", r.author or "", r.text_summary, r.text_content)
                    for i, r in zip(ids, new, strict=True)
                ],
            )
            if watch is not None:
                watch.record(db, ((i, r.title, r.text_summary, r.text_content)
                                  for i, r in zip(ids, new, strict=True)))
        if changed:
            db.executemany(
                "UPDATE items SET guid=?, link=?, title=?, author=?, summary=?, content=?,"
                " published=?, updated=?, sort_date=coalesce(?, first_seen), content_hash=?,"
                " categories=? WHERE id=?",
                [
                    (r.guid, r.link, r.title, r.author, r.summary, r.content, r.published,
                     r.updated, r.published, r.content_hash, r.categories, item_id)
                    for item_id, r in changed
                ],
            )
            db.executemany("DELETE FROM items_fts WHERE rowid = ?", [(i,) for i, _ in changed])
            db.executemany(
                "INSERT INTO items_fts (rowid, title, author, summary, content) VALUES (?,?,?,?,?)",
                [(i, r.title or "", r.author or "", r.text_summary, r.text_content)
                 for i, r in changed],
            )
        return len(new), len(changed)

    @staticmethod
    def set_feed_state(db: sqlite3.Connection, feed_id: int, **fields: Any) -> None:
        if not fields:
            return
        sets = ", ".join(f"{k} = ?" for k in fields)
        db.execute(f"UPDATE feeds SET {sets} WHERE id = ?", (*fields.values(), feed_id))

    # ---- items ---------------------------------------------------------------------------

    def get_item(self, item_id: int) -> Item:
        sql = (f"SELECT {_ITEM_COLUMNS.format(content='i.content')} FROM items i "
               "JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?")
        row = self.db.conn.execute(sql, (item_id,)).fetchone()
        if row is None:
            raise ItemNotFoundError(f"There is no item with id {item_id}.")
        return _item(row)

    def list_items(
        self, query: ItemQuery, limit: int = 50, cursor: str | None = None,
        with_content: bool = False,
    ) -> ItemPage:
        where, params = _filters(query, walk_dates=self._busy_watch_list(query.watch_list_id))
        columns = _ITEM_COLUMNS.format(content="i.content" if with_content else "NULL")
        if query.search:
            return self._search(query.search, where, params, columns, limit, cursor)
        if cursor:
            try:
                date, _, last_id = cursor.partition("|")
                params += [date, date, int(last_id)]
            except ValueError:
                raise InvalidSearchError("The page cursor is not valid.") from None
            before = ">" if query.oldest_first else "<"
            where.append(f"(i.sort_date {before} ? OR (i.sort_date = ? AND i.id {before} ?))")
        # Without planner statistics SQLite may walk the partial unread index for one
        # feed's unread items (every unread item, 50 ms at 30k); the feed's index is right.
        hint = "INDEXED BY items_by_feed_date " if query.feed_id is not None else ""
        order = "ASC" if query.oldest_first else "DESC"
        sql = (f"SELECT {columns} FROM items i {hint}JOIN feeds f ON f.id = i.feed_id "
               f"{'WHERE ' + ' AND '.join(where) if where else ''} "
               f"ORDER BY i.sort_date {order}, i.id {order} LIMIT ?")
        with wrap_errors():
            rows = self.db.conn.execute(sql, (*params, limit + 1)).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        resume = f"{rows[-1]['sort_date']}|{rows[-1]['id']}" if rows else cursor
        return ItemPage([_item(r) for r in rows], resume if more else None, resume)

    def _busy_watch_list(self, list_id: int | None) -> bool:
        """More than BUSY_LIST matches: walking items by date fills a page sooner than
        reading (and sorting) every match. Counting stops there, so this stays cheap."""
        if list_id is None:
            return False
        row = self.db.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM watch_matches WHERE list_id = ? LIMIT ?)",
            (list_id, BUSY_LIST)).fetchone()
        return bool(row[0] >= BUSY_LIST)

    def _search(
        self, text: str, where: list[str], params: list[Any], columns: str, limit: int,
        cursor: str | None,
    ) -> ItemPage:
        from ._search import to_fts_query

        match = to_fts_query(text)
        if match is None:
            return ItemPage([], None)
        try:
            offset = int(cursor[2:]) if cursor and cursor.startswith("o:") else 0
        except ValueError:
            raise InvalidSearchError("The page cursor is not valid.") from None
        # Items found by what the user wrote about them come first, then the ranked rest.
        noted = self._noted(match, where, params, columns)
        exclude = [r["id"] for r in noted]
        if offset < len(noted):
            rows = noted[offset : offset + limit + 1]
            if len(rows) <= limit:
                rows += self._best(match, where, params, columns, limit - len(rows), 0, exclude)
        else:
            rows = self._best(match, where, params, columns, limit, offset - len(noted), exclude)
        more = len(rows) > limit
        rows = rows[:limit]
        return ItemPage([_item(r) for r in rows], f"o:{offset + limit}" if more else None)

    def _best(
        self, match: str, where: list[str], params: list[Any], columns: str, limit: int,
        offset: int, exclude: list[int],
    ) -> list[sqlite3.Row]:
        """Up to limit + 1 items whose text matches, best first."""
        restrictive = len(where) > 1 or (where and where[0] != "i.hidden = 0")
        floor = self._rank_floor(match)
        rows = self._ranked(match, floor, where, params, columns, limit, offset, exclude)
        if floor and restrictive and len(rows) <= limit:
            # The newest matches held too few of this filter's items: rank them all.
            rows = self._ranked(match, 0, where, params, columns, limit, offset, exclude)
        return rows

    def _noted(
        self, match: str, where: list[str], params: list[Any], columns: str,
    ) -> list[sqlite3.Row]:
        """Every item (within the filters) whose note or commentary matches, best first.
        Few: the user wrote each of them."""
        ids = _annotation_matches(self.db.conn, match)
        if not ids:
            return []
        sql = (f"SELECT {columns} FROM items i JOIN feeds f ON f.id = i.feed_id "
               f"WHERE {' AND '.join(['i.id IN (SELECT value FROM json_each(?))', *where])}")
        with wrap_errors():
            rows = self.db.conn.execute(sql, (json.dumps(ids), *params)).fetchall()
        order = {item_id: n for n, item_id in enumerate(ids)}
        return sorted(rows, key=lambda r: order[r["id"]])

    def _rank_floor(self, match: str) -> int:
        """The lowest rowid among the newest RANK_CANDIDATES matches (0: rank every match).

        BM25 costs ~2 us a match, so a word in a third of 100,000 items took ~50 ms; ranking
        the newest matches keeps any query under ~20 ms, and a reader wants recent items."""
        try:
            with wrap_errors():
                row = self.db.conn.execute(
                    "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC "
                    "LIMIT 1 OFFSET ?", (match, RANK_CANDIDATES - 1)).fetchone()
        except sqlite3.OperationalError as e:
            raise InvalidSearchError(f"Cannot search for that: {e}.") from None
        return int(row[0]) if row else 0

    def _ranked(
        self, match: str, floor: int, where: list[str], params: list[Any], columns: str,
        limit: int, offset: int, exclude: list[int] | None = None,
    ) -> list[sqlite3.Row]:
        # Items already listed for their annotation; the SQL is unchanged when there are none.
        skip = " AND rowid NOT IN (SELECT value FROM json_each(?))" if exclude else ""
        if where == ["i.hidden = 0"]:
            # The common case ranks inside the FTS index and joins only one page; joining
            # every candidate first cost more than the ranking itself.
            sql = (
                "WITH top AS (SELECT rowid AS id, bm25(items_fts, 10.0, 4.0, 2.0, 1.0) AS score"
                " FROM items_fts WHERE items_fts MATCH ? AND rowid >= ?"
                f" AND rowid NOT IN (SELECT id FROM items WHERE hidden = 1){skip}"
                " ORDER BY score LIMIT ? OFFSET ?) "
                f"SELECT {columns} FROM top JOIN items i ON i.id = top.id "
                "JOIN feeds f ON f.id = i.feed_id ORDER BY top.score, i.sort_date DESC")
            args: tuple[Any, ...] = (match, floor, *([json.dumps(exclude)] if skip else []),
                                     limit + 1, offset)
        else:
            conditions = ["items_fts MATCH ?", "items_fts.rowid >= ?", *where]
            if skip:
                conditions.append("items_fts.rowid NOT IN (SELECT value FROM json_each(?))")
                params = [*params, json.dumps(exclude)]
            sql = (f"SELECT {columns} FROM items_fts JOIN items i ON i.id = items_fts.rowid "
                   f"JOIN feeds f ON f.id = i.feed_id WHERE {' AND '.join(conditions)} "
                   "ORDER BY bm25(items_fts, 10.0, 4.0, 2.0, 1.0), i.sort_date DESC "
                   "LIMIT ? OFFSET ?")
            args = (match, floor, *params, limit + 1, offset)
        try:
            with wrap_errors():
                return self.db.conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as e:
            raise InvalidSearchError(f"Cannot search for that: {e}.") from None

    def mark_items(
        self, ids: Sequence[int], *, read: bool | None = None, starred: bool | None = None,
        hidden: bool | None = None,
    ) -> int:
        fields = {k: int(v) for k, v in
                  (("read", read), ("starred", starred), ("hidden", hidden)) if v is not None}
        if not fields or not ids:
            return 0
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.db.transaction() as db:
            missing = [i for i in ids
                       if db.execute("SELECT 1 FROM items WHERE id = ?", (i,)).fetchone() is None]
            if missing:
                raise ItemNotFoundError(f"There is no item with id {missing[0]}.")
            db.executemany(f"UPDATE items SET {sets} WHERE id = ?",
                           [(*fields.values(), i) for i in ids])
        return len(ids)

    def mark_all_read(self, query: ItemQuery) -> int:
        where, params = _filters(query)
        if query.search and not _search_filter(self.db.conn, query.search, where, params):
            return 0
        where.append("i.read = 0")
        with self.db.transaction() as db:
            cur = db.execute(
                "UPDATE items SET read = 1 WHERE id IN (SELECT i.id FROM items i JOIN feeds f "
                f"ON f.id = i.feed_id WHERE {' AND '.join(where)})", params)
        return cur.rowcount

    def count_items(self, query: ItemQuery) -> int:
        where, params = _filters(query)
        if query.search and not _search_filter(self.db.conn, query.search, where, params):
            return 0
        sql = ("SELECT count(*) FROM items i JOIN feeds f ON f.id = i.feed_id "
               f"{'WHERE ' + ' AND '.join(where) if where else ''}")
        return int(self.db.conn.execute(sql, params).fetchone()[0])

    def rename_folder(self, old: str, new: str | None) -> int:
        """Move a folder and its subfolders under a new path; None empties them all."""
        # substr, not LIKE: LIKE ignores case, and "tech" is not "Tech".
        with self.db.transaction() as db:
            cur = db.execute(
                "UPDATE feeds SET folder = CASE WHEN ? IS NULL THEN NULL "
                "ELSE ? || substr(folder, ?) END "
                "WHERE folder = ? OR substr(folder, 1, ?) = ?",
                (new, new, len(old) + 1, old, len(old) + 1, old + "/"),
            )
        return cur.rowcount

    def folders(self) -> list[str]:
        rows = self.db.conn.execute(
            "SELECT DISTINCT folder FROM feeds WHERE folder IS NOT NULL ORDER BY folder")
        return [r[0] for r in rows]


def _any_taken(db: sqlite3.Connection, item_ids: Sequence[int]) -> bool:
    """True when an item already has one of these ids."""
    for start in range(0, len(item_ids), 500):  # stays under SQLite's variable limit
        chunk = item_ids[start : start + 500]
        sql = f"SELECT 1 FROM items WHERE id IN ({','.join('?' * len(chunk))}) LIMIT 1"
        if db.execute(sql, chunk).fetchone():
            return True
    return False


def _search_filter(
    conn: sqlite3.Connection, text: str, where: list[str], params: list[Any]
) -> bool:
    """Restrict a count or bulk change to search matches; False when nothing can match."""
    from ._search import to_fts_query

    match = to_fts_query(text)
    if match is None:
        return False
    noted = _annotation_matches(conn, match)
    if noted:
        where.append("(i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?) "
                     "OR i.id IN (SELECT value FROM json_each(?)))")
        params += [match, json.dumps(noted)]
    else:
        where.append("i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
        params.append(match)
    return True


def _annotation_matches(conn: sqlite3.Connection, match: str) -> list[int]:
    """Ids of the items whose note or commentary match, best first."""
    try:
        with wrap_errors():
            rows = conn.execute("SELECT rowid FROM annotations_fts WHERE annotations_fts "
                                "MATCH ? ORDER BY rank", (match,)).fetchall()
    except sqlite3.OperationalError:
        # A term limited to an item field (title:, author:...) names no annotation column:
        # such a search is about the item's own text.
        return []
    return [r[0] for r in rows]


def _delete_annotation_search(db: sqlite3.Connection, feed_id: int) -> None:
    db.execute("DELETE FROM annotations_fts WHERE rowid IN "
               "(SELECT item_id FROM annotations WHERE item_id IN "
               "(SELECT id FROM items WHERE feed_id = ?))", (feed_id,))


def _filters(q: ItemQuery, walk_dates: bool = False) -> tuple[list[str], list[Any]]:
    """SQL conditions on items i (and feeds f). walk_dates: the caller reads a page in date
    order, and the watch list (if any) is busy enough to fill it quickly that way."""
    where: list[str] = []
    params: list[Any] = []
    if q.feed_id is not None:
        where.append("i.feed_id = ?")
        params.append(q.feed_id)
    # Folder and role select feeds first, so SQLite reads only their items through the
    # feed index (scanning all items by date for a small folder took 50 ms at 30k items).
    if q.folder is not None:
        # A folder includes its subfolders ("Tech" shows "Tech/Python").
        where.append("i.feed_id IN (SELECT id FROM feeds WHERE folder = ? "
                     "OR folder LIKE ? ESCAPE '\\')")
        # Spelled as folders are stored: "Tech/" and " Tech / Python" name real folders.
        folder = "/".join(p.strip() for p in q.folder.replace("\\", "/").split("/") if p.strip())
        escaped = folder.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params += [folder, escaped + "/%"]
    if q.role is not None:
        where.append("i.feed_id IN (SELECT id FROM feeds WHERE role = ?)")
        params.append(q.role.value)
    if q.unread:
        # With a feed, folder or role the feed index is the way in; "+" keeps SQLite from
        # walking every unread item through the partial index instead.
        narrowed = q.feed_id is not None or q.folder is not None or q.role is not None
        where.append("+i.read = 0" if narrowed else "i.read = 0")
    if q.starred:
        where.append("i.starred = 1")
    if q.annotated:
        where.append("i.id IN (SELECT item_id FROM annotations)")
    if q.watch_list_id is not None:
        if walk_dates:
            # A probe of the (list_id, item_id) key per item walked by date: a page of a
            # busy list stops after a few hundred items.
            where.append("EXISTS (SELECT 1 FROM watch_matches w WHERE w.list_id = ? "
                         "AND w.item_id = i.id)")
        else:
            # The list's matches drive the query: a quiet list (or a count) never walks
            # every item (a rare term's page took 85 ms at 100k items by walking dates).
            where.append("i.id IN (SELECT item_id FROM watch_matches WHERE list_id = ?)")
        params.append(q.watch_list_id)
    if q.watched:
        where.append("EXISTS (SELECT 1 FROM watch_matches w WHERE w.item_id = i.id)")
    if q.hidden_only:
        where.append("i.hidden = 1")
    elif not q.include_hidden:
        where.append("i.hidden = 0")
    return where, params


def _feed(r: sqlite3.Row) -> Feed:
    return Feed(
        id=r["id"], url=r["url"], title=r["title"], site_url=r["site_url"],
        role=Role(r["role"]), folder=r["folder"], added_at=from_iso(r["added_at"]),  # type: ignore[arg-type]
        last_fetched_at=from_iso(r["last_fetched_at"]),
        last_success_at=from_iso(r["last_success_at"]), last_error=r["last_error"],
        error_count=r["error_count"], next_retry_at=from_iso(r["next_retry_at"]),
        disabled=bool(r["disabled"]), unread=r["unread"], total=r["total"],
        remote_images=bool(r["remote_images"]),
    )


def _item(r: sqlite3.Row) -> Item:
    return Item(
        id=r["id"], feed_id=r["feed_id"], feed_title=r["feed_title"], title=r["title"],
        link=r["link"], author=r["author"], published=from_iso(r["published"]),
        updated=from_iso(r["updated"]), first_seen=from_iso(r["first_seen"]),  # type: ignore[arg-type]
        summary=r["summary"], content=r["content"], read=bool(r["read"]),
        starred=bool(r["starred"]), hidden=bool(r["hidden"]), guid=r["guid"],
        has_commentary=bool(r["has_commentary"]),
        categories=json.loads(r["categories"]) if r["categories"] else [],
        watched=bool(r["watched"]),
    )
