"""Parsing golden feeds, the fast parser's equivalence with feedparser, and hostile HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from curator._parser import _fast_path_ok, parse_fast, parse_feed, parse_lenient
from curator._sanitize import plain
from curator._storage import EntryRow
from curator._update import entry_rows
from curator.errors import NotAFeedError, ParseError

DATA = Path(__file__).parent.parent / "data" / "feeds"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
BASE = "http://127.0.0.1/feeds/"
FEEDS = sorted(k for k, v in EXPECTED.items() if v["format"] != "html")
PAGES = sorted(k for k, v in EXPECTED.items() if v["format"] == "html")
XML_FEEDS = [k for k in FEEDS if not EXPECTED[k]["format"].startswith("jsonfeed")]
# shared/ sits beside the repository (locally and in CI).
GENFEEDS = Path(__file__).resolve().parents[3] / "shared" / "bench" / "genfeeds.py"


def rows_of(name: str) -> tuple[str | None, list[EntryRow], str]:
    body = (DATA / name).read_bytes()
    parsed = parse_feed(body, BASE + name)
    return parsed.title, entry_rows(parsed, BASE + name), parsed.parser


# ---- golden files -------------------------------------------------------------------------


@pytest.mark.parametrize("name", FEEDS)
def test_golden_feed_matches_expected(name: str) -> None:
    exp = EXPECTED[name]
    title, rows, _ = rows_of(name)
    assert plain(title) == exp["title"]
    if "entries_min" in exp:
        assert exp["entries_min"] <= len(rows) <= exp["entries"]
    else:
        assert len(rows) == exp["entries"]
    first = rows[0]
    # Titles are stored as plain text: markup (even literal <script> in a type=text title)
    # is stripped, so the stored title is what plain() makes of the expected one.
    assert first.title == plain(exp["first"]["title"])
    assert first.link == exp["first"]["link"]
    assert first.guid == exp["first"]["guid"]
    assert first.published == exp["first"]["published"]
    for row in rows:
        assert row.link is None or urlsplit(row.link).scheme in ("http", "https")
    assert len({row.key for row in rows}) == len(rows)


def test_wrong_encoding_is_recovered_not_mojibake() -> None:
    title, rows, _ = rows_of("rss20_wrong_encoding.xml")
    assert title == EXPECTED["rss20_wrong_encoding.xml"]["title"]
    assert "Ã" not in title and all("Ã" not in (r.title or "") for r in rows)


def test_latin1_feed_decodes_characters() -> None:
    title, rows, _ = rows_of("rss20_latin1.xml")
    assert "Größe" in title
    assert any("日本" in (r.title or "") + (r.summary or "") for r in rows)


def test_duplicate_guids_with_distinct_links_are_kept_apart() -> None:
    _, rows, _ = rows_of("rss20_dup_guids.xml")
    assert len(rows) == 4
    dup = [r for r in rows if r.guid == "dup-0001"]
    assert len(dup) == 2
    assert dup[0].link != dup[1].link and dup[0].key != dup[1].key
    no_id = [r for r in rows if r.guid is None and r.link is None]
    assert len(no_id) == 1 and no_id[0].key.startswith("sha1:")


def test_relative_links_resolve_against_feed_url() -> None:
    _, rows, _ = rows_of("rss20_dup_guids.xml")
    assert rows[-1].link == "http://127.0.0.1/dup/normal"
    _, rows, _ = rows_of("atom10.xml")  # xml:base wins over the feed URL
    assert rows[1].link == "http://example.com/blog/posts/groesse"


def test_truncated_feed_salvages_complete_items() -> None:
    _, rows, _ = rows_of("rss20_truncated.xml")
    assert [r.guid for r in rows[:2]] == ["http://example.com/cut/1", "http://example.com/cut/2"]
    assert rows[1].link == "http://127.0.0.1/cut/2"


def test_no_dates_give_none() -> None:
    _, rows, _ = rows_of("rss20_nodate.xml")
    assert all(r.published is None and r.updated is None for r in rows)


def test_dates_are_utc() -> None:
    _, rows, _ = rows_of("rss10.rdf")  # dc:date with +09:00 and -01:00 offsets
    assert rows[0].published == "2024-03-05T01:15:00Z"
    assert rows[2].published == "2024-03-03T22:45:00Z"


@pytest.mark.parametrize("name", PAGES)
def test_html_page_is_not_a_feed(name: str) -> None:
    with pytest.raises(NotAFeedError):
        parse_feed((DATA / name).read_bytes(), BASE + name)


@pytest.mark.parametrize("body", [b"", b"  \n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \r\n"])
def test_empty_body_is_not_a_feed(body: bytes) -> None:
    with pytest.raises(NotAFeedError):
        parse_feed(body, BASE + "empty.xml")


@pytest.mark.parametrize(
    "body",
    [
        b"hello world",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        bytes(range(256)) * 4,
        b"<?xml version='1.0'?><note><to>Tove</to></note>",
        b"{not json",
        b"[1, 2, 3]",
        b'{"title": "no version"}',
    ],
)
def test_garbage_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, BASE + "garbage")


# ---- fast parser == feedparser --------------------------------------------------------------


def _comparable(rows: list[EntryRow]) -> list[tuple]:
    # Markup is compared as text: feedparser re-serializes HTML (attribute order).
    return [
        (r.key, r.guid, r.link, r.title, r.author, r.published, r.updated,
         " ".join(r.text_summary.split()), " ".join(r.text_content.split()))
        for r in rows
    ]


def _assert_same(body: bytes, url: str) -> None:
    fast, lenient = parse_fast(body, url), parse_lenient(body, url)
    assert fast.parser == "fast" and lenient.parser == "feedparser"
    assert plain(fast.title) == plain(lenient.title)
    assert _comparable(entry_rows(fast, url)) == _comparable(entry_rows(lenient, url))


FAST_GOLDEN = [n for n in XML_FEEDS if _fast_path_ok((DATA / n).read_bytes())]


def test_fast_path_takes_most_well_formed_golden_feeds() -> None:
    # If the gate grew so strict that nothing took the fast path, equivalence would be moot.
    assert {"rss20.xml", "rss092.xml", "rss20_dup_guids.xml", "atom10_xss.xml"} <= set(FAST_GOLDEN)
    assert "atom10.xml" not in FAST_GOLDEN  # xml:base: feedparser only
    assert "rss20_truncated.xml" not in FAST_GOLDEN


@pytest.mark.parametrize("name", FAST_GOLDEN)
def test_fast_and_lenient_agree_on_golden(name: str) -> None:
    _assert_same((DATA / name).read_bytes(), BASE + name)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if not GENFEEDS.exists():
        pytest.skip("genfeeds.py is not available")
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(GENFEEDS), "--n", "60", "--out", str(out), "--port", "1"],
                   check=True, capture_output=True, timeout=120)
    return sorted((out / "feeds").iterdir())


def test_fast_and_lenient_agree_on_generated_corpus(corpus: list[Path]) -> None:
    fast = [p for p in corpus if _fast_path_ok(p.read_bytes())]
    assert len(fast) >= len(corpus) * 0.8  # the deliberately broken ones go to feedparser
    failures = []
    for path in fast:
        try:
            _assert_same(path.read_bytes(), "http://127.0.0.1:1/feeds/" + path.name)
        except AssertionError as e:
            failures.append(f"{path.name}: {str(e)[:300]}")
    assert not failures, "\n".join(failures)


def test_parse_feed_uses_fast_path_on_corpus(corpus: list[Path]) -> None:
    parsers = {parse_feed(p.read_bytes(), "http://127.0.0.1:1/f").parser for p in corpus[:10]}
    assert "fast" in parsers


def test_entry_without_summary_takes_content_in_both_parsers() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>T</title><id>urn:t</id><updated>2024-01-01T00:00:00Z</updated>"
        b'<entry><title>E</title><id>urn:e</id><updated>2024-01-01T00:00:00Z</updated>'
        b'<content type="html">&lt;script&gt;steal()&lt;/script&gt;&lt;p&gt;Body'
        b"&lt;/p&gt;</content></entry></feed>"
    )
    for parse in (parse_fast, parse_lenient):
        (row,) = entry_rows(parse(body, BASE + "x"), BASE + "x")
        assert "steal" not in (row.summary or "") + row.text_summary + row.text_content
        assert "Body" in (row.summary or "") + (row.content or "")


# ---- hostile HTML ---------------------------------------------------------------------------

_FORBIDDEN_TAGS = {"script", "style", "iframe", "frame", "object", "embed", "form", "input",
                   "button", "meta", "base", "link", "svg", "math", "textarea", "select"}
_URL_ATTRS = {"href", "src", "srcset", "action", "formaction", "background", "poster", "xlink:href"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            if name in _URL_ATTRS and value is not None:
                # Browsers drop ASCII whitespace/controls inside URLs: judge what they see.
                seen = re.sub(r"[\x00-\x20]", "", value).lower()
                scheme = seen.split(":", 1)[0] if ":" in seen.split("/", 1)[0] else ""
                if scheme not in ("http", "https", "mailto"):
                    self.problems.append(f"{tag}[{name}={value!r}]")


def _audit(fragment: str | None) -> list[str]:
    if not fragment:
        return []
    audit = _Audit()
    audit.feed(fragment)
    audit.close()
    return audit.problems


@pytest.mark.parametrize("parse", [parse_fast, parse_lenient, parse_feed])
def test_xss_feed_is_sanitized(parse) -> None:  # type: ignore[no-untyped-def]
    url = BASE + "atom10_xss.xml"
    parsed = parse((DATA / "atom10_xss.xml").read_bytes(), url)
    rows = entry_rows(parsed, url)
    assert len(rows) == 3
    for r in rows:
        for field in ("summary", "content"):
            assert _audit(getattr(r, field)) == [], (r.key, field, getattr(r, field))
        for text in (r.title, r.author):  # plain text: no markup at all, no script text
            assert text is None or ("<" not in text and "alert" not in text), text
        assert r.link is None or urlsplit(r.link).scheme in ("http", "https")
        stored = "".join(x or "" for x in (r.title, r.author, r.summary, r.content, r.link))
        assert "<script" not in stored.lower() and "javascript:" not in stored.lower()
    # javascript: and data: entry links never become clickable.
    assert [r.link for r in rows] == ["http://127.0.0.1/xss/1", None, None]
    # The legitimate parts survive.
    assert "Legit text: la campaña, Größe, 日本." in (rows[0].content or "")
    assert 'href="http://127.0.0.1/xss/safe"' in (rows[0].content or "")
    assert rows[1].title == "Bold campaña"


def test_audit_catches_what_it_should() -> None:
    # The XSS test is only as good as its auditor.
    assert _audit('<a href="javascript:x()">a</a>')
    assert _audit('<a href="java\tscript:x()">a</a>')
    assert _audit('<img src="data:image/png;base64,xx">')
    assert _audit('<p onclick="x()">p</p>')
    assert _audit("<iframe src='https://x'></iframe>")
    assert _audit('<p style="color:red">p</p>')
    assert not _audit('<a href="https://x/y">a</a><img src="http://x/i.png" alt="">')
