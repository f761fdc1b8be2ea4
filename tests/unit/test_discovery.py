"""Feed autodiscovery from HTML pages, and telling HTML from feeds."""

from __future__ import annotations

import pytest

from curator._discovery import DiscoveredFeed, discover_feeds, looks_like_html

PAGE = "https://example.com/blog/post.html"


def page(head: str, body: str = "<p>Hello</p>") -> str:
    return f"<!DOCTYPE html><html><head><title>T</title>{head}</head><body>{body}</body></html>"


def urls(found: list[DiscoveredFeed]) -> list[str]:
    return [feed.url for feed in found]


def test_relative_hrefs_resolve_against_the_page() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="RSS" href="feed.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
        '<link rel="alternate" type="application/feed+json" href="//cdn.example.net/f.json">'
        '<link rel="alternate" type="application/rss+xml" href="https://other.example/rss">'
    )
    assert discover_feeds(html, PAGE) == [
        DiscoveredFeed("https://example.com/blog/feed.xml", "RSS", "application/rss+xml"),
        DiscoveredFeed("https://example.com/atom.xml", None, "application/atom+xml"),
        DiscoveredFeed("https://cdn.example.net/f.json", None, "application/feed+json"),
        DiscoveredFeed("https://other.example/rss", None, "application/rss+xml"),
    ]


def test_base_href_wins_wherever_it_is() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" href="feed.xml">'
        '<base href="/sub/dir/"><base href="https://ignored.example/">'
    )
    assert urls(discover_feeds(html, PAGE)) == ["https://example.com/sub/dir/feed.xml"]


def test_preferred_formats_first_document_order_within() -> None:
    html = page(
        '<link rel="alternate" type="application/rdf+xml" href="/index.rdf">'
        '<link rel="alternate" type="text/xml" title="RSS 0.91" href="/old.xml">'
        '<link rel="alternate" type="application/rss+xml" href="/rss">'
        '<link rel="alternate" type="application/atom+xml" href="/atom">'
        '<link rel="alternate" type="application/feed+json" href="/json">'
    )
    assert urls(discover_feeds(html, "https://e.example/")) == [
        "https://e.example/rss",
        "https://e.example/atom",
        "https://e.example/json",
        "https://e.example/index.rdf",
        "https://e.example/old.xml",
    ]


def test_rel_is_a_case_insensitive_token_list_and_type_params_are_dropped() -> None:
    html = page(
        '<link REL="Alternate Home" TYPE="Application/RSS+XML; charset=UTF-8" href="/a">'
        '<link rel="feed" type="application/atom+xml" href="/b">'
        '<link rel="alternate stylesheet" type="text/css" href="/c.css">'
        '<link rel="alternated" type="application/rss+xml" href="/d">'
        '<link rel="stylesheet" type="application/rss+xml" href="/e">'
        '<link rel="alternate" hreflang="fr" href="/fr/">'
        '<link rel="alternate" type="application/rss+xml">'
        '<link rel="alternate" type="application/rss+xml" href="   ">'
    )
    assert discover_feeds(html, "https://e.example/") == [
        DiscoveredFeed("https://e.example/a", None, "application/rss+xml"),
        DiscoveredFeed("https://e.example/b", None, "application/atom+xml"),
    ]


def test_generic_json_and_xml_only_when_they_look_like_feeds() -> None:
    html = page(
        # WordPress links every page to its REST API this way: not a feed.
        '<link rel="alternate" type="application/json" title="JSON" href="/wp-json/wp/v2/pages/2">'
        '<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/feedback">'
        '<link rel="alternate" type="application/json" title="JSON Feed" href="/feed.json">'
        '<link rel="feed" type="application/json" href="/only-rel-feed.json">'
        '<link rel="alternate" type="text/xml" href="/sitemap.xml">'
        '<link rel="alternate" type="application/xml" href="/rss/news.xml">'
        '<link rel="feed" type="text/xml" title="RSS" href="/rel-feed.xml">'
    )
    assert discover_feeds(html, "https://e.example/") == [
        DiscoveredFeed("https://e.example/feed.json", "JSON Feed", "application/json"),
        DiscoveredFeed("https://e.example/rss/news.xml", None, "application/xml"),
    ]


