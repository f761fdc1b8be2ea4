"""Helpers for core tests: an injectable clock, and storing entries without HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from curator import Curator
from curator._types import ParsedEntry, ParsedFeed
from curator._update import entry_rows
from curator.types import Role

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def entry(
    n: int | str,
    *,
    title: str | None = None,
    summary: str | None = None,
    content: str | None = None,
    published: datetime | None = T0,
    guid: str | None = "",
    link: str | None = "",
    author: str | None = None,
    updated: datetime | None = None,
) -> ParsedEntry:
    return ParsedEntry(
        guid=f"urn:item:{n}" if guid == "" else guid,
        link=f"https://example.com/{n}" if link == "" else link,
        title=f"Item {n}" if title is None else title,
        author=author,
        summary=summary,
        content=content,
        published=published,
        updated=updated,
    )


def store(
    cur: Curator, feed_id: int, entries: Sequence[ParsedEntry], now: datetime | None = None
) -> tuple[int, int]:
    """Store parsed entries for a feed the way a refresh does; returns (new, updated)."""
    url = cur.get_feed(feed_id).url
    rows = entry_rows(ParsedFeed("Feed", None, list(entries), "test", url), url)
    with cur.storage.db.transaction() as db:
        return cur.storage.store_entries(db, feed_id, rows, now or cur.now())


def add(cur: Curator, name: str, *, folder: str | None = None, role: Role | str = Role.THIRD_PARTY
        ) -> int:
    return cur.add_feed(f"https://{name}.example.com/feed", folder=folder, role=role,
                        fetch=False).feed.id


def open_curator(path: Path, clock: Clock | None = None) -> Curator:
    return Curator(path, now=clock or Clock())
