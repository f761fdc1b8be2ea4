"""The crash dialog: a bug in the UI thread is logged with its traceback and shown once.

Installed as sys.excepthook by ui.app. PySide6 hands an exception raised in a slot, a timer
callback or an overridden Qt method to sys.excepthook and then carries on, so the app keeps
running: the dialog is not modal, says what happened in one line, where the log is, and
copies the details for a bug report. While it is open, further errors only add to a count;
the same error (same type, same place) after it was closed is only logged, so a failing
timer cannot bury the user under dialogs.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import shiboken6
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from curator import logs
from curator.errors import CuratorError

from . import errors

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 300  # characters of the one-line summary: a huge message is for the log


def summary(exc: BaseException) -> str:
    """One line for the user: the error's type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    if len(text) > SUMMARY_LIMIT:
        text = text[: SUMMARY_LIMIT - 1] + "…"
    return logs.redact(text)


def _signature(exc: BaseException) -> tuple[str, str, int]:
    # "The same error": same type raised at the same line, whatever values its message has.
    frames = traceback.extract_tb(exc.__traceback__)
    where = (frames[-1].filename, frames[-1].lineno or 0) if frames else ("", 0)
    return (type(exc).__qualname__, *where)


class CrashDialog(QDialog):
    """What went wrong, where the log is, Copy details, Open log folder."""

    def __init__(self, parent: QWidget | None, log_file: Path | None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.details = ""
        self.repeats = 0
        self.setWindowTitle(self.tr("Curator: unexpected error"))
        self.setModal(False)  # the app keeps working behind it

        self.heading = QLabel(self.tr(
            "Something went wrong inside Curator. It kept running; if something looks "
            "wrong, restart it. Your drafts and scheduled posts are saved."))
        self.heading.setWordWrap(True)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(
            self.summary_label.textInteractionFlags() | _selectable())
        self.summary_label.setAccessibleName(self.tr("Error"))
        self.repeats_label = QLabel()
        self.repeats_label.hide()
        if log_file is not None:
            where = self.tr("The details are in the log file:\n%1").replace("%1", str(log_file))
        else:
            where = self.tr("No log file could be written; use Copy details.")
        self.log_label = QLabel(where)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(
            self.log_label.textInteractionFlags() | _selectable())
        self.log_label.setAccessibleName(self.tr("Log file"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton(self.tr("&Open log folder"))
        self.open_button.setEnabled(log_file is not None)
        self.copy_button = QPushButton(self.tr("&Copy details"))
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.open_button.clicked.connect(self.open_log_folder)
        self.copy_button.clicked.connect(self.copy_details)

        layout = QVBoxLayout(self)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(32, 32))
        layout.addWidget(icon)
        for widget in (self.heading, self.summary_label, self.repeats_label, self.log_label):
            layout.addWidget(widget)
        layout.addWidget(buttons)

    def show_error(self, exc: BaseException) -> None:
        """Show this error (the first since the dialog was last closed)."""
        self.repeats = 0
        self.repeats_label.hide()
        self.summary_label.setText(summary(exc))
        self.details = _details(exc)
        self.show()
        self.raise_()
        self.activateWindow()

    def add_repeat(self) -> None:
        """Another error while the dialog is open: count it, no second dialog."""
        self.repeats += 1
        self.repeats_label.setText(
            self.tr("%n more error(s) since; see the log.", "", self.repeats))
        self.repeats_label.show()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)

    def open_log_folder(self) -> None:
        if self.log_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_file.parent)))


class CrashReporter:
    """Logs every uncaught exception; shows the UI thread's in one CrashDialog."""

    def __init__(self, window: QWidget | None) -> None:
        self.window = window
        self.dialog: CrashDialog | None = None
        self.reported: set[tuple[str, str, int]] = set()

    def excepthook(self, kind: type[BaseException], exc: BaseException,
                   tb: TracebackType | None) -> None:
        """A sys.excepthook (the traceback reaches stderr through the log's console handler)."""
        if exc.__traceback__ is None and tb is not None:
            exc = exc.with_traceback(tb)
        if threading.current_thread() is not threading.main_thread():
            log.critical("uncaught error in a background thread", exc_info=(kind, exc, tb))
            return
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: not a bug
            sys.__excepthook__(kind, exc, tb)
            return
        if isinstance(exc, CuratorError):  # already one sentence the user can act on
            log.warning("uncaught %s", summary(exc), exc_info=(kind, exc, tb))
            errors.show_error(self._parent(), exc)
            return
        log.critical("unexpected error in the UI", exc_info=(kind, exc, tb))
        self.report(exc)

    def report(self, exc: BaseException) -> None:
        """Show exc in the one dialog (or count it there while it is open)."""
        if self.dialog is not None and shiboken6.isValid(self.dialog) and self.dialog.isVisible():
            self.dialog.add_repeat()
            return
        signature = _signature(exc)
        if signature in self.reported:
            return  # the user has seen this one; it is in the log again
        self.reported.add(signature)
        if self.dialog is None or not shiboken6.isValid(self.dialog):
            self.dialog = CrashDialog(self._parent(), logs.current_log_file())
        self.dialog.show_error(exc)

    def _parent(self) -> QWidget | None:
        window = self.window
        return window if window is not None and shiboken6.isValid(window) else None


def install(window: QWidget | None) -> Callable[..., None]:
    """A sys.excepthook showing the crash dialog over window (the caller installs it)."""
    return CrashReporter(window).excepthook


def _details(exc: BaseException) -> str:
    from curator import __version__

    text = "".join(traceback.format_exception(exc))
    versions = (f"Curator {__version__}, Python {platform.python_version()}, "
                f"PySide6 {pyside_version}, {platform.platform()}")
    return logs.redact(f"{summary(exc)}\n\n{versions}\n\n{text}")


def _selectable() -> Qt.TextInteractionFlag:
    return Qt.TextInteractionFlag.TextSelectableByMouse