def test_comment_feeds_come_last_but_are_kept() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="Blog &raquo; Comments Feed"'
        ' href="https://blog.example/comments/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="Blog &raquo; Post Comments"'
        ' href="https://blog.example/post/feed/">'
        '<link rel="alternate" type="application/rdf+xml" href="https://blog.example/rdf">'
        '<link rel="alternate" type="application/rss+xml" title="Blog &raquo; Feed"'
        ' href="https://blog.example/feed/">'
    )
    found = discover_feeds(html, "https://blog.example/")
    assert [(f.url, f.title) for f in found] == [
        ("https://blog.example/feed/", "Blog » Feed"),
        ("https://blog.example/rdf", None),
        ("https://blog.example/comments/feed/", "Blog » Comments Feed"),
        ("https://blog.example/post/feed/", "Blog » Post Comments"),
    ]


def test_only_a_comment_feed() -> None:
    html = page('<link rel="alternate" type="application/rss+xml" href="/comments/feed/">')
    assert urls(discover_feeds(html, "https://e.example/")) == ["https://e.example/comments/feed/"]


def test_duplicates_and_fragments_are_merged() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="First" href="/feed">'
        '<link rel="alternate" type="application/rss+xml" title="Again" href="/feed#top">'
        '<link rel="alternate" type="application/atom+xml" href="https://e.example/feed">'
    )
    assert discover_feeds(html, "https://e.example/") == [
        DiscoveredFeed("https://e.example/feed", "First", "application/rss+xml")
    ]


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", "data:text/xml,<rss/>", "mailto:a@b.c", "ftp://e.example/f"]
)
def test_non_http_links_are_ignored(href: str) -> None:
    html = page(f'<link rel="alternate" type="application/rss+xml" href="{href}">')
    assert discover_feeds(html, "https://e.example/") == []


def test_links_in_the_body_are_not_read() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" href="/head">',
        '<link rel="alternate" type="application/rss+xml" href="/body">',
    )
    assert urls(discover_feeds(html, "https://e.example/")) == ["https://e.example/head"]


def test_body_content_ends_the_head_even_without_tags() -> None:
    html = (
        '<link rel="alternate" type="application/atom+xml" href="/a">'
        '<noscript><img src="/pixel.gif"></noscript>'
        '<link rel="alternate" type="application/atom+xml" href="/b">'
        "<div>content</div>"
        '<link rel="alternate" type="application/atom+xml" href="/c">'
    )
    assert urls(discover_feeds(html, "https://e.example/")) == [
        "https://e.example/a",
        "https://e.example/b",
    ]


def test_head_end_inside_a_script_does_not_stop() -> None:
    html = page(
        '<script>document.write("</head><body>")</script>'
        '<link rel="alternate" type="application/rss+xml" href="/after-script">'
    )
    assert urls(discover_feeds(html, "https://e.example/")) == ["https://e.example/after-script"]


def test_large_page_finishes_with_the_head() -> None:
    head = '<link rel="alternate" type="application/rss+xml" href="/feed">'
    body = "<div><p>text &amp; more</p></div>" * 200_000  # about 6 MB
    html = page(head, body + '<link rel="alternate" type="application/rss+xml" href="/late">')
    assert urls(discover_feeds(html.encode(), "https://e.example/")) == ["https://e.example/feed"]


def test_markup_that_breaks_html_parser_keeps_what_was_found() -> None:
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/before">'
        "<![if !supportLists]><![endif]>"
        "<![foo bar]>"  # html.parser raises AssertionError on this one
        '<link rel="alternate" type="application/rss+xml" href="/after">'
    )
    assert urls(discover_feeds(html, "https://e.example/")) == ["https://e.example/before"]
    assert discover_feeds("<!-- unclosed <link rel=alternate", "https://e.example/") == []
    assert discover_feeds("", "https://e.example/") == []
    assert discover_feeds(b"\x00\xff\xfe garbage", "https://e.example/") == []


