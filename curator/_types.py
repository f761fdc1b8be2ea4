"""Internal stage types of the refresh pipeline (retrieve -> parse -> store)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class ParsedEntry(NamedTuple):
    """One entry as a parser read it. HTML is raw (not yet sanitized); URLs may be relative."""

    guid: str | None  # RSS guid / Atom id / JSON Feed id
    link: str | None
    title: str | None
    author: str | None
    summary: str | None  # HTML or text
    content: str | None  # HTML or text (the fullest body the feed gives)
    published: datetime | None  # aware, UTC
    updated: datetime | None  # aware, UTC
    # RSS <category>, Atom <category term>, JSON Feed tags: stripped, deduplicated, capped
    categories: tuple[str, ...] = ()


class ParsedFeed(NamedTuple):
    """A whole feed document as a parser read it."""

    title: str | None
    # the feed's home page (RSS <link>, Atom rel=alternate, JSON home_page_url)
    site_url: str | None
    entries: list[ParsedEntry]
    parser: str  # "fast", "feedparser" or "jsonfeed": which parser produced it
    base_url: str | None = None  # xml:base / feed_url the entries' relative URLs resolve against
