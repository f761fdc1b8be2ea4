"""ItemListModel: Qt's model checks, lazy keyset paging, stale pages, merging, dates."""

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, QDateTime, QLocale, QModelIndex, Qt, QTime
from uihelpers import FEEDS, GOLDEN_ITEMS

from curator import ItemQuery
from curator.errors import StorageError
from ui import errors
from ui.models import ItemListModel, format_local, format_relative, format_relative_until


@pytest.fixture(autouse=True)
def _models_die_with_their_test(monkeypatch, qapp):
    # A model outliving its test keeps its once-a-minute date tick: in a long run the tick
    # fired on a model whose core and model tester were gone.
    made = []

    class Tracked(ItemListModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setitem(globals(), "ItemListModel", Tracked)
    yield
    for model in made:
        model._date_tick.stop()
        model.deleteLater()
    qapp.processEvents()


def load(qtbot, model, rows):
    qtbot.waitUntil(lambda: model.rowCount() == rows and not model.is_loading())


# The C++ tester reports problems as Qt warnings: make them failures.
@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.parametrize("force_py", [False, True], ids=["cpp", "py"])
def test_item_list_model_passes_qtmodeltester(qtmodeltester, qtbot, core, force_py):
    model = ItemListModel(core, page_size=4)
    qtmodeltester.check(model, force_py=force_py)  # it keeps watching every change below
    model.set_query(ItemQuery())
    load(qtbot, model, GOLDEN_ITEMS)  # the tester calls fetchMore() while it checks
    model.set_read(model.item_at(5).id, True)
    model.set_query(ItemQuery(search="campaña"))
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_loading())
    qtmodeltester.check(model, force_py=force_py)


def test_items_page_in_lazily_with_the_keyset_cursor(qtbot, core):
    model = ItemListModel(core, page_size=4)
    assert not model.canFetchMore(QModelIndex())  # no query yet
    model.set_query(ItemQuery())
    load(qtbot, model, 4)
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    load(qtbot, model, 8)
    model.fetchMore(QModelIndex())
    load(qtbot, model, GOLDEN_ITEMS)
    assert not model.canFetchMore(QModelIndex())
    shown = [model.item_at(row).id for row in range(model.rowCount())]
    assert shown == [i.id for i in core.list_items(limit=100).items]


def test_only_one_page_is_fetched_at_a_time(qtbot, core):
    model = ItemListModel(core, page_size=4)
    model.set_query(ItemQuery())  # first page in flight
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    load(qtbot, model, 4)
    from ui import tasks

    qtbot.waitUntil(lambda: tasks.pending() == 0)
    assert model.rowCount() == 4


def test_a_page_for_a_replaced_query_is_dropped(qtbot, core):
    model = ItemListModel(core, page_size=100)
    model.set_query(ItemQuery())
    model.set_query(ItemQuery(search="primavera"))
    expected = [i.id for i in core.list_items(ItemQuery(search="primavera")).items]
    from ui import tasks

    qtbot.waitUntil(lambda: tasks.pending() == 0)
    assert [model.item_at(r).id for r in range(model.rowCount())] == expected


def test_a_failed_page_is_shown_and_paging_stops(qtbot, core, monkeypatch):
    shown = []
    monkeypatch.setattr(errors, "show_error", lambda parent, exc: shown.append(exc))

    def broken(*args, **kwargs):
        raise StorageError("The database is damaged: file is not a database.")

    monkeypatch.setattr(core, "list_items", broken)
    model = ItemListModel(core)
    model.set_query(ItemQuery())
    qtbot.waitUntil(lambda: len(shown) == 1)
    assert isinstance(shown[0], StorageError)
    assert not model.canFetchMore(QModelIndex())
    assert model.rowCount() == 0


@pytest.mark.parametrize("read", [True, False])
def test_set_read_updates_one_row(qtbot, core, read):
    model = ItemListModel(core)
    model.set_query(ItemQuery())
    load(qtbot, model, GOLDEN_ITEMS)
    item = model.item_at(3)
    with qtbot.waitSignal(model.dataChanged) if read else qtbot.assertNotEmitted(model.dataChanged):
        model.set_read(item.id, read)
    assert model.item_at(3).read is read


# ---- merging items a refresh stored ---------------------------------------------------------

NEWER = b"""
    <item><title>Lo nuevo</title><guid>tag:example.com,2024:merge/new</guid>
      <pubDate>Fri, 08 Mar 2024 10:00:00 GMT</pubDate><description>Nuevo.</description></item>
"""
OLDER = b"""
    <item><title>Lo antiguo</title><guid>tag:example.com,2001:merge/old</guid>
      <pubDate>Mon, 01 Jan 2001 10:00:00 GMT</pubDate><description>Antiguo.</description></item>
"""