# ---- charsets -----------------------------------------------------------------------------

LINK = '<link rel="alternate" type="application/rss+xml" title="{}" href="/f">'


def titles(body: bytes, encoding: str | None = None) -> list[str | None]:
    return [f.title for f in discover_feeds(body, "https://e.example/", encoding=encoding)]


def test_meta_charset() -> None:
    html = page('<meta charset="windows-1252">' + LINK.format("Café – news"))
    assert titles(html.encode("cp1252")) == ["Café – news"]


def test_meta_http_equiv_latin1_means_windows_1252() -> None:
    html = page(
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        + LINK.format("Caf\xe9 \u2013 news")
    )
    assert titles(html.encode("cp1252")) == ["Café – news"]


def test_header_encoding_wins_over_meta_and_bom_wins_over_both() -> None:
    html = page('<meta charset="utf-8">' + LINK.format("Ĺódź"))
    assert titles(html.encode("iso-8859-2"), encoding="iso-8859-2") == ["Ĺódź"]
    bom = b"\xef\xbb\xbf" + page(LINK.format("Ĺódź")).encode()
    assert titles(bom, encoding="cp1252") == ["Ĺódź"]


def test_utf16_with_bom() -> None:
    assert titles(page(LINK.format("Ünï")).encode("utf-16")) == ["Ünï"]


@pytest.mark.parametrize("label", ["no-such-charset", "base64", "rot13", ""])
def test_unusable_charset_labels_fall_back_to_utf8(label: str) -> None:
    html = page(f'<meta charset="{label}">' + LINK.format("Ünï")).encode()
    assert titles(html) == ["Ünï"]
    assert titles(html, encoding=label) == ["Ünï"]


def test_malformed_urls_do_not_stop_discovery() -> None:
    html = page(
        '<base href="http://[::1">'
        '<link rel="alternate" type="text/xml" title="RSS" href="http://[broken/rss">'
        '<link rel="alternate" type="application/rss+xml" href="http://[broken/feed">'
        '<link rel="alternate" type="application/rss+xml" href="/good">'
    )
    assert urls(discover_feeds(html, "https://e.example/")) == ["https://e.example/good"]


def test_default_utf8_replaces_bad_bytes() -> None:
    html = page('<meta charset="no-such-charset">' + LINK.format("Ünï")).encode() + b"\xff"
    assert titles(html) == ["Ünï"]
    broken = page(LINK.format("a\udcffb")).encode("utf-8", errors="surrogateescape")
    assert titles(broken) == ["a\ufffdb"]


def test_multibyte_characters_split_across_chunks() -> None:
    padding = "<meta name=x content='" + "é" * 40_000 + "'>"  # straddles the 64 KiB chunk
    html = page(padding + LINK.format("après"))
    assert titles(html.encode()) == ["après"]


# ---- looks_like_html ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head>",
        b"<!doctype HTML>\n<html lang=en>",
        b"\xef\xbb\xbf\n  <html>",
        b"<HEAD><title>x</title>",
        b"<body>hi</body>",
        b"<!-- generated --> <!DOCTYPE html>",
        b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0'
        b' Strict//EN"><html xmlns="http://www.w3.org/1999/xhtml">',
        b"<meta charset=utf-8><title>x</title>",
        "<!DOCTYPE html>".encode("utf-16"),
    ],
)
def test_looks_like_html(body: bytes) -> None:
    assert looks_like_html(body) is True


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0">',
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
        b"<rss>",
        b'<feed xmlns="http://www.w3.org/2005/Atom">',
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        b'<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><rss>',
        b'{"version": "https://jsonfeed.org/version/1.1"}',
        b"  [1, 2]",
        b"<header>not a document start</header>",
        b"",
        b"plain text <html> later",
    ],
)
def test_does_not_look_like_html(body: bytes) -> None:
    assert looks_like_html(body) is False


def test_only_the_first_2kb_count() -> None:
    assert looks_like_html(b" " * 2100 + b"<html>") is False
