"""Turn a fetched body into a ParsedFeed: JSON Feed, else a fast lxml parser, else feedparser."""

from __future__ import annotations

import calendar
import re
import sys
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from ._types import ParsedEntry, ParsedFeed
from .errors import NotAFeedError, ParseError

_BOM = b"\xef\xbb\xbf"


class _Strict(threading.local):
    """Strict gate: a document that is not well-formed goes to feedparser, whose leniency
    (HTML entities, bad encodings, truncation) salvages more than lxml's recover mode.
    One parser per thread: lxml locks a parser for a whole parse, so a shared one would
    make the workers take turns."""

    def __init__(self) -> None:
        self.parser = etree.XMLParser(
            recover=False, resolve_entities=False, no_network=True, huge_tree=False,
            collect_ids=False,
        )


_STRICT = _Strict()


def sniff(body: bytes) -> str:
    """'json', 'html', 'xml' or 'empty' from the first bytes (Content-Type lies too often)."""
    head = body[:2048].lstrip(b"\x00").removeprefix(_BOM).lstrip()
    if not head:
        return "empty"
    if head[:1] in (b"{", b"["):
        return "json"
    lower = head[:512].lower()
    if lower.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    if lower.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf", b"<!doctype rss")):
        return "xml"
    if b"<html" in lower and b"<rss" not in lower and b"<feed" not in lower:
        return "html"
    return "xml"


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse any supported format.

    Raises:
        NotAFeedError: the body is an HTML page or empty.
        ParseError: the body is not a feed any parser can read.
    """
    kind = sniff(body)
    if kind == "empty":
        raise NotAFeedError("The server sent an empty document, not a feed.")
    if kind == "json":
        from ._jsonfeed import parse_jsonfeed

        return parse_jsonfeed(body, url)
    if kind == "html":
        raise NotAFeedError("The address is a web page (HTML), not a feed.")
    try:
        fast = _fast_path_ok(body)
    except ValueError:
        fast = False
    if fast:
        try:
            return parse_fast(body, url)
        except Exception:  # the fast parser is an optimisation; feedparser is the reference
            pass
    return parse_lenient(body, url, content_type)


_UTF8_DECLS = (b"utf-8", b"utf8", b"us-ascii", b"ascii")


def _fast_path_ok(body: bytes) -> bool:
    """Documents the fast parser reads exactly like feedparser: well-formed, UTF-8, and
    without xml:base (which it ignores). Everything else goes to feedparser."""
    head = body[:400].lower()
    decl = _ENCODING_DECL.search(head)
    if decl and decl.group(1) not in _UTF8_DECLS:
        return False  # a declared legacy charset may be a lie feedparser knows how to undo
    if b"xml:base" in body:
        return False
    if b"<rdf:RDF" in body[:2048]:
        return False  # fastfeedparser drops RSS 1.0 content:encoded and rdf:about guids
    return _well_formed(body)


_ENCODING_DECL = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")


def _well_formed(body: bytes) -> bool:
    try:
        root = etree.fromstring(body.removeprefix(_BOM).lstrip(), _STRICT.parser)
    except etree.XMLSyntaxError:
        return False
    # A DOCTYPE with entity declarations is left to feedparser (no expansion surprises).
    docinfo = root.getroottree().docinfo
    return not (docinfo.internalDTD is not None and docinfo.internalDTD.entities())


def parse_fast(body: bytes, url: str) -> ParsedFeed:
    import fastfeedparser

    parsed = fastfeedparser.parse(body.removeprefix(_BOM).lstrip(), include_tags=True)
    feed = parsed.get("feed") or {}
    # Without a guid fastfeedparser repeats the link as id; feedparser gives None. Only a
    # document with no guid/id element at all is sure to have no guid equal to its link.
    has_ids = b"id>" in body
    synth = getattr(sys.modules.get("fastfeedparser.main"), "_synthesize_entry_description", None)
    entries = [
        ParsedEntry(
            guid=_str(e.get("id")) if has_ids or e.get("id") != e.get("link") else None,
            link=_str(e.get("link")),
            title=_str(e.get("title")),
            author=_str(e.get("author")),
            summary=_str(_fast_summary(e, synth)),
            content=_content(e),
            published=_iso_date(e.get("published")),
            updated=_iso_date(e.get("updated")),
            categories=categories(t.get("term") for t in e.get("tags") or ()),
        )
        for e in parsed.get("entries") or ()
    ]
    if not entries and not feed.get("title"):
        raise ParseError("No feed found in the document.")
    return ParsedFeed(_str(feed.get("title")), _str(feed.get("link")), entries, "fast", url)


def _fast_summary(e: Any, synth: Any) -> Any:
    """An entry with no summary gets one made up by fastfeedparser: the first 512 characters
    of its content's text, script text included. feedparser uses the content itself."""
    desc = e.get("description") or e.get("summary")
    contents = e.get("content")
    if synth is None or not desc or not contents or len(desc) > 512:
        return desc
    probe = {"content": [{"value": contents[0].get("value") or ""}]}
    try:
        synth(probe)
    except Exception:
        return desc
    return contents[0].get("value") if probe.get("description") == desc else desc


