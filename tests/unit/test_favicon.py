"""Favicons and item images: found on the local feed server, bounded, cached, asked once."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from corehelp import Clock

from curator import Curator
from curator._favicon import FAVICON_MAX_BYTES, FaviconCache, icon_links, site_origin
from curator.errors import FetchError

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
ICO = b"\x00\x00\x01\x00\x01\x00\x10\x10" + b"\x00" * 60
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>
<link>{site}</link><item><title>One</title><guid>g1</guid></item></channel></rss>"""


def subscribe(cur: Curator, server, path: str, site: str) -> int:  # type: ignore[no-untyped-def]
    url = server.add(path, FEED.format(title=path, site=site))
    return cur.add_feed(url).feed.id


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cur(tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    with Curator(tmp_path, now=clock) as c:
        yield c


def test_icon_declared_by_the_site_page_is_cached(cur, feed_server) -> None:  # type: ignore[no-untyped-def]
    site = feed_server.add(
        "/blog/",
        '<html><head><link rel="apple-touch-icon" href="/touch.png">'
        '<link rel="shortcut icon" href="img/icon.png"></head><body></body></html>',
        content_type="text/html; charset=utf-8",
    )
    feed_server.add("/blog/img/icon.png", PNG, content_type="image/png")
    feed_server.add("/touch.png", b"\x89PNG other", content_type="image/png")
    feed_id = subscribe(cur, feed_server, "/blog/feed.xml", site)
    assert cur.favicon(feed_id) is None  # the cache alone: nothing yet

    assert cur.fetch_favicons() == 1
    assert cur.favicon(feed_id) == PNG
    assert feed_server.hits("/blog/") == 1 and feed_server.hits("/blog/img/icon.png") == 1
    assert feed_server.hits("/touch.png") == 0 and feed_server.hits("/favicon.ico") == 0

    # A second feed of the same site shares the icon: no request at all.
    other = subscribe(cur, feed_server, "/blog/other.xml", site)
    feed_server.clear_log()
    assert cur.fetch_favicons([other]) == 0
    assert cur.favicon(other) == PNG
    assert feed_server.requests == []


def test_falls_back_to_favicon_ico_of_the_origin(cur, feed_server) -> None:  # type: ignore[no-untyped-def]
    site = feed_server.add(
        "/home", "<html><head><title>No icon</title></head></html>", content_type="text/html"
    )
    feed_server.add("/favicon.ico", ICO, content_type="image/vnd.microsoft.icon")
    feed_id = subscribe(cur, feed_server, "/f.xml", site)
    assert cur.fetch_favicons() == 1
    assert cur.favicon(feed_id) == ICO


def test_a_site_without_icon_is_asked_again_only_after_a_week(  # type: ignore[no-untyped-def]
    cur, feed_server, clock
) -> None:
    site = feed_server.add(
        "/page", '<link rel="icon" href="/not-an-image">', content_type="text/html"
    )
    feed_server.add("/not-an-image", "<html>soft 404</html>", content_type="text/html")
    feed_id = subscribe(cur, feed_server, "/f.xml", site)  # no /favicon.ico: a 404
    assert cur.fetch_favicons() == 0
    assert cur.favicon(feed_id) is None
    assert feed_server.hits("/favicon.ico") == 1 and feed_server.hits("/not-an-image") == 1

    clock.advance(days=6)
    feed_server.clear_log()
    assert cur.fetch_favicons() == 0
    assert feed_server.requests == []  # the negative answer is cached

    feed_server.add("/favicon.ico", ICO, content_type="image/x-icon")
    clock.advance(days=1, seconds=1)
    assert cur.fetch_favicons() == 1
    assert cur.favicon(feed_id) == ICO


def test_unreachable_sites_are_not_remembered_as_iconless(cur, feed_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    feed_id = subscribe(cur, feed_server, "/f.xml", "http://127.0.0.1:9/site/")  # discard port
    assert cur.fetch_favicons() == 0
    assert list((tmp_path / "favicons").glob("*")) == []  # nothing cached, not even "none"
    assert cur.favicon(feed_id) is None


def test_oversized_and_non_image_icons_are_refused(cur, feed_server) -> None:  # type: ignore[no-untyped-def]
    site = feed_server.add(
        "/s/",
        '<link rel="icon" href="/big.png"><link rel="icon" href="/script.js">',
        content_type="text/html",
    )
    feed_server.add("/big.png", PNG + b"\x00" * FAVICON_MAX_BYTES, content_type="image/png")
    feed_server.add("/script.js", "alert(1)", content_type="application/javascript")
    feed_server.add("/favicon.ico", PNG, content_type="application/octet-stream")  # sniffed
    feed_id = subscribe(cur, feed_server, "/f.xml", site)
    assert cur.fetch_favicons() == 1
    assert cur.favicon(feed_id) == PNG


def test_icon_links_resolve_against_base_and_prefer_rel_icon() -> None:
    html = (
        b'<html><head><base href="https://cdn.example.com/assets/">'
        b'<link rel="apple-touch-icon" href="touch.png">'
        b'<link rel="ICON" type="image/svg+xml" href="logo.svg">'
        b'<link rel="stylesheet" href="x.css"></head>'
        b'<body><link rel="icon" href="late.png"></body></html>'
    )
    assert icon_links(html, "https://example.com/blog/") == [
        "https://cdn.example.com/assets/logo.svg",
        "https://cdn.example.com/assets/touch.png",
    ]


def test_an_inline_data_icon_needs_no_request(cur, feed_server) -> None:  # type: ignore[no-untyped-def]
    data = base64.b64encode(PNG).decode()
    site = feed_server.add(
        "/inline",
        f'<link rel="icon" href="data:image/png;base64,{data}">',
        content_type="text/html",
    )
    feed_id = subscribe(cur, feed_server, "/f.xml", site)
    assert cur.fetch_favicons() == 1
    assert cur.favicon(feed_id) == PNG
    assert feed_server.hits("/favicon.ico") == 0


def test_fetch_image_takes_only_http_images_under_the_cap(cur, feed_server) -> None:  # type: ignore[no-untyped-def]
    image = feed_server.add("/pic.png", PNG, content_type="image/png")
    page = feed_server.add("/page.html", "<html></html>", content_type="text/html")
    huge = feed_server.add(
        "/huge.png",
        b"\x89PNG" + b"\x00" * (6 * 1024 * 1024),
        content_type="image/png",
        gzip_ok=False,
    )
    assert cur.fetch_image(image) == PNG
    for bad in (page, huge, "file:///etc/passwd", "javascript:alert(1)", "data:image/png,x"):
        with pytest.raises(FetchError):
            cur.fetch_image(bad)
    assert cur.fetch_images([image, page, image]) == {image: PNG}


def test_origins_keep_apart_in_the_cache(tmp_path: Path, clock: Clock) -> None:
    assert site_origin("https://User:pw@Example.COM:443/blog/?q") == "https://example.com"
    assert site_origin("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080"
    assert site_origin("http://[::1]:81/") == "http://[::1]:81"
    assert site_origin("ftp://example.com/") is None and site_origin("x:99999") is None
    cache = FaviconCache(tmp_path)
    a, b = "http://127.0.0.1:8080", "http://127.0.0.1:8081"  # ports only: two sites
    cache.store_missing(a, clock())
    cache.store(b, PNG)
    assert not cache.needs_fetch(a, clock()) and cache.get(a) is None
    assert cache.get(b) == PNG and not cache.needs_fetch(b, clock())
    assert cache.needs_fetch("http://127.0.0.1:8082", clock())
