"""Refreshing feeds in the background: progress in the status bar, new items as they arrive,
a summary with the failed feeds, and automatic refreshes that pause while offline."""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from curator.types import FeedOutcome, Outcome, RefreshResult

from . import errors
from .models import format_local
from .network import NetworkStatus
from .preferences import PreferencesDialog
from .settings import REFRESH_INTERVAL_KEY, Settings
from .tasks import run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

MERGE_EVERY_MS = 1000  # new items reach the list (and counts the sources) at most this often
FAILED_LINK = "#failed-feeds"


class _LinkLabel(QLabel):
    """A rich-text label whose links take the new link colour when the palette changes
    (QLabel keeps the colour it laid the text out with)."""

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            text = self.text()
            if text:
                self.clear()
                self.setText(text)


class _ProgressBridge(QObject):
    """Made on the main thread: the refresh's progress callback runs on a worker thread and
    only emits, so the connected slot runs on the main thread (queued)."""

    progressed = Signal(int, int, int, object)  # run, done, total, FeedOutcome


class RefreshController(QObject):
    """Runs core.refresh() for one main window and shows how it goes in its status bar.

    Owns the window's NetworkStatus, Settings and automatic refresh (pass your own in tests).
    """

    started = Signal()
    progressed = Signal(int, int)  # feeds done, feeds in this refresh
    finished = Signal(object)  # RefreshResult, or None when the refresh raised

    def __init__(
        self,
        window: MainWindow,
        *,
        network: NetworkStatus | None = None,
        settings: Settings | None = None,
    ):
        super().__init__(window)
        self.window = window
        self.core = window.core
        self.network = network if network is not None else NetworkStatus(self)
        self.settings = settings if settings is not None else Settings(parent=self)
        self.last_result: RefreshResult | None = None
        self.summary = ""  # the last summary as plain text
        self._failed_titles: dict[int, str] = {}
        self._running = False
        self._run = 0  # progress from an earlier run is ignored
        self._cancel = threading.Event()
        self._items_stale = False  # feeds stored new items since the last merge
        self._sources_stale = False

        self._bridge = _ProgressBridge(self)
        self._bridge.progressed.connect(self._progressed)
        # Coalesces arrivals: the list and the sources follow at most every MERGE_EVERY_MS.
        self.arrivals_timer = QTimer(self)
        self.arrivals_timer.setSingleShot(True)
        self.arrivals_timer.setInterval(MERGE_EVERY_MS)
        self.arrivals_timer.timeout.connect(self._show_arrivals)

        self._make_status_widgets()
        self._make_preferences_action()
        keep_scroll_anchored(window.items)
        self.network.online_changed.connect(self._online_changed)
        self._online_changed(self.network.online)
        self.auto = AutoRefresh(self)

    # ---- widgets -------------------------------------------------------------------------

    def _make_status_widgets(self) -> None:
        bar = self.window.statusBar()
        # The summary is a normal widget: a passing status message covers it for a while.
        self.summary_label = _LinkLabel()
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.summary_label.linkActivated.connect(self._link_activated)
        self.summary_label.hide()
        bar.addWidget(self.summary_label)

        # Permanent widgets stay visible next to "Refreshing…" and other messages.
        self.offline_label = QLabel(self.tr("Offline"))
        self.offline_label.setToolTip(
            self.tr(
                "No network. Reading, searching and writing work as usual; feeds "
                "refresh when the network returns."
            )
        )
        self.offline_label.hide()
        bar.addPermanentWidget(self.offline_label)

        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat(self.tr("%v of %m feeds"))
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.hide()
        bar.addPermanentWidget(self.progress_bar)

        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop refreshing; what was fetched is kept"))
        self.stop_button.setFlat(True)
        self.stop_button.clicked.connect(self.cancel)
        self.stop_button.hide()
        bar.addPermanentWidget(self.stop_button)

    def _make_preferences_action(self) -> None:
        window = self.window
        self.preferences_action = QAction(self.tr("&Preferences…"), window)
        self.preferences_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.preferences_action.triggered.connect(self.show_preferences)
        edit_menu = _edit_menu(window)
        if not edit_menu.isEmpty():
            edit_menu.addSeparator()
        edit_menu.addAction(self.preferences_action)

    def show_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(self.settings, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _online_changed(self, online: bool) -> None:
        self.offline_label.setVisible(not online)

    # ---- running -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    def start(self, feed_ids: Sequence[int] | None = None, *, force: bool = False) -> bool:
        """Refresh (the due feeds, or these, now) unless one is running; False if one was."""
        if self._running:
            return False
        self._running = True
        self._run += 1
        self.window.refresh_action.setEnabled(False)
        self.summary_label.hide()
        if self.network.online:
            self.window.statusBar().showMessage(self.tr("Refreshing…"))
        else:
            self.window.statusBar().showMessage(
                self.tr("Refreshing while offline: feeds will fail until the network returns…")
            )
        self.progress_bar.setRange(0, 0)  # busy until the first feed is done
        self.progress_bar.show()
        self.stop_button.setEnabled(True)
        self.stop_button.show()

        self._cancel = cancel = threading.Event()
        core, run, bridge = self.core, self._run, self._bridge
        ids = list(feed_ids) if feed_ids is not None else None

        def report(done: int, total: int, outcome: FeedOutcome) -> None:
            bridge.progressed.emit(run, done, total, outcome)  # worker thread: emit only

        def work() -> tuple[RefreshResult, dict[int, str]]:
            result = core.refresh(ids, force=force, progress=report, cancel=cancel)
            titles: dict[int, str] = {}
            if result.count(Outcome.FAILED):  # the failed-feeds list shows titles
                titles = {f.id: f.title or f.url for f in core.list_feeds()}
            return result, titles

        run_in_background(work, on_success=self._done, on_error=self._raised, parent=self)
        self.started.emit()
        return True

    def cancel(self) -> None:
        """Stop early; feeds already fetched are kept. Safe when nothing runs."""
        self._cancel.set()
        if self._running:
            self.stop_button.setEnabled(False)
            self.window.statusBar().showMessage(self.tr("Stopping…"))

    def _progressed(self, run: int, done: int, total: int, outcome: FeedOutcome) -> None:
        if run != self._run or not self._running:
            return
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(done)
        if outcome.new_items or outcome.updated_items:
            self._items_stale = True
        if outcome.new_items or outcome.outcome is Outcome.FAILED:
            self._sources_stale = True  # unread counts or error marks; the rest at the end
        if (self._items_stale or self._sources_stale) and not self.arrivals_timer.isActive():
            self.arrivals_timer.start()
        self.progressed.emit(done, total)

    def _show_arrivals(self) -> None:
        model = self.window.item_model
        # A search list is ranked, so new items mean a reload: once, at the end.
        if self._items_stale and model.merges_in_place:
            self._items_stale = False
            model.merge_new_items()
        if self._sources_stale:
            self._sources_stale = False
            self.window.reload_sources()

    def _over(self) -> None:
        self._running = False
        self.arrivals_timer.stop()
        self.window.refresh_action.setEnabled(True)
        self.progress_bar.hide()
        self.stop_button.hide()

    def _done(self, answer: tuple[RefreshResult, dict[int, str]]) -> None:
        result, self._failed_titles = answer
        self._over()
        self.last_result = result
        self._catch_up()
        self._show_summary(result)
        self._announce_mentions(result)
        self.finished.emit(result)

    def _catch_up(self) -> None:
        if self._items_stale:  # a search list reloads here, once
            self.window.item_model.merge_new_items()
        self._items_stale = self._sources_stale = False
        self.window.reload_sources()  # feed states and counts, even when nothing was new

    def _raised(self, exc: BaseException) -> None:
        self._over()
        self._catch_up()  # what was stored before the error is kept: show it
        self.window.statusBar().clearMessage()
        errors.show_error(self.window, exc)
        self.finished.emit(None)

    # ---- the summary ---------------------------------------------------------------------

    def _show_summary(self, result: RefreshResult) -> None:
        new = (
            self.tr("%n new items", "", result.new_items)
            if result.new_items
            else self.tr("No new items")
        )
        failed = result.count(Outcome.FAILED)
        failed_text = self.tr("%n feeds failed", "", failed)
        if result.cancelled:
            new = self.tr("Refresh stopped: {new}").format(new=new)
        if failed:
            self.summary = self.tr("{new}, {failed}").format(new=new, failed=failed_text)
            link = f'<a href="{FAILED_LINK}">{html.escape(failed_text)}</a>'
            rich = self.tr("{new}, {failed}").format(new=html.escape(new), failed=link)
        else:
            self.summary = new
            rich = html.escape(new)
        self.window.statusBar().clearMessage()
        self.summary_label.setText(rich)
        self.summary_label.setToolTip(self.tr("Show the feeds that failed") if failed else "")
        self.summary_label.show()

    def _announce_mentions(self, result: RefreshResult) -> None:
        # Once per refresh, summarised ("5 new mentions of Acme"): never one per item.
        watch = getattr(self.window, "watch", None)  # ui/watch.py's WatchActions
        if watch is not None and result.mentions:
            watch.announce(result.mentions)

    def failed_feeds(self) -> list[FeedOutcome]:
        """The feeds that failed in the last refresh."""
        if self.last_result is None:
            return []
        return [f for f in self.last_result.feeds if f.outcome is Outcome.FAILED]

    def _link_activated(self, link: str) -> None:
        if link == FAILED_LINK:
            self.show_failed()

    def show_failed(self) -> FailedFeedsDialog:
        dialog = FailedFeedsDialog(self.failed_feeds(), self._failed_titles, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.retry_requested.connect(lambda ids: self.start(ids, force=True))
        dialog.show()
        return dialog


def _edit_menu(window: QWidget) -> QMenu:
    """The window's Edit menu (after File), made when no one has made it yet."""
    bar = window.menuBar()  # type: ignore[attr-defined]
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and menu.objectName() == "edit-menu":
            return menu
    menu = QMenu(window.tr("&Edit"), bar)
    menu.setObjectName("edit-menu")
    actions = bar.actions()
    if len(actions) > 1:
        bar.insertMenu(actions[1], menu)  # File, Edit, ...
    else:
        bar.addMenu(menu)
    return menu


class FailedFeedsDialog(QDialog):
    """The feeds the last refresh could not fetch: why, and when they are tried again."""

    retry_requested = Signal(list)  # feed ids

    TITLE, ERROR, NEXT_RETRY = range(3)

    def __init__(
        self,
        failed: Sequence[FeedOutcome],
        titles: dict[int, str],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Feeds that failed"))
        self.resize(720, 320)
        self.feed_ids = [f.feed_id for f in failed]

        self.list = QTreeWidget()
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels([self.tr("Feed"), self.tr("Error"), self.tr("Next try")])
        self.list.header().setSectionResizeMode(self.ERROR, QHeaderView.ResizeMode.Stretch)
        self.list.header().setStretchLastSection(False)
        self.list.setColumnWidth(self.TITLE, 220)
        for outcome in failed:
            title = titles.get(outcome.feed_id) or outcome.url
            next_try = (
                format_local(outcome.next_retry_at)
                if outcome.next_retry_at
                else self.tr("Next refresh")
            )
            row = QTreeWidgetItem([title, outcome.error or "", next_try])
            row.setToolTip(self.TITLE, outcome.url)
            row.setToolTip(self.ERROR, outcome.error or "")
            row.setData(self.TITLE, Qt.ItemDataRole.UserRole, outcome.feed_id)
            self.list.addTopLevelItem(row)
        self.list.resizeColumnToContents(self.NEXT_RETRY)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.retry_button = buttons.addButton(
            self.tr("&Retry failed feeds"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.retry_button.setEnabled(bool(self.feed_ids))
        self.retry_button.clicked.connect(self._retry)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        """What the list shows, row by row (title, error, next try)."""
        return [
            tuple(self.list.topLevelItem(r).text(c) for c in range(3))  # type: ignore[misc]
            for r in range(self.list.topLevelItemCount())
        ]

    def _retry(self) -> None:
        self.retry_requested.emit(list(self.feed_ids))
        self.accept()


class AutoRefresh(QObject):
    """Refreshes every N minutes (Settings), counted from the end of the last refresh.
    Paused while offline; a refresh that fell due meanwhile runs when the network returns."""

    def __init__(self, controller: RefreshController):
        super().__init__(controller)
        self.controller = controller
        self.network = controller.network
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._due)
        self._since_last = QElapsedTimer()
        self._since_last.start()  # the app's start counts as fresh: no refresh storm at login
        self.interval_ms = controller.settings.refresh_interval_minutes * 60_000
        controller.settings.changed.connect(self._setting_changed)
        self.network.online_changed.connect(self._schedule)
        controller.started.connect(self.timer.stop)
        controller.finished.connect(self._refreshed)
        self._schedule()

    def set_interval_ms(self, msecs: int) -> None:
        """0 turns automatic refresh off."""
        self.interval_ms = msecs
        self._schedule()

    def _setting_changed(self, key: str) -> None:
        if key == REFRESH_INTERVAL_KEY:
            self.set_interval_ms(self.controller.settings.refresh_interval_minutes * 60_000)

    def _refreshed(self, _result: object) -> None:
        self._since_last.restart()
        self._schedule()

    def _schedule(self, *_args: object) -> None:
        self.timer.stop()
        if self.interval_ms <= 0 or not self.network.online or self.controller.running:
            return  # offline: nothing fires; coming back online schedules again
        remaining = self.interval_ms - self._since_last.elapsed()
        self.timer.start(max(0, remaining))  # overdue (back online): at once

    def _due(self) -> None:
        if self.network.online:
            self.controller.start()


def keep_scroll_anchored(view: QTableView) -> None:
    """Rows inserted above the first visible row (a refresh merging new items) would push
    what the reader is looking at down; scroll by as many rows so it stays in place.
    At the very top, new rows simply show up."""
    anchor: list[int] = []

    def about_to_insert(parent: QModelIndex, first: int, _last: int) -> None:
        anchor.clear()
        top = view.rowAt(0)
        if not parent.isValid() and top > 0 and first <= top:
            anchor.append(view.verticalScrollBar().value())

    def inserted(_parent: QModelIndex, first: int, last: int) -> None:
        if not anchor:
            return
        rows = last - first + 1
        if view.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerPixel:
            rows *= view.verticalHeader().defaultSectionSize()
        bar = view.verticalScrollBar()
        target = anchor.pop() + rows
        # The view widens its range only later (updateGeometries); don't get clamped.
        bar.setMaximum(max(bar.maximum(), target))
        bar.setValue(target)

    model = view.model()
    model.rowsAboutToBeInserted.connect(about_to_insert)
    model.rowsInserted.connect(inserted)
