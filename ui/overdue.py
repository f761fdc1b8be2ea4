"""Overdue posts at start: the computer was off when they were due; the user says what to do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.types import Post

from . import errors
from .feeddialogs import InlineStatus
from .models import format_local
from .scheduler import first_words, format_slot, queue_events
from .tasks import run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

GRACE_KEY = "overdue_grace_minutes"  # core setting: late by less than this goes out unasked
DEFAULT_GRACE_MINUTES = 30
MAX_GRACE_MINUTES = 7 * 24 * 60
ACTIONS = ("publish", "next_slot", "skip")  # core.resolve_overdue's answers
# Columns of the list.
ACCOUNT, DUE, WORDS, CHOICE = range(4)


Resolution = tuple[int, str, Post | None, str | None]  # post id, action, result, error


def _resolve(core: Curator, choices: Sequence[tuple[int, str]]) -> list[Resolution]:
    """Runs in the background: one answer after the other, in order (each "next slot" then
    sees the slots the ones before it took). One post's error does not stop the others."""
    done: list[Resolution] = []
    for post_id, action in choices:
        try:
            done.append((post_id, action, core.resolve_overdue(post_id, action), None))
        except Exception as exc:  # noqa: BLE001 - shown on its row; the others go on
            done.append((post_id, action, None, errors.describe(exc)[0]))
    return done


class OverdueDialog(QDialog):
    """Lists the overdue posts (account, when it was due, its first words) with a choice per
    post and for all at once: Publish now, Move to next slot, Skip. Nothing goes out until
    the user chooses; "Decide later" leaves them waiting in the queue."""

    resolved = Signal(object)  # list[Resolution], after each answer

    def __init__(self, core: Curator, posts: Sequence[Post], parent: QWidget | None = None,
                 *, grace_minutes: int | None = None):
        super().__init__(parent)
        self.core = core
        self.posts: dict[int, Post] = {}
        self.rows: dict[int, QTreeWidgetItem] = {}
        self.row_buttons: dict[int, dict[str, QPushButton]] = {}
        self.pending: set[int] = set()  # posts still waiting for an answer
        self.setWindowTitle(self.tr("Posts missed while Curator was closed"))
        self.setMinimumSize(640, 320)

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.grace_label = QLabel()
        self.grace_label.setWordWrap(True)
        self.grace_label.setTextFormat(Qt.TextFormat.PlainText)
        self.set_grace(grace_minutes)
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setHeaderLabels([self.tr("Account"), self.tr("Was due"), self.tr("Post"),
                                   self.tr("What to do")])
        header = self.tree.header()
        header.setSectionResizeMode(WORDS, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.status = InlineStatus()

        self.buttons = QDialogButtonBox()
        self.publish_all = self.buttons.addButton(
            self.tr("&Publish all now"), QDialogButtonBox.ButtonRole.ActionRole)
        self.next_slot_all = self.buttons.addButton(
            self.tr("&Move all to next slots"), QDialogButtonBox.ButtonRole.ActionRole)
        self.skip_all = self.buttons.addButton(
            self.tr("S&kip all"), QDialogButtonBox.ButtonRole.ActionRole)
        self.later = self.buttons.addButton(
            self.tr("Decide &later"), QDialogButtonBox.ButtonRole.RejectRole)
        self.later.setToolTip(self.tr(
            "They stay in the queue, unsent, until you choose (Posts → Queue…)"))
        # The safe default: moving keeps every post and never sends a burst.
        self.next_slot_all.setDefault(True)
        self.publish_all.clicked.connect(lambda _c=False: self.resolve_all("publish"))
        self.next_slot_all.clicked.connect(lambda _c=False: self.resolve_all("next_slot"))
        self.skip_all.clicked.connect(lambda _c=False: self.resolve_all("skip"))
        self.later.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.grace_label)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.add_posts(posts)

    # ---- the list --------------------------------------------------------------------------

    def set_grace(self, minutes: int | None) -> None:
        if minutes is None:
            self.grace_label.setText(self.tr(
                "Posts late by less than the grace time set in Preferences go out without "
                "asking."))
        else:
            # "min": no plural forms to translate.
            self.grace_label.setText(self.tr(
                "Posts late by less than {minutes} min go out without asking: change it in "
                "Edit → Preferences.").format(minutes=minutes))

    def add_posts(self, posts: Sequence[Post]) -> None:
        """List these posts too (the ones already listed stay as they are)."""
        for post in posts:
            if post.id in self.posts:
                continue
            self.posts[post.id] = post
            self.pending.add(post.id)
            row = QTreeWidgetItem([post.account, format_local(post.scheduled_at),
                                   first_words(post.text), ""])
            row.setData(ACCOUNT, Qt.ItemDataRole.UserRole, post.id)
            row.setToolTip(WORDS, post.text)
            self.tree.addTopLevelItem(row)
            self.rows[post.id] = row
            self.tree.setItemWidget(row, CHOICE, self._row_buttons(post.id))
        self.intro.setText(self.tr(
            "These posts were due while Curator was closed or the computer slept. They have "
            "not been sent: choose what to do with each."))
        for column in (ACCOUNT, DUE, CHOICE):
            self.tree.resizeColumnToContents(column)

    def _row_buttons(self, post_id: int) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        labels = {"publish": self.tr("Publish now"), "next_slot": self.tr("Next slot"),
                  "skip": self.tr("Skip")}
        buttons: dict[str, QPushButton] = {}
        for action in ACTIONS:
            button = QPushButton(labels[action])
            button.setAccessibleName(f"{labels[action]} — {self.posts[post_id].account}")
            button.clicked.connect(lambda _c=False, a=action: self.resolve([(post_id, a)]))
            row.addWidget(button)
            buttons[action] = button
        self.row_buttons[post_id] = buttons
        return box

    def choice_text(self, post_id: int) -> str:
        """What the row says once answered ("" while it waits)."""
        return self.rows[post_id].text(CHOICE)

    # ---- answering -------------------------------------------------------------------------

    def resolve_all(self, action: str) -> None:
        """The same answer for every post still waiting, oldest first."""
        waiting = sorted(self.pending, key=lambda i: (self.posts[i].scheduled_at, i))
        self.resolve([(post_id, action) for post_id in waiting])

    def resolve(self, choices: Sequence[tuple[int, str]]) -> None:
        choices = [(i, a) for i, a in choices if i in self.pending and a in ACTIONS]
        if not choices:
            return
        for post_id, _action in choices:
            self._set_row_busy(post_id, True)
        self._set_busy(True)
        self.status.busy(self.tr("Saving your choice…"))
        core = self.core
        run_in_background(lambda: _resolve(core, choices), on_success=self._resolved,
                          on_error=self._failed, parent=self)

    def _resolved(self, done: list[Resolution]) -> None:
        self._set_busy(False)
        failures = []
        for post_id, action, post, error in done:
            row = self.rows[post_id]
            if post is None:
                self._set_row_busy(post_id, False)
                failures.append(error or "")
                continue
            self.pending.discard(post_id)
            self.posts[post_id] = post
            self.tree.removeItemWidget(row, CHOICE)
            row.setText(CHOICE, self._answer_text(action, post))
        if failures:
            self.status.error(failures[0])
        else:
            self.status.idle()
        if any(post is not None for _i, _a, post, _e in done):
            queue_events().changed.emit()  # the scheduler re-arms: a published one is due now
        self.resolved.emit(done)
        if not self.pending:
            self.accept()

    def _answer_text(self, action: str, post: Post) -> str:
        if action == "publish":
            return self.tr("Publishing now")
        if action == "next_slot":
            return self.tr("Moved to {time}").format(time=format_slot(post.scheduled_at))
        return self.tr("Skipped")

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        for post_id in self.pending:
            self._set_row_busy(post_id, False)
        self.status.error(errors.describe(exc)[0])

    def _set_row_busy(self, post_id: int, busy: bool) -> None:
        for button in self.row_buttons.get(post_id, {}).values():
            if shiboken6.isValid(button):
                button.setEnabled(not busy)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.publish_all, self.next_slot_all, self.skip_all):
            button.setEnabled(not busy)


