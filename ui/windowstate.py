"""Remember the main window between runs: geometry, pane and column sizes, what was shown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QObject, QSettings

from . import settings as app_settings
from .models import ItemListModel

if TYPE_CHECKING:
    from .mainwindow import MainWindow
    from .sources import SourceKey

GROUP = "window"
GEOMETRY = "geometry"
STATE = "state"  # toolbars and docks (QMainWindow.saveState)
SPLITTER = "splitter_sizes"
HEADER = "item_header"
SOURCE = "source"
ITEM = "item"


def _bytes(value: Any) -> QByteArray | None:
    # A value from an older or hand-edited file may be of any type: only bytes are state.
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, bytes | bytearray) and value:
        return QByteArray(bytes(value))
    return None


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def encode_key(key: SourceKey) -> str:
    """A sources tree key as text (JSON), e.g. '["feed", 3]'."""
    return json.dumps(list(key))


def decode_key(value: Any) -> SourceKey | None:
    """The key encode_key wrote, or None for anything else."""
    data = _json(value)
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], str)):
        return None
    kind, ident = data
    if ident is not None and (isinstance(ident, bool) or not isinstance(ident, str | int)):
        return None
    return (kind, ident)


def decode_sizes(value: Any, panes: int) -> list[int] | None:
    data = _json(value)
    if not (isinstance(data, list) and len(data) == panes):
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 100_000 for n in data):
        return None
    return data if any(data) else None  # all zero would hide every pane


def decode_item_id(value: Any) -> int | None:
    # QSettings' INI files give every number back as text.
    try:
        item_id = int(value)
    except (TypeError, ValueError):
        return None
    return item_id if item_id > 0 else None


class WindowState(QObject):
    """Saves the window's layout and selection on close; restores them on the next start.

    The last selected item is selected again only if it is in the first page of the
    restored source's list: the list pages lazily, and a user would not want a deep scroll.
    """

    def __init__(self, window: MainWindow, settings: QSettings | None = None):
        super().__init__(window)
        self.window = window
        # Through the module: tests replace settings.default_store to keep off the user's file.
        self.settings = settings if settings is not None else app_settings.default_store()
        self._pending_item: int | None = None
        self._restored_key: SourceKey | None = None
        self._tree_loaded = False
        window.item_model.page_loaded.connect(self._select_pending_item)
        window.sources.selectionModel().currentChanged.connect(self._select_pending_item)

    # ---- saving --------------------------------------------------------------------------

    def save(self) -> None:
        window = self.window
        rows = window.items.selectionModel().selectedRows()
        item = window.item_model.item_at(rows[0].row()) if rows else None
        source = window.source_model.key_for(window.sources.currentIndex())
        if not self._tree_loaded and self._restored_key is not None:
            source = self._restored_key  # closed before the tree came: keep what was saved
        s = self.settings
        s.beginGroup(GROUP)
        s.setValue(GEOMETRY, window.saveGeometry())
        s.setValue(STATE, window.saveState())
        s.setValue(SPLITTER, json.dumps(window.splitter.sizes()))
        s.setValue(HEADER, window.items.horizontalHeader().saveState())
        s.setValue(SOURCE, encode_key(source))
        if item is not None:
            s.setValue(ITEM, item.id)
        else:
            s.remove(ITEM)
        s.endGroup()
        s.sync()

    # ---- restoring -----------------------------------------------------------------------

    def restore(self) -> None:
        """Apply what was saved; anything missing or unreadable keeps the default."""
        window = self.window
        s = self.settings
        s.beginGroup(GROUP)
        try:
            values = {k: s.value(k) for k in (GEOMETRY, STATE, SPLITTER, HEADER, SOURCE, ITEM)}
        finally:
            s.endGroup()
        # restore*() check their input and return False on garbage.
        if (geometry := _bytes(values[GEOMETRY])) is not None:
            window.restoreGeometry(geometry)
        if (state := _bytes(values[STATE])) is not None:
            window.restoreState(state)
        if (sizes := decode_sizes(values[SPLITTER], window.splitter.count())) is not None:
            window.splitter.setSizes(sizes)
        if (header := _bytes(values[HEADER])) is not None:
            view_header = window.items.horizontalHeader()
            view_header.restoreState(header)
            # The saved date order comes back too (restoreState emits no signal).
            order = view_header.sortIndicatorOrder()
            view_header.blockSignals(True)
            view_header.setSortIndicator(ItemListModel.DATE, order)
            view_header.blockSignals(False)
            window._sort_indicator_changed(ItemListModel.DATE, order)
        self._restored_key = decode_key(values[SOURCE]) or window._source_key
        self._pending_item = decode_item_id(values[ITEM])
        self._tree_loaded = not window._loading_sources
        if self._tree_loaded:
            index = window.source_model.index_for_key(self._restored_key)
            if index.isValid():
                window.sources.setCurrentIndex(index)
        else:
            window._source_key = self._restored_key
            window.source_model.modelReset.connect(self._tree_arrived)
        self._select_pending_item()

    def _tree_arrived(self) -> None:
        # Runs inside MainWindow._sources_loaded, before it selects window._source_key: the
        # view made its first row current when shown, which must not win over the saved key.
        self.window.source_model.modelReset.disconnect(self._tree_arrived)
        self._tree_loaded = True
        self.window._source_key = self._restored_key

    def _select_pending_item(self, *_args: Any) -> None:
        if self._pending_item is None:
            return
        window = self.window
        current = window.sources.currentIndex()
        if not (self._tree_loaded and current.isValid()):
            return  # the sources have not loaded yet: the list may still change
        if window.source_model.key_for(current) != self._restored_key:
            self._pending_item = None  # the source is gone, or the user moved on
            return
        model = window.item_model
        if model.is_loading() or model.query != window._query():
            return  # the restored source's first page is on its way
        item_id, self._pending_item = self._pending_item, None
        row = model.row_of(item_id)
        if row is not None and row < model.page_size:
            window.items.selectRow(row)
            window.items.scrollTo(model.index(row, 0))

    def pending_item(self) -> int | None:
        """The item still waiting for its page to be selected (None once settled)."""
        return self._pending_item
