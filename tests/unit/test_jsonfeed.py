"""JSON Feed 1.0 and 1.1 parsing: samples, lenient fields, and the only error being ParseError."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from curator._jsonfeed import parse_jsonfeed
from curator._types import ParsedEntry, ParsedFeed
from curator.errors import ParseError

DATA = Path(__file__).parent.parent / "data" / "jsonfeed"
URL = "https://blog.example.com/feed.json"
V11 = "https://jsonfeed.org/version/1.1"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def feed(**fields: Any) -> ParsedFeed:
    return parse_jsonfeed(json.dumps({"version": V11, **fields}).encode(), URL)


def entry(feed_fields: dict[str, Any] | None = None, **item: Any) -> ParsedEntry:
    return feed(**(feed_fields or {}), items=[item]).entries[0]


def test_version_1_0_sample() -> None:
    parsed = parse_jsonfeed(read("v1_0.json"), "https://example.org/other.json")

    assert parsed.title == "Brent's Notes"
    assert parsed.site_url == "https://example.org/"
    assert parsed.parser == "jsonfeed"
    assert parsed.base_url == "https://example.org/feed.json"
    assert parsed.entries == [
        ParsedEntry(
            guid="2347259",  # a number in the file
            link="https://example.org/2347259",
            title="Numbers as ids",
            author="Brent Simmons",
            summary=None,
            content="<p>First line &amp; &lt;tag&gt;<br>second line</p><p>New paragraph.</p>",
            published=datetime(2016, 2, 9, 21, 22, tzinfo=UTC),
            updated=None,
        ),
        ParsedEntry(
            guid="https://example.org/linked",
            link="https://elsewhere.example.net/story",  # external_url when there is no url
            title=None,
            author="Guest Writer",
            summary="Linked",
            content="<p>A <b>linked</b> post.</p>",  # content_html wins over content_text
            published=datetime(2016, 2, 10, 8, 0, tzinfo=UTC),
            updated=datetime(2016, 2, 11, 9, 30, 15, 123456, tzinfo=UTC),
        ),
    ]


def test_version_1_1_sample() -> None:
    parsed = parse_jsonfeed(read("v1_1.json"), URL)

    assert parsed.title == "Team Blog"
    assert parsed.site_url == "https://blog.example.com/"
    assert parsed.base_url == "https://blog.example.com/feeds/main.json"  # relative feed_url
    # The two non-object items are skipped.
    assert [e.guid for e in parsed.entries] == ["post-1", "post-2", "post-3"]
    first, second, third = parsed.entries
    assert first == ParsedEntry(
        guid="post-1",
        link="/posts/1",  # left relative: base_url resolves it later
        title="Hello",
        author="Ana, Bo",
        summary="A short summary.",
        content="<p>Hello <em>world</em></p>",
        published=datetime(2024, 5, 6, 8, 0, tzinfo=UTC),
        updated=datetime(2024, 5, 6, 12, 0, tzinfo=UTC),  # naive: taken as UTC
    )
    assert second.author == "Guest"  # item authors override; the nameless one is left out
    assert second.content == "<p>Plain</p>"
    assert second.published is None  # "not a date"
    assert third.author == "Ana, Bo"
    assert third.title is None and third.link is None
    assert third.published == datetime(2024, 5, 7, tzinfo=UTC)


def test_utf8_bom() -> None:
    parsed = parse_jsonfeed(b"\xef\xbb\xbf" + read("v1_1.json"), URL)
    assert parsed.title == "Team Blog"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1", "title": "caf\xe9", "items": []}'
    assert parse_jsonfeed(body, URL).title == "caf\ufffd"


def test_without_feed_url_the_base_is_the_fetched_url() -> None:
    assert feed(items=[]).base_url == URL
    assert feed(feed_url="http://[broken/feed.json").base_url == URL


@pytest.mark.parametrize(
    "version",
    [
        "https://jsonfeed.org/version/1",
        "http://jsonfeed.org/version/1",
        "https://jsonfeed.org/version/1.1",
        "https://jsonfeed.org/version/1.1/",
        " https://JSONFeed.org/version/1 ",
    ],
)
def test_accepted_versions(version: str) -> None:
    body = json.dumps({"version": version, "title": "ok", "items": []}).encode()
    assert parse_jsonfeed(body, URL).title == "ok"


@pytest.mark.parametrize(
    ("document", "stated"),
    [
        ({"items": []}, "it has no version"),
        ({"version": "https://jsonfeed.org/version/2"}, "its version is"),
        ({"version": "https://jsonfeed.org/version/10"}, "its version is"),
        ({"version": "https://example.com/version/1"}, "its version is"),
        ({"version": 1.1}, "its version is 1.1"),
    ],
)
def test_bad_version(document: dict[str, Any], stated: str) -> None:
    with pytest.raises(ParseError, match="is not a JSON Feed") as info:
        parse_jsonfeed(json.dumps(document).encode(), URL)
    assert stated in str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "is not valid JSON"),
        (b"{", "is not valid JSON (line 1, column 2"),
        (b"<rss version='2.0'/>", "is not valid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1",\n "items": [,]}', "line 2"),
        (b"1" * 5000, "is not valid JSON"),  # longer than int() accepts
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'["https://jsonfeed.org/version/1"]', "not a JSON object"),
        (b'"https://jsonfeed.org/version/1"', "not a JSON object"),
    ],
)
def test_not_json_feed_raises_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_jsonfeed(body, URL)
    assert message in str(info.value)
    assert URL in str(info.value)


@pytest.mark.parametrize("items", [None, {"id": "1"}, "items", 3])
def test_items_that_are_not_a_list_mean_no_entries(items: object) -> None:
    parsed = feed(title="t", items=items)
    assert parsed.title == "t" and parsed.entries == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "abc"),
        (12345, "12345"),
        (0, "0"),
        (1.5, "1.5"),
        (True, None),
        ("", None),
        (None, None),
        ({"x": 1}, None),
    ],
)
def test_ids(raw: object, expected: str | None) -> None:
    assert entry(id=raw).guid == expected


@pytest.mark.parametrize(
    ("feed_fields", "item", "expected"),
    [
        ({"authors": [{"name": "A"}, {"name": "B"}]}, {}, "A, B"),
        ({"author": {"name": "Old"}}, {}, "Old"),
        ({"authors": [{"name": "New"}], "author": {"name": "Old"}}, {}, "New"),
        ({"authors": [], "author": {"name": "Old"}}, {}, "Old"),
        ({"authors": [{"name": "Feed"}]}, {"author": {"name": "Item"}}, "Item"),
        ({"author": {"name": "Feed"}}, {"authors": [{"name": "I1"}, {"name": "I2"}]}, "I1, I2"),
        ({"author": {"name": "Feed"}}, {"authors": [{"url": "https://x/"}]}, "Feed"),
        ({}, {"author": "Just A String"}, "Just A String"),
        ({}, {"authors": [{"name": "  "}, "Bare", 7, None]}, "Bare"),
        ({"authors": "nope"}, {"author": ["nope"]}, None),
        ({}, {}, None),
    ],
)
def test_authors(feed_fields: dict[str, Any], item: dict[str, Any], expected: str | None) -> None:
    assert entry(feed_fields, id="1", **item).author == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-06T10:00:00Z", datetime(2024, 5, 6, 10, 0, tzinfo=UTC)),
        ("2024-05-06t10:00:00z", datetime(2024, 5, 6, 10, 0, tzinfo=UTC)),
        ("2024-05-06T10:00:00.5+02:00", datetime(2024, 5, 6, 8, 0, 0, 500000, tzinfo=UTC)),
        ("2024-05-06T10:00:00.123456789-05:30", datetime(2024, 5, 6, 15, 30, 0, 123456, UTC)),
        ("2024-05-06T10:00Z", datetime(2024, 5, 6, 10, 0, tzinfo=UTC)),
        ("2024-05-06T10:00:00", datetime(2024, 5, 6, 10, 0, tzinfo=UTC)),
        ("2024-05-06 10:00:00+00:00", datetime(2024, 5, 6, 10, 0, tzinfo=UTC)),
        ("Mon, 06 May 2024 10:00:00 +0200", datetime(2024, 5, 6, 8, 0, tzinfo=UTC)),
        ("yesterday", None),
        ("2024-13-45T99:00:00Z", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("", None),
        (1715000000, None),
        (None, None),
    ],
)
def test_dates(raw: object, expected: datetime | None) -> None:
    parsed = entry(id="1", date_published=raw, date_modified=raw)
    assert parsed.published == expected
    assert parsed.updated == expected
    if expected is not None:
        assert parsed.published is not None and parsed.published.tzinfo is UTC


def test_content_text_is_escaped_into_paragraphs() -> None:
    item = entry(id="1", content_text="<script>alert(1)</script>\r\n\r\nline & one\nline two\n")
    assert (
        item.content
        == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p>line &amp; one<br>line two</p>"
    )


def test_blank_content_html_falls_back_to_text() -> None:
    assert entry(id="1", content_html="  ", content_text="t").content == "<p>t</p>"
    assert entry(id="1", content_text=" \n ").content is None


def test_fields_of_the_wrong_type_are_ignored() -> None:
    weird: list[Any] = [None, 1, 2.5, True, [], ["x"], {}, {"name": "x"}]
    for value in weird:
        fields = dict.fromkeys(("title", "home_page_url", "feed_url", "author", "authors"), value)
        item = dict.fromkeys(
            (
                "id",
                "url",
                "external_url",
                "title",
                "content_html",
                "content_text",
                "summary",
                "date_published",
                "date_modified",
                "author",
                "authors",
            ),
            value,
        )
        parsed = feed(**fields, items=[item, value])
        assert parsed.title is None
        assert parsed.base_url == URL
        assert parsed.entries[0].link is None
        assert parsed.entries[0].content is None
