"""Small bounded downloads of images (item pictures the user allowed, favicons)."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from ._fetch import Fetched, Fetcher, FetchSettings
from .errors import FetchError

IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_ACCEPT = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"

# Magic numbers of the formats Qt reads, for servers that send no or a generic type.
_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\x00\x00\x01\x00",  # ICO
    b"BM",
)
_GENERIC_TYPES = ("", "application/octet-stream", "binary/octet-stream", "text/plain")


def asset_fetcher(settings: FetchSettings) -> Fetcher:
    """A Fetcher for images: the core's timeouts, but a small size cap and a short deadline."""
    fetcher = Fetcher(
        dataclasses.replace(
            settings,
            max_bytes=IMAGE_MAX_BYTES,
            deadline=min(settings.deadline, 20.0),
            workers=8,
            per_host=4,
        )
    )
    fetcher.session.headers["Accept"] = IMAGE_ACCEPT
    return fetcher


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def is_image(fetched: Fetched) -> bool:
    """An image/* answer, or a generic one whose bytes start like a known image format."""
    kind = media_type(fetched.content_type)
    body = fetched.body or b""
    if kind.startswith("image/"):
        return bool(body)
    if kind in _GENERIC_TYPES:
        return body.startswith(_SIGNATURES) or (body[:4] == b"RIFF" and body[8:12] == b"WEBP")
    return False


def fetch_image(fetcher: Fetcher, url: str, max_bytes: int = IMAGE_MAX_BYTES) -> bytes:
    """The bytes of the image at an http(s) URL.

    Raises:
        FetchError: not http(s), network failure, not an image, larger than max_bytes.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise FetchError(f"Images load only from http and https addresses, not {url!r}.")
    try:
        fetched = fetcher.fetch(url)
    except FetchError as e:
        raise FetchError(f"Could not load the image {url}: {e}") from e
    body = fetched.body or b""
    if len(body) > max_bytes:
        raise FetchError(f"The image {url} is larger than {max_bytes // 1024} kB.")
    if not is_image(fetched):
        raise FetchError(f"{url} is not an image.")
    return body
