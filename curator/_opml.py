"""OPML subscription lists: a forgiving importer and a deterministic exporter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from html.entities import name2codepoint
from typing import NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from curator.errors import OPMLError

ROLES = frozenset({"third-party", "competitor", "own"})

_NOT_WELL_FORMED = "The file is not well-formed XML; imported what could be read."

# Longest title or URL quoted in a skipped note; hostile files can carry megabytes in one
# attribute and the notes end up in a dialog.
_QUOTE_MAX = 80

# An "&" that starts a well-formed entity or character reference; every other "&" is the
# bare ampersand that hand-written and badly exported OPML files carry in URLs.
_REFERENCE = re.compile(rb"&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z_][A-Za-z0-9._-]*;)?")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})

# Characters XML 1.0 cannot carry at all, even escaped; lxml refuses to write them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A host name with anything else in it is a recovery accident ("example.org> <outline").
_BAD_HOST = re.compile(r"[^\w.:%\[\]-]")


class OpmlOutline(NamedTuple):
    """One subscription read from, or written to, an OPML file."""

    url: str
    title: str | None
    folder: str | None  # nested folders joined with "/"
    role: str | None  # "third-party", "competitor", "own" or None
    site_url: str | None


class OpmlResult(NamedTuple):
    """What an import found: the feeds, and one sentence for each thing it left out."""

    feeds: list[OpmlOutline]
    skipped: list[str]


def parse_opml(data: bytes) -> OpmlResult:
    """Read the subscriptions of an OPML 1.0 or 2.0 file, as much of it as can be read.

    Raises:
        OPMLError: the data contains nothing that resembles OPML.
    """
    if isinstance(data, str):  # tolerated: callers sometimes hand over decoded text
        data = data.encode("utf-8")
    if not data.strip():
        raise OPMLError("The file is empty.")
    skipped: list[str] = []
    root = _parse_xml(data, skipped)
    if root is None:
        raise OPMLError("The file is not OPML: it contains no readable XML.")
    kind = _local_name(root.tag)
    if kind != "opml" and not any(True for _ in _iter_outlines(root)):
        if kind in ("rss", "feed", "rdf"):
            raise OPMLError("The file is a feed, not an OPML list of subscriptions.")
        raise OPMLError("The file is not OPML: it has no <opml> element and no outlines.")

    feeds: list[OpmlOutline] = []
    seen: set[str] = set()
    for element, folder in _walk(root):
        attrs = _attributes(element)
        title = _label(attrs)
        raw_url = _feed_url(attrs)
        if raw_url is None:
            skipped.append(f"Skipped {_describe(title)}: it has no xmlUrl.")
            continue
        url = _normalize_url(raw_url)
        if url is None:
            skipped.append(f"Skipped {_quote(raw_url)}: not an http(s) URL.")
            continue
        key = _url_key(url)
        if key in seen:
            skipped.append(f"Skipped {_describe(title)}: {_quote(url)} is listed more than once.")
            continue
        seen.add(key)
        if folder is None:
            folder = _category_folder(attrs.get("category"))
        site_url = _normalize_url(attrs.get("htmlurl") or "")
        feeds.append(OpmlOutline(url, title, folder, _role(attrs.get("curatorrole")), site_url))
    return OpmlResult(feeds, skipped)


def write_opml(
    feeds: Iterable[OpmlOutline],
    title: str = "Curator subscriptions",
    *,
    now: datetime | None = None,
) -> bytes:
    """Return an OPML 2.0 document (UTF-8) that parse_opml reads back to the same feeds.

    Folders become nested outlines; folders and feeds keep the order of first appearance.
    `now` is the dateCreated to write (default: the current time).
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml_safe(title)
    created = (now or datetime.now(UTC)).astimezone(UTC)
    etree.SubElement(head, "dateCreated").text = format_datetime(created, usegmt=True)
    body = etree.SubElement(root, "body")

    folders: dict[tuple[str, ...], etree._Element] = {(): body}
    for feed in feeds:
        path = _folder_path(feed.folder)
        for depth in range(1, len(path) + 1):
            if path[:depth] not in folders:
                name = path[depth - 1]
                parent = folders[path[: depth - 1]]
                folders[path[:depth]] = etree.SubElement(parent, "outline", text=name, title=name)
        outline = etree.SubElement(folders[path], "outline", type="rss")
        # OPML requires text; an empty one reads back as "no title".
        outline.set("text", _xml_safe(feed.title or ""))
        if feed.title is not None:
            outline.set("title", _xml_safe(feed.title))
        outline.set("xmlUrl", _xml_safe(feed.url))
        if feed.site_url is not None:
            outline.set("htmlUrl", _xml_safe(feed.site_url))
        if feed.role is not None:
            outline.set("curatorRole", _xml_safe(feed.role))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _parse_xml(data: bytes, skipped: list[str]) -> etree._Element | None:
    """Parse strictly, else repair bare "&" and HTML entities and parse in recovery mode."""
    # Entities are never fetched or expanded into text; libxml2 also caps the expansion it
    # does in attribute values, which stops billion-laughs and quadratic-blowup files.
    options = {
        "resolve_entities": False,
        "no_network": True,
        "huge_tree": False,
        "load_dtd": False,
        "remove_comments": True,
        "remove_pis": True,
    }
    try:
        return etree.fromstring(data, etree.XMLParser(**options))
    except etree.XMLSyntaxError:
        pass
    skipped.append(_NOT_WELL_FORMED)
    try:
        return etree.fromstring(_repair(data), etree.XMLParser(recover=True, **options))
    except etree.XMLSyntaxError:
        return None


