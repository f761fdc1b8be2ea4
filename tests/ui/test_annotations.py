"""Annotating the item shown (commentary and private note), its marker and filter in the list,
and the ways into the composer: c, and Quote in post."""

import threading
import time

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QApplication
from uihelpers import GOLDEN_ITEMS

from curator import ItemQuery
from curator.types import Annotation
from ui import composer, tasks
from ui.annotations import SaveQueue, selected_quote
from ui.models import ItemListModel

OPINION = "¿Qué opino? Que la campaña va bien."


@pytest.fixture
def composed(monkeypatch):
    """Every call of the composer's entry point, instead of its window."""
    calls = []
    monkeypatch.setattr(
        composer, "open_composer", lambda window, **kwargs: calls.append((window, kwargs))
    )
    return calls


@pytest.fixture
def win(window, qtbot):
    """The main window, active, with the focus in the item list."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.items.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.items)
    return window


def type_text(widget, text):
    """Key presses carrying each character, as a keyboard sends them (QTest's keyClicks takes
    ASCII only)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def show(qtbot, window, row):
    """Select row; wait until the reader shows its item and the panel holds its texts."""
    item_id = window.item_model.item_at(row).id
    window.items.selectRow(row)
    qtbot.waitUntil(lambda: window.reader.item is not None and window.reader.item.id == item_id)
    panel = window.annotations
    qtbot.waitUntil(lambda: panel.item_id == item_id and panel.is_loaded())
    return item_id


def settled(qtbot, window):
    qtbot.waitUntil(lambda: not window.annotations.is_saving() and tasks.pending() == 0)


def commentary_in_core(core, item_id):
    found = core.annotation(item_id)
    return found.commentary if found else None


def row_text(window, item_id):
    return window.item_model.index(window.item_model.row_of(item_id), ItemListModel.TITLE).data()


def test_a_commentary_typed_is_in_the_core_within_a_second(window, core, qtbot):
    item_id = show(qtbot, window, 0)
    panel = window.annotations
    assert panel.commentary.toPlainText() == "" and not panel.commentary.isReadOnly()
    assert "used in posts" in panel.commentary_label.text()
    assert panel.commentary.placeholderText() and panel.note.placeholderText()
    type_text(panel.commentary, OPINION)
    assert panel.status.text() == "Saving…"  # debounced: nothing written yet
    qtbot.waitUntil(lambda: commentary_in_core(core, item_id) == OPINION, timeout=1000)
    type_text(panel.note, "Nota privada: preguntar a Begoña.")
    qtbot.waitUntil(
        lambda: core.annotation(item_id).note == "Nota privada: preguntar a Begoña.", timeout=1000
    )
    assert core.annotation(item_id).commentary == OPINION
    settled(qtbot, window)
    assert panel.status.text() == "Saved"


def test_a_failed_save_is_retried_without_more_typing(window, core, qtbot, monkeypatch):
    import ui.annotations

    monkeypatch.setattr(ui.annotations, "RETRY_DELAY_MS", 50)
    item_id = show(qtbot, window, 0)
    panel = window.annotations
    working = core.annotate

    def full_disk(*args, **kwargs):
        raise OSError("disco lleno")

    monkeypatch.setattr(core, "annotate", full_disk)
    type_text(panel.commentary, OPINION)
    qtbot.waitUntil(lambda: panel.status.text() == "Not saved")
    monkeypatch.setattr(core, "annotate", working)  # room again; the user typed nothing more
    qtbot.waitUntil(lambda: commentary_in_core(core, item_id) == OPINION)
    qtbot.waitUntil(lambda: panel.status.text() == "Saved")


def test_the_panel_loads_what_the_core_holds(window, core, qtbot):
    item_id = window.item_model.item_at(2).id
    core.annotate(item_id, note="Sólo para mí", commentary="Lo comparto mañana")
    show(qtbot, window, 2)
    assert window.annotations.commentary.toPlainText() == "Lo comparto mañana"
    assert window.annotations.note.toPlainText() == "Sólo para mí"
    assert window.annotations.status.text() == ""  # nothing written on it yet
    settled(qtbot, window)
    assert core.annotation(item_id).updated_at is not None  # loading never wrote


def test_switching_items_quickly_never_saves_one_items_text_on_another(window, core, qtbot):
    panel = window.annotations
    a = show(qtbot, window, 0)
    type_text(panel.commentary, "Texto de A: ¡qué buena idea!")
    b = show(qtbot, window, 1)  # at once: A's text has not been saved yet
    assert panel.commentary.toPlainText() == ""
    type_text(panel.commentary, "Texto de B: año nuevo")
    type_text(panel.note, "Nota de B")
    c = show(qtbot, window, 2)
    a_again = show(qtbot, window, 0)  # possibly before A's save returned: its newest text
    assert a_again == a
    assert panel.commentary.toPlainText() == "Texto de A: ¡qué buena idea!"
    settled(qtbot, window)
    assert commentary_in_core(core, a) == "Texto de A: ¡qué buena idea!"
    assert core.annotation(a).note == ""
    assert commentary_in_core(core, b) == "Texto de B: año nuevo"
    assert core.annotation(b).note == "Nota de B"
    assert core.annotation(c) is None
    show(qtbot, window, 1)
    assert panel.commentary.toPlainText() == "Texto de B: año nuevo"
    assert panel.note.toPlainText() == "Nota de B"


