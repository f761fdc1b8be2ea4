"""The system tray: an icon whose tooltip shows the unread and queued counts, its menu (Open,
Refresh, Pause/Resume publishing, Quit), and keeping Curator running when the window closes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QApplication, QCheckBox, QFormLayout, QMenu, QSystemTrayIcon

from curator import ItemQuery

from .scheduler import queue_events
from .settings import Settings
from .tasks import run_in_background

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from .mainwindow import MainWindow

KEEP_IN_TRAY_KEY = "tray/keep_running_when_closed"


def _tr(text: str) -> str:
    return QCoreApplication.translate("tray", text)


def keep_in_tray(settings: Settings) -> bool:
    """The preference: closing the window hides it (a tray exists) instead of quitting."""
    value = settings.store.value(KEEP_IN_TRAY_KEY, False)
    # An INI file gives back strings: "true"/"false".
    return value is True or str(value).lower() in ("true", "1")


def set_keep_in_tray(settings: Settings, keep: bool) -> None:
    settings._set(KEEP_IN_TRAY_KEY, keep)  # Settings' own write: sync and `changed`


def add_tray_preference(settings: Settings, form: QFormLayout, dialog: QDialog) -> QCheckBox:
    """The Preferences dialog's tray row; saved when the dialog is accepted."""
    box = QCheckBox(_tr("&Keep Curator in the tray when the window is closed, so scheduled "
                        "posts go out"))
    box.setAccessibleName(_tr("Keep Curator in the tray when the window is closed"))
    box.setChecked(keep_in_tray(settings))
    if not QSystemTrayIcon.isSystemTrayAvailable():
        box.setToolTip(_tr("This desktop shows no tray: closing the window quits Curator"))
    box.setObjectName("keep-in-tray")
    form.addRow(box)
    dialog.accepted.connect(lambda: set_keep_in_tray(settings, box.isChecked()))
    return box


class Tray(QObject):
    """The window's tray icon and menu. Without a system tray (offscreen, some desktops) the
    menu and its actions still exist (tests drive them) but no icon is shown, and closing the
    window quits as before. The publishing Notifier shows its messages through this icon.

    Args:
        window: the main window.
        tray_available: whether the desktop has a tray; tests swap it.
        quit_app: what Quit calls after closing the window; tests pass their own.
    """

    def __init__(self, window: MainWindow, *,
                 tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
                 quit_app: Callable[[], None] = QCoreApplication.quit):
        super().__init__(window)
        self.window = window
        self.settings: Settings = window.refresher.settings
        self.quit_app = quit_app
        self.unread: int | None = None
        self.queued: int | None = None
        self.quitting = False
        self._reading = False
        self._read_again = False

        self.menu = QMenu()  # no parent: a tray menu is a top-level popup
        self.open_action = self._action(_tr("&Open Curator"), self.show_window)
        self.refresh_action = self._action(_tr("&Refresh"), self.refresh)
        self.pause_action = self._action(_tr("&Pause publishing"), self.toggle_publishing)
        self.menu.addSeparator()
        self.quit_action = self._action(_tr("&Quit"), self.quit)
        self.menu.aboutToShow.connect(self.update_pause_text)
        self.destroyed.connect(self.menu.deleteLater)

        self.icon: QSystemTrayIcon | None = None
        if tray_available():
            self.icon = self._make_icon()

        window.refresher.finished.connect(lambda _result: self.read_counts())
        queue_events().changed.connect(self.read_counts)
        window.changed.connect(lambda _change: self.read_counts())  # read/unread marks
        window.installEventFilter(self)
        self.update_pause_text()
        self.read_counts()

    def _action(self, text: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        self.menu.addAction(action)
        return action

    def _make_icon(self) -> QSystemTrayIcon:
        notifier = self.window.publishing.notifier
        if notifier.tray is not None:  # it made one already: one icon, not two
            icon = notifier.tray
        else:
            picture = self.window.windowIcon()
            if picture.isNull():
                picture = QIcon.fromTheme("mail-send")
            icon = QSystemTrayIcon(picture, self)
            icon.messageClicked.connect(notifier._open_tray_link)
            notifier.tray = icon  # the Notifier shows its messages through ours
        icon.setContextMenu(self.menu)
        icon.activated.connect(self._activated)
        icon.setToolTip(self.tooltip())
        icon.show()
        return icon

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.Trigger:  # a left click
            self.show_window()

    # ---- counts --------------------------------------------------------------------------

    def tooltip(self) -> str:
        if self.unread is None or self.queued is None:
            return _tr("Curator")
        return _tr("Curator: {unread} unread, {queued} queued").format(
            unread=self.unread, queued=self.queued)

    def read_counts(self) -> None:
        """Read the unread and queued counts in the background; the tooltip follows."""
        if self._reading:
            self._read_again = True
            return
        self._reading, self._read_again = True, False
        core = self.window.core
        run_in_background(
            lambda: (core.count_items(ItemQuery(unread=True)), len(core.list_queue())),
            on_success=self._counts_read, on_error=self._counts_failed, parent=self)

    def _counts_read(self, counts: tuple[int, int]) -> None:
        self._reading = False
        self.unread, self.queued = counts
        if self.icon is not None:
            self.icon.setToolTip(self.tooltip())
        if self._read_again:
            self.read_counts()

    def _counts_failed(self, _exc: BaseException) -> None:
        self._reading = False  # a tooltip is no place for an error; the next change retries

    # ---- actions -------------------------------------------------------------------------

    def show_window(self) -> None:
        """Open: show the window (hidden in the tray, or minimized) in front."""
        QApplication.setQuitOnLastWindowClosed(True)
        window = self.window
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()

    def refresh(self) -> None:
        self.window.refresh()

    def toggle_publishing(self) -> None:
        """Pause or resume the in-app scheduler (run now, from the queue, still works)."""
        scheduler = self.window.publishing.scheduler
        if scheduler.started:
            scheduler.stop()
        else:
            scheduler.start()
        self.update_pause_text()

    def update_pause_text(self) -> None:
        paused = not self.window.publishing.scheduler.started
        self.pause_action.setText(
            _tr("&Resume publishing") if paused else _tr("&Pause publishing"))

    def quit(self) -> None:
        """Quit for real: the window closes (saving its layout), then the app."""
        self.quitting = True
        QApplication.setQuitOnLastWindowClosed(True)
        if shiboken6.isValid(self.window):
            self.window.close()
        if self.icon is not None:
            self.icon.hide()
        self.quit_app()

    def keeps_running(self) -> bool:
        """Whether closing the window now hides it instead."""
        return self.icon is not None and not self.quitting and keep_in_tray(self.settings)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            if self.keeps_running():
                event.ignore()
                # A hidden window must not count as the last one closing.
                QApplication.setQuitOnLastWindowClosed(False)
                self.window.hide()
                return True
            QApplication.setQuitOnLastWindowClosed(True)
        return super().eventFilter(watched, event)
