"""Qt item models over the core's answers: the sources list and a lazily paged item list."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from curator import Curator, ItemQuery
from curator.types import Item

from . import errors
from .tasks import run_in_background

ItemRole = Qt.ItemDataRole.UserRole + 1  # the Item (items) or Feed/None (sources)
IdRole = Qt.ItemDataRole.UserRole + 2  # item id, or feed id (None for "All items")

_Index = QModelIndex | QPersistentModelIndex
_NO_PARENT = QModelIndex()


def format_local(when: datetime | None, long: bool = False) -> str:
    """A UTC datetime as local time, in the user's locale (long: the date spelled out)."""
    if when is None:
        return ""
    local = QDateTime.fromSecsSinceEpoch(int(when.timestamp()))
    locale = QLocale()
    if not long:
        return locale.toString(local, QLocale.FormatType.ShortFormat)
    date = locale.toString(local.date(), QLocale.FormatType.LongFormat)
    return f"{date} {locale.toString(local.time(), QLocale.FormatType.ShortFormat)}"


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


class ItemListModel(QAbstractTableModel):
    """A page of items at a time, newest first, fetched in the background as the view scrolls.

    Paging uses the core's keyset cursor; results of a query that has since been replaced
    are dropped (a generation counter), and only one page is in flight at a time.
    """

    TITLE, FEED, DATE = range(3)
    page_loaded = Signal()  # rows were appended (or the first page of a query arrived)

    def __init__(self, core: Curator, parent: QObject | None = None, *, page_size: int = 100):
        super().__init__(parent)
        self.core = core
        self.page_size = page_size
        self._query = ItemQuery()
        self._items: list[Item] = []
        self._rows: dict[int, int] = {}  # item id -> row
        self._cursor: str | None = None
        self._exhausted = True  # nothing to fetch until a query is set
        self._fetching = False
        self._generation = 0
        self._bold = _bold()

    # ---- what to show --------------------------------------------------------------------

    @property
    def query(self) -> ItemQuery:
        return self._query

    def set_query(self, query: ItemQuery) -> None:
        """Show another list: forget the loaded rows and fetch the first page."""
        self.beginResetModel()
        self._generation += 1
        self._query = query
        self._items, self._rows = [], {}
        self._cursor = None
        self._exhausted = False
        self._fetching = False
        self.endResetModel()
        self.fetchMore(_NO_PARENT)

    def reload(self) -> None:
        self.set_query(self._query)

    def is_loading(self) -> bool:
        return self._fetching

    def item_at(self, row: int) -> Item | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, item_id: int) -> int | None:
        return self._rows.get(item_id)

    def set_read(self, item_id: int, read: bool = True) -> None:
        """Reflect a change the initiator already made in the core, without reloading."""
        self.set_flags(item_id, read=read)

    def set_starred(self, item_id: int, starred: bool = True) -> None:
        self.set_flags(item_id, starred=starred)

    def set_flags(
        self, item_id: int, *, read: bool | None = None, starred: bool | None = None
    ) -> None:
        """Update one row's read and/or starred state (already changed in the core)."""
        row = self._rows.get(item_id)
        if row is None:
            return
        item = self._items[row]
        read = item.read if read is None else read
        starred = item.starred if starred is None else starred
        if (read, starred) == (item.read, item.starred):
            return
        self._items[row] = dataclasses.replace(item, read=read, starred=starred)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    # ---- lazy paging ---------------------------------------------------------------------

    def canFetchMore(self, parent: _Index = _NO_PARENT) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: _Index = _NO_PARENT) -> None:
        if parent.isValid() or self._exhausted or self._fetching:
            return
        self._fetching = True
        generation, query, cursor = self._generation, self._query, self._cursor
        run_in_background(
            lambda: self.core.list_items(query, limit=self.page_size, cursor=cursor),
            on_success=lambda page: self._page_arrived(generation, page),
            on_error=lambda exc: self._page_failed(generation, exc),
            parent=self,
        )

    def _page_arrived(self, generation: int, page: Any) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self._cursor = page.next_cursor
        self._exhausted = page.next_cursor is None
        # A keyset or offset page can repeat an item whose date changed meanwhile.
        fresh = [i for i in page.items if i.id not in self._rows]
        if fresh:
            first = len(self._items)
            self.beginInsertRows(_NO_PARENT, first, first + len(fresh) - 1)
            for row, item in enumerate(fresh, start=first):
                self._rows[item.id] = row
            self._items.extend(fresh)
            self.endInsertRows()
        self.page_loaded.emit()

    def _page_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self._exhausted = True  # the view would otherwise ask again at once, forever
        errors.show_error(self, exc)

    # ---- QAbstractTableModel -------------------------------------------------------------

    def rowCount(self, parent: _Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else 3

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TITLE:
                title = item.title or self.tr("(untitled)")
                return self.tr("★ {title}").format(title=title) if item.starred else title
            if column == self.FEED:
                return item.feed_title or ""
            if column == self.DATE:
                return format_local(item.date)
        elif role == Qt.ItemDataRole.ToolTipRole and column == self.TITLE:
            return item.title
        elif role == Qt.ItemDataRole.FontRole and not item.read:
            return self._bold
        elif role == ItemRole:
            return item
        elif role == IdRole:
            return item.id
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return {
            self.TITLE: self.tr("Title"),
            self.FEED: self.tr("Feed"),
            self.DATE: self.tr("Date"),
        }.get(section)