class OverduePrompt(QObject):
    """Asks about overdue posts once per post and session: at start (check()) and whenever
    the scheduler holds new ones (show_posts(), after a sleep). One dialog at a time; posts
    found while it is open join it."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.core: Curator = window.core
        self.dialog: OverdueDialog | None = None
        self.asked: set[int] = set()  # this session's: "Decide later" is not asked again

    def check(self) -> None:
        """Read the overdue posts and the grace setting in the background; ask if any."""
        core = self.core
        run_in_background(lambda: (core.overdue_posts(), _grace(core)),
                          on_success=lambda found: self.show_posts(*found),
                          on_error=lambda _exc: None,  # the scheduler holds them; asked later
                          parent=self)

    def show_posts(self, posts: Sequence[Post], grace_minutes: int | None = None) -> None:
        new = [p for p in posts if p.id not in self.asked]
        if not new:
            return
        self.asked.update(p.id for p in new)
        dialog = self.dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.add_posts(new)
        else:
            dialog = OverdueDialog(self.core, new, self.window, grace_minutes=grace_minutes)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.resolved.connect(self._resolved)
            self.dialog = dialog
            dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _resolved(self, done: list[Resolution]) -> None:
        if any(action == "publish" and post is not None for _i, action, post, _e in done):
            scheduler = getattr(getattr(self.window, "publishing", None), "scheduler", None)
            if scheduler is not None:
                scheduler.run_now()


def _grace(core: Curator) -> int | None:
    try:
        return int(core.get_setting(GRACE_KEY))
    except (TypeError, ValueError):
        return None
