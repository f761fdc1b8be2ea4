"""Check tests/data/feeds/expected.json against feedparser and the stdlib: verifies golden data.

expected.json, per file: format, well_formed (strict XML/JSON), title (feed title as plain text),
entries, first = {title (plain text), link (absolute: resolved against xml:base or the feed URL
http://127.0.0.1/feeds/<file>), guid (guid / rdf:about / atom id / JSON id, or null),
published (ISO 8601 UTC: pubDate / dc:date / issued / published / date_published, or null),
updated (when the source has one)}; plus optional extras (entries_min, mojibake_title,
feed_links, page_title, notes, ...).
"""

import datetime as dt
import html
import json
import re
import time
import xml.parsers.expat
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

feedparser = pytest.importorskip("feedparser")

DATA = Path(__file__).parent / "data" / "feeds"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
BASE = "http://127.0.0.1/feeds/"
FP_FORMATS = {
    "rss091n": "rss091",
    "rss091u": "rss091",
    "rss092": "rss092",
    "rss10": "rss10",
    "rss20": "rss20",
    "atom03": "atom03",
    "atom10": "atom10",
}
XML_FILES = sorted(k for k, v in EXPECTED.items() if v["format"] in FP_FORMATS.values())
JSON_FILES = sorted(k for k, v in EXPECTED.items() if v["format"].startswith("jsonfeed"))
HTML_FILES = sorted(k for k, v in EXPECTED.items() if v["format"] == "html")


def _plain(value, detail=None):
    # feedparser keeps markup in html-typed titles; expected.json has the displayed text.
    if value is not None and detail is not None and "html" in (detail.get("type") or ""):
        value = html.unescape(re.sub(r"<[^>]*>", "", value))
    return value


def _iso(struct):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", struct) if struct else None


def _json_iso(value):
    if value is None:
        return None
    when = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _well_formed_xml(data: bytes) -> bool:
    try:
        xml.parsers.expat.ParserCreate().Parse(data, True)
        return True
    except xml.parsers.expat.ExpatError:
        return False


def test_expected_covers_every_file():
    files = {p.name for p in DATA.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", XML_FILES)
def test_feedparser_agrees(name):
    exp = EXPECTED[name]
    data = (DATA / name).read_bytes()
    url = BASE + name
    d = feedparser.parse(data, response_headers={"content-location": url})
    assert _well_formed_xml(data) == exp["well_formed"]
    assert FP_FORMATS[d.version] == exp["format"]
    assert _plain(d.feed.get("title"), d.feed.get("title_detail")) == exp["title"]
    assert exp.get("entries_min", exp["entries"]) <= len(d.entries) == exp["entries"]
    first, e = exp["first"], d.entries[0]
    assert _plain(e.get("title"), e.get("title_detail")) == first["title"]
    assert urljoin(url, e.get("link", "")) == first["link"]
    assert e.get("id") == first["guid"]
    # feedparser files RSS 1.0 dc:date under "updated"; expected.json calls it published.
    assert _iso(e.get("published_parsed") or e.get("updated_parsed")) == first["published"]
    if "updated" in first:
        assert _iso(e.get("updated_parsed")) == first["updated"]


@pytest.mark.parametrize("name", JSON_FILES)
def test_json_feeds_match_by_hand(name):
    # feedparser 6.0 does not read JSON Feed; check the plain JSON instead.
    exp = EXPECTED[name]
    feed = json.loads((DATA / name).read_text(encoding="utf-8"))
    version = {
        "https://jsonfeed.org/version/1": "jsonfeed10",
        "https://jsonfeed.org/version/1.1": "jsonfeed11",
    }[feed["version"]]
    assert version == exp["format"]
    assert feed["title"] == exp["title"] and len(feed["items"]) == exp["entries"]
    first, item = exp["first"], feed["items"][0]
    assert item.get("title") == first["title"]
    assert urljoin(BASE + name, item.get("url", "")) == first["link"]
    assert str(item["id"]) == first["guid"]
    assert _json_iso(item.get("date_published")) == first["published"]
    assert _json_iso(item.get("date_modified")) == first.get("updated")
    if "authors" in first:
        assert [a["name"] for a in item["authors"]] == first["authors"]
        assert item["external_url"] == first["external_url"]


class _FeedLinks(HTMLParser):
    TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")

    def __init__(self):
        super().__init__()
        self.links, self.title, self._in_title = [], "", False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._in_title = tag == "title"
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and "alternate" in rel and a.get("type") in self.TYPES:
            self.links.append({"href": a["href"], "type": a["type"], "title": a.get("title")})

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@pytest.mark.parametrize("name", HTML_FILES)
def test_html_pages(name):
    exp = EXPECTED[name]
    data = (DATA / name).read_bytes()
    p = _FeedLinks()
    p.feed(data.decode("utf-8"))
    found = [dict(link, href=urljoin(BASE + name, link["href"])) for link in p.links]
    assert found == exp["feed_links"] and p.title == exp["page_title"]
    assert _well_formed_xml(data) == exp["well_formed"]
    assert len(feedparser.parse(data).entries) == exp["entries"] == 0
