"""Publishing from the app: the composer's Schedule… dialog, the in-app scheduler that sends
due posts while the app is open, and the notifications it shows."""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
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

MAX_WAIT_MS = 15 * 60_000  # the longest single wait: long timers drift, other processes queue
PUBLISH_INTERVAL_MS = MAX_WAIT_MS  # the former polling interval's name (ui/queue.py passes it)
METRICS_RETRY = timedelta(minutes=15)  # counts that could not be read wait this long
WATCHDOG_MS = 60_000  # how often the wall clock is compared with the monotonic one
CLOCK_JUMP_S = 5.0  # a disagreement beyond this is a sleep or a clock change
RETRY_FLOOR_MS = 60_000  # a post a run left due is tried again after this, not in a loop
START_DELAY_MS = 2_000  # the first run waits for the window's own first reads
BANNER_MS = 15_000  # an in-window notification stays this long (or until closed)
BANNER_NOTES = 3  # notices one banner shows at once, newest last
ROUND_MINUTES = 5  # the dialog's default time: in an hour, rounded up to this
FIRST_WORDS = 60  # characters of a post a notification quotes
_PAST_GRACE_S = 60  # a time this far in the past still counts as "now"
PREVIEW_MAX_HEIGHT = 320  # a long thread scrolls in the dialog instead of growing it
_ERROR_STYLE = "color: #c62828;"
DEFAULT_STAGGER_MINUTES = 30  # "Queue for all ready accounts": minutes between accounts


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


def format_slot(when: datetime, now: datetime | None = None) -> str:
    """A slot as the user reads it: "Tue 09:00" within the coming week, else with the date."""
    local = QDateTime.fromSecsSinceEpoch(int(when.timestamp()))
    locale = QLocale()
    clock = locale.toString(local.time(), QLocale.FormatType.ShortFormat)
    if when - (now or datetime.now(UTC)) < timedelta(days=6):
        return f"{locale.dayName(local.date().dayOfWeek(), QLocale.FormatType.ShortFormat)} {clock}"
    return format_local(when)


