"""The keyboard flow (j/k, n/p, space, m, s, o, /, Escape), the reader's actions, the help."""

import dataclasses

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication
from uihelpers import GOLDEN_ITEMS

from ui.help import ShortcutsDialog
from ui.models import ItemListModel


@pytest.fixture
def win(window, qtbot):
    """The main window, active, with the focus in the item list."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.items.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.items)
    return window


def current_row(window):
    rows = window.items.selectionModel().selectedRows()
    return rows[0].row() if rows else -1


def wait_shown(qtbot, window, row):
    """Row row is selected and its item is in the reader."""
    item_id = window.item_model.item_at(row).id
    qtbot.waitUntil(lambda: current_row(window) == row)
    qtbot.waitUntil(lambda: window.reader.item is not None and window.reader.item.id == item_id)


def wait_read(qtbot, window, row, read=True):
    qtbot.waitUntil(lambda: window.item_model.item_at(row).read == read)


def reload_with_read(qtbot, window, core, rows):
    """Mark the items at rows read in the core, then show the list afresh."""
    ids = [window.item_model.item_at(r).id for r in rows]
    core.mark_items(ids, read=True)
    window.item_model.reload()
    qtbot.waitUntil(
        lambda: window.item_model.rowCount() == GOLDEN_ITEMS and not window.item_model.is_loading()
    )
    return ids


def test_j_and_k_move_through_the_list_and_show_the_item(win, qtbot):
    assert current_row(win) == -1
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 0)
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 1)
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 2)
    qtbot.keyClick(win.items, "k")
    wait_shown(qtbot, win, 1)
    assert win.item_model.item_at(1).title in win.reader.toPlainText()


def test_k_at_the_top_stays_there(win, qtbot):
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 0)
    qtbot.keyClick(win.items, "k")
    qtbot.wait(50)
    assert current_row(win) == 0


def test_n_and_p_skip_read_items(win, core, qtbot):
    reload_with_read(qtbot, win, core, [1, 2])
    win.items.selectRow(3)
    wait_shown(qtbot, win, 3)
    wait_read(qtbot, win, 3)
    qtbot.keyClick(win.items, "p")  # 2 and 1 are read
    wait_shown(qtbot, win, 0)
    wait_read(qtbot, win, 0)
    qtbot.keyClick(win.items, "n")  # 1, 2 and now 3 are read
    wait_shown(qtbot, win, 4)


def test_n_fetches_more_pages_to_find_an_unread_item(win, core, qtbot):
    ids = [i.id for i in core.list_items(limit=100).items]
    core.mark_items(ids[:7], read=True)
    model = win.item_model
    model.page_size = 2
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() >= 2 and not model.is_loading())
    qtbot.keyClick(win.items, "n")
    qtbot.waitUntil(lambda: current_row(win) == 7)
    assert model.item_at(7).id == ids[7]


def test_m_toggles_read(win, core, qtbot):
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 0)
    wait_read(qtbot, win, 0)
    item_id = win.item_model.item_at(0).id
    assert core.get_item(item_id).read

    qtbot.keyClick(win.items, "m")
    wait_read(qtbot, win, 0, read=False)
    assert not core.get_item(item_id).read
    index = win.item_model.index(0, ItemListModel.TITLE)
    assert index.data(Qt.ItemDataRole.FontRole).bold()

    qtbot.keyClick(win.items, "m")
    wait_read(qtbot, win, 0, read=True)
    assert core.get_item(item_id).read


def test_s_toggles_star(win, core, qtbot):
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 0)
    item = win.item_model.item_at(0)
    assert not item.starred
    index = win.item_model.index(0, ItemListModel.TITLE)

    qtbot.keyClick(win.items, "s")
    qtbot.waitUntil(lambda: win.item_model.item_at(0).starred)
    assert core.get_item(item.id).starred
    assert index.data() == f"★ {item.title}"

    qtbot.keyClick(win.items, "s")
    qtbot.waitUntil(lambda: not win.item_model.item_at(0).starred)
    assert not core.get_item(item.id).starred
    assert index.data() == item.title


def first_row_with_link(window):
    model = window.item_model
    return next(r for r in range(model.rowCount()) if model.item_at(r).link)


def test_o_opens_the_original_link(win, qtbot, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert not win.keys.open_original_action.isEnabled()  # nothing shown yet
    qtbot.keyClick(win.items, "o")
    assert opened == []

    row = first_row_with_link(win)
    win.items.selectRow(row)
    wait_shown(qtbot, win, row)
    assert win.keys.open_original_action.isEnabled()
    qtbot.keyClick(win.items, "o")
    assert opened == [QUrl(win.item_model.item_at(row).link)]


def test_reader_actions_follow_the_item_shown(win, qtbot):
    row = first_row_with_link(win)
    win.items.selectRow(row)
    wait_shown(qtbot, win, row)
    item = win.reader.item
    win.reader.show_item(dataclasses.replace(item, link=None))
    assert not win.keys.open_original_action.isEnabled()
    assert not win.keys.copy_link_action.isEnabled()
    win.reader.show_item(item)
    assert win.keys.copy_link_action.isEnabled()
    assert win.keys.open_original_action in win.keys.menu.actions()


def test_copy_link_puts_the_link_on_the_clipboard(win, qtbot):
    QGuiApplication.clipboard().setText("before")
    row = first_row_with_link(win)
    win.items.selectRow(row)
    wait_shown(qtbot, win, row)
    win.keys.copy_link_action.trigger()
    assert QGuiApplication.clipboard().text() == win.item_model.item_at(row).link


def test_slash_focuses_search_where_letters_are_typed_not_shortcuts(win, qtbot):
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 0)
    qtbot.keyClick(win.items, "/")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search)
    qtbot.keyClick(win.search, "j")
    qtbot.keyClick(win.search, "m")
    qtbot.keyClick(win.search, Qt.Key.Key_Space)
    assert win.search.text() == "jm "
    qtbot.wait(50)
    assert current_row(win) == 0
    assert win.item_model.item_at(0).read  # "m" did not mark it unread

    qtbot.keyClick(win.search, Qt.Key.Key_Escape)
    assert win.search.text() == ""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.items)
    qtbot.waitUntil(lambda: win.item_model.query.search is None)


def test_space_scrolls_then_moves_to_the_next_item(win, qtbot):
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 0)
    bar = win.reader.verticalScrollBar()
    long_item = dataclasses.replace(win.reader.item, content="<p>Párrafo.</p>" * 300)
    win.reader.show_item(long_item)
    assert bar.maximum() > 0
    qtbot.keyClick(win.items, Qt.Key.Key_Space)
    assert bar.value() > 0
    assert current_row(win) == 0

    bar.setValue(bar.maximum())  # at the bottom: on to the next item
    qtbot.keyClick(win.items, Qt.Key.Key_Space)
    wait_shown(qtbot, win, 1)


def test_space_on_a_short_item_moves_to_the_next(win, qtbot):
    qtbot.keyClick(win.items, "j")
    wait_shown(qtbot, win, 0)
    assert win.reader.verticalScrollBar().maximum() == 0  # a short item: already at its end
    qtbot.keyClick(win.items, Qt.Key.Key_Space)
    wait_shown(qtbot, win, 1)


def test_r_refreshes(win, qtbot):
    qtbot.keyClick(win.items, "r")
    assert not win.refresh_action.isEnabled()  # refreshing
    qtbot.waitUntil(win.refresh_action.isEnabled, timeout=15_000)


def test_help_dialog_lists_the_shortcuts(win, qtbot):
    win.shortcuts_help_action.trigger()
    dialog = win.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "Keyboard shortcuts"
    keys = dialog.keys()
    bound = [a.shortcut().toString() for a in win.keys.item_actions if not a.shortcut().isEmpty()]
    assert set(bound) <= set(keys)
    assert {"/", "R", "Esc"} <= set(keys)
    texts = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert texts[keys.index("J")] == "Next item"
    # Every key bound anywhere in the window is on the sheet.
    everywhere = {
        k.toString() for a in win.findChildren(QAction) for k in a.shortcuts() if not k.isEmpty()
    }
    assert everywhere and everywhere <= set(keys), everywhere - set(keys)
    dialog.close()
