"""Qt item models over the core's answers: the sources list and a lazily paged item list."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
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
from PySide6.QtWidgets import QApplication, QStyle

from curator import Curator, ItemQuery
from curator.types import Feed, Item

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


class SourceListModel(QAbstractListModel):
    """ "All items", then every feed with its unread count; failing feeds get a warning icon."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._feeds: list[Feed] = []

    def set_feeds(self, feeds: list[Feed]) -> None:
        self.beginResetModel()
        self._feeds = list(feeds)
        self.endResetModel()

    def feeds(self) -> list[Feed]:
        return list(self._feeds)

    def feed_at(self, row: int) -> Feed | None:
        return self._feeds[row - 1] if 1 <= row <= len(self._feeds) else None

    def row_of(self, feed_id: int | None) -> int:
        """The row showing feed_id; 0 ("All items") when it is None or gone."""
        for row, feed in enumerate(self._feeds, start=1):
            if feed.id == feed_id:
                return row
        return 0

    def rowCount(self, parent: _Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else 1 + len(self._feeds)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        feed = self.feed_at(index.row())
        if feed is None:
            unread = sum(f.unread for f in self._feeds)
            if role == Qt.ItemDataRole.DisplayRole:
                return self._with_count(self.tr("All items"), unread)
            if role == Qt.ItemDataRole.FontRole and unread:
                return _bold()
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._with_count(feed.title or feed.url, feed.unread)
        if role == Qt.ItemDataRole.ToolTipRole:
            return feed.last_error or feed.url
        if role == Qt.ItemDataRole.DecorationRole and feed.last_error:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.FontRole and feed.unread:
            return _bold()
        if role == ItemRole:
            return feed
        if role == IdRole:
            return feed.id
        return None

    def _with_count(self, title: str, unread: int) -> str:
        return self.tr("{title} ({unread})").format(title=title, unread=unread) if unread else title


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
        row = self._rows.get(item_id)
        if row is None or self._items[row].read == read:
            return
        self._items[row] = dataclasses.replace(self._items[row], read=read)
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
                return item.title or self.tr("(untitled)")
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
