"""Posts → Queue…: every queued and recently published post, its state and the network's own
error, with Retry, Edit and Cancel; one account's queue to reorder, shuffle, pause and see the
gaps of; and the wiring of the in-app scheduler (and Posts → Calendar…) into the window."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QDropEvent, QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.types import Account, Post, PostState

from . import errors
from .feeddialogs import InlineStatus
from .models import format_local
from .scheduler import PUBLISH_INTERVAL_MS, Notifier, PublishScheduler, first_words, queue_events
from .tasks import run_in_background

if TYPE_CHECKING:
    from .calendar import CalendarWindow
    from .mainwindow import MainWindow

RELOAD_MS = 30_000  # the list also follows posts another process (cron) published
HISTORY = 50  # published posts shown below the queue
PostId = Qt.ItemDataRole.UserRole
SlotTime = Qt.ItemDataRole.UserRole + 1  # a free slot row's time (UTC)
GAPS_AHEAD = timedelta(days=7)  # one account's free slots are shown this far ahead
_ERROR_COLOR = QColor("#c62828")
_PAUSED_COLOR = QColor("#e65100")
RETRYABLE = (PostState.FAILED, PostState.NEEDS_ATTENTION)
EDITABLE = (PostState.SCHEDULED, PostState.FAILED, PostState.NEEDS_ATTENTION)


@dataclass
class QueueData:
    posts: list[Post]
    accounts: list[Account] = field(default_factory=list)
    free_slots: list[datetime] = field(default_factory=list)  # of the filtered account


def _load(core: Curator, extra: set[int], account_id: int | None = None) -> QueueData:
    """Runs in the background: the queue, then the posts asked for by id (cancelled here,
    opened from the calendar), then history; the accounts; the filtered account's gaps."""
    posts = core.list_queue()
    shown = {p.id for p in posts}
    for post_id in sorted(extra - shown):
        try:
            posts.append(core.get_post(post_id))
        except Exception:  # noqa: BLE001 - gone: nothing to show
            continue
    posts += [p for p in core.history(HISTORY) if p.id not in extra]
    accounts = core.list_accounts()
    slots: list[datetime] = []
    if account_id is not None and any(a.id == account_id for a in accounts):
        now = datetime.now(UTC)
        slots = core.free_slots(account_id, now, now + GAPS_AHEAD)
    return QueueData(posts, accounts, slots)


def is_paused(account: Account | None) -> bool:
    return account is not None and account.paused


def moved_order(order: Sequence[int], moved: int, target: int | None, after: bool) -> list[int]:
    """The ids in `order` with `moved` put before `target` (after it when `after`; at the end
    when target is None)."""
    if target == moved:  # dropped on itself
        return list(order)
    rest = [i for i in order if i != moved]
    if target is None or target not in rest:
        return [*rest, moved]
    at = rest.index(target) + (1 if after else 0)
    return [*rest[:at], moved, *rest[at:]]


class QueueList(QTreeWidget):
    """The post list; with one account shown, its scheduled posts can be dragged into a new
    order (the list asks; the core reorders)."""

    reordered = Signal(list)  # the account's scheduled post ids, in the new order

    def dropEvent(self, event: QDropEvent) -> None:
        source = self.currentItem()
        moved = source.data(0, PostId) if source is not None else None
        target_item = self.itemAt(event.position().toPoint())
        # Not a tree: a drop on a row counts as before or after it, by the drop's half.
        after = False
        if target_item is not None:
            rect = self.visualItemRect(target_item)
            after = event.position().y() > rect.center().y()
        target = target_item.data(0, PostId) if target_item is not None else None
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()  # the rows themselves move when the core has answered
        order = self.draggable_ids()
        if moved in order:
            if target not in order:  # a free slot or a published post: the nearest post
                target, after = self._nearest(target_item, order)
            new = moved_order(order, moved, target, after)
            if new != order:
                self.reordered.emit(new)

    def draggable_ids(self) -> list[int]:
        found = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [item.data(0, PostId) for item in found if item is not None
                and item.flags() & Qt.ItemFlag.ItemIsDragEnabled]

    def _nearest(self, item: QTreeWidgetItem | None, order: list[int]) -> tuple[int | None, bool]:
        if item is None:
            return None, True
        index = self.indexOfTopLevelItem(item)
        for i in range(index, -1, -1):  # the last post above it: after that one
            above = self.topLevelItem(i)
            if above is not None and above.data(0, PostId) in order:
                return above.data(0, PostId), True
        return (order[0] if order else None), False


