"""First run: a welcome that offers starter feeds by field, OPML import and a first account."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from curator._opml import OpmlOutline, parse_opml, write_opml
from curator.errors import CuratorError
from curator.types import ImportResult

from .settings import default_store
from .tasks import Change, run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

WELCOME_SHOWN_KEY = "welcome/shown"  # set once the first-run decision is made
STARTER_FEEDS_FILE = "starter-feeds.opml"  # in curator/resources (package data)

# The OPML's field (folder) names, marked for lupdate; shown translated, stored as written.
FIELD_NAMES = (
    QT_TRANSLATE_NOOP("StarterFields", "Marketing"),
    QT_TRANSLATE_NOOP("StarterFields", "Sales"),
    QT_TRANSLATE_NOOP("StarterFields", "Technology"),
    QT_TRANSLATE_NOOP("StarterFields", "Finance"),
    QT_TRANSLATE_NOOP("StarterFields", "Health"),
)


def _tr(text: str) -> str:
    # For messages built on worker threads, where no widget's self.tr() is at hand.
    return QCoreApplication.translate("WelcomeDialog", text)


def starter_fields() -> dict[str, list[OpmlOutline]]:
    """The starter feeds shipped with Curator, by field (the OPML's top-level folders), in
    the file's order."""
    data = resources.files("curator").joinpath("resources", STARTER_FEEDS_FILE).read_bytes()
    fields: dict[str, list[OpmlOutline]] = {}
    for outline in parse_opml(data).feeds:
        fields.setdefault(outline.folder or "", []).append(outline)
    return fields


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise CuratorError(
            _tr("Cannot read {path}: {reason}.").format(path=path, reason=e.strerror or e)
        ) from e


def refresh_when_online(window: MainWindow) -> None:
    """Fetch new subscriptions now when online, else once the network returns (subscribing
    itself never touches the network)."""
    network = window.refresher.network
    if network.online:
        window.refresh()
        return

    def back_online(online: bool) -> None:
        if online:
            network.online_changed.disconnect(back_online)
            window.refresh()

    network.online_changed.connect(back_online)


class WelcomeDialog(QDialog):
    """Welcome to Curator: tick the fields to follow, import an OPML file, connect an account.

    Start subscribes to the chosen fields' feeds in folders named after the fields, without
    fetching: that works offline, and the normal refresh fetches them."""

    def __init__(
        self,
        window: MainWindow,
        fields: dict[str, list[OpmlOutline]],
        parent: QWidget | None = None,
    ):
        super().__init__(parent if parent is not None else window)
        self.window_ = window
        self.fields = fields
        self.setWindowTitle(self.tr("Welcome to Curator"))
        self.setAccessibleName(self.tr("Welcome to Curator"))

        heading = QLabel(self.tr("Welcome to Curator"), self)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        intro = QLabel(
            self.tr(
                "Curator reads feeds offline and helps you share them in your own voice. "
                "Start with well-known feeds from your field, bring your own subscriptions, "
                "or connect the account you post to. Everything here can be changed later."
            ),
            self,
        )
        intro.setWordWrap(True)

        group = QGroupBox(self.tr("Starter feeds by field"), self)
        group_layout = QVBoxLayout(group)
        self.checkboxes: dict[str, QCheckBox] = {}
        for field, feeds in fields.items():
            # Field names are the OPML's folder names; translated for display only.
            label = self.tr("{field} ({n} feeds)").format(
                field=QCoreApplication.translate("StarterFields", field), n=len(feeds)
            )
            box = QCheckBox(label, group)
            box.setAccessibleName(label)
            group_layout.addWidget(box)
            self.checkboxes[field] = box

        self.import_button = QPushButton(self.tr("Import OPML…"), self)
        self.import_button.clicked.connect(self.import_opml)
        self.account_button = QPushButton(self.tr("Connect an account…"), self)
        self.account_button.clicked.connect(self.connect_account)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addWidget(self.account_button)
        row.addStretch(1)

        self.status = QLabel(self)
        self.status.setWordWrap(True)

        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton(
            self.tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.start_button.setDefault(True)
        self.skip_button = self.buttons.addButton(
            self.tr("Skip"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(group)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def chosen_fields(self) -> list[str]:
        return [field for field, box in self.checkboxes.items() if box.isChecked()]

    def start(self) -> None:
        """Subscribe to the chosen fields' feeds (in the background), then close."""
        chosen = [outline for field in self.chosen_fields() for outline in self.fields[field]]
        if not chosen:
            self.accept()
            return
        self._busy(True)
        self.status.setText(self.tr("Subscribing…"))
        core = self.window_.core
        data = write_opml(chosen, "Curator starter feeds")
        run_in_background(
            lambda: core.import_opml(data),  # subscribes without fetching
            on_success=self._started,
            on_error=self._failed,
            parent=self,
        )

    def _started(self, result: ImportResult) -> None:
        self._subscribed(result)
        self.accept()

    def import_opml(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import OPML"), "", self.tr("OPML files (*.opml *.xml);;All files (*)")
        )
        if not path:
            return
        self._busy(True)
        self.status.setText(self.tr("Importing {path}…").format(path=path))
        core = self.window_.core
        run_in_background(
            lambda: core.import_opml(_read_file(path)),
            on_success=self._imported,
            on_error=self._failed,
            parent=self,
        )

    def _imported(self, result: ImportResult) -> None:
        self._busy(False)
        self.status.setText(self.tr("%n feeds imported", "", len(result.added)))
        self._subscribed(result)

    def _subscribed(self, result: ImportResult) -> None:
        if result.added:
            self.window_.changed.emit(Change.FEEDS)
            refresh_when_online(self.window_)

    def _failed(self, exc: BaseException) -> None:
        from . import errors

        self._busy(False)
        self.status.clear()
        errors.show_error(self, exc)

    def _busy(self, busy: bool) -> None:
        for button in (self.start_button, self.import_button):
            button.setEnabled(not busy)

    def connect_account(self) -> None:
        """Open the Accounts dialog (Posts → Accounts…) over this one."""
        self.window_.post_actions.show_accounts()


class WelcomeActions(QObject):
    """Help → Welcome…, and the welcome shown once on first run (no feeds, no accounts).

    Args:
        settings: where the "already welcomed" flag lives; default the app's QSettings.
    """

    def __init__(self, window: MainWindow, settings: QSettings | None = None):
        super().__init__(window)
        self.window = window
        self.store = settings if settings is not None else default_store()
        self.dialog: WelcomeDialog | None = None
        self.action = QAction(self.tr("&Welcome…"), self)
        self.action.triggered.connect(lambda _checked=False: self.show())
        _help_menu(window).addAction(self.action)

    def already_welcomed(self) -> bool:
        return bool(self.store.value(WELCOME_SHOWN_KEY, False, type=bool))

    def show_if_first_run(self) -> None:
        """Show the welcome when it never was and the data folder is new (no feeds, no
        accounts); the check runs in the background."""
        if self.already_welcomed():
            return
        core = self.window.core
        run_in_background(
            lambda: not core.list_feeds() and not core.list_accounts(),
            on_success=self._first_run_checked,
            on_error=lambda _exc: None,  # a welcome is not worth an error dialog at start
            parent=self,
        )

    def _first_run_checked(self, is_new: bool) -> None:
        # Decided once either way: a user with feeds already is not new, now or later.
        if not self.window.isVisible():
            return  # the window closed meanwhile (quitting): a welcome would keep the app alive
        self.store.setValue(WELCOME_SHOWN_KEY, True)
        self.store.sync()
        if is_new:
            self.show()

    def show(self) -> WelcomeDialog:
        """Open the welcome (one at a time)."""
        dialog = self.dialog
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            dialog = WelcomeDialog(self.window, starter_fields())
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.dialog = dialog
            dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog


def _help_menu(window: MainWindow) -> QMenu:
    """The window's Help menu (the one holding Keyboard shortcuts); made when missing."""
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and window.shortcuts_help_action in menu.actions():
            return menu
    return window.menuBar().addMenu(QCoreApplication.translate("MainWindow", "&Help"))


def install_welcome(window: MainWindow, settings: QSettings | None = None) -> WelcomeActions:
    """Add Help → Welcome… to the window; call show_if_first_run() on the result at start."""
    return WelcomeActions(window, settings)
