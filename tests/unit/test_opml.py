"""OPML import (forgiving, safe against hostile XML) and export (round-trips, deterministic)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from lxml import etree

from curator._opml import OpmlOutline, OpmlResult, parse_opml, write_opml
from curator.errors import OPMLError

DATA = Path(__file__).parent.parent / "data" / "opml"
NOT_WELL_FORMED = "The file is not well-formed XML; imported what could be read."


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def opml(body: str) -> bytes:
    return f'<?xml version="1.0"?><opml version="2.0"><body>{body}</body></opml>'.encode()


# ---- import -------------------------------------------------------------------------------


def test_nested_folders_roles_and_spellings() -> None:
    result = parse_opml(read("nested.opml"))

    assert result.feeds == [
        OpmlOutline(
            "https://pythoninsider.blogspot.com/feeds/posts/default",
            "Python Insider",
            "Tech/Python",
            "third-party",
            "https://pythoninsider.blogspot.com/",
        ),
        OpmlOutline("https://lwn.net/headlines/rss", "LWN", "Tech/Python", "competitor", None),
        OpmlOutline("https://go.dev/blog/feed.atom", "Go Blog", "Tech", None, None),
        OpmlOutline(
            "https://blog.example.com/feed/",
            "Our blog",
            "Company",
            "own",
            "https://blog.example.com/",
        ),
        # An unknown curatorRole is no role, not an error.
        OpmlOutline("https://odd.example.com/rss", "Odd role", "Company", None, None),
        # feed:// becomes http://; the category gives the folder of a top-level outline.
        OpmlOutline("http://top.example.net/rss.xml", "Top level", "News/World", None, None),
        OpmlOutline("https://title.example.net/atom", "Only a title", None, None, None),
    ]
    assert result.skipped == [
        "Skipped outline 'Just a link': it has no xmlUrl.",
        "Skipped 'javascript:alert(1)': not an http(s) URL.",
        "Skipped outline 'Again': 'https://LWN.net/headlines/rss' is listed more than once.",
    ]


def test_outlines_in_head_are_not_subscriptions() -> None:
    urls = [feed.url for feed in parse_opml(read("nested.opml")).feeds]
    assert "https://head.example.org/feed" not in urls


def test_opml_1_0_latin1_with_url_attribute() -> None:
    result = parse_opml(read("opml1.opml"))

    assert result.feeds == [
        OpmlOutline("http://cafe.example.org/rss.xml", "Café news", None, None, None),
        OpmlOutline(
            "https://www.lemonde.fr/rss/une.xml",
            "Le Monde – Une",
            None,
            None,
            "https://www.lemonde.fr",
        ),
    ]
    assert result.skipped == []


def test_category_is_used_only_without_a_folder() -> None:
    data = opml(
        '<outline text="Folder">'
        '<outline text="A" xmlUrl="https://a.example/" category="/Ignored/Path"/>'
        "</outline>"
        '<outline text="B" xmlUrl="https://b.example/" category="tag,other"/>'
        '<outline text="C" xmlUrl="https://c.example/" category="tag, / Deep / Path /,/Second"/>'
    )
    folders = [feed.folder for feed in parse_opml(data).feeds]
    assert folders == ["Folder", None, "Deep/Path"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("feed://example.com/rss", "http://example.com/rss"),
        ("feed:https://example.com/rss", "https://example.com/rss"),
        ("FEED://example.com/rss", "http://example.com/rss"),
        ("  https://example.com/padded  ", "https://example.com/padded"),
    ],
)
def test_feed_scheme_and_whitespace(raw: str, expected: str) -> None:
    assert parse_opml(opml(f'<outline text="x" xmlUrl="{raw}"/>')).feeds[0].url == expected


@pytest.mark.parametrize(
    "raw", ["javascript:x", "file:///etc/passwd", "ftp://example.com/rss", "/relative/feed"]
)
def test_only_http_urls(raw: str) -> None:
    result = parse_opml(opml(f'<outline text="x" xmlUrl="{raw}"/>'))
    assert result.feeds == []
    assert result.skipped == [f"Skipped '{raw}': not an http(s) URL."]


@pytest.mark.parametrize(
    "raw", ["http://example.org> <outline text=", "https://a b/", "http://[broken/feed"]
)
def test_urls_with_a_broken_host_are_skipped(raw: str) -> None:
    result = parse_opml(opml(f'<outline text="x" xmlUrl="{raw}"/>'))
    assert result.feeds == []
    assert result.skipped[-1].endswith("not an http(s) URL.")


def test_control_characters_and_wrapped_names_are_cleaned() -> None:
    data = opml(
        '<outline text="Caf&#x3;e"><outline text="x&#x1;y" xmlUrl="https://a.example/"/></outline>'
        '<outline text="z" xmlUrl="https://z.example/" category="/News /  Wor&#10;ld"/>'
    )
    assert [(f.title, f.folder) for f in parse_opml(data).feeds] == [
        ("xy", "Cafe"),
        ("z", "News/Wor ld"),
    ]


def test_site_url_must_be_http() -> None:
    data = opml('<outline text="x" xmlUrl="https://a.example/" htmlUrl="javascript:evil()"/>')
    assert parse_opml(data).feeds[0].site_url is None


def test_titles_are_collapsed_to_one_line() -> None:
    data = opml('<outline text="  Two&#10;   lines " xmlUrl="https://a.example/"/>')
    assert parse_opml(data).feeds[0].title == "Two lines"


def test_untitled_outlines() -> None:
    result = parse_opml(opml('<outline xmlUrl="https://a.example/"/><outline/>'))
    assert result.feeds == [OpmlOutline("https://a.example/", None, None, None, None)]
    assert result.skipped == ["Skipped an untitled outline: it has no xmlUrl."]


def test_untitled_folder_is_transparent_and_slash_names_nest() -> None:
    data = opml(
        '<outline><outline text="A / B"><outline text="f" xmlUrl="https://f.example/"/>'
        "</outline></outline>"
    )
    assert parse_opml(data).feeds[0].folder == "A/B"


def test_outlines_nested_in_a_feed_keep_its_folder() -> None:
    data = opml(
        '<outline text="Folder"><outline text="parent" xmlUrl="https://p.example/">'
        '<outline text="child" xmlUrl="https://c.example/"/></outline></outline>'
    )
    assert [(f.url, f.folder) for f in parse_opml(data).feeds] == [
        ("https://p.example/", "Folder"),
        ("https://c.example/", "Folder"),
    ]


def test_namespaced_document_and_str_input() -> None:
    data = (
        '<opml xmlns="http://example.com/ns" version="2.0"><body>'
        '<outline text="x" xmlUrl="https://a.example/"/></body></opml>'
    )
    feeds = parse_opml(data).feeds  # type: ignore[arg-type]
    assert [feed.url for feed in feeds] == ["https://a.example/"]


def test_utf16_file() -> None:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><opml><body>'
        '<outline text="Ünï" xmlUrl="https://u.example/"/></body></opml>'
    )
    assert parse_opml(text.encode("utf-16")).feeds[0].title == "Ünï"


def test_empty_opml_is_not_an_error() -> None:
    assert parse_opml(b"<opml version='2.0'><head/><body/></opml>") == OpmlResult([], [])


# ---- broken and hostile files -------------------------------------------------------------


def test_broken_file_imports_what_it_can() -> None:
    result = parse_opml(read("broken.opml"))

    assert result.feeds == [
        # The bare "&" and the HTML-only entities survive the repair.
        OpmlOutline(
            "https://search.example.com/rss?q=python&sort=date",
            "Search",
            "News & views",
            None,
            None,
        ),
        OpmlOutline("https://cafe.example.com/feed", "Café blog", "News & views", None, None),
        OpmlOutline("https://after.example.com/feed", "After junk", None, None, None),
    ]
    assert result.skipped[0] == NOT_WELL_FORMED
    assert result.skipped[1:] == ["Skipped outline 'Cut': it has no xmlUrl."]


def test_truncated_file() -> None:
    data = read("nested.opml")
    cut = data[: data.index(b"Odd role")]
    result = parse_opml(cut)
    assert [feed.title for feed in result.feeds] == ["Python Insider", "LWN", "Go Blog", "Our blog"]
    assert result.skipped[0] == NOT_WELL_FORMED


def test_well_formed_file_has_no_note() -> None:
    assert NOT_WELL_FORMED not in parse_opml(read("nested.opml")).skipped


def test_billion_laughs_is_not_expanded() -> None:
    result = parse_opml(read("billion_laughs.opml"))

    assert result.feeds[0] == OpmlOutline("https://safe.example.com/feed", "Safe", None, None, None)
    everything = repr(result)
    assert "lollollol" not in everything
    assert len(everything) < 2000
    assert result.skipped[0] == NOT_WELL_FORMED


def test_quadratic_blowup_is_not_expanded() -> None:
    big = "A" * 50_000
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "{big}">]>'
        f'<opml><body><outline text="{"&a;" * 2000}" xmlUrl="https://a.example/"/>'
        '<outline text="ok" xmlUrl="https://ok.example/"/></body></opml>'
    ).encode()
    result = parse_opml(data)
    assert "https://ok.example/" in [feed.url for feed in result.feeds]
    assert "A" * 100 not in repr(result)


def test_external_entities_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<opml><body><outline text="a &x;" xmlUrl="https://a.example/"/>'
        "<outline xmlUrl='https://b.example/'>&x;</outline></body></opml>"
    ).encode()
    assert "TOP-SECRET-VALUE" not in repr(parse_opml(data))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b" \n\t ", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "The file is not OPML"),
        (b"just some text", "The file is not OPML"),
        (b'{"opml": true}', "The file is not OPML"),
        (
            b"<!DOCTYPE html><html><head><title>Hi</title></head>"
            b"<body><p>No outlines &nbsp; here<br></body></html>",
            "The file is not OPML",
        ),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "The file is a feed"),
    ],
)
def test_garbage_raises_one_sentence(data: bytes, message: str) -> None:
    with pytest.raises(OPMLError) as info:
        parse_opml(data)
    text = str(info.value)
    assert text.startswith(message)
    assert text.endswith(".") and "\n" not in text


def test_html_page_with_outlines_is_read() -> None:
    data = b'<html><body><outline text="x" xmlUrl="https://a.example/"></body></html>'
    assert [feed.url for feed in parse_opml(data).feeds] == ["https://a.example/"]


def test_long_values_are_shortened_in_notes() -> None:
    result = parse_opml(opml(f'<outline text="x" xmlUrl="javascript:{"a" * 5000}"/>'))
    assert len(result.skipped[0]) < 150


# ---- export -------------------------------------------------------------------------------

FEEDS = [
    OpmlOutline("https://a.example/feed", "A & <b> \"quoted\" 'x'", "Tech/Python", "own", None),
    OpmlOutline("https://top.example/rss?x=1&y=2", "Top", None, None, "https://top.example/"),
    OpmlOutline("https://b.example/atom", None, "Tech", "competitor", "https://b.example/"),
    OpmlOutline("https://c.example/json", "Ünïcødé 🎉", "Tech/Python", "third-party", None),
    OpmlOutline("https://d.example/", "D", "News", None, None),
    OpmlOutline("https://e.example/", "E", "Tech/Go/Deep", None, None),
]


def key(feeds: list[OpmlOutline]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(f.url, f.title, f.folder, f.role) for f in feeds]


def test_round_trip() -> None:
    result = parse_opml(write_opml(FEEDS))
    assert result.skipped == []
    assert set(key(result.feeds)) == set(key(FEEDS))
    # Document order: each folder where it first appears, with its feeds grouped inside it.
    assert result.feeds == [FEEDS[i] for i in (0, 3, 2, 5, 1, 4)]


def test_round_trip_of_an_imported_file() -> None:
    first = parse_opml(read("nested.opml")).feeds
    assert parse_opml(write_opml(first)).feeds == first


def test_written_structure_is_deterministic() -> None:
    now = datetime(2024, 5, 6, 10, 30, tzinfo=UTC)
    data = write_opml(FEEDS, "My feeds", now=now)
    assert data == write_opml(FEEDS, "My feeds", now=now)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")

    root = etree.fromstring(data)
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "My feeds"
    assert root.findtext("head/dateCreated") == "Mon, 06 May 2024 10:30:00 GMT"

    body = root.find("body")
    assert [o.get("text") for o in body] == ["Tech", "Top", "News"]
    tech = body[0]
    assert [o.get("text") for o in tech] == ["Python", "", "Go"]
    assert [o.get("xmlUrl") for o in tech[0]] == [
        "https://a.example/feed",
        "https://c.example/json",
    ]
    assert tech[2][0].get("text") == "Deep"

    a = tech[0][0]
    assert dict(a.attrib) == {
        "type": "rss",
        "text": FEEDS[0].title,
        "title": FEEDS[0].title,
        "xmlUrl": "https://a.example/feed",
        "curatorRole": "own",
    }
    untitled = tech[1]
    assert "title" not in untitled.attrib and untitled.get("htmlUrl") == "https://b.example/"


def test_default_date_is_rfc822_now() -> None:
    root = etree.fromstring(write_opml([]))
    created = parsedate_to_datetime(root.findtext("head/dateCreated"))
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60
    assert root.find("body") is not None and len(root.find("body")) == 0


def test_characters_xml_cannot_hold_are_dropped() -> None:
    feeds = [OpmlOutline("https://a.example/", "bad\x00\x07title\ufffe", "F\x01", None, None)]
    result = parse_opml(write_opml(feeds, "t\x00"))
    assert key(result.feeds) == [("https://a.example/", "badtitle", "F", None)]
