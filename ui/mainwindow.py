"""The main window: sources, the item list and the reader, with the few actions around them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QItemSelection,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QTableView,
    QToolBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from curator import Curator, ItemQuery
from curator.errors import CuratorError
from curator.types import ImportResult

from . import errors
from .accounts import PostsActions
from .analytics import AnalyticsActions
from .annotations import AnnotationPanel, reader_pane
from .drafts import file_post_actions
from .feeddialogs import FeedActions
from .help import ShortcutsDialog
from .highlight import SearchHighlightDelegate
from .models import ItemListModel, format_local
from .packs import PackActions
from .planning import PlanningActions
from .queue import Publishing
from .reader import ReaderView
from .refreshing import RefreshController
from .shortcuts import install_shortcuts
from .sources import (
    ALL_KEY,
    FaviconLoader,
    SourceKey,
    SourceTreeModel,
    WatchNode,
    load_sources_and_watch,
)
from .tasks import Change, run_in_background
from .watch import WatchActions
from .windowstate import WindowState

SEARCH_DELAY_MS = 250  # typing pauses longer than this run the search


def _tr(text: str) -> str:
    # For messages built on worker threads, where no widget's self.tr() is at hand.
    return QCoreApplication.translate("MainWindow", text)


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise CuratorError(
            _tr("Cannot read {path}: {reason}.").format(path=path, reason=e.strerror or e)
        ) from e


def _write_file(path: str, data: bytes) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as e:
        raise CuratorError(
            _tr("Cannot write {path}: {reason}.").format(path=path, reason=e.strerror or e)
        ) from e


class MainWindow(QMainWindow):
    """Curator's main window. Every core call runs in the background (ui.tasks)."""

    # One "something changed" signal: each view decides whether it must reload.
    changed = Signal(object)  # Change

    def __init__(self, core: Curator, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.setWindowTitle(self.tr("Curator"))
        self.resize(1200, 750)
        self._source_key: SourceKey = ALL_KEY  # the source shown, kept across reloads
        self._source_query = ItemQuery()
        self._collapsed: set[SourceKey] = set()  # nodes the user folded, kept folded
        self._shown_item_id: int | None = None
        self._loading_sources = False
        self._sources_stale = False

        self._make_actions()
        self._make_panes()
        self._make_menus()
        self.feed_actions = FeedActions(self)  # Feed menu, sources context menu, undo
        self.keys = install_shortcuts(self)  # j/k/n/p…, the Item menu, reader actions
        self.post_actions = PostsActions(self)  # Posts menu: accounts, templates
        self._make_help_menu()
        self.statusBar()
        self.refresher = RefreshController(self)  # progress, summary, auto refresh, offline
        # Posts → Queue…, the in-app scheduler (started by ui.app), notifications
        self.publishing = Publishing(self, start=False)
        self.planning = PlanningActions(self)  # Posts → Fill my week…, Posting slots…
        self.analytics = AnalyticsActions(self)  # Posts → Analytics… (ui/analytics.py)
        # File → Subscribe to content pack…, Posts → Make a content pack… (ui/packs.py)
        self.packs = PackActions(self)
        # View → Watch lists…, mentions announced after each refresh (ui/watch.py)
        self.watch = WatchActions(self)

        self.changed.connect(self._on_changed)
        self.reload_sources()
        self.item_model.set_query(self._query())
        self.window_state: WindowState | None = None  # set by remember_state()

    def remember_state(self, settings: QSettings | None = None) -> None:
        """Restore the last session's layout and selection now, and save them on close."""
        self.window_state = WindowState(self, settings)
        self.window_state.restore()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.window_state is not None:
            self.window_state.save()
        self.annotations.flush()  # typed in the last 300 ms: saved before the app quits
        super().closeEvent(event)

    # ---- building ------------------------------------------------------------------------

    def _make_actions(self) -> None:
        def action(text: str, slot: Any, shortcut: Any = None) -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(shortcut)
            act.triggered.connect(slot)
            return act

        self.refresh_action = action(self.tr("&Refresh"), self.refresh, QKeySequence.Refresh)
        self.add_feed_action = action(self.tr("&Add feed…"), self.add_feed, QKeySequence.New)
        self.import_action = action(self.tr("&Import OPML…"), self.import_opml)
        self.export_action = action(self.tr("&Export OPML…"), self.export_opml)
        self.quit_action = action(self.tr("&Quit"), self.close, QKeySequence.Quit)
        self.find_action = action(self.tr("&Find"), self._focus_search, QKeySequence.Find)

    def _make_menus(self) -> None:
        self.file_menu = file_menu = self.menuBar().addMenu(self.tr("&File"))
        file_menu.addAction(self.refresh_action)
        file_menu.addAction(self.add_feed_action)
        self.new_post_action, self.drafts_action = file_post_actions(self)  # ui/drafts.py
        file_menu.addAction(self.new_post_action)
        file_menu.addAction(self.drafts_action)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.addAction(self.find_action)
        self.view_menu = view_menu = self.menuBar().addMenu(self.tr("&View"))
        view_menu.addAction(self.reader.remote_images_action)

        toolbar = QToolBar(self.tr("Main toolbar"), self)
        toolbar.setObjectName("main-toolbar")  # saveState() needs a name
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addAction(self.refresh_action)
        toolbar.addAction(self.add_feed_action)
        self.addToolBar(toolbar)

    def _make_help_menu(self) -> None:
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.shortcuts_help_action = help_menu.addAction(self.tr("&Keyboard shortcuts"))
        self.shortcuts_help_action.triggered.connect(self.show_shortcuts)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _make_panes(self) -> None:
        self.source_model = SourceTreeModel(self)
        self.favicons = FaviconLoader(self.core, self.source_model, self)
        self.sources = QTreeView()
        self.sources.setModel(self.source_model)
        self.sources.setHeaderHidden(True)
        self.sources.setUniformRowHeights(True)
        self.sources.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sources.selectionModel().currentChanged.connect(self._source_changed)
        self.sources.collapsed.connect(lambda i: self._collapsed.add(self.source_model.key_for(i)))
        self.sources.expanded.connect(
            lambda i: self._collapsed.discard(self.source_model.key_for(i))
        )

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search"))
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filters)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._apply_filters)

        self.item_model = ItemListModel(self.core, self)
        self.items = QTableView()
        self.items.setModel(self.item_model)
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items.setShowGrid(False)
        self.items.setWordWrap(False)
        self.items.setAlternatingRowColors(True)
        self.items.verticalHeader().hide()
        self.items.verticalHeader().setDefaultSectionSize(self.items.fontMetrics().height() + 8)
        header = self.items.horizontalHeader()
        header.setSectionResizeMode(ItemListModel.TITLE, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(ItemListModel.FEED, 150)
        header.resizeSection(ItemListModel.DATE, self._date_column_width())
        header.setHighlightSections(False)
        # Newest first; a click on Date turns the list around (search results stay ranked).
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(ItemListModel.DATE, Qt.SortOrder.DescendingOrder)
        self._date_order = Qt.SortOrder.DescendingOrder
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)
        self.items.selectionModel().selectionChanged.connect(self._item_selection_changed)

        middle = QWidget()
        layout = QVBoxLayout(middle)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self._make_filter_bar())
        layout.addWidget(self.items)

        self.reader = ReaderView(self.core)
        # Below the reader: the shown item's commentary and private note (ui/annotations.py).
        self.annotations = AnnotationPanel(self.core)
        self.annotations.commentary_saved.connect(self.item_model.set_has_commentary)
        # The list's search terms are marked in its titles and in the reader.
        self.items.setItemDelegateForColumn(
            ItemListModel.TITLE,
            SearchHighlightDelegate(lambda: self.item_model.query.search, self.items),
        )
        self.item_model.modelReset.connect(
            lambda: self.reader.set_search(self.item_model.query.search)
        )

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.sources)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(reader_pane(self.reader, self.annotations))
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 1)
        self.splitter.setSizes([220, 540, 440])
        self.setCentralWidget(self.splitter)

    def _make_filter_bar(self) -> QHBoxLayout:
        # Narrow any source (a feed, a folder, a role, a search) to its unread or starred items.
        self.unread_filter = QToolButton()
        self.unread_filter.setText(self.tr("Unread"))
        self.unread_filter.setToolTip(self.tr("Show only unread items"))
        self.starred_filter = QToolButton()
        self.starred_filter.setText(self.tr("Starred"))
        self.starred_filter.setToolTip(self.tr("Show only starred items"))
        self.annotated_filter = QToolButton()
        self.annotated_filter.setText(self.tr("Annotated"))
        self.annotated_filter.setToolTip(
            self.tr("Show only items with your commentary or a private note")
        )
        bar = QHBoxLayout()
        bar.setSpacing(4)
        bar.addWidget(self.search, 1)
        for button in (self.unread_filter, self.starred_filter, self.annotated_filter):
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.toggled.connect(self._apply_filters)
            bar.addWidget(button)
        return bar

    def _date_column_width(self) -> int:
        # Wide enough for the longest date of this locale, in the bold of unread rows.
        font = QFont(self.items.font())
        font.setBold(True)
        sample = format_local(datetime(2024, 12, 31, 23, 59, tzinfo=UTC))
        return QFontMetrics(font).horizontalAdvance(sample) + 16

    # ---- views follow the core -----------------------------------------------------------

    def _on_changed(self, change: Change) -> None:
        self.reload_sources()  # unread counts or feed states may differ after any change
        if change & (Change.FEEDS | Change.ITEMS):
            self.item_model.reload()

    def reload_sources(self) -> None:
        # One load at a time; a change meanwhile asks for one more afterwards.
        if self._loading_sources:
            self._sources_stale = True
            return
        self._loading_sources = True
        self._sources_stale = False
        core = self.core
        run_in_background(
            lambda: load_sources_and_watch(core),
            on_success=self._sources_loaded,
            on_error=self._sources_failed,
            parent=self,
        )

    def _sources_loaded(
        self, loaded: tuple[list[Any], dict[str, int], list[WatchNode]]
    ) -> None:
        self._loading_sources = False
        model = self.source_model
        model.set_data(*loaded)
        self.favicons.update(model.feeds())  # cached icons now; missing ones fetched once
        self.sources.expandAll()  # a reset folds everything; unfold all but the user's folds
        for key in list(self._collapsed):
            self.sources.collapse(model.index_for_key(key))
        index = model.index_for_key(self._source_key)
        self.sources.setCurrentIndex(index if index.isValid() else model.index_for_key(ALL_KEY))
        if self._sources_stale:
            self.reload_sources()

    def _sources_failed(self, exc: BaseException) -> None:
        self._loading_sources = False
        errors.show_error(self, exc)

    def _source_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return  # a model reset clears the selection; _sources_loaded restores it
        self._source_key = self.source_model.key_for(current)
        self._source_query = self.source_model.query_for(current)
        self._apply_filters()

    def _sort_indicator_changed(self, section: int, order: Qt.SortOrder) -> None:
        if section != ItemListModel.DATE:  # only dates sort: keep the arrow on Date
            header = self.items.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(ItemListModel.DATE, self._date_order)
            header.blockSignals(False)
            return
        self._date_order = order
        self._apply_filters()

    def _query(self) -> ItemQuery:
        text = self.search.text().strip()
        source = self._source_query
        return dataclasses.replace(
            source,
            search=text or None,
            unread=source.unread or self.unread_filter.isChecked(),
            starred=source.starred or self.starred_filter.isChecked(),
            annotated=source.annotated or self.annotated_filter.isChecked(),
            oldest_first=not text and self._date_order == Qt.SortOrder.AscendingOrder,
        )

    def _apply_filters(self) -> None:
        self._search_timer.stop()
        query = self._query()
        if query != self.item_model.query:
            self.item_model.set_query(query)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # ---- reading -------------------------------------------------------------------------

    def _item_selection_changed(self, selected: QItemSelection, _deselected: Any) -> None:
        rows = selected.indexes()
        if rows:
            self.open_item(rows[0].row())

    def open_item(self, row: int) -> None:
        """Show the item at row in the reader and mark it read."""
        item = self.item_model.item_at(row)
        if item is None:
            return
        self._shown_item_id = item.id
        item_id = item.id
        run_in_background(
            lambda: self.core.get_item(item_id), on_success=self._item_loaded, parent=self
        )
        if not item.read:
            run_in_background(
                lambda: self.core.mark_items([item_id], read=True),
                on_success=lambda _n: self._marked_read(item_id),
                parent=self,
            )

    def _item_loaded(self, item: Any) -> None:
        if item.id == self._shown_item_id:  # the user may have moved on meanwhile
            self.reader.show_item(item)

    def _marked_read(self, item_id: int) -> None:
        self.item_model.set_read(item_id, True)
        self.changed.emit(Change.READ)

    # ---- actions -------------------------------------------------------------------------

    def _failed(self, exc: BaseException) -> None:
        self.statusBar().clearMessage()
        errors.show_error(self, exc)

    def refresh(self) -> None:
        """Fetch the due feeds in the background; the status bar shows progress and a summary."""
        self.refresher.start()

    def cancel_refresh(self) -> None:
        """Stop a running refresh early (on quit); what was fetched is kept."""
        self.refresher.cancel()

    def add_feed(self) -> None:
        """Open the Add feed dialog; it subscribes in the background (ui/feeddialogs.py)."""
        self.feed_actions.add_feed()

    def import_opml(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import OPML"), "", self.tr("OPML files (*.opml *.xml);;All files (*)")
        )
        if not path:
            return
        self.statusBar().showMessage(self.tr("Importing {path}…").format(path=path))
        run_in_background(
            lambda: self.core.import_opml(_read_file(path)),
            on_success=self._imported,
            on_error=self._failed,
            parent=self,
        )

    def _imported(self, result: ImportResult) -> None:
        self.statusBar().showMessage(self.tr("%n feeds imported", "", len(result.added)))
        self.changed.emit(Change.FEEDS)
        if result.added:
            self.refresh()  # importing only subscribes; fetch the new feeds' items now

    def export_opml(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Export OPML"),
            "subscriptions.opml",
            self.tr("OPML files (*.opml);;All files (*)"),
        )
        if not path:
            return
        run_in_background(
            lambda: _write_file(path, self.core.export_opml()),
            on_success=lambda _: self._exported(path),
            on_error=self._failed,
            parent=self,
        )

    def _exported(self, path: str) -> None:
        self.statusBar().showMessage(self.tr("Subscriptions saved to {path}").format(path=path))
