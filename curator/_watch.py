"""Watch lists in SQLite: the lists, their matches, ingest-time matching and rematching."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from ._sqlite import Database, wrap_errors
from .errors import CuratorError, WatchListExistsError, WatchListNotFoundError
from .types import WatchList, WatchMatch
from .watch import Matcher, is_regex_term, normalize_terms

REMATCH_CHUNK = 2000  # items per rematch transaction: short write locks, a refresh can interleave
MAX_NAME = 100


def _iso(d: datetime) -> str:
    from ._storage import iso

    return iso(d) or ""


def _list(r: sqlite3.Row) -> WatchList:
    terms = json.loads(r["terms"])
    return WatchList(
        id=r["id"], name=r["name"], terms=terms, regex=any(is_regex_term(t) for t in terms),
        created_at=datetime.fromisoformat(r["created_at"]),
        updated_at=datetime.fromisoformat(r["updated_at"]),
    )


def _name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise CuratorError("A watch list needs a name.")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise CuratorError(f"A watch list name is at most {MAX_NAME} characters.")
    return name


class WatchStore:
    """The watch lists of one database, and which items match them."""

    def __init__(self, db: Database, now: Callable[[], datetime]):
        self.db = db
        self.now = now

    # ---- lists ---------------------------------------------------------------------------

    def lists(self) -> list[WatchList]:
        rows = self.db.conn.execute(
            "SELECT * FROM watch_lists ORDER BY name COLLATE NOCASE, id").fetchall()
        return [_list(r) for r in rows]

    def get(self, ref: int | str) -> WatchList:
        """A list by id, or by name (case-insensitive); a name of digits may be an id."""
        conn = self.db.conn
        row = None
        if isinstance(ref, str):
            row = conn.execute("SELECT * FROM watch_lists WHERE name = ?",
                               (" ".join(ref.split()),)).fetchone()
            if row is None and ref.strip().isdigit():
                ref = int(ref.strip())
        if row is None and isinstance(ref, int):
            row = conn.execute("SELECT * FROM watch_lists WHERE id = ?", (ref,)).fetchone()
        if row is None:
            what = f"id {ref}" if isinstance(ref, int) else f"name {ref!r}"
            raise WatchListNotFoundError(f"There is no watch list with {what}.")
        return _list(row)

    def add(self, name: str, terms: Sequence[str]) -> WatchList:
        """Raises WatchTermError (naming the term), WatchListExistsError."""
        name, clean = _name(name), normalize_terms(terms)
        now = _iso(self.now())
        try:
            with self.db.transaction() as db:
                cur = db.execute(
                    "INSERT INTO watch_lists (name, terms, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?)", (name, json.dumps(clean, ensure_ascii=False), now, now))
        except sqlite3.IntegrityError:
            raise WatchListExistsError(f"There is already a watch list named {name!r}.") from None
        return self.get(int(cur.lastrowid or 0))

    def update(self, ref: int | str, *, name: str | None = None,
               terms: Sequence[str] | None = None) -> tuple[WatchList, bool]:
        """Rename and/or replace the terms. Returns the list and whether its terms changed."""
        old = self.get(ref)
        new_name = _name(name) if name is not None else old.name
        clean = normalize_terms(terms) if terms is not None else old.terms
        try:
            with self.db.transaction() as db:
                db.execute("UPDATE watch_lists SET name = ?, terms = ?, updated_at = ? "
                           "WHERE id = ?", (new_name, json.dumps(clean, ensure_ascii=False),
                                            _iso(self.now()), old.id))
        except sqlite3.IntegrityError:
            raise WatchListExistsError(
                f"There is already a watch list named {new_name!r}.") from None
        return self.get(old.id), clean != old.terms

    def remove(self, ref: int | str) -> WatchList:
        old = self.get(ref)
        with self.db.transaction() as db:
            db.execute("DELETE FROM watch_lists WHERE id = ?", (old.id,))  # matches cascade
        return old

    # ---- matches -------------------------------------------------------------------------

    def counts(self) -> dict[int, int]:
        """List id -> unread (and not hidden) items matching it; 0 for lists without any."""
        out = {r[0]: 0 for r in self.db.conn.execute("SELECT id FROM watch_lists")}
        with wrap_errors():
            rows = self.db.conn.execute(
                # CROSS JOIN: matches drive, in key order (no sorting for DISTINCT); led by
                # the unread index instead, the planner probed every unread item (5x slower).
                "SELECT w.list_id, count(DISTINCT w.item_id) FROM watch_matches w "
                "CROSS JOIN items i ON i.id = w.item_id WHERE i.read = 0 AND i.hidden = 0 "
                "GROUP BY w.list_id").fetchall()
        out.update({r[0]: r[1] for r in rows})
        return out

    def matches(self, item_id: int) -> list[WatchMatch]:
        rows = self.db.conn.execute(
            "SELECT w.list_id, l.name, w.term FROM watch_matches w "
            "JOIN watch_lists l ON l.id = w.list_id WHERE w.item_id = ? "
            "ORDER BY l.name COLLATE NOCASE, w.list_id", (item_id,)).fetchall()
        order: dict[tuple[int, str], int] = {}
        for lst in self.lists():
            for n, term in enumerate(lst.terms):
                order.setdefault((lst.id, term), n)
        found = [WatchMatch(r[0], r[1], r[2]) for r in rows]
        # Terms in the order the user listed them.
        return sorted(found, key=lambda m: (m.list_name.casefold(), m.list_id,
                                            order.get((m.list_id, m.term), 1 << 30)))

    def rematch(self, list_id: int | None = None, chunk: int = REMATCH_CHUNK) -> int:
        """Match the stored items again against one list (or all); returns how many items
        match it (them) now. Runs in chunks of items, each its own transaction: each item's
        matches are swapped at once, and a refresh can store items between two chunks."""
        lists = [self.get(list_id)] if list_id is not None else self.lists()
        if not lists:
            return 0
        matcher = Matcher((lst.id, lst.terms) for lst in lists)
        ids = [lst.id for lst in lists]
        in_lists = f"list_id IN ({','.join('?' * len(ids))})"
        last = 0
        while True:
            with self.db.transaction() as db:
                rows = db.execute(
                    "SELECT rowid, title, summary, content FROM items_fts WHERE rowid > ? "
                    "ORDER BY rowid LIMIT ?", (last, chunk)).fetchall()
                if not rows:
                    break
                first, last = rows[0][0], rows[-1][0]
                db.execute(f"DELETE FROM watch_matches WHERE {in_lists} "
                           "AND item_id BETWEEN ? AND ?", (*ids, first, last))
                if matcher:
                    found = [(item_id, lid, term) for item_id, title, summary, content in rows
                             for lid, term in matcher.match(title, summary, content)]
                    if found:  # a search row whose item is gone must not break the insert
                        alive = {r[0] for r in db.execute(
                            "SELECT id FROM items WHERE id BETWEEN ? AND ?", (first, last))}
                        _insert(db, [f for f in found if f[0] in alive])
        counted = self.db.conn.execute(
            f"SELECT count(DISTINCT item_id) FROM watch_matches WHERE {in_lists}", ids)
        return int(counted.fetchone()[0])


def _insert(db: sqlite3.Connection, rows: Iterable[tuple[int, int, str]]) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO watch_matches (item_id, list_id, term) VALUES (?, ?, ?)", rows)


class Ingest:
    """One refresh's watch matching: every list compiled once when the refresh starts; new
    items are matched as they are stored, inside the refresh's own write transaction."""

    def __init__(self, names: dict[int, str], matcher: Matcher):
        self.names = names
        self.matcher = matcher
        self.new_matches: Counter[int] = Counter()  # list id -> new items matching it

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Ingest | None:
        """None when there is nothing to watch: a refresh then pays nothing."""
        rows = conn.execute("SELECT id, name, terms FROM watch_lists").fetchall()
        lists = [(r[0], json.loads(r[2])) for r in rows]
        if not any(terms for _, terms in lists):
            return None
        # Stored terms were validated when saved; one that no longer compiles (a newer Python
        # being stricter) must not stop the refresh: its list is matched without it.
        try:
            matcher = Matcher(lists)
        except CuratorError:
            matcher = Matcher(_valid_only(lists))
        return cls({r[0]: r[1] for r in rows}, matcher)

    def record(self, db: sqlite3.Connection,
               items: Iterable[tuple[int, str | None, str | None, str | None]]) -> None:
        """Match new items, given as (id, title, summary text, content text)."""
        found: list[tuple[int, int, str]] = []
        for item_id, title, summary, content in items:
            hits = self.matcher.match(title, summary, content)
            if hits:
                found.extend((item_id, lid, term) for lid, term in hits)
                self.new_matches.update({lid for lid, _ in hits})
        if found:
            _insert(db, found)

    def mentions(self) -> dict[str, int]:
        """List name -> new items matching it, for lists with any."""
        return {self.names[lid]: n for lid, n in sorted(self.new_matches.items()) if n}


def _valid_only(lists: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    from .watch import parse_term

    def ok(term: str) -> bool:
        try:
            parse_term(term)
        except CuratorError:
            return False
        return True

    return [(lid, [t for t in terms if ok(t)]) for lid, terms in lists]
