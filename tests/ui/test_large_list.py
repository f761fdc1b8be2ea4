"""100,000 items: the window loads one page at first, more as the list scrolls, and searches."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from uihelpers import source_index

from ui import tasks
from ui.mainwindow import MainWindow

pytestmark = pytest.mark.slow  # building the store takes ~5 s on two cores

ITEMS = 100_000
FEEDS = 20
RARE_WORD = "quasar"
RARE_EVERY = 2_000  # 50 items carry the rare word
WORDS = """release update security kernel browser privacy climate energy market policy research
design developer community open source database network performance reader feed library python
desktop science health city election budget museum review album interview analysis report
campaña diseño señal año música""".split()
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _rows(feed: int, count: int, rng: random.Random, serial: list[int]):
    """Plain-text entries, newest first, as the refresh path stores them (no HTML to sanitize:
    the list, not the sanitizer, is under test)."""
    from curator._storage import EntryRow, iso

    rows = []
    when = NOW
    for k in range(count):
        serial[0] += 1
        words = rng.choices(WORDS, k=8)
        if serial[0] % RARE_EVERY == 0:
            words.insert(3, RARE_WORD)
        title = " ".join(words).capitalize()
        summary = " ".join(rng.choices(WORDS, k=20))
        when -= timedelta(seconds=rng.randint(60, 3600))
        rows.append(
            EntryRow(
                key=f"f{feed}-{k}",
                guid=f"f{feed}-{k}",
                link=f"https://feed{feed}.example.invalid/{k}",
                title=title,
                author=None,
                summary=summary,
                content=None,
                published=iso(when),
                updated=None,
                content_hash=f"{serial[0]:024x}",
                text_summary=summary,
                text_content="",
            )
        )
    return rows


@pytest.fixture(scope="module")
def big_core(tmp_path_factory):
    """A Curator holding 100,000 items in 20 feeds, stored in one transaction (a few seconds)."""
    from curator import Curator

    curator = Curator(tmp_path_factory.mktemp("big") / "data", now=lambda: NOW)
    rng = random.Random(20240601)
    serial = [0]
    feed_ids = [
        curator.add_feed(f"https://feed{n}.example.invalid/feed.xml", fetch=False).feed.id
        for n in range(FEEDS)
    ]
    storage = curator.storage
    with storage.db.transaction() as db:
        for n, feed_id in enumerate(feed_ids):
            storage.store_entries(db, feed_id, _rows(n, ITEMS // FEEDS, rng, serial), NOW)
    assert curator.count_items() == ITEMS
    yield curator
    tasks.wait_for_done(15_000)
    curator.close()


@pytest.fixture
def list_calls(big_core, monkeypatch):
    """Every core.list_items call the UI makes: (query, limit, cursor)."""
    calls = []
    real = big_core.list_items

    def counting(query=None, *, limit=50, cursor=None, with_content=False):
        calls.append((query, limit, cursor))
        return real(query, limit=limit, cursor=cursor, with_content=with_content)

    monkeypatch.setattr(big_core, "list_items", counting)
    return calls


@pytest.fixture
def big_window(qtbot, big_core, list_calls):
    window = MainWindow(big_core)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(
        lambda: (
            window.item_model.rowCount() > 0
            and len(window.source_model.feeds()) == FEEDS
            and tasks.pending() == 0
        ),
        timeout=15_000,
    )
    yield window
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=15_000)


def test_only_the_first_page_is_loaded_at_first(qtbot, big_window, list_calls):
    model = big_window.item_model
    qtbot.wait(300)  # a view asking for more on its own would do it by now
    assert tasks.pending() == 0
    assert model.rowCount() == model.page_size < ITEMS
    assert list_calls == [(model.query, model.page_size, None)]
    assert model.canFetchMore()
    newest = big_window.item_model.item_at(0)
    assert newest.date == max(model.item_at(r).date for r in range(model.rowCount()))


def test_scrolling_to_the_bottom_loads_the_next_page(qtbot, big_window, list_calls):
    model, view = big_window.item_model, big_window.items
    page = model.page_size
    last_of_first_page = model.item_at(page - 1)
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 2 * page and not model.is_loading())
    assert len(list_calls) == 2
    query, limit, cursor = list_calls[1]
    assert (limit, query) == (page, model.query) and cursor is not None
    # The second page continues the first: older items, none repeated.
    assert model.item_at(page).date <= last_of_first_page.date
    ids = {model.item_at(r).id for r in range(model.rowCount())}
    assert len(ids) == 2 * page
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 3 * page and not model.is_loading())
    assert len(list_calls) == 3


def test_a_search_over_all_the_items_shows_its_results(qtbot, big_window, list_calls):
    model = big_window.item_model
    big_window.search.setText(RARE_WORD)
    big_window.search.returnPressed.emit()
    qtbot.waitUntil(lambda: model.query.search == RARE_WORD and not model.is_loading())
    assert model.rowCount() == ITEMS // RARE_EVERY
    titles = [model.item_at(r).title for r in range(model.rowCount())]
    assert all(RARE_WORD in title.lower() for title in titles)
    assert not model.canFetchMore()
    assert list_calls[-1][0].search == RARE_WORD


def test_one_feed_of_the_large_store_pages_too(qtbot, big_window, big_core, list_calls):
    feed = big_core.list_feeds()[3]
    big_window.sources.setCurrentIndex(source_index(big_window, ("feed", feed.id)))
    model = big_window.item_model
    qtbot.waitUntil(lambda: model.query.feed_id == feed.id and not model.is_loading())
    assert model.rowCount() == model.page_size
    assert {model.item_at(r).feed_id for r in range(model.rowCount())} == {feed.id}
    assert list_calls[-1] == (model.query, model.page_size, None)