class HeldCore:
    """The real core, whose annotate() waits until the test lets it go."""

    def __init__(self, core):
        self.core = core
        self.go = threading.Event()

    def annotate(self, item_id, **texts):
        self.go.wait(10)
        return self.core.annotate(item_id, **texts)


def test_coming_back_before_the_save_is_done_shows_the_text_typed(window, core, qtbot):
    panel = window.annotations
    held = HeldCore(core)
    panel.queue.core = held
    a = show(qtbot, window, 0)
    type_text(panel.commentary, "Todavía guardándose")
    show(qtbot, window, 1)
    show(qtbot, window, 0)
    assert core.annotation(a) is None  # the save is still waiting
    assert panel.commentary.toPlainText() == "Todavía guardándose"
    assert panel.status.text() == "Saving…"
    held.go.set()
    settled(qtbot, window)
    assert commentary_in_core(core, a) == "Todavía guardándose"
    assert panel.status.text() == "Saved"


def test_typing_then_closing_the_window_saves(window, core, qtbot):
    item_id = show(qtbot, window, 3)
    type_text(window.annotations.commentary, "Escrito justo antes de cerrar")
    window.close()
    qtbot.waitUntil(lambda: tasks.pending() == 0)
    assert commentary_in_core(core, item_id) == "Escrito justo antes de cerrar"


class SlowCore:
    """annotate() that takes a while and records the order and any overlap of the calls."""

    def __init__(self):
        self.calls = []
        self.running = 0
        self.overlapped = False
        self.lock = threading.Lock()

    def annotate(self, item_id, *, note, commentary):
        with self.lock:
            self.running += 1
            self.overlapped |= self.running > 1
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
            self.calls.append((item_id, commentary))
        if commentary == "falla":
            raise ValueError("disco lleno")
        return Annotation(item_id, note, commentary, None)


def test_saves_run_one_at_a_time_in_order_and_newest_text_last(qtbot):
    core = SlowCore()
    queue = SaveQueue(core)
    results = []
    queue.saved.connect(results.extend)
    for n in range(1, 6):  # five versions of item 1 while the first save runs
        queue.put(1, ("", f"versión {n}"))
        queue.put(2, ("", "falla"))  # a failing item does not stop the others
    qtbot.waitUntil(lambda: tasks.pending() == 0)
    assert not core.overlapped
    ones = [c for i, c in core.calls if i == 1]
    assert ones == sorted(ones)  # never an older text after a newer one
    assert ones[-1] == "versión 5"
    assert len(ones) < 5  # texts superseded while waiting were never written
    failed = [outcome for i, _t, outcome in results if i == 2]
    assert failed and all(isinstance(f, ValueError) for f in failed)


def test_a_commented_item_is_marked_in_the_list_and_unmarked_when_emptied(window, core, qtbot):
    item_id = show(qtbot, window, 1)
    title = window.item_model.item_at(1).title
    assert not row_text(window, item_id).startswith("✎")
    type_text(window.annotations.note, "Sólo una nota privada")
    settled(qtbot, window)
    assert not row_text(window, item_id).startswith("✎")  # a note is not a commentary
    type_text(window.annotations.commentary, OPINION)
    qtbot.waitUntil(lambda: row_text(window, item_id) == f"✎ {title}")
    index = window.item_model.index(window.item_model.row_of(item_id), ItemListModel.TITLE)
    assert "You wrote a commentary on this item" in index.data(Qt.ItemDataRole.ToolTipRole)
    window.annotations.commentary.clear()
    qtbot.waitUntil(lambda: row_text(window, item_id) == title)
    settled(qtbot, window)
    assert core.annotation(item_id).commentary == ""
    # A list loaded afresh marks it from the core's has_commentary.
    core.annotate(item_id, commentary="Desde la línea de órdenes")
    window.item_model.reload()
    qtbot.waitUntil(lambda: window.item_model.row_of(item_id) is not None)
    assert row_text(window, item_id) == f"✎ {title}"


