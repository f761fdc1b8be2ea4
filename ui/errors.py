"""The one place the UI shows an error to the user."""

from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from curator.errors import CuratorError

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("errors", text)


def describe(exc: BaseException) -> tuple[str, str | None]:
    """(main text, detail) for an error: a CuratorError is already one sentence for the user."""
    if isinstance(exc, CuratorError):
        return str(exc), None
    return _tr("Unexpected error"), f"{type(exc).__name__}: {exc}"


def _widget_of(obj: QObject | None) -> QWidget | None:
    # Models and other helpers pass themselves; the dialog belongs to their window.
    while obj is not None and not isinstance(obj, QWidget):
        obj = obj.parent()
    return obj


def show_error(parent: QObject | None, exc: BaseException) -> None:
    """Tell the user what went wrong, in a modal message box over parent's window."""
    text, detail = describe(exc)
    expected = isinstance(exc, CuratorError)
    if not expected:
        log.error("unexpected error", exc_info=exc)
    box = QMessageBox(_widget_of(parent))
    box.setIcon(QMessageBox.Icon.Warning if expected else QMessageBox.Icon.Critical)
    box.setWindowTitle(_tr("Curator"))
    box.setText(text)
    if detail:
        box.setInformativeText(detail)
        box.setDetailedText("".join(traceback.format_exception(exc)))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.exec()