class QueueWindow(QWidget):
    """Non-modal: the posts, what happened to each, and what the user can do about it."""

    ACCOUNT, TIME, TEXT, STATE = range(4)

    def __init__(self, window: MainWindow):
        super().__init__(window, Qt.WindowType.Window)
        self.main_window = window
        self.core: Curator = window.core
        self.posts: dict[int, Post] = {}
        self.cancelled: set[int] = set()  # cancelled here: shown until the window closes
        self.pinned: set[int] = set()  # opened from the calendar: shown even if old
        self.accounts: dict[int, Account] = {}
        self.free_slots: list[datetime] = []
        self._pending: tuple[int, Callable[[], Any] | None] | None = None  # show_post's
        self.confirm_box: QMessageBox | None = None
        self._loading = False
        self._stale = False
        self.setWindowTitle(self.tr("Post queue"))
        self.resize(860, 560)

        self.account_filter = QComboBox()
        self.account_filter.setAccessibleName(self.tr("Account"))
        self.account_filter.setToolTip(self.tr(
            "One account's queue: reorder it, shuffle it, pause it, see its free slots"))
        self.account_filter.addItem(self.tr("All accounts"), None)
        self.account_filter.currentIndexChanged.connect(lambda _i: self._filter_changed())
        filter_label = QLabel(self.tr("&Account:"))
        filter_label.setBuddy(self.account_filter)
        self.paused_label = QLabel()
        self.paused_label.setWordWrap(True)
        self.paused_label.setStyleSheet("color: #e65100; font-weight: bold;")
        self.paused_label.hide()

        self.list = QueueList()
        self.list.setAccessibleName(self.tr("Posts"))
        self.list.reordered.connect(self.reorder)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHeaderLabels(
            [self.tr("Account"), self.tr("Scheduled"), self.tr("Post"), self.tr("State")])
        header = self.list.header()
        header.setSectionResizeMode(self.TEXT, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.resizeSection(self.ACCOUNT, 160)
        header.resizeSection(self.TIME, 150)
        header.resizeSection(self.STATE, 190)  # "Scheduled on the server" in full
        self.list.currentItemChanged.connect(lambda *_: self._selection_changed())

        self.detail = QTextBrowser()
        self.detail.setOpenExternalLinks(True)
        self.detail.setObjectName("post-detail")

        self.retry_button = QPushButton(self.tr("&Retry"))
        self.retry_button.setToolTip(self.tr("Send this post again now"))
        self.retry_button.clicked.connect(lambda _c=False: self.retry())
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.edit_button.setToolTip(self.tr(
            "Take the post out of the queue and open its draft: schedule it again from "
            "the composer"))
        self.edit_button.clicked.connect(lambda _c=False: self.edit())
        self.cancel_button = QPushButton(self.tr("&Cancel post…"))
        self.cancel_button.setToolTip(self.tr("Do not publish this post"))
        self.cancel_button.clicked.connect(lambda _c=False: self.cancel())
        self.share_next_button = QPushButton(self.tr("Share ne&xt"))
        self.share_next_button.setToolTip(self.tr(
            "Move this post to the front of its account's queue"))
        self.share_next_button.clicked.connect(lambda _c=False: self.share_next())
        self.move_up_button = QPushButton(self.tr("Move &up"))
        self.move_up_button.setToolTip(self.tr("Publish this post one place earlier (Ctrl+Up)"))
        self.move_up_button.setShortcut("Ctrl+Up")
        self.move_up_button.clicked.connect(lambda _c=False: self.move_selected(-1))
        self.move_down_button = QPushButton(self.tr("Move do&wn"))
        self.move_down_button.setToolTip(self.tr(
            "Publish this post one place later (Ctrl+Down)"))
        self.move_down_button.setShortcut("Ctrl+Down")
        self.move_down_button.clicked.connect(lambda _c=False: self.move_selected(1))
        self.shuffle_button = QPushButton(self.tr("S&huffle"))
        self.shuffle_button.setToolTip(self.tr(
            "Mix this account's scheduled posts over the same times"))
        self.shuffle_button.clicked.connect(lambda _c=False: self.shuffle())
        self.pause_button = QPushButton(self.tr("&Pause queue"))
        self.pause_button.clicked.connect(lambda _c=False: self.toggle_paused())
        self.log_outcome_button = QPushButton(self.tr("&Log outcome…"))
        self.log_outcome_button.setToolTip(self.tr(
            "Something came of this post: a reply from a prospect, a meeting, a lead"))
        self.log_outcome_button.clicked.connect(lambda _c=False: self.log_outcome())
        self.status = InlineStatus()

        top = QHBoxLayout()
        top.addWidget(filter_label)
        top.addWidget(self.account_filter)
        for button in (self.move_up_button, self.move_down_button, self.shuffle_button,
                       self.pause_button):
            top.addWidget(button)
        top.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.log_outcome_button, self.share_next_button, self.retry_button,
                       self.edit_button, self.cancel_button):
            buttons.addWidget(button)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list)
        splitter.addWidget(self.detail)
        splitter.setSizes([360, 160])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.paused_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        self.timer = QTimer(self)
        self.timer.setInterval(RELOAD_MS)
        self.timer.timeout.connect(self.reload)
        self.timer.start()
        queue_events().changed.connect(self.reload)
        self._selection_changed()
        self.reload()

    # ---- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the posts again in the background (one read at a time)."""
        if self._loading:
            self._stale = True
            return
        self._loading, self._stale = True, False
        core, extra, account_id = self.core, self.cancelled | self.pinned, self.account_id()
        run_in_background(lambda: _load(core, extra, account_id), on_success=self._loaded,
                          on_error=self._load_failed, parent=self)

    def account_id(self) -> int | None:
        """The account shown alone, or None for all accounts."""
        data = self.account_filter.currentData()
        return int(data) if data is not None else None

    def _filter_changed(self) -> None:
        self._show_account_state()
        self.reload()

    def _fill_accounts(self, accounts: list[Account]) -> None:
        self.accounts = {a.id: a for a in accounts}
        chosen = self.account_id()
        self.account_filter.blockSignals(True)
        while self.account_filter.count() > 1:
            self.account_filter.removeItem(1)
        for account in sorted(accounts, key=lambda a: a.name.casefold()):
            name = account.name
            if is_paused(account):
                name = self.tr("{account} (paused)").format(account=name)
            self.account_filter.addItem(name, account.id)
        index = self.account_filter.findData(chosen) if chosen is not None else 0
        self.account_filter.setCurrentIndex(max(0, index))
        self.account_filter.blockSignals(False)
        if chosen is not None and index < 0:  # removed meanwhile: all accounts again
            self.reload()

    def _loaded(self, data: QueueData) -> None:
        self._loading = False
        current = self.current_post()
        keep = current.id if current is not None else None
        self._fill_accounts(data.accounts)
        account_id = self.account_id()
        posts = data.posts
        if account_id is not None:
            posts = [p for p in posts if p.account_id == account_id]
        self.posts = {p.id: p for p in data.posts}
        self.free_slots = data.free_slots if account_id is not None else []
        single = account_id is not None
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove if single
                                  else QAbstractItemView.DragDropMode.NoDragDrop)
        self.list.clear()
        slots = list(self.free_slots)
        for post in posts:
            waiting = post.state not in (PostState.PUBLISHED, PostState.CANCELLED)
            while slots and waiting and slots[0] < post.scheduled_at:
                self._add_free_slot(slots.pop(0))
            if not waiting:
                while slots:  # the gaps after the last waiting post, before the history
                    self._add_free_slot(slots.pop(0))
            item = self._post_item(post, draggable=single)
            self.list.addTopLevelItem(item)
            if post.id == keep:
                self.list.setCurrentItem(item)
        for slot in slots:
            self._add_free_slot(slot)
        self._show_account_state()
        self._selection_changed()
        if self._pending is not None and self.select(self._pending[0]):
            _post_id, then = self._pending
            self._pending = None
            if then is not None:
                then()
        if self._stale:
            self.reload()

    def _post_item(self, post: Post, *, draggable: bool) -> QTreeWidgetItem:
        paused = post.state is PostState.SCHEDULED and is_paused(
            self.accounts.get(post.account_id or -1))
        state = self.tr("Scheduled (queue paused)") if paused else self.state_text(post)
        item = QTreeWidgetItem([post.account, format_local(post.scheduled_at),
                                self.post_text(post), state])
        item.setData(0, PostId, post.id)
        item.setToolTip(self.TEXT, "\n\n".join([post.text, *post.thread]))
        if post.last_error:
            item.setToolTip(self.STATE, post.last_error)
        if post.state in RETRYABLE:
            item.setForeground(self.STATE, QBrush(_ERROR_COLOR))
        if paused:
            item.setForeground(self.STATE, QBrush(_PAUSED_COLOR))
            item.setToolTip(self.ACCOUNT, self.tr(
                "This account's queue is paused: its posts wait until you resume it"))
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if draggable and post.state is PostState.SCHEDULED:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        item.setFlags(flags)
        return item

    def _add_free_slot(self, at: datetime) -> None:
        account = self.accounts.get(self.account_id() or -1)
        item = QTreeWidgetItem([account.name if account else "", format_local(at),
                                self.tr("Free slot"), ""])
        item.setData(0, SlotTime, at)
        item.setToolTip(self.TEXT, self.tr(
            "Nothing is scheduled for this slot yet: Add to queue fills it"))
        font = QFont(self.list.font())
        font.setItalic(True)
        for column in range(self.list.columnCount()):
            item.setFont(column, font)
        # Not a post: greyed, neither selectable nor draggable; drops on it land next to it.
        item.setFlags(Qt.ItemFlag.ItemIsDropEnabled)
        self.list.addTopLevelItem(item)

    def free_slot_rows(self) -> list[tuple[str, str]]:
        """(account, time) of each free slot row, top to bottom (for tests)."""
        return [(item.text(self.ACCOUNT), item.text(self.TIME)) for item in self._items()
                if item.data(0, SlotTime) is not None]

    def _show_account_state(self) -> None:
        account = self.accounts.get(self.account_id() or -1)
        single = account is not None
        for button in (self.move_up_button, self.move_down_button, self.shuffle_button,
                       self.pause_button):
            button.setVisible(single)
        paused = is_paused(account)
        self.pause_button.setText(self.tr("&Resume queue") if paused else self.tr("&Pause queue"))
        self.pause_button.setToolTip(
            self.tr("Publish this account's posts again") if paused
            else self.tr("Hold this account's posts: none is published until you resume"))
        self.paused_label.setVisible(paused)
        if account is not None and paused:
            self.paused_label.setText(self.tr(
                "{account}'s queue is paused: nothing of it is published until you resume "
                "it.").format(account=account.name))

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.status.error(errors.describe(exc)[0])

    def state_text(self, post: Post) -> str:
        texts = {
            PostState.SCHEDULED: self.tr("Scheduled"),
            PostState.PUBLISHING: self.tr("Publishing"),
            PostState.PUBLISHED: self.tr("Published"),
            PostState.FAILED: self.tr("Failed"),
            PostState.NEEDS_ATTENTION: self.tr("Needs attention"),
            PostState.CANCELLED: self.tr("Cancelled"),
        }
        text = texts[post.state]
        if post.state is PostState.PUBLISHED and post.server_scheduled:
            text = self.tr("Scheduled on the server")
        if post.state is PostState.SCHEDULED and post.last_error:
            text = self.tr("Scheduled (will retry)")
        return text

    def post_text(self, post: Post) -> str:
        """The list's "Post" column: its first words, after "Thread of N" for a thread."""
        words = first_words(post.text, 120)
        if not post.thread:
            return words
        # A thread has two parts or more: no singular form needed.
        count = len(post.thread) + 1
        return self.tr("Thread of {count}").format(count=count) + " · " + words

    def rows(self) -> list[tuple[str, str, str]]:
        """(account, first line, state) of each post's row, top to bottom (for tests)."""
        return [(item.text(self.ACCOUNT), item.text(self.TEXT), item.text(self.STATE))
                for item in self._items() if item.data(0, SlotTime) is None]

    def _items(self) -> list[QTreeWidgetItem]:
        found = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [item for item in found if item is not None]

    def select(self, post_id: int) -> bool:
        for item in self._items():
            if item.data(0, PostId) == post_id:
                self.list.setCurrentItem(item)
                return True
        return False

    def current_post(self) -> Post | None:
        item = self.list.currentItem()
        post_id = item.data(0, PostId) if item is not None else None
        return self.posts.get(post_id) if post_id is not None else None

    def show_post(self, post_id: int, then: Callable[[], Any] | None = None) -> None:
        """Select the post (reading it first if the list does not hold it), then call then()."""
        self.pinned.add(post_id)
        post = self.posts.get(post_id)
        if post is not None and self.account_id() not in (None, post.account_id):
            self.account_filter.setCurrentIndex(0)  # all accounts: it reloads
        if self.select(post_id):
            if then is not None:
                then()
            return
        self._pending = (post_id, then)
        self.reload()

    def _selection_changed(self) -> None:
        post = self.current_post()
        state = post.state if post is not None else None
        self.retry_button.setEnabled(state in RETRYABLE)
        self.edit_button.setEnabled(state in EDITABLE and post is not None
                                    and post.draft_id is not None)
        self.cancel_button.setEnabled(state is PostState.SCHEDULED)
        self.share_next_button.setEnabled(state is PostState.SCHEDULED)
        order = self.list.draggable_ids()
        movable = post is not None and post.id in order
        self.move_up_button.setEnabled(movable and post is not None and order[0] != post.id)
        self.move_down_button.setEnabled(movable and post is not None and order[-1] != post.id)
        self.shuffle_button.setEnabled(len(order) > 1)
        self.detail.setHtml(self._detail_html(post) if post is not None else "")
        out = post is not None and state is PostState.PUBLISHED and not post.server_scheduled
        self.log_outcome_button.setEnabled(out)
        if out and post is not None:
            self._show_engagement(post)

    def _show_engagement(self, post: Post) -> None:
        """Below the details: the post's latest counts, outcomes and value (ui/analytics.py)."""
        from .analytics import engagement_html, load_engagement

        def loaded(found: tuple[Any, list[Any], float]) -> None:
            shown = self.current_post()
            if shown is not None and shown.id == post.id:  # the user may have moved on
                self.detail.setHtml(self._detail_html(shown) + engagement_html(*found))

        core, post_id = self.core, post.id
        run_in_background(lambda: load_engagement(core, post_id), on_success=loaded,
                          on_error=lambda _exc: None, parent=self)  # details stay as they are

    def log_outcome(self) -> QWidget | None:
        """Log what came of the selected published post (a lead, a meeting…)."""
        from .analytics import open_outcome_dialog

        post = self.current_post()
        if post is None or post.state is not PostState.PUBLISHED or post.server_scheduled:
            return None
        return open_outcome_dialog(self.core, post, self,
                                   on_logged=lambda _o: self._selection_changed())

    def _detail_html(self, post: Post) -> str:
        e = html.escape
        lines = [f"<p><b>{e(post.account)}</b> — {e(self.state_text(post))}</p>"]
        when = self.tr("Scheduled for {time}").format(time=format_local(post.scheduled_at, True))
        lines.append(f"<p>{e(when)}</p>")
        if post.state is PostState.PUBLISHED and post.server_scheduled:
            lines.append("<p>{}</p>".format(e(self.tr(
                "Handed to {account}’s server, which publishes it at that time even with this "
                "computer off. To change or cancel it now, use the network’s own app.").format(
                    account=post.account))))
        elif post.state is PostState.PUBLISHED:
            at = format_local(post.published_at, True)
            lines.append(f"<p>{e(self.tr('Published {time}').format(time=at))}</p>")
            if post.remote_url:
                url = e(post.remote_url, quote=True)
                lines.append(f'<p><a href="{url}">{url}</a></p>')
        if post.last_error:
            # The service's message as it said it: the user may need its exact words.
            label = e(self.tr("The network said:"))
            lines.append(f'<p style="color: #c62828;"><b>{label}</b> {e(post.last_error)}</p>')
            if post.state is PostState.SCHEDULED and post.next_attempt_at is not None:
                nxt = self.tr("Next attempt {time}").format(time=format_local(
                    post.next_attempt_at, True))
                lines.append(f"<p>{e(nxt)}</p>")
        if post.state is PostState.NEEDS_ATTENTION:
            hint = self.tr("Check the account (reconnect it if asked), then retry or cancel "
                           "the post.")
            lines.append(f"<p>{e(hint)}</p>")
        parts = [post.text, *post.thread]
        if post.thread:
            # Every part, as it goes out: each is a reply to the one before.
            total = len(parts)
            heading = (self.tr("A thread of {count} posts; the link opens the first.")
                       if post.remote_url else self.tr("A thread of {count} posts."))
            heading = heading.format(count=total)
            lines.append(f"<p>{e(heading)}</p>")
        for number, part in enumerate(parts, 1):
            body = e(part).replace("\n", "<br>")
            if post.thread:
                label = self.tr("Post {number} of {total}").format(number=number,
                                                                   total=len(parts))
                body = f"<b>{e(label)}</b><br>{body}"
            lines.append(f"<hr><p>{body}</p>")
        return "".join(lines)

    # ---- actions ---------------------------------------------------------------------------

    def retry(self) -> None:
        """Send a failed or needs-attention post again (due now; the scheduler picks it up)."""
        post = self.current_post()
        if post is None or post.state not in RETRYABLE:
            return
        post_id, core = post.id, self.core
        self.status.busy(self.tr("Queuing again…"))
        run_in_background(lambda: core.retry_post(post_id), on_success=self._retried,
                          on_error=self._failed, parent=self)

    def _retried(self, _post: Post) -> None:
        self.status.idle()
        queue_events().changed.emit()
        scheduler = getattr(getattr(self.main_window, "publishing", None), "scheduler", None)
        if scheduler is not None:
            scheduler.run_now()

    def cancel(self) -> QMessageBox | None:
        """Ask, then take a scheduled post out of the queue."""
        post = self.current_post()
        if post is None or post.state is not PostState.SCHEDULED:
            return None
        box = self._confirm(
            self.tr("Cancel post"),
            self.tr("Cancel the post to {account} scheduled for {time}? It will not be "
                    "published.").format(account=post.account,
                                         time=format_local(post.scheduled_at)),
            self.tr("Cancel &post"), self.tr("&Keep it"),
            lambda: self._cancel(post.id, then_edit=None))
        return box

    def edit(self) -> QMessageBox | None:
        """Open the post's draft in the composer. The queued text is final, so editing takes
        the post out of the queue (after asking): the user schedules it again from there."""
        post = self.current_post()
        if post is None or post.state not in EDITABLE or post.draft_id is None:
            return None
        draft_id = post.draft_id
        return self._confirm(
            self.tr("Edit post"),
            self.tr("The queued text does not change when you edit the draft. Take this "
                    "post to {account} out of the queue and open its draft? Schedule it "
                    "again from the composer when you are done.").format(account=post.account),
            self.tr("Take out and &edit"), self.tr("&Keep it queued"),
            lambda: self._cancel(post.id, then_edit=draft_id))

    def _confirm(self, title: str, text: str, yes: str, no: str,
                 action: Callable[[], None]) -> QMessageBox:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
        ok = box.addButton(yes, QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)

        def answered(button: QAbstractButton) -> None:
            if button is ok:
                action()

        box.buttonClicked.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.confirm_box = box
        box.open()
        return box

    def _cancel(self, post_id: int, *, then_edit: int | None) -> None:
        core = self.core
        self.status.busy(self.tr("Cancelling…"))
        run_in_background(lambda: core.cancel_post(post_id),
                          on_success=lambda post: self._cancelled(post, then_edit),
                          on_error=self._failed, parent=self)

    def _cancelled(self, post: Post, then_edit: int | None) -> None:
        self.status.idle()
        self.cancelled.add(post.id)
        queue_events().changed.emit()
        if then_edit is not None:
            from .composer import open_composer

            open_composer(self.main_window, draft_id=then_edit)

    def _failed(self, exc: BaseException) -> None:
        self.status.error(errors.describe(exc)[0])
        self.reload()  # the post may have moved on (published meanwhile)

    # ---- one account's queue ---------------------------------------------------------------

    def _change(self, busy: str, call: Callable[[], Any]) -> None:
        """Run a queue change in the background; then every queue view reloads."""
        self.status.busy(busy)
        run_in_background(call, on_success=self._changed, on_error=self._failed, parent=self)

    def _changed(self, _result: Any) -> None:
        self.status.idle()
        queue_events().changed.emit()

    def share_next(self) -> None:
        """Move the selected scheduled post to the front of its account's queue."""
        post = self.current_post()
        if post is None or post.state is not PostState.SCHEDULED:
            return
        post_id, core = post.id, self.core
        self._change(self.tr("Moving to the front…"), lambda: core.share_next(post_id))

    def reorder(self, post_ids: list[int]) -> None:
        """The shown account's scheduled posts get the same times, in this order."""
        account_id = self.account_id()
        if account_id is None:
            return
        core, ids = self.core, list(post_ids)
        self._change(self.tr("Reordering…"), lambda: core.reorder_queue(account_id, ids))

    def move_selected(self, delta: int) -> None:
        """Move the selected post one place earlier (-1) or later (1) in its account's queue."""
        post = self.current_post()
        order = self.list.draggable_ids()
        if post is None or post.id not in order:
            return
        index = order.index(post.id)
        other = index + delta
        if not 0 <= other < len(order):
            return
        order[index], order[other] = order[other], order[index]
        self.reorder(order)

    def shuffle(self) -> None:
        account_id = self.account_id()
        if account_id is None:
            return
        core = self.core
        self._change(self.tr("Shuffling…"), lambda: core.shuffle_queue(account_id))

    def toggle_paused(self) -> None:
        """Pause the shown account's queue, or resume it."""
        account = self.accounts.get(self.account_id() or -1)
        if account is None:
            return
        account_id, paused, core = account.id, not is_paused(account), self.core
        self._change(self.tr("Pausing…") if paused else self.tr("Resuming…"),
                     lambda: core.set_paused(account_id, paused))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        super().closeEvent(event)


