"""Undoing a feed's removal, finding the feeds a page links to, renaming folders."""

from __future__ import annotations

import pytest
from corehelp import add, entry, open_curator, store

from curator import ItemQuery
from curator.errors import FeedExistsError, FeedNotFoundError, FetchError, NotAFeedError
from curator.types import Role


@pytest.fixture
def cur(tmp_path):
    with open_curator(tmp_path / "data") as curator:
        yield curator


def _flags(cur, feed_id):
    page = cur.list_items(ItemQuery(feed_id=feed_id, include_hidden=True), limit=100)
    return {i.title: (i.read, i.starred, i.hidden) for i in page.items}


def test_restore_brings_back_settings_items_flags_and_search(cur) -> None:
    feed_id = add(cur, "kept", folder="Work/News", role=Role.COMPETITOR)
    other = add(cur, "other")
    store(cur, feed_id, [entry(1, summary="<p>zanahoria</p>"), entry(2), entry(3)])
    store(cur, other, [entry(9, summary="zanahoria too")])
    cur.update_feed(feed_id, title="My name", remote_images=True, enabled=False)
    ids = {i.title: i.id for i in cur.list_items(ItemQuery(feed_id=feed_id)).items}
    cur.mark_items([ids["Item 1"]], read=True, starred=True)
    cur.mark_items([ids["Item 2"]], hidden=True)
    before_feed = cur.get_feed(feed_id)
    before_flags = _flags(cur, feed_id)

    removed = cur.remove_feed_undoable(feed_id)

    assert removed.feed == before_feed
    assert removed.items == 3
    with pytest.raises(FeedNotFoundError):
        cur.get_feed(feed_id)
    assert [i.feed_id for i in cur.list_items(ItemQuery(search="zanahoria")).items] == [other]

    restored = cur.restore_feed(removed)

    assert restored == before_feed  # same id, title, role, folder, images, disabled, counts
    assert _flags(cur, feed_id) == before_flags
    assert before_flags["Item 1"] == (True, True, False)
    assert before_flags["Item 2"] == (False, False, True)
    found = cur.list_items(ItemQuery(search="zanahoria")).items
    assert sorted(i.feed_id for i in found) == sorted([feed_id, other])
    assert ids["Item 1"] in {i.id for i in found}
    assert cur.count_items(ItemQuery(starred=True)) == 1


def test_restore_refuses_a_url_subscribed_again_meanwhile(cur) -> None:
    feed_id = add(cur, "again")
    store(cur, feed_id, [entry(1)])
    removed = cur.remove_feed_undoable(feed_id)
    again = cur.add_feed(removed.feed.url, fetch=False).feed

    with pytest.raises(FeedExistsError, match="subscribed again meanwhile"):
        cur.restore_feed(removed)

    assert [f.id for f in cur.list_feeds()] == [again.id]
    assert cur.count_items() == 0  # nothing half-restored


def test_restore_takes_new_ids_when_the_old_ones_were_reused(cur) -> None:
    first = add(cur, "first")
    store(cur, first, [entry(1), entry(2)])
    cur.mark_items([cur.list_items().items[0].id], starred=True)
    removed = cur.remove_feed_undoable(first)
    # SQLite hands the freed ids (the highest ones) to the next feed and its items.
    newcomer = add(cur, "newcomer")
    store(cur, newcomer, [entry(7), entry(8)])
    assert newcomer == first

    restored = cur.restore_feed(removed)

    assert restored.id != newcomer
    assert restored.url == removed.feed.url
    assert restored.total == 2
    assert {i.feed_id for i in cur.list_items(ItemQuery(starred=True)).items} == {restored.id}
    assert cur.count_items(ItemQuery(feed_id=newcomer)) == 2
    assert len(cur.list_items(ItemQuery(search="Item")).items) == 4


def test_remove_feed_keeps_its_old_behaviour(cur) -> None:
    feed_id = add(cur, "plain")
    store(cur, feed_id, [entry(1)])
    removed = cur.remove_feed(feed_id)
    assert removed.id == feed_id
    assert cur.list_feeds() == []
    with pytest.raises(FeedNotFoundError):
        cur.remove_feed_undoable(feed_id)


def test_rename_folder_moves_subfolders_and_respects_case(cur) -> None:
    a = add(cur, "a", folder="Tech")
    b = add(cur, "b", folder="Tech/Python")
    c = add(cur, "c", folder="tech")
    d = add(cur, "d", folder="Technology")
    assert cur.rename_folder("Tech", "Work/Tech") == 2
    assert {f.id: f.folder for f in cur.list_feeds()} == {
        a: "Work/Tech",
        b: "Work/Tech/Python",
        c: "tech",
        d: "Technology",
    }
    assert cur.rename_folder("Work", None) == 2
    assert cur.get_feed(b).folder is None


PAGE = """<!DOCTYPE html><html><head><title>Blog</title>
<link rel="alternate" type="application/rss+xml" title="Comments Feed" href="/comments/feed/">
<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" title="Atom" href="atom.xml">
</head><body><p>Hi</p></body></html>"""

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Posts</title>
<link>http://example.com/</link><item><title>One</title><guid>1</guid></item></channel></rss>"""


def test_find_feeds_lists_what_a_page_links_to(cur, feed_server) -> None:
    page = feed_server.add("/blog/", PAGE, content_type="text/html; charset=utf-8")
    subscribed = cur.add_feed(feed_server.add("/feed.xml", RSS)).feed

    found = cur.find_feeds(page)

    assert [(f.url, f.title, f.page, f.subscribed) for f in found] == [
        (subscribed.url, "Posts", page, True),
        (feed_server.url("/blog/atom.xml"), "Atom", page, False),
        (feed_server.url("/comments/feed/"), "Comments Feed", page, False),
    ]
    assert feed_server.hits("/blog/atom.xml") == 0  # finding fetches only the page


def test_find_feeds_returns_a_feed_url_itself(cur, feed_server) -> None:
    url = feed_server.add("/direct.xml", RSS)
    found = cur.find_feeds(url)
    assert [(f.url, f.page, f.subscribed) for f in found] == [(url, None, False)]


def test_find_feeds_errors(cur, feed_server) -> None:
    bare = feed_server.add(
        "/bare.html", "<!DOCTYPE html><html><head></head><body>x</body>", content_type="text/html"
    )
    with pytest.raises(NotAFeedError, match="links to no feed"):
        cur.find_feeds(bare)
    with pytest.raises(FetchError):
        cur.find_feeds(feed_server.status("/gone", 404))


def test_find_feeds_offline_returns_the_url_for_add_feed_to_keep(cur, feed_server) -> None:
    url = feed_server.url("/unreachable.xml")
    feed_server.stop()  # nothing listens there any more: a network error, not a status
    assert [(f.url, f.page) for f in cur.find_feeds(url)] == [(url, None)]
