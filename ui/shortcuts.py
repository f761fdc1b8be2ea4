"""The keyboard flow (j/k, n/p, space, m, s, o, c, q, /, r, Escape) and the item actions.

Single-letter shortcuts are window-wide QActions: a QLineEdit claims printable keys for
itself (Qt's ShortcutOverride), so typing in the search box never triggers them.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QScrollBar, QToolBar

from curator.types import Item

from .annotations import compose_from_item, quote_in_post, selected_quote
from .tasks import Change, run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow


class KeyboardFlow(QObject):
    """Owns the reading actions of one main window and what they do."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self._pending: tuple[int, int, bool] | None = None  # (row, step, unread_only)
        window.item_model.page_loaded.connect(self._page_loaded)
        window.item_model.modelReset.connect(self._forget_pending)

        def action(text: str, slot: Any, key: str | None = None) -> QAction:
            act = QAction(text, window)
            if key is not None:
                act.setShortcut(QKeySequence(key))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            window.addAction(act)  # works with no menu showing it
            return act

        self.next_action = action(self.tr("&Next item"), self.next_item, "J")
        self.previous_action = action(self.tr("&Previous item"), self.previous_item, "K")
        self.next_unread_action = action(self.tr("Next &unread item"), self.next_unread, "N")
        self.previous_unread_action = action(
            self.tr("Previous unr&ead item"), self.previous_unread, "P"
        )
        self.page_down_action = action(self.tr("Scroll down or next item"), self.page_down, "Space")
        self.toggle_read_action = action(self.tr("Mark read/&unread"), self.toggle_read, "M")
        self.toggle_star_action = action(self.tr("&Star/unstar"), self.toggle_star, "S")
        self.open_original_action = action(self.tr("&Open original"), self.open_original, "O")
        self.copy_link_action = action(self.tr("&Copy link"), self.copy_link)
        # Into the composer (ui/annotations.py): the item shown, or a quote selected in it.
        self.compose_action = action(
            self.tr("Compose &post from this item"), lambda: compose_from_item(window), "C"
        )
        self.quote_action = action(self.tr("&Quote in post"), lambda: quote_in_post(window), "Q")
        window.reader.context_actions.append(self.quote_action)
        window.reader.selectionChanged.connect(self._reader_changed)
        self.search_action = action(self.tr("Search"), window._focus_search, "/")

        refresh = window.refresh_action
        refresh.setShortcuts([*refresh.shortcuts(), QKeySequence("R")])

        # Escape in the search box: clear it and go back to the list.
        self.escape_search = QShortcut(QKeySequence(Qt.Key.Key_Escape), window.search)
        self.escape_search.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.escape_search.activated.connect(self.leave_search)

        self.item_actions = [
            self.next_action,
            self.previous_action,
            self.next_unread_action,
            self.previous_unread_action,
            self.page_down_action,
            self.toggle_read_action,
            self.toggle_star_action,
            self.open_original_action,
            self.copy_link_action,
            self.compose_action,
            self.quote_action,
        ]

        menu = window.menuBar().addMenu(self.tr("&Item"))
        menu.addActions(self.item_actions[:4])
        menu.addSeparator()
        menu.addActions(self.item_actions[5:7])
        menu.addSeparator()
        menu.addActions(self.item_actions[7:9])
        menu.addSeparator()
        menu.addActions(self.item_actions[9:])
        self.menu = menu
        toolbar = window.findChild(QToolBar, "main-toolbar")
        if toolbar is not None:
            toolbar.addAction(self.open_original_action)

        window.reader.item_changed.connect(self._reader_changed)
        self._reader_changed(window.reader.item)

    # ---- moving through the list ---------------------------------------------------------

    def _current_row(self) -> int:
        # The selected row, not the current index: focusing the view makes row 0 current
        # without selecting (so showing) it.
        rows = self.window.items.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def current_item(self) -> Item | None:
        return self.window.item_model.item_at(self._current_row())

    def next_item(self) -> None:
        self._move(1, unread_only=False)

    def previous_item(self) -> None:
        self._move(-1, unread_only=False)

    def next_unread(self) -> None:
        self._move(1, unread_only=True)

    def previous_unread(self) -> None:
        self._move(-1, unread_only=True)

    def _move(self, step: int, unread_only: bool) -> None:
        self._pending = None
        row = self._current_row()
        if row < 0:  # nothing selected yet: forward starts at the top, backward at the end
            row = 0 if step > 0 else self.window.item_model.rowCount() - 1
        else:
            row += step
        self._search(row, step, unread_only)

    def _search(self, row: int, step: int, unread_only: bool) -> None:
        model = self.window.item_model
        while 0 <= row < model.rowCount():
            item = model.item_at(row)
            if item is not None and (not unread_only or not item.read):
                self._select(row)
                return
            row += step
        if step > 0 and model.canFetchMore():
            # Continue once the next page is in (fetchMore is a no-op if one is in flight).
            self._pending = (row, step, unread_only)
            model.fetchMore()

    def _page_loaded(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._search(*pending)

    def _forget_pending(self) -> None:
        self._pending = None  # another list: the row we were looking from means nothing now

    def _select(self, row: int) -> None:
        items = self.window.items
        items.selectRow(row)
        items.scrollTo(self.window.item_model.index(row, 0))

    def page_down(self) -> None:
        """Scroll the reader one page; at its bottom, move on to the next item."""
        bar = self.window.reader.verticalScrollBar()
        if self.window.reader.item is not None and bar.value() < bar.maximum():
            bar.triggerAction(QScrollBar.SliderAction.SliderPageStepAdd)
        else:
            self.next_item()

    def leave_search(self) -> None:
        self.window.search.clear()
        self.window.items.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ---- marking -------------------------------------------------------------------------

    def toggle_read(self) -> None:
        item = self.current_item()
        if item is not None:
            self._mark(item.id, read=not item.read)

    def toggle_star(self) -> None:
        item = self.current_item()
        if item is not None:
            self._mark(item.id, starred=not item.starred)

    def _mark(self, item_id: int, *, read: bool | None = None, starred: bool | None = None) -> None:
        core = self.window.core
        run_in_background(
            lambda: core.mark_items([item_id], read=read, starred=starred),
            on_success=lambda _n: self._marked(item_id, read, starred),
            parent=self.window,
        )

    def _marked(self, item_id: int, read: bool | None, starred: bool | None) -> None:
        self.window.item_model.set_flags(item_id, read=read, starred=starred)
        shown = self.window.reader.item
        if shown is not None and shown.id == item_id:
            self.window.reader.item = dataclasses.replace(
                shown,
                read=shown.read if read is None else read,
                starred=shown.starred if starred is None else starred,
            )
        self.window.changed.emit(Change.READ)

    # ---- the item shown ------------------------------------------------------------------

    def _shown_link(self) -> str | None:
        item = self.window.reader.item
        return item.link if item is not None and item.link else None

    def _reader_changed(self, _item: Item | None = None) -> None:
        has_link = self._shown_link() is not None
        self.open_original_action.setEnabled(has_link)
        self.copy_link_action.setEnabled(has_link)
        shown = self.window.reader.item is not None
        self.compose_action.setEnabled(shown)
        self.quote_action.setEnabled(shown and bool(selected_quote(self.window.reader)))

    def open_original(self) -> None:
        link = self._shown_link()
        if link is not None:
            QDesktopServices.openUrl(QUrl(link))

    def copy_link(self) -> None:
        link = self._shown_link()
        if link is not None:
            QGuiApplication.clipboard().setText(link)


def install_shortcuts(window: MainWindow) -> KeyboardFlow:
    """Add the reading shortcuts, the Item menu and the reader's actions to window."""
    return KeyboardFlow(window)