def store_more_items(core, feed_server, *extra):
    """Serve rss20.xml with extra items and refresh it, as a refresh in the background would."""
    body = (FEEDS / "rss20.xml").read_bytes().replace(b"<item>", b"".join(extra) + b"<item>", 1)
    feed_server.add("/feeds/rss20.xml", body)
    feed = next(f for f in core.list_feeds() if f.url.endswith("/feeds/rss20.xml"))
    assert core.refresh([feed.id]).new_items == len(extra)


def ids(model):
    return [model.item_at(row).id for row in range(model.rowCount())]


def assert_rows_map_is_right(model):
    assert all(model.row_of(item_id) == row for row, item_id in enumerate(ids(model)))


def test_merge_inserts_new_items_in_order_without_a_reset(qtbot, core, feed_server):
    model = ItemListModel(core, page_size=100)
    model.set_query(ItemQuery())
    load(qtbot, model, GOLDEN_ITEMS)
    store_more_items(core, feed_server, NEWER, OLDER)
    resets, inserted = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    with qtbot.waitSignal(model.items_merged) as merged:
        model.merge_new_items()
    assert merged.args == [2]
    assert resets == []
    assert ids(model) == [i.id for i in core.list_items(limit=100).items]
    assert model.item_at(0).title == "Lo nuevo"
    assert model.item_at(GOLDEN_ITEMS + 1).title == "Lo antiguo"  # everything is loaded
    assert sorted(inserted) == [(0, 0), (GOLDEN_ITEMS + 1, GOLDEN_ITEMS + 1)]
    assert_rows_map_is_right(model)

    with qtbot.waitSignal(model.items_merged) as merged:  # nothing new: nothing moves
        model.merge_new_items()
    assert merged.args == [0]


def test_merge_leaves_items_older_than_the_loaded_rows_to_paging(qtbot, core, feed_server):
    model = ItemListModel(core, page_size=4)
    model.set_query(ItemQuery())
    load(qtbot, model, 4)
    store_more_items(core, feed_server, NEWER, OLDER)
    with qtbot.waitSignal(model.items_merged):
        model.merge_new_items()
    assert model.rowCount() == 5
    assert model.item_at(0).title == "Lo nuevo"
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.is_loading())
    # The old item came with its page, once; nothing is shown twice.
    assert ids(model) == [i.id for i in core.list_items(limit=100).items]
    assert_rows_map_is_right(model)


def test_an_oldest_first_list_read_to_its_end_reads_on_when_items_arrive(
    qtbot, core, feed_server
):
    model = ItemListModel(core, page_size=100)
    query = ItemQuery(oldest_first=True)
    model.set_query(query)
    load(qtbot, model, GOLDEN_ITEMS)
    before = ids(model)
    assert before == [i.id for i in core.list_items(limit=100).items][::-1]
    store_more_items(core, feed_server, NEWER)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.merge_new_items()
    load(qtbot, model, GOLDEN_ITEMS + 1)
    assert resets == []
    assert ids(model)[:-1] == before and model.item_at(GOLDEN_ITEMS).title == "Lo nuevo"
    assert ids(model) == [i.id for i in core.list_items(query, limit=100).items]
    assert_rows_map_is_right(model)


def test_merge_updates_rows_whose_item_changed(qtbot, core, feed_server):
    model = ItemListModel(core)
    model.set_query(ItemQuery())
    load(qtbot, model, GOLDEN_ITEMS)
    row = 2
    core.mark_items([model.item_at(row).id], starred=True)  # e.g. another window starred it
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.merge_new_items()
    assert changed.args[0].row() == row
    assert model.item_at(row).starred


def test_a_merge_for_a_replaced_query_is_dropped(qtbot, core, feed_server):
    model = ItemListModel(core)
    model.set_query(ItemQuery())
    load(qtbot, model, GOLDEN_ITEMS)
    store_more_items(core, feed_server, NEWER)
    feed = next(f for f in core.list_feeds() if f.url.endswith("/feeds/atom10.xml"))
    model.merge_new_items()
    model.set_query(ItemQuery(feed_id=feed.id))  # before the merge's page arrives
    from ui import tasks

    qtbot.waitUntil(lambda: tasks.pending() == 0)
    assert {model.item_at(r).feed_id for r in range(model.rowCount())} == {feed.id}


def test_search_results_are_reloaded_not_merged(qtbot, core, feed_server):
    model = ItemListModel(core)
    model.set_query(ItemQuery(search="novedad OR nuevo"))
    qtbot.waitUntil(lambda: not model.is_loading())
    assert not model.merges_in_place
    store_more_items(core, feed_server, NEWER)
    with qtbot.waitSignal(model.modelReset):
        model.merge_new_items()
    qtbot.waitUntil(lambda: not model.is_loading())
    assert "Lo nuevo" in [model.item_at(r).title for r in range(model.rowCount())]