class Publishing(QObject):
    """The window's publishing: Posts → Queue…, the in-app scheduler and its notifications."""

    def __init__(self, window: MainWindow, *, start: bool = True):
        super().__init__(window)
        self.window = window
        self.queue_window: QueueWindow | None = None
        self.calendar_window: CalendarWindow | None = None
        self.notifier = Notifier(window)
        self.scheduler = PublishScheduler(window.core, window.refresher.network, self.notifier,
                                          interval_ms=PUBLISH_INTERVAL_MS, parent=self)
        self.queue_action = QAction(self.tr("&Queue…"), self)
        self.queue_action.triggered.connect(lambda _checked=False: self.show_queue())
        menu = window.post_actions.menu  # objectName "posts-menu" (ui/accounts.py)
        menu.addSeparator()
        menu.addAction(self.queue_action)
        self.calendar_action = QAction(self.tr("&Calendar…"), self)
        self.calendar_action.triggered.connect(lambda _checked=False: self.show_calendar())
        menu.addAction(self.calendar_action)
        if start:
            self.scheduler.start()

    def show_queue(self) -> QueueWindow:
        """Open the queue window (one at a time)."""
        shown = self.queue_window
        if shown is None or not shiboken6.isValid(shown) or not shown.isVisible():
            shown = QueueWindow(self.window)
            shown.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.queue_window = shown
            shown.show()
        shown.raise_()
        shown.activateWindow()
        return shown

    def show_calendar(self) -> CalendarWindow:
        """Open the calendar window (one at a time)."""
        from .calendar import CalendarWindow

        shown = self.calendar_window
        if shown is None or not shiboken6.isValid(shown) or not shown.isVisible():
            shown = CalendarWindow(self.window)
            shown.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.calendar_window = shown
            shown.show()
        shown.raise_()
        shown.activateWindow()
        return shown
