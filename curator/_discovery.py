"""Feed autodiscovery: find the feeds a web page links to in its <head>."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import urldefrag, urljoin, urlsplit

# Lower rank sorts first: the formats Curator reads best, then RDF (RSS 1.0), then feeds
# only guessed from a generic XML type.
_FEED_TYPES = {
    "application/atom+xml": 0,
    "application/rss+xml": 0,
    "application/feed+json": 0,
    "application/x.atom+xml": 0,
    "application/x-atom+xml": 0,
    "application/x-rss+xml": 0,
    "application/rdf+xml": 1,
}
# These types also label things that are not feeds (WordPress links every page to its REST
# API as rel="alternate" type="application/json"): accepted only when they look like a feed.
_GUESSED_TYPES = {"application/json": 0, "text/xml": 2, "application/xml": 2}
_LOOKS_LIKE_FEED = re.compile(r"feed|rss|atom|rdf", re.IGNORECASE)

# Start tags the HTML parsing algorithm keeps in <head>; any other one starts the body
# (outside <noscript> and <template>, whose content html.parser does not treat as text).
_HEAD_TAGS = frozenset(
    {"html", "head", "base", "basefont", "bgsound", "link", "meta", "title", "style", "script"}
)
_HEAD_WRAPPERS = frozenset({"noscript", "template", "noframes"})

_CHUNK = 64 * 1024  # the parser stops at </head>, so most pages are read in one chunk
_SNIFF = 4096  # bytes searched for <meta charset>; browsers look at 1024, pages are sloppy
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# The WHATWG encoding standard maps these labels onto a superset that browsers really use.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "x-user-defined": "cp1252",
    # A page cannot really declare UTF-16 in a meta tag it could read as ASCII.
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}

# A host name with anything else in it comes from a broken href ("http://a b/").
_BAD_HOST = re.compile(r"[^\w.:%\[\]-]")

_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|title|script|style)[\s>/]")
_LEADING_JUNK = re.compile(r"\s+|<!--.*?-->|<\?.*?\?>", re.DOTALL)


class DiscoveredFeed(NamedTuple):
    """A feed a page links to."""

    url: str  # absolute
    title: str | None
    type: str  # the link's MIME type, lowercased, without parameters


def discover_feeds(
    html: bytes | str, base_url: str, *, encoding: str | None = None
) -> list[DiscoveredFeed]:
    """Return the feeds an HTML page advertises, preferred formats first, comment feeds last.

    `encoding` is the charset from the HTTP Content-Type header, when there was one; else
    a BOM or a <meta charset> in the page decides, and UTF-8 is the default.
    """
    finder = _LinkFinder()
    if isinstance(html, str):
        for start in range(0, len(html), _CHUNK):
            if not finder.feed_chunk(html[start : start + _CHUNK]):
                break
    else:
        decoder = codecs.getincrementaldecoder(_charset(html, encoding))(errors="replace")
        for start in range(0, len(html), _CHUNK):
            if not finder.feed_chunk(decoder.decode(html[start : start + _CHUNK])):
                break
    base = base_url
    if finder.base_href:
        try:
            base = urljoin(base_url, finder.base_href)
        except ValueError:  # a malformed <base href>: the page URL is still good
            pass

    found: dict[str, tuple[tuple[int, int], DiscoveredFeed]] = {}
    for href, title, mime, rank in finder.links:
        url = _absolute(base, href)
        if url is None or url in found:
            continue
        comments = _is_comment_feed(url, title)
        found[url] = ((comments, rank), DiscoveredFeed(url, title, mime))
    # sorted() is stable: document order decides within a rank.
    return [feed for _, feed in sorted(found.values(), key=lambda pair: pair[0])]


def looks_like_html(body: bytes) -> bool:
    """Return True when body starts like an HTML document, False for XML feeds and JSON."""
    head = body[:2048]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        # latin-1 never fails and keeps ASCII markup as it is, whatever the real charset.
        text = head.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    text = text.lower()
    position = 0
    # Skip whitespace, comments and the <?xml ?> declaration (XHTML pages carry one too).
    while match := _LEADING_JUNK.match(text, position):
        position = match.end()
    return _HTML_START.match(text, position) is not None


class _LinkFinder(HTMLParser):
    """Collects <base href> and feed <link>s until the document's head ends."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str | None, str, int]] = []  # href, title, type, rank
        self.base_href: str | None = None
        self.done = False
        self._wrapped = 0  # depth inside <noscript>/<template>/<noframes>

    def feed_chunk(self, text: str) -> bool:
        """Parse text; return False once there is nothing more to find."""
        try:
            self.feed(text)
        except Exception:  # html.parser still raises AssertionError on some odd markup
            self.done = True
        return not self.done

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag in _HEAD_WRAPPERS:
            self._wrapped += 1
        elif tag not in _HEAD_TAGS:
            if not self._wrapped:
                # <body>, or a tag that opens the body implicitly: feed links are in the head.
                self.done = True
        elif tag == "base":
            href = dict(attrs).get("href")
            # Only the first <base href> counts, wherever the links are.
            if self.base_href is None and href and href.strip():
                self.base_href = href.strip()
        elif tag == "link":
            self._link(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.done = True
        elif tag in _HEAD_WRAPPERS and self._wrapped:
            self._wrapped -= 1

    def _link(self, attrs: dict[str, str | None]) -> None:
        rels = set((attrs.get("rel") or "").lower().split())
        mime = (attrs.get("type") or "").split(";")[0].strip().lower()
        href = (attrs.get("href") or "").strip()
        title = (attrs.get("title") or "").strip() or None
        if not href or not rels & {"alternate", "feed"}:
            return
        if mime in _FEED_TYPES:
            rank = _FEED_TYPES[mime]
        elif mime in _GUESSED_TYPES and "alternate" in rels:
            try:
                path = urlsplit(href).path
            except ValueError:  # malformed; _absolute drops it later
                path = href
            if "/wp-json/" in path or not _LOOKS_LIKE_FEED.search(f"{title or ''} {path}"):
                return
            rank = _GUESSED_TYPES[mime]
        else:
            return
        self.links.append((href, title, mime, rank))


def _charset(body: bytes, declared: str | None) -> str:
    """Return the Python codec to decode body with."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    match = _META_CHARSET.search(body, 0, _SNIFF)
    candidates = [declared, match.group(1).decode("ascii") if match else None]
    for label in candidates:
        if not label:
            continue
        label = _CHARSET_ALIASES.get(label.strip().lower(), label.strip().lower())
        try:
            name = codecs.lookup(label).name
            b"<".decode(name, "replace")  # refuses bytes-to-bytes codecs ("base64", "hex")
        except LookupError:
            continue  # an unknown label: try the next source
        return name
    return "utf-8"


def _absolute(base: str, href: str) -> str | None:
    """Resolve href against base; None unless the result is an http(s) URL."""
    try:
        url = urldefrag(urljoin(base, href)).url
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if _BAD_HOST.search(parts.hostname):
        return None
    return url


def _is_comment_feed(url: str, title: str | None) -> int:
    """Return 1 for a feed of comments (WordPress: "Comments Feed", ".../comments/feed/")."""
    path = urlsplit(url).path.lower()
    # "comment" also catches French "commentaires"; other languages rank as ordinary feeds.
    return int("comment" in (title or "").lower() or "/comments/" in f"{path}/")
