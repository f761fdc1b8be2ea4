"""Site icons: found once per site (<link rel=icon> or /favicon.ico), cached as files."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

from ._fetch import Fetcher, HTTPStatusError
from ._images import is_image, media_type
from .errors import FetchError

FAVICON_MAX_BYTES = 256 * 1024
RETRY_MISSING_AFTER = timedelta(days=7)  # a site without an icon is asked again a week later
MAX_CANDIDATES = 4  # icons tried per site, /favicon.ico included
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def site_origin(url: str | None) -> str | None:
    """scheme://host[:port] of an http(s) URL; None for anything else."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


class FaviconCache:
    """One file per site origin: the feeds of one site share it, and a reused feed id
    cannot pick up another site's icon. "<name>.none" records when a site had no icon."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, origin: str) -> Path:
        # Hashed: any origin gives a safe file name, and no two share one.
        return self.folder / hashlib.sha256(origin.encode()).hexdigest()[:32]

    def _missing_path(self, origin: str) -> Path:
        return self._path(origin).with_name(self._path(origin).name + ".none")

    def get(self, origin: str) -> bytes | None:
        try:
            return self._path(origin).read_bytes()
        except OSError:
            return None

    def needs_fetch(self, origin: str, now: datetime) -> bool:
        path = self._path(origin)
        if path.exists():
            return False
        try:
            checked = datetime.fromisoformat(self._missing_path(origin).read_text().strip())
        except (OSError, ValueError):
            return True
        return now - checked >= RETRY_MISSING_AFTER

    def store(self, origin: str, data: bytes) -> None:
        self._write(self._path(origin), data)
        self._missing_path(origin).unlink(missing_ok=True)

    def store_missing(self, origin: str, now: datetime) -> None:
        self._write(self._missing_path(origin), now.isoformat().encode())

    def _write(self, path: Path, data: bytes) -> None:
        # Written whole then renamed: a reader never sees half an icon.
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class _IconLinks(HTMLParser):
    """Collects <link rel=icon> hrefs from a page's head; stops at the body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.icons: list[str] = []
        self.touch_icons: list[str] = []
        self.base: str | None = None
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "body":
            self.done = True
            return
        values = {k: v or "" for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"].strip()
        if tag != "link" or not values.get("href"):
            return
        rel = values.get("rel", "").lower().split()
        href = values["href"].strip()
        if "icon" in rel:  # "icon" and "shortcut icon"
            self.icons.append(href)
        elif "apple-touch-icon" in rel or "apple-touch-icon-precomposed" in rel:
            self.touch_icons.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.done = True


def icon_links(html: bytes, page_url: str) -> list[str]:
    """Absolute icon URLs a page declares: rel=icon first, then apple-touch-icon."""
    parser = _IconLinks()
    text = html[: 512 * 1024].decode("utf-8", errors="replace")
    for start in range(0, len(text), 16384):
        parser.feed(text[start : start + 16384])
        if parser.done:
            break
    base = urljoin(page_url, parser.base) if parser.base else page_url
    found: list[str] = []
    for href in parser.icons + parser.touch_icons:
        url = urljoin(base, href)
        if url not in found:
            found.append(url)
    return found


def _data_url_image(url: str) -> bytes | None:
    """The bytes of a data:image/...[;base64], URL (sites sometimes inline their icon)."""
    header, sep, payload = url[5:].partition(",")
    if not sep or not header.lower().startswith("image/"):
        return None
    try:
        if header.lower().endswith(";base64"):
            data = base64.b64decode(payload, validate=False)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None
    return data if 0 < len(data) <= FAVICON_MAX_BYTES else None


class Unreachable(Exception):
    """The site could not be asked at all (offline, DNS): try again another time."""


def find_favicon(fetcher: Fetcher, page_url: str) -> bytes | None:
    """The icon of the site page_url belongs to, or None when the site has none.

    Raises:
        Unreachable: the site did not answer at all, so nothing is known.
    """
    candidates: list[str] = []
    try:
        page = fetcher.fetch(page_url)
    except HTTPStatusError:
        page = None  # the page is missing; /favicon.ico may still be there
    except FetchError as e:
        raise Unreachable(str(e)) from e
    if page is not None and page.body:
        kind = media_type(page.content_type)
        if kind in _HTML_TYPES or (not kind and page.body.lstrip()[:1] == b"<"):
            candidates = icon_links(page.body, page.url)
    origin = site_origin(page.url if page is not None else page_url) or page_url
    candidates = candidates[: MAX_CANDIDATES - 1]
    if origin + "/favicon.ico" not in candidates:
        candidates.append(origin + "/favicon.ico")
    for url in candidates:
        if url.startswith("data:"):
            data = _data_url_image(url)
            if data:
                return data
            continue
        if site_origin(url) is None:
            continue
        try:
            icon = fetcher.fetch(url)
        except FetchError:
            continue
        body = icon.body or b""
        if len(body) <= FAVICON_MAX_BYTES and is_image(icon):
            return body
    return None
