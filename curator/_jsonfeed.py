"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/), which feedparser cannot read."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import escape
from typing import Any
from urllib.parse import urljoin

from curator._parser import categories
from curator._types import ParsedEntry, ParsedFeed
from curator.errors import ParseError

_VERSION = re.compile(r"https?://(?:www\.)?jsonfeed\.org/version/1(?:\.\d+)?/?$", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def parse_jsonfeed(body: bytes, url: str) -> ParsedFeed:
    """Parse a JSON Feed document fetched from url.

    Raises:
        ParseError: the body is not JSON, or not a JSON Feed 1.x.
    """
    try:
        # JSON Feed is UTF-8; detect_encoding also handles a BOM and the odd UTF-16 file.
        text = body.decode(json.detect_encoding(body), errors="replace")
        document = json.loads(text)
    except RecursionError as exc:  # "[[[[..." nested deeper than the interpreter allows
        raise ParseError(f"The JSON at {url} is nested too deeply to read.") from exc
    except ValueError as exc:
        where = ""
        if isinstance(exc, json.JSONDecodeError):
            where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise ParseError(f"The document at {url} is not valid JSON{where}.") from exc
    if not isinstance(document, dict):
        raise ParseError(f"The document at {url} is not a JSON Feed: it is not a JSON object.")
    version = document.get("version")
    if not isinstance(version, str) or not _VERSION.match(version.strip()):
        # Shortened: the message is shown to the user, the value comes from anyone.
        stated = f"its version is {version!r:.80}" if version is not None else "it has no version"
        raise ParseError(f"The document at {url} is not a JSON Feed 1.x: {stated}.")

    feed_author = _authors(document)
    items = document.get("items")
    entries = [
        _entry(item, feed_author)
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    return ParsedFeed(
        title=_text(document.get("title")),
        site_url=_text(document.get("home_page_url")),
        entries=entries,
        parser="jsonfeed",
        base_url=_base_url(url, _text(document.get("feed_url"))),
    )


def _base_url(url: str, feed_url: str | None) -> str:
    """Return the URL the feed's relative links resolve against: its feed_url, else url."""
    if feed_url is None:
        return url
    try:
        return urljoin(url, feed_url)
    except ValueError:  # a malformed feed_url ("http://[oops/") is no reason to fail
        return url


def _entry(item: dict[str, Any], feed_author: str | None) -> ParsedEntry:
    """Turn one item object into a ParsedEntry."""
    content = _text(item.get("content_html"))
    if content is None:
        content = _text_to_html(_text(item.get("content_text")))
    return ParsedEntry(
        guid=_id(item.get("id")),
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=_text(item.get("title")),
        author=_authors(item) or feed_author,
        summary=_text(item.get("summary")),
        content=content,
        published=_date(item.get("date_published")),
        updated=_date(item.get("date_modified")),
        categories=categories(tags if isinstance(tags := item.get("tags"), list) else ()),
    )


def _text(value: object) -> str | None:
    """Return a non-blank string value stripped; anything else (numbers, lists) is None."""
    if isinstance(value, str):
        return value.strip() or None
    return None


def _id(value: object) -> str | None:
    """Return the item id as a string; 1.0 feeds in the wild use numbers."""
    # bool is an int subclass, and true is no id.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _authors(obj: dict[str, Any]) -> str | None:
    """Return the names of a 1.1 "authors" list, else of a 1.0 "author" object."""
    authors = obj.get("authors")
    return _names(authors if isinstance(authors, list) else []) or _names([obj.get("author")])


def _names(authors: list[Any]) -> str | None:
    """Join the names of author objects; a bare string (seen in the wild) is a name too."""
    names = [
        _text(author.get("name")) if isinstance(author, dict) else _text(author)
        for author in authors
    ]
    return ", ".join(name for name in names if name) or None


def _text_to_html(text: str | None) -> str | None:
    """Render content_text as HTML paragraphs, so it displays like content_html."""
    if text is None:
        return None
    paragraphs = _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n"))
    return "".join(
        "<p>" + escape(paragraph.strip()).replace("\n", "<br>") + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )


def _date(value: object) -> datetime | None:
    """Parse an RFC 3339 date (or, leniently, an RFC 822 one) to aware UTC; else None."""
    text = _text(value)
    if text is None:
        return None
    try:
        # fromisoformat wants an upper-case "T" and "Z"; RFC 3339 allows both cases.
        parsed = datetime.fromisoformat(text.upper())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)  # some generators write RSS-style dates
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # no offset: assume UTC rather than local time
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 with a positive offset, and the like
        return None