def _repair(data: bytes) -> bytes:
    """Escape bare "&" and turn HTML-only named entities into character references."""
    if b"\0" in data[:1024]:
        return data  # UTF-16 or -32: byte patterns would cut characters in half

    # Recovery alone would silently drop "&b=2" from "?a=1&b=2" and the name of "&eacute;".
    def fix(match: re.Match[bytes]) -> bytes:
        reference = match.group(1)
        if reference is None:
            return b"&amp;"
        name = reference[:-1]
        if reference.startswith(b"#") or name in _XML_ENTITIES:
            return match.group(0)
        codepoint = name2codepoint.get(name.decode("ascii"))
        if codepoint is None:
            return b"&amp;" + reference
        return b"&#%d;" % codepoint

    return _REFERENCE.sub(fix, data)


def _walk(root: etree._Element) -> Iterator[tuple[etree._Element, str | None]]:
    """Yield, in document order, each outline that is not a folder, with its folder path."""
    # An explicit stack: recovered documents can nest deeply and oddly. Elements that are
    # not outlines (HTML junk, <body>) are transparent; <head> holds no subscriptions.
    stack: list[tuple[etree._Element, tuple[str, ...]]] = [(root, ())]
    while stack:
        element, path = stack.pop()
        inner = path
        if _local_name(element.tag) == "outline":
            attrs = _attributes(element)
            is_feed = _feed_url(attrs) is not None
            if is_feed or not any(True for _ in _iter_outlines(element)):
                yield element, "/".join(path) or None
                if not is_feed:
                    continue
                # A feed's own child outlines (some exporters nest them) stay in its folder.
            else:
                # A name with "/" in it reads as nested folders, the way write_opml splits it.
                inner = (*path, *_folder_path(_label(attrs)))
        children = [
            child
            for child in element
            if isinstance(child.tag, str)  # not comments or entity references
            and not (element is root and _local_name(child.tag) == "head")
        ]
        stack.extend((child, inner) for child in reversed(children))


def _feed_url(attrs: dict[str, str]) -> str | None:
    """Return the outline's feed URL as written, None when it has none."""
    url = _clean(attrs.get("xmlurl"))
    if url is None and (attrs.get("type") or "").strip().lower() in ("rss", "atom"):
        url = _clean(attrs.get("url"))  # some old exporters put the feed in "url"
    return url


def _iter_outlines(element: etree._Element) -> Iterator[etree._Element]:
    """Yield the outline elements below element, in or out of a namespace."""
    for child in element.iter():
        if child is not element and isinstance(child.tag, str):
            if _local_name(child.tag) == "outline":
                yield child


def _local_name(tag: object) -> str:
    """Return an element or attribute name without namespace, lowercased."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].rpartition(":")[2].lower()


def _attributes(element: etree._Element) -> dict[str, str]:
    """Return the attributes keyed by lowercased local name: xmlUrl, xmlurl, XMLURL alike."""
    attrs: dict[str, str] = {}
    for name, value in element.attrib.items():
        attrs.setdefault(_local_name(name), value)
    return attrs


def _label(attrs: dict[str, str]) -> str | None:
    """Return the outline's text (else title) on one line; None when blank."""
    # Pretty-printing exporters wrap long titles; a title is one line in every list.
    for name in ("text", "title"):
        label = " ".join(_xml_safe(attrs.get(name) or "").split())
        if label:
            return label
    return None


def _clean(value: str | None) -> str | None:
    """Strip value; None when nothing is left."""
    if value is None:
        return None
    return value.strip() or None


def _normalize_url(raw: str) -> str | None:
    """Return raw as an absolute http(s) URL (feed:// becomes http://), or None."""
    url = raw.strip()
    if url[:5].lower() == "feed:":
        rest = url[5:]
        if rest[:2] == "//":
            rest = rest[2:]
        # "feed:https://host/x" wraps a full URL; "feed://host/x" stands for http.
        wrapped = rest.lower().startswith(("http://", "https://"))
        url = rest if wrapped else "http://" + rest
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an invalid IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if _BAD_HOST.search(parts.hostname):
        return None
    return url


def _url_key(url: str) -> str:
    """Return the form of url used to spot duplicates: scheme and host are case-insensitive."""
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def _category_folder(category: str | None) -> str | None:
    """Return the first slash-path of an OPML 2.0 category ("/Tech/Python,tag") as a folder."""
    for item in (category or "").split(","):
        if "/" in item:
            if parts := _folder_path(item):
                return "/".join(parts)
    return None  # plain tags (no slash) are not folders


def _role(value: str | None) -> str | None:
    """Return a known curatorRole value; anything else is no role."""
    role = (value or "").strip().lower()
    return role if role in ROLES else None


def _folder_path(folder: str | None) -> tuple[str, ...]:
    """Split a "/"-joined folder into its non-empty parts, each on one line."""
    parts = (" ".join(_xml_safe(part).split()) for part in (folder or "").split("/"))
    return tuple(part for part in parts if part)


def _xml_safe(text: str) -> str:
    """Drop the characters XML cannot represent."""
    return _XML_INVALID.sub("", text)


def _quote(text: str) -> str:
    """Quote text for a skipped note, shortened."""
    text = " ".join(text.split())
    if len(text) > _QUOTE_MAX:
        text = text[: _QUOTE_MAX - 1] + "\u2026"
    return f"'{text}'"


def _describe(title: str | None) -> str:
    """Name an outline in a skipped note."""
    return f"outline {_quote(title)}" if title else "an untitled outline"
