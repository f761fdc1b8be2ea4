"""Publishing from the app: the composer's Schedule… dialog, the in-app scheduler that sends
due posts while the app is open, and the notifications it shows."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QDateTime,
    QEvent,
    QLocale,
    QObject,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.types import Post, PostState, PublishOutcome

from . import errors
from .feeddialogs import InlineStatus
from .models import format_local
from .network import NetworkStatus
from .tasks import run_in_background

if TYPE_CHECKING:
    from .composer import ComposerWindow, VariantTab

PUBLISH_INTERVAL_MS = 30_000  # due posts go out within this of their time while the app is open
START_DELAY_MS = 2_000  # the first run waits for the window's own first reads
BANNER_MS = 15_000  # an in-window notification stays this long (or until closed)
BANNER_NOTES = 3  # notices one banner shows at once, newest last
ROUND_MINUTES = 5  # the dialog's default time: in an hour, rounded up to this
FIRST_WORDS = 60  # characters of a post a notification quotes
_PAST_GRACE_S = 60  # a time this far in the past still counts as "now"
PREVIEW_MAX_HEIGHT = 320  # a long thread scrolls in the dialog instead of growing it
_ERROR_STYLE = "color: #c62828;"


def _tr(text: str) -> str:
    return QCoreApplication.translate("scheduler", text)


def first_words(text: str, limit: int = FIRST_WORDS) -> str:
    """The post's first line, cut at a word when longer than `limit`."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] if " " in line[: limit - 1] else line[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"


class QueueEvents(QObject):
    """Posts were queued, cancelled, retried or published: queue views reload."""

    changed = Signal()


_events: QueueEvents | None = None


def queue_events() -> QueueEvents:
    global _events
    if _events is None:
        _events = QueueEvents()
    return _events


# ---- scheduling from the composer -----------------------------------------------------------


def default_time(now: QDateTime | None = None) -> QDateTime:
    """In an hour, rounded up to ROUND_MINUTES, local time."""
    now = now or QDateTime.currentDateTime()
    step = ROUND_MINUTES * 60
    secs = math.ceil((now.toSecsSinceEpoch() + 3600) / step) * step
    return QDateTime.fromSecsSinceEpoch(secs)


def to_utc(when: QDateTime) -> datetime:
    return datetime.fromtimestamp(when.toSecsSinceEpoch(), UTC)


