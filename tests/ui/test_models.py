"""ItemListModel: Qt's model checks, lazy keyset paging, stale pages."""

import pytest
from PySide6.QtCore import QModelIndex
from uihelpers import GOLDEN_ITEMS

from curator import ItemQuery
from curator.errors import StorageError
from ui import errors
from ui.models import ItemListModel


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
