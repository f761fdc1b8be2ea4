"""The refresh pipeline's decisions: backoff, due feeds, item identity, dates, re-seen items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from corehelp import T0, Clock, add, entry, open_curator, store

from curator import Curator
from curator._fetch import Fetched, HTTPStatusError, parse_retry_after
from curator._storage import FeedForUpdate, iso
from curator._types import ParsedEntry, ParsedFeed
from curator._update import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    Retrieved,
    entry_rows,
    is_due,
    next_retry,
    store_one,
)
from curator.errors import FetchError
from curator.types import Outcome

URL = "https://example.com/feed.xml"


def feed(**kw: object) -> FeedForUpdate:
    base: dict[str, object] = dict(id=1, url=URL, etag=None, last_modified=None, title=None,
                                   site_url=None, error_count=0, last_error=None,
                                   next_retry_at=None, disabled=False)
    base.update(kw)
    return FeedForUpdate(**base)  # type: ignore[arg-type]


def rows(*entries: ParsedEntry, url: str = URL, base: str | None = None):  # type: ignore[no-untyped-def]
    return entry_rows(ParsedFeed("F", None, list(entries), "test", base), url)


# ---- backoff --------------------------------------------------------------------------------


def test_backoff_is_exponential_and_capped() -> None:
    delays = [next_retry(n, T0) - T0 for n in range(1, 12)]
    assert delays[:4] == [BACKOFF_BASE, BACKOFF_BASE * 2, BACKOFF_BASE * 4, BACKOFF_BASE * 8]
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    assert delays[-1] == BACKOFF_CAP
    assert next_retry(0, T0) - T0 == BACKOFF_BASE


@pytest.mark.parametrize("errors", [38, 40, 100, 10_000])
def test_backoff_never_overflows(errors: int) -> None:
    # A feed dead for weeks keeps counting errors; the refresh must not crash on it.
    assert next_retry(errors, T0) == T0 + BACKOFF_CAP


def test_retry_after_is_honoured_when_later() -> None:
    later = T0 + timedelta(hours=3)
    assert next_retry(1, T0, later) == later
    sooner = T0 + timedelta(minutes=1)
    assert next_retry(1, T0, sooner) == T0 + BACKOFF_BASE  # never sooner than our own backoff
    far = T0 + timedelta(days=365)
    assert T0 + BACKOFF_CAP < next_retry(1, T0, far) <= T0 + timedelta(days=7)


def test_parse_retry_after() -> None:
    assert parse_retry_after("120", T0) == T0 + timedelta(seconds=120)
    assert parse_retry_after("Sat, 01 Jun 2024 15:00:00 GMT", T0) == T0 + timedelta(hours=3)
    for junk in (None, "", "soon", "-5", "1.5", "99999999999999999999"):
        assert parse_retry_after(junk, T0) is None


def test_is_due() -> None:
    assert is_due(feed(), T0)
    assert is_due(feed(next_retry_at=T0), T0)
    assert is_due(feed(next_retry_at=T0 - timedelta(seconds=1)), T0)
    assert not is_due(feed(next_retry_at=T0 + timedelta(seconds=1)), T0)
    assert not is_due(feed(disabled=True), T0)
    assert not is_due(feed(disabled=True, next_retry_at=T0 - timedelta(days=1)), T0)


# ---- item identity --------------------------------------------------------------------------


def test_identity_guid_then_link_then_hash() -> None:
    by_guid, by_link, by_hash = rows(
        entry(1, guid="urn:a", link="https://example.com/a"),
        entry(2, guid=None, link="/b"),
        entry(3, guid=None, link=None, title="Only a title"),
    )
    assert by_guid.key == "urn:a"
    assert by_link.key == "https://example.com/b" and by_link.link == by_link.key
    assert by_hash.key.startswith("sha1:")


def test_guid_equal_to_relative_link_keys_by_absolute_link() -> None:
    (row,) = rows(entry(1, guid="/post/1", link="/post/1"))
    assert row.key == row.link == "https://example.com/post/1"


def test_hash_identity_is_stable_and_ignores_markup_serialization() -> None:
    a = entry(1, guid=None, link=None, title="T", summary='<a href="x" title="y">Hi</a> there')
    b = entry(1, guid=None, link=None, title="T", summary='<a title="y" href="x">Hi</a>  there')
    assert rows(a)[0].key == rows(a)[0].key == rows(b)[0].key
    c = entry(1, guid=None, link=None, title="T", summary="Something else")
    assert rows(c)[0].key != rows(a)[0].key


def test_same_guid_distinct_links_kept_apart_true_duplicates_dropped() -> None:
    out = rows(
        entry(1, guid="dup", link="https://example.com/one", title="One"),
        entry(2, guid="dup", link="https://example.com/two", title="Two"),
        entry(3, guid="dup", link="https://example.com/one", title="One again"),
    )
    assert [r.title for r in out] == ["One", "Two"]
    assert len({r.key for r in out}) == 2
    assert out[0].key == "dup"  # the first keeps the plain guid, so it matches older stores


def test_dates_are_normalised_to_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    (row,) = rows(entry(1, published=datetime(2024, 3, 5, 10, 15, tzinfo=tokyo),
                        updated=datetime(2024, 3, 5, 9, 0, 30, 123456, tzinfo=UTC)))
    assert row.published == "2024-03-05T01:15:00Z"
    assert row.updated == "2024-03-05T09:00:30Z"
    assert iso(datetime(2024, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=-2)))) == (
        "2024-01-02T01:30:00Z")


def test_updated_stands_in_for_missing_published() -> None:
    (row,) = rows(entry(1, published=None, updated=datetime(2024, 3, 1, tzinfo=UTC)))
    assert row.published == "2024-03-01T00:00:00Z"


def test_unsafe_links_are_dropped_relative_ones_resolved() -> None:
    out = rows(
        entry(1, link="javascript:alert(1)"), entry(2, link="data:text/html,x"),
        entry(3, link="../up"), entry(4, link=" https://example.com/spaced "),
        url="https://example.com/blog/feed.xml",
    )
    assert [r.link for r in out] == [None, None, "https://example.com/up",
                                     "https://example.com/spaced"]


def test_content_equal_to_summary_is_not_stored_twice() -> None:
    (row,) = rows(entry(1, summary="<p>Same</p>", content="<p>Same</p>"))
    assert row.summary == "<p>Same</p>" and row.content is None


# ---- storing re-seen items ------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cur(tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    with open_curator(tmp_path, clock) as c:
        yield c


def test_reseen_item_updates_content_keeps_state(cur: Curator, clock: Clock) -> None:
    f = add(cur, "a")
    assert store(cur, f, [entry(1, summary="v1"), entry(2)]) == (2, 0)
    item = next(it for it in cur.list_items().items if it.title == "Item 1")
    cur.mark_items([item.id], read=True, starred=True)
    clock.advance(hours=2)
    assert store(cur, f, [entry(1, summary="v2", title="Item 1 (fixed)"), entry(2)]) == (0, 1)
    again = cur.get_item(item.id)
    assert (again.summary, again.title) == ("v2", "Item 1 (fixed)")
    assert again.read and again.starred
    assert again.first_seen == T0
    assert cur.count_items() == 2
    assert store(cur, f, [entry(1, summary="v2", title="Item 1 (fixed)")]) == (0, 0)


def test_item_without_date_uses_first_seen(cur: Curator, clock: Clock) -> None:
    f = add(cur, "a")
    clock.advance(days=3)
    first_seen = clock.now
    store(cur, f, [entry(1, published=None)])
    clock.advance(days=1)
    store(cur, f, [entry(1, published=None, summary="edited")])
    (item,) = cur.list_items().items
    assert item.published is None
    assert item.first_seen == item.date == first_seen


def test_same_guid_in_two_feeds_are_two_items(cur: Curator) -> None:
    a, b = add(cur, "a"), add(cur, "b")
    store(cur, a, [entry(1)])
    store(cur, b, [entry(1)])
    assert cur.count_items() == 2


def _retrieved(f: FeedForUpdate, error: Exception | None = None, **fetched: object) -> Retrieved:
    if error is not None:
        return Retrieved(f, None, None, [], error, 0.1)  # type: ignore[arg-type]
    got = Fetched(200, None, f.url, None, '"e1"', None, "application/rss+xml")
    got = got.__class__(**{**got.__dict__, **fetched})
    parsed = ParsedFeed("<b>Feed</b> &amp; co", "/home", [entry(1)], "test", f.url)
    return Retrieved(f, got, parsed, entry_rows(parsed, f.url), None, 0.1)


def test_store_one_failures_back_off_and_410_disables(cur: Curator, clock: Clock) -> None:
    fid = add(cur, "a")

    def run(r: Retrieved):  # type: ignore[no-untyped-def]
        with cur.storage.db.transaction() as db:
            return store_one(cur.storage, db, r, clock.now)

    out = run(_retrieved(cur.storage.feeds_for_update([fid])[0], FetchError("Boom.")))
    assert out.outcome is Outcome.FAILED and out.next_retry_at == T0 + BACKOFF_BASE
    got = cur.get_feed(fid)
    assert (got.error_count, got.last_error, got.next_retry_at) == (1, "Boom.", T0 + BACKOFF_BASE)
    out = run(_retrieved(cur.storage.feeds_for_update([fid])[0], FetchError("Boom.")))
    assert cur.get_feed(fid).next_retry_at == T0 + 2 * BACKOFF_BASE
    out = run(_retrieved(cur.storage.feeds_for_update([fid])[0]))
    got = cur.get_feed(fid)
    assert out.outcome is Outcome.OK and out.new_items == 1
    assert (got.error_count, got.last_error, got.next_retry_at) == (0, None, None)
    assert got.title == "Feed & co" and got.site_url == "https://a.example.com/home"
    gone = HTTPStatusError("Gone.", 410)
    run(_retrieved(cur.storage.feeds_for_update([fid])[0], gone))
    got = cur.get_feed(fid)
    assert got.disabled and got.next_retry_at is None
    assert not is_due(cur.storage.feeds_for_update([fid])[0], clock.now + timedelta(days=30))


def test_store_one_ignores_unsafe_site_url(cur: Curator) -> None:
    fid = add(cur, "a")
    f = cur.storage.feeds_for_update([fid])[0]
    parsed = ParsedFeed("T", "javascript:alert(1)", [], "test", f.url)
    got = Fetched(200, None, f.url, None, None, None, None)
    with cur.storage.db.transaction() as db:
        store_one(cur.storage, db, Retrieved(f, got, parsed, [], None, 0.0), T0)
    assert cur.get_feed(fid).site_url is None