class ScheduleButton(QPushButton):
    """A variant tab's "Schedule…": enabled only while the variant may be scheduled."""

    def __init__(self, tab: VariantTab):
        super().__init__(_tr("Sc&hedule…"))
        self.tab = tab
        self.setEnabled(False)  # until the tab's first count says it is ready
        self.setToolTip(_tr("Queue this account’s post, or publish it now"))
        self.clicked.connect(lambda _checked=False: self.open_dialog())

    def open_dialog(self) -> ScheduleDialog:
        dialog = ScheduleDialog(self.tab.composer, self.tab.account.id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog


class ScheduleDialog(QDialog):
    """When to publish one account's post: a local date and time, or now. It queues what the
    composer's tab shows: with or without the optional disclaimer, as one post or as the
    thread the tab was split into. The dialog is window-modal, so the tab cannot change
    while it is open."""

    queued = Signal(object)  # the Post

    def __init__(self, composer: ComposerWindow, account_id: int):
        super().__init__(composer)
        self.composer = composer
        self.account_id = account_id
        tab = composer.variant_tab(account_id)
        name = tab.account.name if tab is not None else ""
        self.disclaimer = tab.disclaimer if tab is not None else True
        # The parts the user saw; the core splits the same text with the same function.
        self.thread_parts: list[str] = list(tab.thread_parts) if tab and tab.threaded else []
        self.setWindowTitle(self.tr("Schedule for {account}").format(account=name))
        self.setMinimumWidth(460)
        self.when = QDateTimeEdit(default_time())
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(self._format())
        self.status = InlineStatus()
        self.preview = QLabel(self._preview_text(composer.final_text(account_id) or ""))
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preview_area = QScrollArea()
        self.preview_area.setWidget(self.preview)
        self.preview_area.setWidgetResizable(True)
        self.preview_area.setFrameShape(QFrame.Shape.StyledPanel)
        self.preview_area.setMaximumHeight(PREVIEW_MAX_HEIGHT)
        # A thread has two parts or more: no singular forms needed below.
        self.thread_label = QLabel(self.tr(
            "Goes out as a thread of {count} posts, each a reply to the one before.").format(
            count=len(self.thread_parts)))
        self.thread_label.setWordWrap(True)
        self.thread_label.setVisible(bool(self.thread_parts))

        self.buttons = QDialogButtonBox()
        self.schedule_button = self.buttons.addButton(
            self.tr("&Schedule"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.now_button = self.buttons.addButton(
            self.tr("Publish &now"), QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.schedule_button.setDefault(True)
        self.schedule_button.clicked.connect(lambda _c=False: self.schedule(now=False))
        self.now_button.clicked.connect(lambda _c=False: self.schedule(now=True))
        self.buttons.rejected.connect(self.reject)

        when_label = QLabel(self.tr("&When (local time):"))
        when_label.setBuddy(self.when)
        row = QHBoxLayout()
        row.addWidget(when_label)
        row.addWidget(self.when, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.thread_label)
        layout.addWidget(self.preview_area)
        layout.addLayout(row)
        hint = QLabel(self.tr(
            "The text is final once queued: to change it later, cancel the post and "
            "schedule the edited draft again."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    @staticmethod
    def _format() -> str:
        return QLocale().dateTimeFormat(QLocale.FormatType.ShortFormat)

    def _preview_text(self, final: str) -> str:
        if not self.thread_parts:
            return final
        total = len(self.thread_parts)
        return "\n\n".join(
            self.tr("Post {number} of {total}:").format(number=n, total=total) + "\n" + part
            for n, part in enumerate(self.thread_parts, 1))

    def schedule(self, *, now: bool) -> None:
        """Queue the post at the chosen time (now: at once, and run the scheduler)."""
        at = datetime.now(UTC) if now else to_utc(self.when.dateTime())
        if not now and (datetime.now(UTC) - at).total_seconds() > _PAST_GRACE_S:
            self.status.error(self.tr(
                "That time has passed: choose a later one, or publish now."))
            return
        self._set_busy(True)
        self.status.busy(self.tr("Saving the draft…"))
        # queue_post reads the draft from the database: the last keystrokes must be there.
        when_saved(self.composer, lambda: self._queue(at, now), self._save_failed)

    def _queue(self, at: datetime, now: bool) -> None:
        if self.composer.draft_id is None:
            return
        draft_id, account_id, core = self.composer.draft_id, self.account_id, self.composer.core
        disclaimer, thread = self.disclaimer, bool(self.thread_parts)
        self.status.busy(self.tr("Queuing…"))
        run_in_background(
            lambda: core.queue_post(draft_id, account_id, at, disclaimer=disclaimer,
                                    thread=thread),
            on_success=lambda post: self._queued(post, now),
            on_error=self._failed,
            parent=self,
        )

    def _queued(self, post: Post, now: bool) -> None:
        queue_events().changed.emit()
        if now:
            message = self.tr("Publishing on {account}…").format(account=post.account)
            scheduler = getattr(getattr(self.composer.main_window, "publishing", None),
                                "scheduler", None)
            if scheduler is not None:
                scheduler.run_now()
        else:
            message = self.tr("Scheduled on {account} for {time}").format(
                account=post.account, time=format_local(post.scheduled_at))
        if post.thread:
            message += " " + self.tr("(a thread of {count} posts)").format(
                count=len(post.thread) + 1)
        self.composer.status_label.setText(message)
        self.composer.status_label.setStyleSheet("")
        self.queued.emit(post)
        self.accept()

    def _save_failed(self, message: str) -> None:
        self._set_busy(False)
        self.status.error(message)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.status.error(errors.describe(exc)[0])

    def _set_busy(self, busy: bool) -> None:
        self.schedule_button.setEnabled(not busy)
        self.now_button.setEnabled(not busy)
        self.when.setEnabled(not busy)


def when_saved(composer: ComposerWindow, then: Callable[[], None],
               failed: Callable[[str], None]) -> None:
    """Call then() once every change typed in the composer is on disk (failed(message) when
    a save fails)."""
    saver = composer.saver
    saver.flush()
    if saver.idle():
        then()
        return

    def changed(state: str, message: str) -> None:
        if state == "error":
            saver.state_changed.disconnect(changed)
            failed(message)
        elif saver.idle():
            saver.state_changed.disconnect(changed)
            then()

    saver.state_changed.connect(changed)


# ---- notifications ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    title: str
    text: str
    link: str | None
    failed: bool
    where: str  # "tray" or "window"
    link_text: str | None = None  # what the link says (default: its address)


def _notice_html(note: Notification) -> str:
    body = html.escape(note.text)
    if note.link:
        link = html.escape(note.link, quote=True)
        label = html.escape(note.link_text) if note.link_text else link
        body += f'<br><a href="{link}">{label}</a>'
    style = f' style="{_ERROR_STYLE}"' if note.failed else ""
    return f"<b{style}>{html.escape(note.title)}</b><br>{body}"


class Banner(QFrame):
    """A small non-modal notice over the window's bottom right corner; it hides itself."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setObjectName("notification-banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setOpenExternalLinks(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip(_tr("Close"))
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.hide)
        self._notes: list[Notification] = []  # shown now: one run may publish several posts
        self.hide()
        window.installEventFilter(self)

    def show_notice(self, note: Notification) -> None:
        if not self.isVisible():
            self._notes = []
        self._notes = [*self._notes, note][-BANNER_NOTES:]
        self.label.setText("<br><br>".join(_notice_html(n) for n in self._notes))
        self._place()
        self.show()
        self.raise_()
        self.timer.start(BANNER_MS)

    def text(self) -> str:
        return self.label.text()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        window = self.parentWidget()
        if window is None:
            return
        width = min(420, max(200, window.width() // 2))
        self.setFixedWidth(width)
        self.adjustSize()
        bottom = window.height() - 8
        if isinstance(window, QMainWindow) and window.statusBar().isVisible():
            bottom -= window.statusBar().height()
        self.move(window.width() - width - 8, bottom - self.height())


class Notifier(QObject):
    """Tells the user what the scheduler did: the system tray's message when there is a
    tray (there is none offscreen, under Xvfb or on some desktops), else the status bar and
    a banner in the window."""

    def __init__(self, window: QMainWindow,
                 tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable):
        super().__init__(window)
        self.window = window
        self.tray_available = tray_available  # tests swap it
        self.tray: QSystemTrayIcon | None = None
        self.banner = Banner(window)
        self.shown: list[Notification] = []  # this session's, oldest first
        self._tray_link: str | None = None

    def notify(self, title: str, text: str, *, link: str | None = None,
               failed: bool = False, link_text: str | None = None) -> Notification:
        where = "tray" if self.tray_available() else "window"
        note = Notification(title, text, link, failed, where, link_text)
        self.shown.append(note)
        if where == "tray":
            tray = self._tray()
            self._tray_link = link
            icon = (QSystemTrayIcon.MessageIcon.Warning if failed
                    else QSystemTrayIcon.MessageIcon.Information)
            tray.showMessage(title, text, icon, BANNER_MS)
        else:
            self.window.statusBar().showMessage(f"{title}: {text}", BANNER_MS)
            self.banner.show_notice(note)
        return note

    def _tray(self) -> QSystemTrayIcon:
        if self.tray is None:
            icon = self.window.windowIcon()
            if icon.isNull():
                icon = QIcon.fromTheme("mail-send")
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip(_tr("Curator"))
            # A click on the message opens what it is about.
            self.tray.messageClicked.connect(self._open_tray_link)
            self.tray.show()
        return self.tray

    def _open_tray_link(self) -> None:
        if self._tray_link:
            QDesktopServices.openUrl(QUrl(self._tray_link))


# ---- the in-app scheduler --------------------------------------------------------------------


def _publish(core: Curator, now: datetime | None) -> list[tuple[PublishOutcome, Post | None]]:
    """Runs in the background: send what is due, and read each post back for its text."""
    outcomes = core.publish_due(now)
    found: list[tuple[PublishOutcome, Post | None]] = []
    for outcome in outcomes:
        try:
            found.append((outcome, core.get_post(outcome.post_id)))
        except Exception:  # noqa: BLE001 - the notification can do without the text
            found.append((outcome, None))
    return found


class PublishScheduler(QObject):
    """Runs core.publish_due() every PUBLISH_INTERVAL_MS while the app is open (never two at
    once, never while offline), and notifies each post published or failed. The core makes
    sure a post goes out once even with `curator publish-due` running from cron as well."""

    finished = Signal(object)  # list[tuple[PublishOutcome, Post | None]]

    def __init__(
        self,
        core: Curator,
        network: NetworkStatus,
        notifier: Notifier,
        *,
        now: Callable[[], datetime] | None = None,
        interval_ms: int = PUBLISH_INTERVAL_MS,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.core = core
        self.network = network
        self.notifier = notifier
        self.now = now  # None: the core's clock (tests inject one)
        self.runs = 0  # publish_due calls started
        self._running = False
        self._again = False  # asked to run while running: once more afterwards
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.run_now)
        network.online_changed.connect(self._online_changed)

    def start(self, first_delay_ms: int = START_DELAY_MS) -> None:
        self.timer.start()
        QTimer.singleShot(first_delay_ms, self, self._first_run)

    def stop(self) -> None:
        """No more automatic runs (run_now still works)."""
        self.timer.stop()

    def _first_run(self) -> None:
        if self.timer.isActive():  # not stopped meanwhile
            self.run_now()

    @property
    def running(self) -> bool:
        return self._running

    def run_now(self) -> bool:
        """Publish what is due now; False when skipped (offline, or a run is going on: then
        one more follows it)."""
        if self._running:
            self._again = True
            return False
        if not self.network.online:
            return False  # the network's return runs it (_online_changed)
        self._running = True
        self._again = False
        self.runs += 1
        core, now = self.core, self.now() if self.now is not None else None
        run_in_background(
            lambda: _publish(core, now),
            on_success=self._done,
            on_error=self._failed,
            parent=self,
        )
        return True

    def _online_changed(self, online: bool) -> None:
        if online:
            self.run_now()

    def _done(self, results: list[tuple[PublishOutcome, Post | None]]) -> None:
        self._running = False
        for outcome, post in results:
            self._notify(outcome, post)
        if results:
            queue_events().changed.emit()
        self.finished.emit(results)
        if self._again:
            self.run_now()

    def _failed(self, exc: BaseException) -> None:
        # A storage error: no dialog every 30 s; the status bar says it, the next run retries.
        self._running = False
        window = self.notifier.window
        if shiboken6.isValid(window):
            window.statusBar().showMessage(
                self.tr("Could not publish the due posts: {error}").format(
                    error=errors.describe(exc)[0]), BANNER_MS)
        self.finished.emit([])
        if self._again:
            self.run_now()

    def _notify(self, outcome: PublishOutcome, post: Post | None) -> None:
        words = first_words(post.text) if post is not None else ""
        if outcome.state is PostState.PUBLISHED:
            if post is not None and post.thread:
                # The connectors' remote URL is the thread's first post: the link opens it.
                title = self.tr("Published a thread of {count} posts on {account}").format(
                    count=len(post.thread) + 1, account=outcome.account)
            elif post is not None and post.server_scheduled:
                title = self.tr("Scheduled on {account}’s server for {time}").format(
                    account=outcome.account, time=format_local(post.scheduled_at))
            else:
                title = self.tr("Published on {account}").format(account=outcome.account)
            self.notifier.notify(title, words, link=outcome.remote_url)
        elif outcome.state in (PostState.FAILED, PostState.NEEDS_ATTENTION):
            self.notifier.notify(
                self.tr("Could not publish on {account}").format(account=outcome.account),
                outcome.error or "", failed=True)
        # Scheduled again (a retry later): the queue window shows it; no notice every try.
