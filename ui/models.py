"""Qt item models over the core's answers: the sources list and a lazily paged item list."""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from curator import Curator, ItemQuery
from curator.types import Item

from . import errors
from .tasks import run_in_background

ItemRole = Qt.ItemDataRole.UserRole + 1  # the Item (items) or Feed/None (sources)
IdRole = Qt.ItemDataRole.UserRole + 2  # item id, or feed id (None for "All items")

# Roles as plain ints: a paint asks seven roles of every cell, and comparing ints is cheaper
# than looking up and comparing enum members.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_ITEM_ROLES = frozenset({_DISPLAY, _TOOLTIP, _FONT, ItemRole, IdRole})

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


RELATIVE_HOURS = 12  # "3 h ago" this long (even across midnight), then by calendar day
DATE_TICK_MS = 60_000  # relative dates ("5 min ago") age: repaint the column this often


def _utcnow() -> datetime:
    return datetime.now(UTC)


def format_relative(when: datetime | None, now: datetime) -> str:
    """A date as a reader thinks of it: "5 min ago", "3 h ago", "Yesterday", else the
    short localized date. `now` is passed in, so tests choose it."""
    return format_relative_until(when, now)[0]


def format_relative_until(when: datetime | None, now: datetime) -> tuple[str, float]:
    """format_relative(), and the moment (POSIX seconds) until which, as `now` advances, the
    text stays the same (it may change then, or later): the list caches it until then."""
    if when is None:
        return "", math.inf
    # Literal calls, so that lupdate extracts the strings; plurals through Class.tr(): lupdate
    # takes QCoreApplication.translate(..., n) with a variable n as a plain string.
    when_ts = when.timestamp()
    seconds = (now - when).total_seconds()
    if -60 <= seconds < 60:  # a clock a little ahead of ours is still "just now"
        return ItemListModel.tr("Just now"), when_ts + 60
    if 0 < seconds < 3600:
        minutes = int(seconds // 60)
        text = ItemListModel.tr("%n min ago", "", minutes)
        return text, when_ts + (minutes + 1) * 60
    local_when = QDateTime.fromSecsSinceEpoch(int(when_ts)).date()
    local_today = QDateTime.fromSecsSinceEpoch(int(now.timestamp())).date()
    if 0 < seconds and (seconds < RELATIVE_HOURS * 3600 or local_when == local_today):
        hours = int(seconds // 3600)
        text = ItemListModel.tr("%n h ago", "", hours)
        return text, min(when_ts + (hours + 1) * 3600, _next_midnight(local_today))
    if 0 < seconds and local_when.addDays(1) == local_today:
        return ItemListModel.tr("Yesterday"), _next_midnight(local_today)
    # Older than yesterday stays a date; a date in the future turns "just now" a minute ahead.
    until = math.inf if seconds > 0 else when_ts - 60
    return QLocale().toString(local_when, QLocale.FormatType.ShortFormat), until


def _next_midnight(local_day: QDate) -> float:
    return float(local_day.addDays(1).startOfDay().toSecsSinceEpoch())


# Rows a page brings (Qt's SQL model fetches 255 at a time). Each page that arrives costs the
# view a relayout and a full repaint: about ten screens of rows between them keep scrolling
# smooth, while the first page still takes a few milliseconds to read.
PAGE_SIZE = 256


def _sort_key(item: Item) -> tuple[float, int]:
    # The core's order (sort_date DESC, id DESC) as an ascending key, for bisect.
    return (-item.date.timestamp(), -item.id)


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


class ItemListModel(QAbstractTableModel):
    """A page of items at a time, newest first, fetched in the background as the view scrolls.

    Paging uses the core's keyset cursor; results of a query that has since been replaced
    are dropped (a generation counter), and only one page is in flight at a time.
    Items stored later (a refresh) are merged in with merge_new_items(), without a reset,
    so the view keeps its selection.
    """

    TITLE, FEED, DATE = range(3)
    page_loaded = Signal()  # rows were appended (or the first page of a query arrived)
    items_merged = Signal(int)  # rows inserted by merge_new_items() (0: nothing new)

    def __init__(
        self,
        core: Curator,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        now: Callable[[], datetime] = _utcnow,
    ):
        super().__init__(parent)
        self.core = core
        self.page_size = page_size
        self.now = now
        self._query = ItemQuery()
        self._items: list[Item] = []
        self._rows: dict[int, int] = {}  # item id -> row
        self._cursor: str | None = None
        self._resume_cursor: str | None = None  # after the last row, even at the end
        self._exhausted = True  # nothing to fetch until a query is set
        self._fetching = False
        self._generation = 0
        self._merging = False
        self._merge_again = False  # asked to merge while a merge was in flight
        self._bold = _bold()
        self._approved_feeds: frozenset[int] = frozenset()  # content packs: the "✔" badge
        # item id -> (date, relative text, valid from, valid until): what a paint shows of
        # the date, so scrolling does not redo the date arithmetic of every visible row.
        self._date_texts: dict[int, tuple[datetime, str, float, float]] = {}
        self._date_tick = QTimer(self)
        self._date_tick.setInterval(DATE_TICK_MS)
        self._date_tick.timeout.connect(self._dates_aged)
        self._date_tick.start()

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
        self._date_texts.clear()
        self._cursor = self._resume_cursor = None
        self._exhausted = False
        self._fetching = False
        self._merging = self._merge_again = False
        self.endResetModel()
        self.fetchMore(_NO_PARENT)

    def reload(self) -> None:
        self.set_query(self._query)

    def is_loading(self) -> bool:
        return self._fetching or self._merging

    @property
    def merges_in_place(self) -> bool:
        """Whether merge_new_items() keeps the rows (newest first) or reloads (search ranks)."""
        return not self._query.search

    def merge_new_items(self) -> None:
        """Show items stored since the list was loaded (a refresh): the current query's first
        page is read in the background and the rows it lacks are inserted where they belong,
        so the selection and the rows around it stay. Search results are ranked, not dated:
        they are reloaded instead."""
        if not self.merges_in_place:
            self.reload()
            return
        if self._query.oldest_first:
            # New items sort last: later pages bring them, and a list read to its end
            # reads on from its last row.
            if self._exhausted and self._resume_cursor is not None and not self._fetching:
                self._cursor, self._exhausted = self._resume_cursor, False
                self.fetchMore(_NO_PARENT)
            elif not self._items:
                self.reload()
            return
        if self._merging:
            self._merge_again = True
            return
        self._merging = True
        generation, query = self._generation, self._query
        run_in_background(
            lambda: self.core.list_items(query, limit=self.page_size),
            on_success=lambda page: self._merge_arrived(generation, page.items),
            on_error=lambda exc: self._merge_failed(generation, exc),
            parent=self,
        )

    def _merge_arrived(self, generation: int, newest: list[Item]) -> None:
        if generation != self._generation:
            return  # another query is shown now
        self._merging = False
        inserted = 0
        for item in newest:
            row = self._rows.get(item.id)
            if row is not None:
                self._replace(row, item)  # a refresh may have updated its title
            elif self._belongs_in_loaded_rows(item):
                self._insert(item)
                inserted += 1
        self.items_merged.emit(inserted)
        if self._merge_again:
            self._merge_again = False
            self.merge_new_items()

    def _merge_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._merging = self._merge_again = False
        errors.show_error(self, exc)

    def _belongs_in_loaded_rows(self, item: Item) -> bool:
        # An item older than the last loaded row comes with a later page (the keyset cursor);
        # inserting it now would show it twice.
        if self._exhausted:
            return True
        return bool(self._items) and _sort_key(item) < _sort_key(self._items[-1])

    def _insert(self, item: Item) -> None:
        row = bisect.bisect_left(self._items, _sort_key(item), key=_sort_key)
        self.beginInsertRows(_NO_PARENT, row, row)
        self._items.insert(row, item)
        for shifted in range(row, len(self._items)):
            self._rows[self._items[shifted].id] = shifted
        self.endInsertRows()

    def _replace(self, row: int, item: Item) -> None:
        if item == self._items[row]:
            return
        self._items[row] = item
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def _dates_aged(self) -> None:
        # Texts still valid by their dates are dropped too: a language or time zone changed
        # meanwhile shows within a minute.
        self._date_texts.clear()
        if self._items:
            last = len(self._items) - 1
            self.dataChanged.emit(
                self.index(0, self.DATE),
                self.index(last, self.DATE),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole],
            )

    def set_approved_feeds(self, feed_ids: set[int] | frozenset[int]) -> None:
        """The feeds that are content packs: their items carry the "approved" badge."""
        feed_ids = frozenset(feed_ids)
        if feed_ids == self._approved_feeds:
            return
        self._approved_feeds = feed_ids
        if self._items:
            last = len(self._items) - 1
            self.dataChanged.emit(self.index(0, self.TITLE), self.index(last, self.TITLE))

    def is_approved(self, item: Item) -> bool:
        return item.feed_id in self._approved_feeds

    def item_at(self, row: int) -> Item | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, item_id: int) -> int | None:
        return self._rows.get(item_id)

    def set_read(self, item_id: int, read: bool = True) -> None:
        """Reflect a change the initiator already made in the core, without reloading."""
        self.set_flags(item_id, read=read)

    def set_starred(self, item_id: int, starred: bool = True) -> None:
        self.set_flags(item_id, starred=starred)

    def set_has_commentary(self, item_id: int, has_commentary: bool) -> None:
        """Mark or unmark one row as commented on (the annotation is already saved)."""
        row = self._rows.get(item_id)
        if row is None or self._items[row].has_commentary == has_commentary:
            return
        self._items[row] = dataclasses.replace(self._items[row], has_commentary=has_commentary)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

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
        self._resume_cursor = page.resume_cursor
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
        if role not in _ITEM_ROLES or not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._items):
            return None
        item = self._items[row]
        column = index.column()
        if role == _DISPLAY:
            if column == self.TITLE:
                title = item.title or self.tr("(untitled)")
                if item.has_commentary:
                    title = self.tr("✎ {title}").format(title=title)
                # Marks are plain text in the display role: the delegate paints them with
                # the title, no extra layout per row.
                if item.feed_id in self._approved_feeds:
                    title = self.tr("✔ {title}", "approved content").format(title=title)
                if item.watched:
                    title = self.tr("◉ {title}", "matches a watch list").format(title=title)
                return self.tr("★ {title}").format(title=title) if item.starred else title
            if column == self.FEED:
                return item.feed_title or ""
            if column == self.DATE:
                return self._date_text(item)
        elif role == _FONT:
            return None if item.read else self._bold
        elif role == _TOOLTIP:
            if column == self.TITLE:
                notes = []
                if item.feed_id in self._approved_feeds:
                    notes.append(self.tr("Approved content from a content pack"))
                if item.watched:
                    notes.append(self.tr("Matches a watch list"))
                if item.has_commentary:
                    notes.append(self.tr("You wrote a commentary on this item"))
                if notes:
                    return "\n".join([item.title, *notes] if item.title else notes)
                return item.title
            if column == self.DATE:
                return format_local(item.date, long=True)
        elif role == ItemRole:
            return item
        elif role == IdRole:
            return item.id
        return None

    def _date_text(self, item: Item) -> str:
        now = self.now()
        now_ts = now.timestamp()
        when = item.date
        cached = self._date_texts.get(item.id)
        if cached is not None and cached[0] == when and cached[2] <= now_ts < cached[3]:
            return cached[1]
        text, until = format_relative_until(when, now)
        self._date_texts[item.id] = (when, text, now_ts, until)
        return text

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
