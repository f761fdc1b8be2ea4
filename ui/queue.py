"""Posts → Queue…: every queued and recently published post, its state and the network's own
error, with Retry, Edit and Cancel; and the wiring of the in-app scheduler into the window."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
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
from curator.types import Post, PostState

from . import errors
from .feeddialogs import InlineStatus
from .models import format_local
from .scheduler import PUBLISH_INTERVAL_MS, Notifier, PublishScheduler, first_words, queue_events
from .tasks import run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

RELOAD_MS = 30_000  # the list also follows posts another process (cron) published
HISTORY = 50  # published posts shown below the queue
PostId = Qt.ItemDataRole.UserRole
_ERROR_COLOR = QColor("#c62828")
RETRYABLE = (PostState.FAILED, PostState.NEEDS_ATTENTION)
EDITABLE = (PostState.SCHEDULED, PostState.FAILED, PostState.NEEDS_ATTENTION)


def _load(core: Curator, cancelled: set[int]) -> list[Post]:
    """Runs in the background: the queue, then this session's cancelled posts, then history."""
    posts = core.list_queue()
    shown = {p.id for p in posts}
    for post_id in sorted(cancelled - shown):
        try:
            posts.append(core.get_post(post_id))
        except Exception:  # noqa: BLE001 - gone: nothing to show
            continue
    return posts + core.history(HISTORY)


class QueueWindow(QWidget):
    """Non-modal: the posts, what happened to each, and what the user can do about it."""

    ACCOUNT, TIME, TEXT, STATE = range(4)

    def __init__(self, window: MainWindow):
        super().__init__(window, Qt.WindowType.Window)
        self.main_window = window
        self.core: Curator = window.core
        self.posts: dict[int, Post] = {}
        self.cancelled: set[int] = set()  # cancelled here: shown until the window closes
        self.confirm_box: QMessageBox | None = None
        self._loading = False
        self._stale = False
        self.setWindowTitle(self.tr("Post queue"))
        self.resize(860, 560)

        self.list = QTreeWidget()
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
        self.status = InlineStatus()

        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.retry_button, self.edit_button, self.cancel_button):
            buttons.addWidget(button)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list)
        splitter.addWidget(self.detail)
        splitter.setSizes([360, 160])
        layout = QVBoxLayout(self)
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
        core, cancelled = self.core, set(self.cancelled)
        run_in_background(lambda: _load(core, cancelled), on_success=self._loaded,
                          on_error=self._load_failed, parent=self)

    def _loaded(self, posts: list[Post]) -> None:
        self._loading = False
        current = self.current_post()
        keep = current.id if current is not None else None
        self.posts = {p.id: p for p in posts}
        self.list.clear()
        for post in posts:
            item = QTreeWidgetItem([post.account, format_local(post.scheduled_at),
                                    self.post_text(post), self.state_text(post)])
            item.setData(0, PostId, post.id)
            item.setToolTip(self.TEXT, "\n\n".join([post.text, *post.thread]))
            if post.last_error:
                item.setToolTip(self.STATE, post.last_error)
            if post.state in RETRYABLE:
                item.setForeground(self.STATE, QBrush(_ERROR_COLOR))
            self.list.addTopLevelItem(item)
            if post.id == keep:
                self.list.setCurrentItem(item)
        self._selection_changed()
        if self._stale:
            self.reload()

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
        """(account, first line, state) of each row, top to bottom (for tests)."""
        return [(item.text(self.ACCOUNT), item.text(self.TEXT), item.text(self.STATE))
                for item in self._items()]

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
        return self.posts.get(item.data(0, PostId)) if item is not None else None

    def _selection_changed(self) -> None:
        post = self.current_post()
        state = post.state if post is not None else None
        self.retry_button.setEnabled(state in RETRYABLE)
        self.edit_button.setEnabled(state in EDITABLE and post is not None
                                    and post.draft_id is not None)
        self.cancel_button.setEnabled(state is PostState.SCHEDULED)
        self.detail.setHtml(self._detail_html(post) if post is not None else "")

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

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        super().closeEvent(event)


class Publishing(QObject):
    """The window's publishing: Posts → Queue…, the in-app scheduler and its notifications."""

    def __init__(self, window: MainWindow, *, start: bool = True):
        super().__init__(window)
        self.window = window
        self.queue_window: QueueWindow | None = None
        self.notifier = Notifier(window)
        self.scheduler = PublishScheduler(window.core, window.refresher.network, self.notifier,
                                          interval_ms=PUBLISH_INTERVAL_MS, parent=self)
        self.queue_action = QAction(self.tr("&Queue…"), self)
        self.queue_action.triggered.connect(lambda _checked=False: self.show_queue())
        menu = window.post_actions.menu  # objectName "posts-menu" (ui/accounts.py)
        menu.addSeparator()
        menu.addAction(self.queue_action)
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