def test_the_annotated_toggle_narrows_the_list(window, core, qtbot):
    items = [window.item_model.item_at(r).id for r in range(GOLDEN_ITEMS)]
    core.annotate(items[4], note="Revisar el lunes")
    core.annotate(items[7], commentary=OPINION)
    window.annotated_filter.click()
    qtbot.waitUntil(lambda: window.item_model.query.annotated)
    qtbot.waitUntil(
        lambda: not window.item_model.is_loading() and window.item_model.rowCount() == 2
    )
    shown = {window.item_model.item_at(r).id for r in range(2)}
    assert shown == {items[4], items[7]}
    window.annotated_filter.click()
    qtbot.waitUntil(lambda: window.item_model.rowCount() == GOLDEN_ITEMS)
    assert not window.item_model.query.annotated


def test_the_search_box_finds_an_item_by_its_commentary(window, core, qtbot):
    before = {i.id for i in core.list_items(ItemQuery(search="campana")).items}
    row = next(r for r in range(GOLDEN_ITEMS) if window.item_model.item_at(r).id not in before)
    item_id = show(qtbot, window, row)
    type_text(window.annotations.commentary, OPINION)
    settled(qtbot, window)
    type_text(window.search, "campana")  # without the tilde, as people type
    qtbot.waitUntil(lambda: window.item_model.query.search == "campana")
    qtbot.waitUntil(lambda: not window.item_model.is_loading())
    found = {window.item_model.item_at(r).id for r in range(window.item_model.rowCount())}
    assert item_id in found
    assert found == before | {item_id}


def select_two_paragraphs(reader):
    """Select from the start of the document to the end of its second block."""
    cursor = reader.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.NextBlock, QTextCursor.MoveMode.KeepAnchor)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    reader.setTextCursor(cursor)
    doc = reader.document()
    first, second = doc.firstBlock(), doc.firstBlock().next()
    return f"{first.text()}\n{second.text()}".strip()


def test_quote_in_post_hands_the_selection_and_the_item_to_the_composer(window, qtbot, composed):
    item_id = show(qtbot, window, 0)
    quote_action = window.keys.quote_action
    assert not quote_action.isEnabled()  # nothing selected
    expected = select_two_paragraphs(window.reader)
    assert "\n" in expected and "\u2029" not in expected
    assert "\u2029" in window.reader.textCursor().selectedText()
    assert selected_quote(window.reader) == expected
    assert quote_action.isEnabled()
    menu = window.reader.context_menu(QPoint(5, 5))
    assert quote_action in menu.actions()
    assert quote_action in window.keys.menu.actions()
    menu.deleteLater()
    quote_action.trigger()
    qtbot.waitUntil(lambda: len(composed) == 1)
    assert composed == [(window, {"item_id": item_id, "quote": expected})]


def test_quote_in_post_is_disabled_without_a_selection(window, qtbot, composed):
    show(qtbot, window, 0)
    select_two_paragraphs(window.reader)
    assert window.keys.quote_action.isEnabled()
    cursor = window.reader.textCursor()
    cursor.clearSelection()
    window.reader.setTextCursor(cursor)
    assert not window.keys.quote_action.isEnabled()
    window.keys.quote_action.trigger()  # a disabled action does nothing
    select_two_paragraphs(window.reader)
    show(qtbot, window, 1)  # another item: nothing of it is selected
    assert not window.keys.quote_action.isEnabled()
    qtbot.wait(50)
    assert composed == []


def test_c_starts_a_post_from_the_item_shown_after_saving_its_commentary(
    win, core, qtbot, composed, monkeypatch
):
    assert not win.keys.compose_action.isEnabled()  # no item shown yet
    item_id = show(qtbot, win, 2)
    assert win.keys.compose_action in win.keys.menu.actions()
    assert win.keys.compose_action.shortcut().toString() == "C"
    editor = win.annotations.commentary
    editor.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor)
    type_text(editor, "¡Hay que leerlo!")
    qtbot.keyClicks(editor, " con calma")  # c typed in the editor is text, not the shortcut
    assert editor.toPlainText() == "¡Hay que leerlo! con calma"
    assert composed == []
    # The composer reads the commentary from the core: it must be there when it opens.
    in_core_then = []
    composed_now = composer.open_composer
    monkeypatch.setattr(
        composer,
        "open_composer",
        lambda window, **kw: (
            in_core_then.append(commentary_in_core(core, item_id)),
            composed_now(window, **kw),
        ),
    )
    win.items.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.items)
    qtbot.keyClick(win.items, "c")  # at once: the last keys typed are not saved yet
    qtbot.waitUntil(lambda: len(composed) == 1)
    assert composed == [(win, {"item_id": item_id})]
    assert in_core_then == ["¡Hay que leerlo! con calma"]


def test_the_shortcut_sheet_lists_c_and_q(window):
    dialog = window.show_shortcuts()
    keys = dialog.keys()
    texts = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert texts[keys.index("C")] == "Compose a post from the item"
    assert texts[keys.index("Q")] == "Quote the selected text in a post"
    dialog.close()
