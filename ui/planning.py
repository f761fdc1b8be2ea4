"""Posts → Fill my week…: a proposal of posts for the coming week's free slots, with a healthy
mix (curator.planning), that the user edits, then queues or discards; and the Posts menu
entries for it and for Posting slots… (ui/slots.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import shiboken6
from PySide6.QtCore import QDateTime, QLocale, QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.planning import (
    DEFAULT_MAX_OWN_SHARE,
    Booked,
    Placement,
    ProposalError,
    mix_problems,
)
from curator.types import Account, Post, Role

from . import errors
from .analytics import MixNudge
from .feeddialogs import InlineStatus
from .models import format_local
from .scheduler import ScheduleDialog, first_words, queue_events, to_utc
from .tasks import run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow
    from .slots import SlotsDialog

WEEK = timedelta(days=7)
_ERROR_COLOR = QColor("#c62828")
_WARNING_STYLE = "color: #b26a00;"


def _load(core: Curator) -> tuple[list[Account], float]:
    """Runs in the background: the accounts, and the own-content share setting."""
    try:
        share = float(core.get_setting("mix_max_own_share"))
    except Exception:  # noqa: BLE001 - a broken setting: the proposal itself will say so
        share = DEFAULT_MAX_OWN_SHARE
    return core.list_accounts(), share


class FillWeekDialog(QDialog):
    """The proposal: one row per post (account, local time, item, source, role, text).

    Uncheck a row to leave it out; select it to change its account, time or text. "Queue"
    makes a draft per row and queues it at its time, all or nothing."""

    USE, TIME, ACCOUNT, TITLE, SOURCE, ROLE, TEXT = range(7)
    queued = Signal(list)  # list[Post], after the proposal was queued

    def __init__(self, core: Curator, parent: QWidget | None = None, *,
                 start: datetime | None = None):
        super().__init__(parent)
        self.core = core
        self.start = start or core.now()
        self.end = self.start + WEEK
        self.accounts: dict[int, Account] = {}
        self.share = DEFAULT_MAX_OWN_SHARE
        self.booked: list[Booked] = []  # the accounts' posts already queued or published
        self.placements: list[Placement] = []  # one per row, edited in place
        self.problems: dict[int, str] = {}  # row -> why it cannot be queued
        self.loaded = False  # the first proposal arrived
        self.busy = False
        self.confirm_box: QMessageBox | None = None
        self.posts: list[Post] = []  # what the last accept queued
        self._filling = False  # rows and editor are being filled: not user edits
        self.setWindowTitle(self.tr("Fill my week"))
        self.resize(980, 620)

        self.account_box = QGroupBox(self.tr("Accounts"))
        self.account_row = QHBoxLayout(self.account_box)
        self.account_checks: dict[int, QCheckBox] = {}
        self.range_label = QLabel()
        self.propose_button = QPushButton(self.tr("&Propose again"))
        self.propose_button.setToolTip(
            self.tr("Make a new proposal for the checked accounts (your edits are lost)"))
        self.propose_button.clicked.connect(lambda _c=False: self.propose())
        top = QHBoxLayout()
        top.addWidget(self.account_box, 1)
        top.addWidget(self.propose_button)

        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setHeaderLabels([
            self.tr("Queue"), self.tr("When"), self.tr("Account"), self.tr("Item"),
            self.tr("Source"), self.tr("Role"), self.tr("Post")])
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(self.TEXT, QHeaderView.ResizeMode.Stretch)
        for column, width in ((self.USE, 56), (self.TIME, 170), (self.ACCOUNT, 130),
                              (self.TITLE, 200), (self.SOURCE, 120), (self.ROLE, 90)):
            header.resizeSection(column, width)
        self.table.currentItemChanged.connect(lambda *_: self._show_row())
        self.table.itemChanged.connect(self._item_changed)
        self.empty_label = QLabel(self.tr(
            "Nothing to propose: star or annotate items you have not shared yet, and check "
            "the accounts' posting slots (Posts → Posting slots…)."))
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()

        self.editor = QGroupBox(self.tr("Selected post"))
        self.account_combo = QComboBox()
        self.account_combo.activated.connect(lambda _i: self._edit_account())
        self.when = QDateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(ScheduleDialog._format())
        self.when.dateTimeChanged.connect(lambda _d: self._edit_time())
        self.zone_label = QLabel()
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText(self.tr("What the post says"))
        self.text_edit.textChanged.connect(self._edit_text)
        form = QFormLayout(self.editor)
        form.addRow(self.tr("Account:"), self.account_combo)
        when_row = QHBoxLayout()
        when_row.addWidget(self.when)
        when_row.addWidget(self.zone_label, 1)
        form.addRow(self.tr("When:"), when_row)
        form.addRow(self.tr("Post:"), self.text_edit)

        self.mix_label = QLabel()
        self.mix_label.setWordWrap(True)
        self.mix_label.setStyleSheet(_WARNING_STYLE)
        self.mix_label.hide()
        # The queue is already too self-promotional and the proposal adds own content.
        self.mix_nudge = MixNudge()
        self.status = InlineStatus()

        self.buttons = QDialogButtonBox()
        self.queue_button = self.buttons.addButton(
            self.tr("&Queue"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = self.buttons.addButton(
            self.tr("&Discard"), QDialogButtonBox.ButtonRole.RejectRole)
        self.queue_button.setToolTip(self.tr(
            "Make a draft of each checked post and queue it at its time"))
        self.buttons.accepted.connect(self.queue)
        self.buttons.rejected.connect(self.reject)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.editor)
        splitter.setSizes([380, 180])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.range_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.mix_label)
        layout.addWidget(self.mix_nudge)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.range_label.setText(self.tr("Free slots from {start} to {end}").format(
            start=format_local(self.start, long=True), end=format_local(self.end, long=True)))
        self._update_enabled()
        self.status.busy(self.tr("Loading accounts…"))
        core = self.core
        run_in_background(lambda: _load(core), on_success=self._accounts_loaded,
                          on_error=self._failed, parent=self)

    # ---- loading -------------------------------------------------------------------------

    def _accounts_loaded(self, loaded: tuple[list[Account], float]) -> None:
        accounts, self.share = loaded
        self.accounts = {a.id: a for a in accounts}
        for account in accounts:
            check = QCheckBox(account.name)
            check.setChecked(True)
            self.account_checks[account.id] = check
            self.account_row.addWidget(check)
            self.account_combo.addItem(account.name, account.id)
        self.account_row.addStretch(1)
        if not accounts:
            self.status.error(self.tr("Add an account first (Posts → Accounts…)."))
            self.loaded = True
            self._update_enabled()
            return
        self.propose()

    def checked_accounts(self) -> list[int]:
        return [i for i, check in self.account_checks.items() if check.isChecked()]

    def propose(self) -> None:
        """Ask the core for a proposal for the checked accounts (in the background)."""
        accounts = self.checked_accounts()
        if not accounts:
            self.status.error(self.tr("Check at least one account."))
            return
        self.busy = True
        self._update_enabled()
        self.status.busy(self.tr("Proposing…"))
        core, start, end = self.core, self.start, self.end
        run_in_background(lambda: (core.propose_week(accounts, start, end),
                                   core.booked_posts(accounts, start, end)),
                          on_success=self._proposed, on_error=self._failed, parent=self)

    def _proposed(self, found: tuple[list[Placement], list[Booked]]) -> None:
        self.busy = False
        self.loaded = True
        self.status.idle()
        # The posts already queued or published count in the mix, as they did for the core.
        self.booked = found[1]
        self.set_placements(found[0])

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.loaded = True
        self.status.error(errors.describe(exc)[0])
        self._update_enabled()

    def set_placements(self, placements: list[Placement]) -> None:
        """Show a proposal: every row checked."""
        self.placements = list(placements)
        self.problems = {}
        self._filling = True
        self.table.clear()
        for _placed in self.placements:
            row = QTreeWidgetItem()
            row.setCheckState(self.USE, Qt.CheckState.Checked)
            self.table.addTopLevelItem(row)
        self._filling = False
        for index in range(len(self.placements)):
            self._refresh_row(index)
        self.empty_label.setVisible(not self.placements)
        first = self.table.topLevelItem(0)
        if first is not None:
            self.table.setCurrentItem(first)
        self._show_row()
        self._check_mix()
        self._update_enabled()
        self._nudge()

    def _nudge(self) -> None:
        own = any(p.role is Role.OWN for p in self.checked_placements())
        self.mix_nudge.check(self.core, own=own)

    # ---- rows ----------------------------------------------------------------------------

    def role_text(self, role: Role) -> str:
        return {Role.OWN: self.tr("Own"), Role.THIRD_PARTY: self.tr("Third party"),
                Role.COMPETITOR: self.tr("Competitor"),
                Role.APPROVED: self.tr("Approved")}.get(role, role.value)

    def _zone_note(self, placed: Placement) -> str:
        """"09:00 Europe/Madrid" when the account's zone is not this computer's."""
        account = self.accounts.get(placed.account_id)
        name = account.timezone if account is not None else None
        if not name:
            return ""
        try:
            there = placed.at.astimezone(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            return ""
        if there.utcoffset() == placed.at.astimezone().utcoffset():
            return ""
        return f"{there:%H:%M} {name}"

    def _refresh_row(self, index: int) -> None:
        item = self.table.topLevelItem(index)
        if item is None:
            return
        placed = self.placements[index]
        self._filling = True
        local = QDateTime.fromSecsSinceEpoch(int(placed.at.timestamp()))
        day = QLocale().dayName(local.date().dayOfWeek(), QLocale.FormatType.ShortFormat)
        when = f"{day} {format_local(placed.at)}"  # a week's plan reads by weekday
        note = self._zone_note(placed)
        item.setText(self.TIME, f"{when} ({note})" if note else when)
        item.setText(self.ACCOUNT, placed.account)
        item.setText(self.TITLE, placed.title or placed.link or "")
        item.setText(self.SOURCE, placed.source or "")
        item.setText(self.ROLE, self.role_text(placed.role))
        item.setText(self.TEXT, first_words(placed.text, 160))
        item.setToolTip(self.TEXT, placed.text)
        item.setToolTip(self.TITLE, placed.link or "")
        problem = self.problems.get(index)
        brush = QBrush(_ERROR_COLOR) if problem else QBrush()
        for column in range(self.table.columnCount()):
            item.setForeground(column, brush)
        item.setToolTip(self.USE, problem or "")
        self._filling = False

    def current_row(self) -> int | None:
        item = self.table.currentItem()
        if item is None:
            return None
        index = self.table.indexOfTopLevelItem(item)
        return index if 0 <= index < len(self.placements) else None

    def _show_row(self) -> None:
        index = self.current_row()
        self.editor.setEnabled(index is not None)
        self._filling = True
        if index is None:
            self.text_edit.setPlainText("")
            self.zone_label.setText("")
        else:
            placed = self.placements[index]
            self.account_combo.setCurrentIndex(self.account_combo.findData(placed.account_id))
            self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(placed.at.timestamp())))
            self.text_edit.setPlainText(placed.text)
            self.zone_label.setText(self._zone_note(placed))
        self._filling = False

    def checked_rows(self) -> list[int]:
        return [i for i in range(len(self.placements))
                if (item := self.table.topLevelItem(i)) is not None
                and item.checkState(self.USE) == Qt.CheckState.Checked]

    def checked_placements(self) -> list[Placement]:
        return [self.placements[i] for i in self.checked_rows()]

    def set_row_checked(self, index: int, checked: bool) -> None:
        item = self.table.topLevelItem(index)
        if item is not None:
            item.setCheckState(self.USE, Qt.CheckState.Checked if checked
                               else Qt.CheckState.Unchecked)

    def rows(self) -> list[tuple[bool, str, str, str]]:
        """(checked, account, item title, post text) per row, top to bottom (for tests)."""
        checked = set(self.checked_rows())
        return [(i in checked, p.account, p.title or "", p.text)
                for i, p in enumerate(self.placements)]

    def _item_changed(self, _item: QTreeWidgetItem, column: int) -> None:
        if not self._filling and column == self.USE:
            self._check_mix()
            self._update_enabled()
            self._nudge()

    # ---- edits ---------------------------------------------------------------------------

    def _replace(self, index: int, placed: Placement) -> None:
        self.placements[index] = placed
        self.problems.pop(index, None)  # an edited row is checked again on Queue
        self._refresh_row(index)
        self._check_mix()

    def _edit_account(self) -> None:
        index = self.current_row()
        account_id = self.account_combo.currentData()
        if self._filling or index is None or account_id is None:
            return
        account = self.accounts[int(account_id)]
        self._replace(index, dataclasses.replace(
            self.placements[index], account_id=account.id, account=account.name))
        self.zone_label.setText(self._zone_note(self.placements[index]))

    def _edit_time(self) -> None:
        index = self.current_row()
        if self._filling or index is None:
            return
        self._replace(index, dataclasses.replace(
            self.placements[index], at=to_utc(self.when.dateTime())))
        self.zone_label.setText(self._zone_note(self.placements[index]))

    def _edit_text(self) -> None:
        index = self.current_row()
        if self._filling or index is None:
            return
        self._replace(index, dataclasses.replace(
            self.placements[index], text=self.text_edit.toPlainText()))

    def edit_row(self, index: int, *, account: int | None = None, at: datetime | None = None,
                 text: str | None = None) -> None:
        """Select a row and change it through the editor, as the user would."""
        item = self.table.topLevelItem(index)
        if item is not None:
            self.table.setCurrentItem(item)
        if account is not None:
            self.account_combo.setCurrentIndex(self.account_combo.findData(account))
            self._edit_account()
        if at is not None:
            self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(at.timestamp())))
        if text is not None:
            self.text_edit.setPlainText(text)

    def _check_mix(self) -> None:
        """Edits may break the mix rules: say so (the user may still queue)."""
        try:
            found = mix_problems(self.checked_placements(), booked=self.booked,
                                 max_own_share=self.share)
        except Exception:  # noqa: BLE001 - a broken setting: no warning to give
            found = []
        self.mix_label.setText(" ".join(found))
        self.mix_label.setVisible(bool(found))

    def _update_enabled(self) -> None:
        count = len(self.checked_rows())
        # No plural forms needed: "Queue (3)" reads the same for one post and for many.
        self.queue_button.setText(self.tr("&Queue ({count})").format(count=count))
        self.queue_button.setEnabled(not self.busy and count > 0)
        self.propose_button.setEnabled(not self.busy and bool(self.account_checks))

    # ---- queue ---------------------------------------------------------------------------

    def queue(self, *, skip_failing: bool = False) -> None:
        """Queue the checked rows in the background, all or nothing (or, once the user
        agreed, the rows that can be)."""
        rows = self.checked_rows()
        if not rows or self.busy:
            return
        placements = [self.placements[i] for i in rows]
        self.busy = True
        self._update_enabled()
        self.status.busy(self.tr("Queuing…"))
        core = self.core
        run_in_background(
            lambda: core.accept_proposal(placements, skip_failing=skip_failing),
            on_success=self._queued,
            on_error=lambda exc: self._queue_failed(exc, rows),
            parent=self)

    def _queued(self, posts: list[Post]) -> None:
        self.busy = False
        self.posts = posts
        self.status.idle()
        queue_events().changed.emit()
        self.queued.emit(posts)
        self.accept()

    def _queue_failed(self, exc: BaseException, rows: list[int]) -> None:
        self.busy = False
        self._update_enabled()
        if not isinstance(exc, ProposalError):
            self.status.error(errors.describe(exc)[0])
            return
        self.problems = {rows[r]: why for r, why in exc.problems if 0 <= r < len(rows)}
        for index in range(len(self.placements)):
            self._refresh_row(index)
        self.status.error(self.tr(
            "Nothing was queued. The rows in red cannot be: point at one to see why."))
        others = len(rows) - len(self.problems)
        if others <= 0:
            return
        lines = "\n".join(
            f"• {self.placements[i].account}, {format_local(self.placements[i].at)}: {why}"
            for i, why in sorted(self.problems.items()))
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Fill my week"),
                          self.tr("These posts cannot be queued:") + "\n" + lines,
                          parent=self)
        box.setInformativeText(self.tr("Queue the other {count} anyway?").format(count=others))
        yes = box.addButton(self.tr("Queue the others"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Go back"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(yes)
        box.finished.connect(lambda _r: self._partial_answered(box.clickedButton() is yes))
        self.confirm_box = box
        box.open()

    def _partial_answered(self, queue_others: bool) -> None:
        self.confirm_box = None
        if queue_others:
            for index in self.problems:
                self.set_row_checked(index, False)
            self.queue(skip_failing=True)


class PlanningActions(QObject):
    """Posts → Fill my week… and Posts → Posting slots…"""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.fill_dialog: FillWeekDialog | None = None
        self.slots_dialog: SlotsDialog | None = None
        self.fill_week_action = QAction(self.tr("&Fill my week…"), self)
        self.fill_week_action.setToolTip(self.tr(
            "Propose posts for the coming week from your starred and annotated items"))
        self.fill_week_action.triggered.connect(lambda _checked=False: self.show_fill_week())
        self.slots_action = QAction(self.tr("Posting &slots…"), self)
        self.slots_action.triggered.connect(lambda _checked=False: self.show_slots())
        menu = window.post_actions.menu  # objectName "posts-menu" (ui/accounts.py)
        menu.addSeparator()
        menu.addAction(self.fill_week_action)
        menu.addAction(self.slots_action)

    def show_fill_week(self, start: datetime | None = None) -> FillWeekDialog:
        """Open the Fill my week dialog (one at a time)."""
        shown = self.fill_dialog
        if shown is None or not shiboken6.isValid(shown) or not shown.isVisible():
            shown = FillWeekDialog(self.window.core, self.window, start=start)
            shown.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.fill_dialog = shown
            shown.show()
        shown.raise_()
        shown.activateWindow()
        return shown

    def show_slots(self) -> SlotsDialog:
        """Open the Posting slots dialog (one at a time)."""
        from .slots import SlotsDialog

        shown = self.slots_dialog
        if shown is None or not shiboken6.isValid(shown) or not shown.isVisible():
            shown = SlotsDialog(self.window.core, self.window)
            shown.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.slots_dialog = shown
            shown.show()
        shown.raise_()
        shown.activateWindow()
        return shown