def parse_lenient(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    import feedparser

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    version = parsed.get("version") or ""
    if not parsed.entries and (not version or not parsed.feed.get("title")):
        reason = parsed.get("bozo_exception")
        detail = f" ({str(reason)[:120]})" if reason else ""
        raise ParseError(f"The document is not a feed Curator can read{detail}.")
    entries = [
        ParsedEntry(
            guid=_str(e.get("id")),
            link=_str(e.get("link")),
            title=_str(e.get("title")),
            author=_str(_lenient_author(e)),
            summary=_str(e.get("summary")),
            content=_content(e),
            published=_struct_date(e.get("published_parsed")),
            # dict.get: feedparser's e.get("updated_parsed") falls back to published_parsed.
            updated=_struct_date(dict.get(e, "updated_parsed")),
            categories=categories(t.get("term") for t in e.get("tags") or ()),
        )
        for e in parsed.entries
    ]
    feed = parsed.feed
    return ParsedFeed(_str(feed.get("title")), _str(feed.get("link")), entries, "feedparser", url)


def _lenient_author(e: Any) -> Any:
    # feedparser writes an Atom author as "name (email)"; the name is what a reader shows
    # (and what the fast parser gives).
    author, detail = e.get("author"), e.get("author_detail") or {}
    name, email = detail.get("name"), detail.get("email")
    return name if name and email and author == f"{name} ({email})" else author


MAX_CATEGORIES = 20  # a feed may list hundreds: only the first few are worth suggesting
_CATEGORY_MAX_LENGTH = 100


def categories(terms: Iterable[Any]) -> tuple[str, ...]:
    """An entry's category terms, whitespace collapsed, without blanks, duplicates (ignoring
    case), over-long junk or more than MAX_CATEGORIES."""
    out: list[str] = []
    seen: set[str] = set()
    for term in terms:
        if not isinstance(term, str):
            continue
        text = " ".join(term.split())
        if not text.isprintable():  # control characters, lone surrogates from JSON
            text = "".join(c for c in text if c.isprintable())
        key = text.casefold()
        if text and len(text) <= _CATEGORY_MAX_LENGTH and key not in seen:
            seen.add(key)
            out.append(text)
            if len(out) == MAX_CATEGORIES:
                break
    return tuple(out)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _content(entry: Any) -> str | None:
    contents = entry.get("content") or ()
    # Prefer HTML over plain text when a feed gives both (Atom allows several).
    best = None
    for c in contents:
        value = c.get("value") if isinstance(c, dict) else None
        if not value:
            continue
        if best is None or "html" in (c.get("type") or ""):
            best = value
    return _str(best)


def _iso_date(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        d = value
    else:
        try:
            d = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)


def _struct_date(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None
