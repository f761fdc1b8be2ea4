"""The starter feeds offered on first run: every field has real-looking https feeds, no dupes."""

from importlib import resources
from urllib.parse import urlsplit

from curator._opml import parse_opml

FIELDS = {"Marketing", "Sales", "Technology", "Finance", "Health"}


def _starter() -> bytes:
    return resources.files("curator").joinpath("resources", "starter-feeds.opml").read_bytes()


def test_every_field_has_feeds_and_nothing_is_skipped():
    result = parse_opml(_starter())
    assert result.skipped == []
    by_field: dict[str, int] = {}
    for outline in result.feeds:
        by_field[outline.folder or ""] = by_field.get(outline.folder or "", 0) + 1
    assert set(by_field) == FIELDS  # every feed sits in one of the five fields
    assert all(count >= 10 for count in by_field.values()), by_field


def test_every_feed_is_https_unique_and_complete():
    feeds = parse_opml(_starter()).feeds
    urls = [outline.url for outline in feeds]
    assert len(urls) == len(set(u.lower() for u in urls))
    for outline in feeds:
        parts = urlsplit(outline.url)
        assert parts.scheme == "https" and parts.hostname, outline
        assert outline.title, outline
        assert outline.site_url and outline.site_url.startswith("https://"), outline


def test_the_core_imports_the_file_into_folders_without_fetching(tmp_path):
    from curator import Curator

    core = Curator(tmp_path / "datos")
    try:
        result = core.import_opml(_starter())
        feeds = core.list_feeds()
    finally:
        core.close()
    assert len(result.added) == len(parse_opml(_starter()).feeds) == len(feeds)
    assert {feed.folder for feed in feeds} == FIELDS
    assert all(feed.last_fetched_at is None for feed in feeds)
