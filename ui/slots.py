"""Posts → Posting slots…: each account's weekly slots (weekday and local time) and its time
zone, edited in place: every change is saved at once through the core."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from PySide6.QtCore import QCoreApplication, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.types import Account, Slot

from . import errors
from .feeddialogs import InlineStatus
from .tasks import run_in_background

SlotRole = Qt.ItemDataRole.UserRole


def weekday_names() -> list[str]:
    """Monday … Sunday, translated."""
    return [QCoreApplication.translate("SlotsDialog", name) for name in (
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")]


def local_zone_name() -> str:
    """This computer's zone as the user knows it ("Europe/Madrid"), else its abbreviation."""
    zone = datetime.now().astimezone().tzinfo
    return getattr(zone, "key", None) or str(zone)


def _zones() -> list[str]:
    # IANA names only: "Europe/Madrid", "UTC"; no legacy aliases such as "CET" or "EST5EDT".
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")


def _load_slots(core: Curator, account_id: int) -> tuple[list[Slot], bool]:
    return core.list_slots(account_id), core.has_own_slots(account_id)


class SlotsDialog(QDialog):
    """Accounts on the left; the chosen one's slots, time zone and defaults on the right."""

    changed = Signal()  # slots or a time zone were saved

    def __init__(self, core: Curator, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.accounts: dict[int, Account] = {}
        self.slots: list[Slot] = []
        self.own_slots = False
        self.loaded = False  # the accounts arrived
        self.slots_loaded = False  # the current account's slots arrived
        self.saving = False
        self.setWindowTitle(self.tr("Posting slots"))
        self.resize(620, 420)

        self.account_list = QListWidget()
        self.account_list.currentItemChanged.connect(lambda *_: self._account_changed())

        self.zone = QComboBox()
        self.zone.setEditable(True)
        self.zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zone.addItem(self.tr("This computer's zone ({zone})").format(
            zone=local_zone_name()), "")
        for name in _zones():
            self.zone.addItem(name, name)
        completer = QCompleter([self.zone.itemText(i) for i in range(self.zone.count())], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.zone.setCompleter(completer)
        self.zone.setToolTip(self.tr("The slots are times in this zone, and stay so when "
                                     "its clocks change"))
        self.zone.activated.connect(lambda _i: self.set_zone(self.zone.currentData() or ""))

        self.slot_list = QListWidget()
        self.slot_list.currentItemChanged.connect(lambda *_: self._update_enabled())
        self.defaults_label = QLabel()
        self.defaults_label.setWordWrap(True)
        self.day = QComboBox()
        self.day.addItems(weekday_names())
        self.time = QTimeEdit(QTime(9, 0))
        self.time.setDisplayFormat("HH:mm")
        self.add_button = QPushButton(self.tr("&Add"))
        self.add_button.clicked.connect(lambda _c=False: self.add_slot(
            self.day.currentIndex(), self.time.time().toString("HH:mm")))
        self.remove_button = QPushButton(self.tr("&Remove"))
        self.remove_button.clicked.connect(lambda _c=False: self.remove_selected())
        self.reset_button = QPushButton(self.tr("Reset to &defaults"))
        self.reset_button.setToolTip(self.tr("Monday to Friday, 09:00 and 17:30"))
        self.reset_button.clicked.connect(lambda _c=False: self.reset_defaults())

        add_row = QHBoxLayout()
        add_row.addWidget(self.day)
        add_row.addWidget(self.time)
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        slot_buttons = QHBoxLayout()
        slot_buttons.addWidget(self.remove_button)
        slot_buttons.addWidget(self.reset_button)
        slot_buttons.addStretch(1)
        right = QWidget()
        form = QFormLayout()
        form.addRow(self.tr("Time zone:"), self.zone)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(form)
        right_layout.addWidget(self.slot_list, 1)
        right_layout.addWidget(self.defaults_label)
        right_layout.addLayout(add_row)
        right_layout.addLayout(slot_buttons)
        self.editor = right

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.account_list)
        splitter.addWidget(right)
        splitter.setSizes([180, 440])
        self.status = InlineStatus()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._update_enabled()
        run_in_background(core.list_accounts, on_success=self._accounts_loaded,
                          on_error=self._failed, parent=self)

    # ---- loading -------------------------------------------------------------------------

    def _accounts_loaded(self, accounts: list[Account]) -> None:
        self.loaded = True
        self.accounts = {a.id: a for a in accounts}
        self.account_list.clear()
        for account in accounts:
            item = QListWidgetItem(account.name)
            item.setData(SlotRole, account.id)
            self.account_list.addItem(item)
        if accounts:
            self.account_list.setCurrentRow(0)
        else:
            self.status.error(self.tr("Add an account first (Posts → Accounts…)."))
        self._update_enabled()

    def current_account(self) -> Account | None:
        item = self.account_list.currentItem()
        return self.accounts.get(item.data(SlotRole)) if item is not None else None

    def select_account(self, account_id: int) -> None:
        for row in range(self.account_list.count()):
            item = self.account_list.item(row)
            if item is not None and item.data(SlotRole) == account_id:
                self.account_list.setCurrentRow(row)

    def _account_changed(self) -> None:
        account = self.current_account()
        self.slots_loaded = False
        self.slot_list.clear()
        self._update_enabled()
        if account is None:
            return
        self._show_zone(account)
        core, account_id = self.core, account.id
        run_in_background(lambda: _load_slots(core, account_id),
                          on_success=lambda loaded: self._slots_loaded(account_id, loaded),
                          on_error=self._failed, parent=self)

    def _show_zone(self, account: Account) -> None:
        index = self.zone.findData(account.timezone or "")
        if index < 0:  # a zone this computer's tz database does not list: show it anyway
            self.zone.addItem(account.timezone or "", account.timezone or "")
            index = self.zone.count() - 1
        self.zone.setCurrentIndex(index)

    def _slots_loaded(self, account_id: int, loaded: tuple[list[Slot], bool]) -> None:
        account = self.current_account()
        if account is None or account.id != account_id:
            return  # the user moved on meanwhile
        self.slots, self.own_slots = loaded
        self.slots_loaded = True
        names = weekday_names()
        self.slot_list.clear()
        for slot in self.slots:
            item = QListWidgetItem(f"{names[slot.weekday]} {slot.time}")
            item.setData(SlotRole, (slot.weekday, slot.time))
            self.slot_list.addItem(item)
        self.defaults_label.setText(
            self.tr("Its own slots.") if self.own_slots else self.tr(
                "The default slots (Monday to Friday, 09:00 and 17:30): add or remove one "
                "to give the account slots of its own."))
        self._update_enabled()

    def _failed(self, exc: BaseException) -> None:
        self.saving = False
        self.status.error(errors.describe(exc)[0])
        self._update_enabled()

    def slot_texts(self) -> list[str]:
        """The slots as shown, top to bottom (for tests)."""
        return [item.text() for row in range(self.slot_list.count())
                if (item := self.slot_list.item(row)) is not None]

    def _update_enabled(self) -> None:
        ready = self.current_account() is not None and self.slots_loaded and not self.saving
        self.editor.setEnabled(self.current_account() is not None)
        for button in (self.add_button, self.reset_button):
            button.setEnabled(ready)
        self.reset_button.setEnabled(ready and self.own_slots)
        self.remove_button.setEnabled(ready and self.slot_list.currentItem() is not None)

    # ---- edits ---------------------------------------------------------------------------

    def _pairs(self) -> list[tuple[int, str]]:
        return [(s.weekday, s.time) for s in self.slots]

    def _save(self, pairs: list[tuple[int, str]]) -> None:
        account = self.current_account()
        if account is None:
            return
        self.saving = True
        self.status.busy(self.tr("Saving…"))
        self._update_enabled()
        core, account_id = self.core, account.id

        def save() -> tuple[list[Slot], bool]:
            core.set_slots(account_id, pairs)
            return _load_slots(core, account_id)

        run_in_background(save, on_success=lambda loaded: self._saved(account_id, loaded),
                          on_error=self._failed, parent=self)

    def _saved(self, account_id: int, loaded: tuple[list[Slot], bool]) -> None:
        self.saving = False
        self.status.idle()
        self._slots_loaded(account_id, loaded)
        self.changed.emit()

    def add_slot(self, weekday: int, hhmm: str) -> None:
        """Add a slot (a slot the account has already is left as it is)."""
        if (weekday, hhmm) in self._pairs():
            return
        self._save([*self._pairs(), (weekday, hhmm)])

    def remove_selected(self) -> None:
        """Remove the selected slot. Removing the last one brings the defaults back: an
        account always has somewhere to post."""
        item = self.slot_list.currentItem()
        if item is None:
            return
        gone = tuple(item.data(SlotRole))
        self._save([p for p in self._pairs() if p != gone])

    def reset_defaults(self) -> None:
        self._save([])

    def set_zone(self, name: str) -> None:
        """Save the account's time zone ("" for this computer's)."""
        account = self.current_account()
        if account is None or (account.timezone or "") == name:
            return
        self.saving = True
        self.status.busy(self.tr("Saving…"))
        self._update_enabled()
        core, account_id = self.core, account.id
        run_in_background(lambda: core.update_account(account_id, timezone=name),
                          on_success=self._zone_saved, on_error=self._zone_failed, parent=self)

    def _zone_saved(self, account: Account) -> None:
        self.saving = False
        self.status.idle()
        self.accounts[account.id] = account
        self._update_enabled()
        self.changed.emit()

    def _zone_failed(self, exc: BaseException) -> None:
        self._failed(exc)
        account = self.current_account()
        if account is not None:
            self._show_zone(account)  # back to the zone it still has