class ScheduleDialog(QDialog):
    """When to publish one account's post: in the account's next free slot ("Add to queue"),
    at the front of its queue ("Share next"), at an exact local time, or now. It queues what
    the composer's tab shows: with or without the optional disclaimer, as one post or as the
    thread the tab was split into. The dialog is window-modal, so the tab cannot change
    while it is open."""

    queued = Signal(object)  # the Post

    def __init__(self, composer: ComposerWindow, account_id: int):
        super().__init__(composer)
        self.composer = composer
        self.account_id = account_id
        self.next_slot: datetime | None = None  # read in the background
        tab = composer.variant_tab(account_id)
        name = tab.account.name if tab is not None else ""
        self.disclaimer = tab.disclaimer if tab is not None else True
        # The parts the user saw; the core splits the same text with the same function.
        self.thread_parts: list[str] = list(tab.thread_parts) if tab and tab.threaded else []
        self.setWindowTitle(self.tr("Share on {account}").format(account=name))
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
        self.slot_label = QLabel(self.tr("Next slot: looking…"))

        self.buttons = QDialogButtonBox()
        self.queue_button = self.buttons.addButton(
            self.tr("Add to &queue"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.queue_button.setToolTip(self.tr("Publish it in the account’s next free slot"))
        self.next_button = self.buttons.addButton(
            self.tr("Share ne&xt"), QDialogButtonBox.ButtonRole.ActionRole)
        self.next_button.setToolTip(self.tr(
            "Put it at the front of the account’s queue: the posts queued before it move on"))
        self.schedule_button = self.buttons.addButton(
            self.tr("&Schedule at time"), QDialogButtonBox.ButtonRole.ActionRole)
        self.now_button = self.buttons.addButton(
            self.tr("Share &now"), QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.queue_button.setDefault(True)
        self.queue_button.setEnabled(False)  # until the next slot is known
        self.next_button.setEnabled(False)
        self.queue_button.clicked.connect(lambda _c=False: self.share("queue"))
        self.next_button.clicked.connect(lambda _c=False: self.share("next"))
        self.schedule_button.clicked.connect(lambda _c=False: self.schedule(now=False))
        self.now_button.clicked.connect(lambda _c=False: self.schedule(now=True))
        self.buttons.rejected.connect(self.reject)

        when_label = QLabel(self.tr("&At (local time):"))
        when_label.setBuddy(self.when)
        row = QHBoxLayout()
        row.addWidget(when_label)
        row.addWidget(self.when, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.thread_label)
        layout.addWidget(self.preview_area)
        layout.addWidget(self.slot_label)
        layout.addLayout(row)
        hint = QLabel(self.tr(
            "The text is final once queued: to change it later, cancel the post and "
            "schedule the edited draft again."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._read_next_slot()

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

    def _read_next_slot(self) -> None:
        core, account_id = self.composer.core, self.account_id
        run_in_background(lambda: core.next_free_slot(account_id),
                          on_success=self._next_slot_read, on_error=self._next_slot_failed,
                          parent=self)

    def _next_slot_read(self, when: datetime) -> None:
        self.next_slot = when
        self.slot_label.setText(self.tr("Next slot: {time}").format(time=format_slot(when)))
        self.queue_button.setEnabled(True)
        self.next_button.setEnabled(True)

    def _next_slot_failed(self, exc: BaseException) -> None:
        self.slot_label.setText(self.tr("No next slot: {error}").format(
            error=errors.describe(exc)[0]))
        self.schedule_button.setDefault(True)

    def schedule(self, *, now: bool) -> None:
        """Queue the post at the chosen time (now: at once, and run the scheduler)."""
        at = datetime.now(UTC) if now else to_utc(self.when.dateTime())
        if not now and (datetime.now(UTC) - at).total_seconds() > _PAST_GRACE_S:
            self.status.error(self.tr(
                "That time has passed: choose a later one, or share now."))
            return
        self.share("now" if now else "at", at)

    def share(self, how: str, at: datetime | None = None) -> None:
        """Queue the post: "queue" (the next free slot), "next" (the front of the queue),
        "at" (the time `at`), "now" (at once, and run the scheduler)."""
        self._set_busy(True)
        self.status.busy(self.tr("Saving the draft…"))
        # queue_post reads the draft from the database: the last keystrokes must be there.
        when_saved(self.composer, lambda: self._queue(how, at), self._save_failed)

    def _queue(self, how: str, at: datetime | None) -> None:
        if self.composer.draft_id is None:
            return
        draft_id, account_id, core = self.composer.draft_id, self.account_id, self.composer.core
        disclaimer, thread = self.disclaimer, bool(self.thread_parts)

        def queue() -> Post:
            if how in ("queue", "next"):
                post = core.queue_post(draft_id, account_id, None, next_slot=True,
                                       disclaimer=disclaimer, thread=thread)
                return core.share_next(post.id) if how == "next" else post
            return core.queue_post(draft_id, account_id, at, disclaimer=disclaimer,
                                   thread=thread)

        self.status.busy(self.tr("Queuing…"))
        run_in_background(queue, on_success=lambda post: self._queued(post, how),
                          on_error=self._failed, parent=self)

    def _queued(self, post: Post, how: str) -> None:
        queue_events().changed.emit()
        time_text = format_local(post.scheduled_at)
        if how == "now":
            message = self.tr("Publishing on {account}…").format(account=post.account)
            scheduler = getattr(getattr(self.composer.main_window, "publishing", None),
                                "scheduler", None)
            if scheduler is not None:
                scheduler.run_now()
        elif how == "queue":
            message = self.tr("Added to {account}’s queue for {time}").format(
                account=post.account, time=time_text)
        elif how == "next":
            message = self.tr("Shares next on {account}, at {time}").format(
                account=post.account, time=time_text)
        else:
            message = self.tr("Scheduled on {account} for {time}").format(
                account=post.account, time=time_text)
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
        for button in (self.schedule_button, self.now_button):
            button.setEnabled(not busy)
        for button in (self.queue_button, self.next_button):
            button.setEnabled(not busy and self.next_slot is not None)
        self.when.setEnabled(not busy)


class QueueAllDialog(QDialog):
    """One draft to every ready account at once: each in its own next free slot, or staggered
    by N minutes from a time. All or nothing: when the core refuses one account's post, none
    is queued and the dialog says why."""

    queued = Signal(object)  # list[Post]

    def __init__(self, composer: ComposerWindow):
        super().__init__(composer)
        self.composer = composer
        self.tabs = [t for t in composer.variant_tabs() if t.ready]
        self.setWindowTitle(self.tr("Queue for all ready accounts"))
        self.setMinimumWidth(440)
        self.accounts = QListWidget()
        for tab in self.tabs:
            item = QListWidgetItem(tab.account.name)
            item.setData(Qt.ItemDataRole.UserRole, tab.account.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.accounts.addItem(item)
        self.accounts.setMaximumHeight(140)
        self.each_slot = QRadioButton(self.tr("&Each in its next free slot"))
        self.staggered = QRadioButton(self.tr("S&taggered by"))
        self.each_slot.setChecked(True)
        self.stagger = QSpinBox()
        self.stagger.setRange(0, 24 * 60)
        self.stagger.setValue(DEFAULT_STAGGER_MINUTES)
        self.stagger.setSuffix(self.tr(" min"))
        self.stagger.setAccessibleName(self.tr("Minutes between accounts"))
        self.start = QDateTimeEdit(default_time())
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat(ScheduleDialog._format())
        self.start.setAccessibleName(self.tr("First post at"))
        self.status = InlineStatus()
        self.buttons = QDialogButtonBox()
        self.queue_button = self.buttons.addButton(
            self.tr("&Queue"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.queue_button.setDefault(True)
        self.queue_button.clicked.connect(lambda _c=False: self.submit())
        self.buttons.rejected.connect(self.reject)

        stagger_row = QHBoxLayout()
        stagger_row.addWidget(self.staggered)
        stagger_row.addWidget(self.stagger)
        stagger_row.addWidget(QLabel(self.tr("from")))
        stagger_row.addWidget(self.start, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Accounts:")))
        layout.addWidget(self.accounts)
        layout.addWidget(self.each_slot)
        layout.addLayout(stagger_row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def checked_ids(self) -> list[int]:
        items = (self.accounts.item(i) for i in range(self.accounts.count()))
        return [int(i.data(Qt.ItemDataRole.UserRole)) for i in items
                if i.checkState() == Qt.CheckState.Checked]

    def submit(self) -> None:
        ids = self.checked_ids()
        if not ids:
            self.status.error(self.tr("Choose at least one account."))
            return
        tabs = [t for t in self.tabs if t.account.id in ids]
        # The core takes one disclaimer choice for all: only where it can be chosen at all.
        optional = {t.disclaimer for t in tabs
                    if t.account.disclaimer.strip() and not t.account.disclaimer_mandatory}
        if len(optional) > 1:
            self.status.error(self.tr(
                "The disclaimer is on for some of these accounts and off for others: "
                "make them the same, or share each account on its own."))
            return
        at: datetime | None = None
        stagger: timedelta | None = None
        if self.staggered.isChecked():
            at = to_utc(self.start.dateTime())
            if (datetime.now(UTC) - at).total_seconds() > _PAST_GRACE_S:
                self.status.error(self.tr("That time has passed: choose a later one."))
                return
            stagger = timedelta(minutes=self.stagger.value())
        disclaimer = optional.pop() if optional else True
        # thread=True only splits a post over its limit, which a ready tab is only when the
        # user split it: the same as each tab's own choice.
        thread = any(t.threaded for t in tabs)
        self._set_busy(True)
        self.status.busy(self.tr("Saving the draft…"))
        when_saved(self.composer,
                   lambda: self._queue(ids, at, stagger, disclaimer, thread), self._save_failed)

    def _queue(self, ids: list[int], at: datetime | None, stagger: timedelta | None,
               disclaimer: bool, thread: bool) -> None:
        if self.composer.draft_id is None:
            return
        draft_id, core = self.composer.draft_id, self.composer.core
        self.status.busy(self.tr("Queuing…"))
        run_in_background(
            lambda: core.queue_for_accounts(draft_id, ids, at=at, stagger=stagger,
                                            disclaimer=disclaimer, thread=thread),
            on_success=self._queued, on_error=self._failed, parent=self)

    def _queued(self, posts: list[Post]) -> None:
        queue_events().changed.emit()
        where = ", ".join(
            self.tr("{account} at {time}").format(account=p.account,
                                                  time=format_slot(p.scheduled_at))
            for p in posts)
        self.composer.status_label.setText(self.tr("Queued: {where}").format(where=where))
        self.composer.status_label.setStyleSheet("")
        self.queued.emit(posts)
        self.accept()

    def _save_failed(self, message: str) -> None:
        self._set_busy(False)
        self.status.error(message)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.status.error(errors.describe(exc)[0])  # the core's refusal: nothing was queued

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.queue_button, self.accounts, self.each_slot, self.staggered,
                       self.stagger, self.start):
            widget.setEnabled(not busy)


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


def _publish(core: Curator, now: datetime) -> list[tuple[PublishOutcome, Post | None]]:
    """Runs in the background: send what is due, and read each post back for its text."""
    # "hold": a post more than the grace late and never tried waits for the user's answer
    # (ui/overdue.py); the GUI never sends a week of missed posts in one burst.
    outcomes = core.publish_due(now, overdue="hold")
    # Engagement counts due (1 h, 24 h, 7 d after publishing) ride along: a failure is a
    # value in the snapshots, never an exception, and the next run asks again.
    core.fetch_metrics(now=now)
    found: list[tuple[PublishOutcome, Post | None]] = []
    for outcome in outcomes:
        try:
            found.append((outcome, core.get_post(outcome.post_id)))
        except Exception:  # noqa: BLE001 - the notification can do without the text
            found.append((outcome, None))
    return found


@dataclass(frozen=True)
class WakeUp:
    """What the scheduler waits for: the next time a post is due (None: nothing queued), and
    the overdue posts publish_due holds for the user (never a reason to wake up)."""

    due_at: datetime | None
    held: list[Post]


def next_wake_up(core: Curator, now: datetime) -> WakeUp:
    """Runs in the background: when the next post is due (the core leaves out the overdue
    posts publish_due holds: they would wake us at once, in a loop), or the next engagement
    counts, and which posts are held."""
    due = core.next_due_at(now)
    counts = core.next_metrics_due(now)
    if counts is not None:
        # Counts already due were asked for by the last run and failed: try again later,
        # not in a loop.
        counts = max(counts, now + METRICS_RETRY)
        due = counts if due is None else min(due, counts)
    return WakeUp(due, core.overdue_posts(now))


class PublishScheduler(QObject):
    """Publishes due posts while the app is open, waking up when the next one is due.

    One single-shot timer is set for core.next_due_at() (read in the background) and set
    again after each run, when the queue changes (queue_events) and when the network comes
    and goes; a wait longer than `max_wait_ms` is split, so that posts another process queued
    (`curator queue add` from a script) are noticed too. A watchdog compares the wall clock
    with the monotonic clock every `watchdog_ms`: when they disagree (the computer slept, or
    the system clock was changed) the wake-up is computed anew. Publishing runs in the
    background (never two at once, never while offline); the core makes sure a post goes
    out once even with `curator publish-due` running from cron as well.
    """

    finished = Signal(object)  # list[tuple[PublishOutcome, Post | None]]
    armed = Signal(object)  # the due time the timer was just set for (datetime | None)
    held = Signal(object)  # list[Post]: overdue posts held for the user, new ones only
    clock_jumped = Signal(float)  # seconds the wall clock moved beyond the monotonic one

    def __init__(
        self,
        core: Curator,
        network: NetworkStatus,
        notifier: Notifier,
        *,
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        interval_ms: int = MAX_WAIT_MS,
        watchdog_ms: int = WATCHDOG_MS,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.core = core
        self.network = network
        self.notifier = notifier
        self.now = now  # None: the real clock (tests inject one)
        self.monotonic = monotonic  # tests inject one with `now`, to fake a sleep
        self.max_wait_ms = interval_ms
        self.runs = 0  # publish_due calls started
        self.reads = 0  # wake-up times read
        self.wake_at: datetime | None = None  # the due time the timer waits for
        self._started = False
        self._running = False
        self._again = False  # asked to run while running: once more afterwards
        self._reading = False
        self._read_again = False
        self._run_on_wake = False
        self._last_run_now: datetime | None = None  # the clock of the last run's start
        self._last_run_mono = 0.0
        self._held_seen: set[int] = set()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one may fire 5 % early
        self.timer.timeout.connect(self._wake)
        self.watchdog = QTimer(self)
        self.watchdog.setInterval(watchdog_ms)
        self.watchdog.timeout.connect(self.check_clock)
        self._wall_mark = 0.0
        self._mono_mark = 0.0
        network.online_changed.connect(self._online_changed)
        queue_events().changed.connect(self.rearm)

    # ---- clocks ----------------------------------------------------------------------------

    def wall_now(self) -> datetime:
        return self.now() if self.now is not None else datetime.now(UTC)

    def _mark_clocks(self) -> None:
        self._wall_mark = self.wall_now().timestamp()
        self._mono_mark = self.monotonic()

    def check_clock(self) -> bool:
        """The watchdog's tick: True (and the wake-up computed anew) when the wall clock moved
        more than CLOCK_JUMP_S away from the monotonic one since the last tick: the computer
        slept (Qt's timers stood still meanwhile) or someone set the clock."""
        wall, mono = self.wall_now().timestamp(), self.monotonic()
        drift = (wall - self._wall_mark) - (mono - self._mono_mark)
        self._wall_mark, self._mono_mark = wall, mono
        if abs(drift) <= CLOCK_JUMP_S:
            return False
        self.clock_jumped.emit(drift)
        self.rearm()
        return True

    # ---- starting and arming ---------------------------------------------------------------

    def start(self, first_delay_ms: int = START_DELAY_MS) -> None:
        """Catch up with what is due after `first_delay_ms`, then wake up when needed."""
        self._started = True
        self._mark_clocks()
        self.watchdog.start()
        self._run_on_wake = True
        self.timer.start(first_delay_ms)

    def stop(self) -> None:
        """No more automatic runs (run_now still works)."""
        self._started = False
        self.timer.stop()
        self.watchdog.stop()

    @property
    def started(self) -> bool:
        return self._started

    def rearm(self) -> None:
        """Read the next due time in the background and set the timer for it."""
        if not self._started:
            return
        if self._reading:
            self._read_again = True
            return
        self._reading = True
        self._read_again = False
        self.reads += 1
        core, now = self.core, self.wall_now()
        run_in_background(lambda: next_wake_up(core, now), on_success=self._read,
                          on_error=self._read_failed, parent=self)

    def _read(self, wake: WakeUp) -> None:
        self._reading = False
        if self._read_again:
            self.rearm()
            return
        new = [p for p in wake.held if p.id not in self._held_seen]
        self._held_seen.update(p.id for p in new)
        if new:
            self.held.emit(new)
        self.arm(wake.due_at)

    def _read_failed(self, exc: BaseException) -> None:
        # A storage error: try again after the longest wait; the status bar says why.
        self._reading = False
        self._show_error(exc)
        self.arm(None)

    def arm(self, due_at: datetime | None) -> None:
        """Set the timer for `due_at` (None: only to look again after the longest wait)."""
        if not self._started:
            return
        if not self.network.online:
            self.timer.stop()  # nothing can go out: the network's return runs it
            self.wake_at = None
            self.armed.emit(None)
            return
        wait_ms = self.max_wait_ms
        if due_at is not None:
            wait_ms = max(0, math.ceil((due_at - self.wall_now()).total_seconds() * 1000))
            if self._last_run_now is not None and due_at <= self._last_run_now:
                # The last run saw this post due and left it (another process is sending
                # it, its account needs the user): no loop of runs, one try a minute at most.
                since_ms = int((self.monotonic() - self._last_run_mono) * 1000)
                wait_ms = max(wait_ms, RETRY_FLOOR_MS - since_ms)
        self.wake_at = due_at
        self._run_on_wake = due_at is not None and wait_ms <= self.max_wait_ms
        self.timer.start(min(wait_ms, self.max_wait_ms))
        self.armed.emit(due_at)

    def _wake(self) -> None:
        if self._run_on_wake and self.wake_at is not None and self.wake_at > self.wall_now():
            self.arm(self.wake_at)  # woke a little early (timer rounding): wait the rest
            return
        if self._run_on_wake:
            self._run_on_wake = False
            if self.run_now():
                return
            if self._running:
                return  # the run going on re-arms when it ends
        self.rearm()

    # ---- running ---------------------------------------------------------------------------

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
        # Our clock, not the core's (whole seconds): the timer woke for this very instant.
        now = self._last_run_now = self.wall_now()
        self._last_run_mono = self.monotonic()
        core = self.core
        run_in_background(
            lambda: _publish(core, now),
            on_success=self._done,
            on_error=self._failed,
            parent=self,
        )
        return True

    def _online_changed(self, online: bool) -> None:
        if online and self.run_now():
            return  # the run re-arms when it ends
        self.rearm()

    def _done(self, results: list[tuple[PublishOutcome, Post | None]]) -> None:
        self._running = False
        for outcome, post in results:
            self._notify(outcome, post)
        if results:
            queue_events().changed.emit()  # also re-arms (rearm coalesces)
        self.finished.emit(results)
        if self._again:
            self.run_now()
        else:
            self.rearm()

    def _failed(self, exc: BaseException) -> None:
        # A storage error: no dialog at every wake-up; the status bar says it, later runs retry.
        self._running = False
        self._show_error(exc)
        self.finished.emit([])
        if self._again:
            self.run_now()
        else:
            self.rearm()

    def _show_error(self, exc: BaseException) -> None:
        window = self.notifier.window
        if shiboken6.isValid(window):
            window.statusBar().showMessage(
                self.tr("Could not publish the due posts: {error}").format(
                    error=errors.describe(exc)[0]), BANNER_MS)

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