@pytest.mark.qt_log_level_fail("WARNING")
def test_merging_passes_qtmodeltester(qtmodeltester, qtbot, core, feed_server):
    model = ItemListModel(core, page_size=4)
    model.set_query(ItemQuery())
    load(qtbot, model, 4)
    qtmodeltester.check(model, force_py=True)
    store_more_items(core, feed_server, NEWER, OLDER)
    with qtbot.waitSignal(model.items_merged):
        model.merge_new_items()
    load(qtbot, model, GOLDEN_ITEMS + 2)  # the tester pages on while it checks
    qtmodeltester.check(model, force_py=True)


# ---- dates -----------------------------------------------------------------------------------


def local(year, month, day, hour, minute=0):
    """A local wall-clock time as the aware UTC datetime the core hands out."""
    when = QDateTime(QDate(year, month, day), QTime(hour, minute))
    return datetime.fromtimestamp(when.toSecsSinceEpoch(), UTC)


@pytest.mark.parametrize(
    ("when", "now", "expected"),
    [
        (local(2024, 3, 6, 12) - timedelta(seconds=30), local(2024, 3, 6, 12), "Just now"),
        (local(2024, 3, 6, 11, 59), local(2024, 3, 6, 12), "1 min ago"),
        (local(2024, 3, 6, 12, 0), local(2024, 3, 6, 11, 59), "Just now"),  # a clock ahead
        (local(2024, 3, 6, 11, 55), local(2024, 3, 6, 12), "5 min ago"),
        (local(2024, 3, 6, 9, 0), local(2024, 3, 6, 12), "3 h ago"),
        (local(2024, 3, 5, 23, 0), local(2024, 3, 6, 1), "2 h ago"),  # across midnight
        (local(2024, 3, 6, 1, 0), local(2024, 3, 6, 23), "22 h ago"),  # still today
        (local(2024, 3, 5, 8, 0), local(2024, 3, 6, 12), "Yesterday"),
        (local(2024, 3, 4, 23, 0), local(2024, 3, 6, 12), None),  # two days back: the date
        (local(2024, 3, 9, 12, 0), local(2024, 3, 6, 12), None),  # the future: the date
    ],
)
def test_recent_dates_read_relative_older_ones_as_dates(when, now, expected):
    if expected is None:
        date = QDateTime.fromSecsSinceEpoch(int(when.timestamp())).date()
        expected = QLocale().toString(date, QLocale.FormatType.ShortFormat)
        assert expected  # a real date, not an empty cell
    assert format_relative(when, now) == expected


def test_the_date_column_is_relative_with_the_full_date_as_tooltip(qtbot, core):
    newest = core.list_items(limit=1).items[0]
    now = newest.date + timedelta(minutes=7)
    model = ItemListModel(core, now=lambda: now)
    model.set_query(ItemQuery())
    load(qtbot, model, GOLDEN_ITEMS)
    index = model.index(0, ItemListModel.DATE)
    assert index.data() == "7 min ago"
    assert index.data(Qt.ItemDataRole.ToolTipRole) == format_local(newest.date, long=True)
    assert model.index(GOLDEN_ITEMS - 1, ItemListModel.DATE).data() == format_relative(
        model.item_at(GOLDEN_ITEMS - 1).date, now
    )


@pytest.mark.parametrize(
    "when",
    [
        local(2024, 3, 6, 12),
        local(2024, 3, 6, 23, 30),  # its "h ago" runs past midnight
        local(2024, 3, 6, 1, 0) + timedelta(seconds=17),
    ],
)
def test_a_relative_date_holds_until_the_moment_it_gives(when):
    # The list caches a date's text until that moment: it must never read otherwise before.
    now, end = when - timedelta(minutes=5), when + timedelta(days=3)
    step = timedelta(seconds=37)
    while now < end:
        text, until = format_relative_until(when, now)
        assert until > now.timestamp()
        probe = now
        while probe.timestamp() < min(until, end.timestamp()):
            assert format_relative(when, probe) == text, (now, probe)
            probe += step
        now = probe if probe > now else now + step


def test_the_date_column_ages_between_ticks(qtbot, core):
    newest = core.list_items(limit=1).items[0]
    clock = [newest.date + timedelta(minutes=7)]
    model = ItemListModel(core, now=lambda: clock[0])
    model.set_query(ItemQuery())
    load(qtbot, model, GOLDEN_ITEMS)
    index = model.index(0, ItemListModel.DATE)
    assert index.data() == "7 min ago"
    clock[0] += timedelta(seconds=59)
    assert index.data() == "7 min ago"
    clock[0] += timedelta(seconds=1)
    assert index.data() == "8 min ago"  # a repaint a minute on shows it, tick or not
    clock[0] += timedelta(hours=2)
    assert index.data() == "2 h ago"
    clock[0] -= timedelta(hours=3)  # a clock set back is followed too
    assert index.data() == format_relative(newest.date, clock[0])
