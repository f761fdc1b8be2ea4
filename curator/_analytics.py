"""Analytics storage: engagement snapshots, outcomes and follower counts (schema v8).

Every SQL statement of the analytics lives here; the arithmetic is in curator.analytics.
Counts are history: each fetch adds a row, nothing is overwritten.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ._sqlite import Database
from ._storage import from_iso, iso
from .errors import CuratorError, PostNotFoundError
from .types import FollowerCount, MetricsSnapshot, PostOutcome


class OutcomeNotFoundError(CuratorError, LookupError):
    """No outcome has that id."""


@dataclass(frozen=True)
class PostRow:
    """A post with what analytics needs of its draft, item and feed."""

    id: int
    account_id: int | None
    account: str  # the account's name now (or when it was removed)
    network: str
    text: str
    state: str
    remote_id: str | None
    remote_url: str | None
    scheduled_at: datetime
    published_at: datetime | None
    role: str | None  # the item's role when drafted; None: a post about no item
    item_title: str | None
    feed_id: int | None  # None: about no item, or the item or its feed is gone
    source: str | None  # the feed's title (now, else as drafted)


_POST_ROW = """
SELECT p.id, p.account_id, COALESCE(a.name, p.account_name) AS account, p.network, p.text,
       p.state, p.remote_id, p.remote_url, p.scheduled_at, p.published_at,
       d.item_role AS role, d.item_title, f.id AS feed_id,
       COALESCE(f.user_title, f.title, d.item_source) AS source
