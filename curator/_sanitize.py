"""HTML sanitizing (nh3, the Rust ammonia sanitizer) and HTML-to-text for titles and search."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

# Tags whose content is dropped along with them (ammonia drops script/style by default).
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "form", "noscript", "template"}
_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) - _DROP_WITH_CONTENT | {"figure", "figcaption", "picture"}
_ALLOWED_TAGS -= {"source"}  # srcset on <source> would bypass the image policy
_ATTRIBUTES = {k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES.setdefault("img", set()).update({"src", "alt", "title", "width", "height"})
_ATTRIBUTES.setdefault("a", set()).update({"href", "title"})
_SCHEMES = {"http", "https", "mailto"}
_SPACES = re.compile(r"\s+")


def sanitize_html(fragment: str | None, base_url: str | None) -> str | None:
    """Safe HTML: no scripts, handlers, frames, forms or javascript: URLs; relative URLs absolute."""
    if not fragment:
        return None
    relative: object = "deny"
    if base_url and urlsplit(base_url).scheme in ("http", "https"):
        relative = ("rewrite_with_base", base_url)
    cleaned = nh3.clean(
        fragment,
        tags=_ALLOWED_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        url_relative=relative,
        link_rel="noopener noreferrer nofollow",
    ).strip()
    return cleaned or None


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment, entities decoded, whitespace collapsed."""
    if not fragment:
        return ""
    if "<" in fragment:
        fragment = nh3.clean(fragment, tags=set(), clean_content_tags=_DROP_WITH_CONTENT)
    if "&" in fragment:
        fragment = html.unescape(fragment)
    return _SPACES.sub(" ", fragment).strip()


def plain(text: str | None) -> str | None:
    """A title or author: markup stripped, None when empty."""
    out = html_to_text(text)
    return out or None