FROM posts p
LEFT JOIN accounts a ON a.id = p.account_id
LEFT JOIN drafts d ON d.id = p.draft_id
LEFT JOIN items i ON i.id = d.item_id
LEFT JOIN feeds f ON f.id = i.feed_id
"""


def _post_row(r: sqlite3.Row) -> PostRow:
    return PostRow(
        id=r["id"], account_id=r["account_id"], account=r["account"], network=r["network"],
        text=r["text"], state=r["state"], remote_id=r["remote_id"], remote_url=r["remote_url"],
        scheduled_at=from_iso(r["scheduled_at"]),  # type: ignore[arg-type]
        published_at=from_iso(r["published_at"]), role=r["role"], item_title=r["item_title"],
        feed_id=r["feed_id"], source=r["source"])


def _snapshot(r: sqlite3.Row) -> MetricsSnapshot:
    return MetricsSnapshot(
        post_id=r["post_id"], fetched_at=from_iso(r["fetched_at"]),  # type: ignore[arg-type]
        likes=r["likes"], reposts=r["reposts"], replies=r["replies"], quotes=r["quotes"],
        impressions=r["impressions"], unavailable=r["unavailable"])


def _outcome(r: sqlite3.Row) -> PostOutcome:
    return PostOutcome(
        id=r["id"], post_id=r["post_id"], kind=r["kind"], note=r["note"], value=r["value"],
        happened_at=from_iso(r["happened_at"]),  # type: ignore[arg-type]
        created_at=from_iso(r["created_at"]))  # type: ignore[arg-type]


def _followers(r: sqlite3.Row) -> FollowerCount:
    return FollowerCount(r["account_id"], from_iso(r["counted_at"]),  # type: ignore[arg-type]
                         r["count"], r["source"])


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    # SQLite limits the number of bound parameters: ask in slices.
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


class AnalyticsStore:
    """Every SQL statement of metrics, outcomes and followers."""

    def __init__(self, db: Database):
        self.db = db

    # ---- posts -----------------------------------------------------------------------------

    def posts(self, ids: Sequence[int]) -> list[PostRow]:
        """The posts with these ids, in that order.

        Raises:
            PostNotFoundError
        """
        found: dict[int, PostRow] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            marks = ",".join("?" * len(chunk))
            for r in self.db.conn.execute(f"{_POST_ROW} WHERE p.id IN ({marks})", chunk):
                found[r["id"]] = _post_row(r)
        for post_id in ids:
            if post_id not in found:
                raise PostNotFoundError(f"There is no post with id {post_id}.")
        return [found[i] for i in ids]

    def published(self, start: datetime | None = None, end: datetime | None = None
                  ) -> list[PostRow]:
        """Published posts in [start, end), oldest first."""
        rows = self.db.conn.execute(
            f"{_POST_ROW} WHERE p.state = 'published' AND p.published_at IS NOT NULL "
            "AND p.published_at >= :start AND p.published_at < :end "
            "ORDER BY p.published_at, p.id",
            {"start": iso(start) or "", "end": iso(end) or "9999"})
        return [_post_row(r) for r in rows]

    def waiting(self, start: datetime, end: datetime) -> list[PostRow]:
        """Posts scheduled (or being published) for [start, end), soonest first."""
        rows = self.db.conn.execute(
            f"{_POST_ROW} WHERE p.state IN ('scheduled', 'publishing') "
            "AND p.scheduled_at >= ? AND p.scheduled_at < ? ORDER BY p.scheduled_at, p.id",
            (iso(start), iso(end)))
        return [_post_row(r) for r in rows]

    def measurable(self, since: datetime) -> list[PostRow]:
        """Published posts with a remote id, of an account that still exists, published at
        or after `since`: the ones whose counts may be due for a refresh."""
        rows = self.db.conn.execute(
            f"{_POST_ROW} WHERE p.state = 'published' AND p.remote_id IS NOT NULL "
            "AND p.account_id IS NOT NULL AND p.published_at >= ? "
            "ORDER BY p.published_at, p.id", (iso(since),))
        return [_post_row(r) for r in rows]

    # ---- metrics ---------------------------------------------------------------------------

    def add_metrics(self, snapshots: Sequence[MetricsSnapshot]) -> None:
        with self.db.transaction() as db:
            db.executemany(
                "INSERT INTO metrics (post_id, fetched_at, likes, reposts, replies, quotes, "
                "impressions, unavailable) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(m.post_id, iso(m.fetched_at), m.likes, m.reposts, m.replies, m.quotes,
                  m.impressions, m.unavailable) for m in snapshots])

    def metrics_history(self, post_id: int) -> list[MetricsSnapshot]:
        rows = self.db.conn.execute(
            "SELECT * FROM metrics WHERE post_id = ? ORDER BY fetched_at, id", (post_id,))
        return [_snapshot(r) for r in rows]

    def fetch_times(self, post_ids: Sequence[int]) -> dict[int, list[datetime]]:
        out: dict[int, list[datetime]] = {i: [] for i in post_ids}
        for chunk in _chunks(list(post_ids)):
            marks = ",".join("?" * len(chunk))
            for r in self.db.conn.execute(
                    f"SELECT post_id, fetched_at FROM metrics WHERE post_id IN ({marks}) "
                    "ORDER BY fetched_at", chunk):
                out[r[0]].append(from_iso(r[1]))  # type: ignore[arg-type]
        return out

    def latest_metrics(self, post_ids: Sequence[int] | None = None
                       ) -> dict[int, MetricsSnapshot]:
        """The newest snapshot of each post (of the given posts; None: of every post)."""
        newest = ("SELECT m.* FROM metrics m WHERE m.id = (SELECT m2.id FROM metrics m2 "
                  "WHERE m2.post_id = m.post_id ORDER BY m2.fetched_at DESC, m2.id DESC "
                  "LIMIT 1)")
        if post_ids is None:
            return {r["post_id"]: _snapshot(r) for r in self.db.conn.execute(newest)}
        out: dict[int, MetricsSnapshot] = {}
        for chunk in _chunks(list(dict.fromkeys(post_ids))):
            marks = ",".join("?" * len(chunk))
            for r in self.db.conn.execute(f"{newest} AND m.post_id IN ({marks})", chunk):
                out[r["post_id"]] = _snapshot(r)
        return out

    # ---- outcomes --------------------------------------------------------------------------

    def add_outcome(self, post_id: int, kind: str, note: str, value: float | None,
                    happened_at: datetime, now: datetime) -> PostOutcome:
        with self.db.transaction() as db:
            if db.execute("SELECT 1 FROM posts WHERE id = ?", (post_id,)).fetchone() is None:
                raise PostNotFoundError(f"There is no post with id {post_id}.")
            cur = db.execute(
                "INSERT INTO outcomes (post_id, kind, note, value, happened_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (post_id, kind, note, value, iso(happened_at), iso(now)))
            outcome_id = cur.lastrowid
        return self.get_outcome(outcome_id or 0)

    def get_outcome(self, outcome_id: int) -> PostOutcome:
        row = self.db.conn.execute("SELECT * FROM outcomes WHERE id = ?",
                                   (outcome_id,)).fetchone()
        if row is None:
            raise OutcomeNotFoundError(f"There is no outcome with id {outcome_id}.")
        return _outcome(row)

    def list_outcomes(self, post_id: int | None = None) -> list[PostOutcome]:
        if post_id is None:
            rows = self.db.conn.execute("SELECT * FROM outcomes ORDER BY happened_at, id")
        else:
            rows = self.db.conn.execute(
                "SELECT * FROM outcomes WHERE post_id = ? ORDER BY happened_at, id", (post_id,))
        return [_outcome(r) for r in rows]

    def outcomes_by_post(self, post_ids: Sequence[int]) -> dict[int, list[PostOutcome]]:
        out: dict[int, list[PostOutcome]] = {}
        for chunk in _chunks(list(dict.fromkeys(post_ids))):
            marks = ",".join("?" * len(chunk))
            for r in self.db.conn.execute(
                    f"SELECT * FROM outcomes WHERE post_id IN ({marks}) "
                    "ORDER BY happened_at, id", chunk):
                out.setdefault(r["post_id"], []).append(_outcome(r))
        return out

    def remove_outcome(self, outcome_id: int) -> PostOutcome:
        removed = self.get_outcome(outcome_id)
        with self.db.transaction() as db:
            db.execute("DELETE FROM outcomes WHERE id = ?", (outcome_id,))
        return removed

    # ---- followers -------------------------------------------------------------------------

    def add_followers(self, account_id: int, count: int, source: str, at: datetime) -> None:
        with self.db.transaction() as db:
            db.execute("INSERT INTO followers (account_id, counted_at, count, source) "
                       "VALUES (?, ?, ?, ?)", (account_id, iso(at), count, source))

    def latest_followers(self, account_id: int) -> FollowerCount | None:
        row = self.db.conn.execute(
            "SELECT * FROM followers WHERE account_id = ? ORDER BY counted_at DESC, id DESC "
            "LIMIT 1", (account_id,)).fetchone()
        return _followers(row) if row else None

    def followers_history(self, account_id: int) -> list[FollowerCount]:
        rows = self.db.conn.execute(
            "SELECT * FROM followers WHERE account_id = ? ORDER BY counted_at, id",
            (account_id,))
        return [_followers(r) for r in rows]
