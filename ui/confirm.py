"""The one way Curator asks before removing something: a window-modal question whose safe
answer (Cancel) is the default and the Escape key."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def ask_to_remove(
    parent: QWidget,
    *,
    title: str,
    text: str,
    answered: Callable[[bool], None],
    details: str = "",
) -> QMessageBox:
    """Open the question (non-blocking); answered(True) when the user chose Remove."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    if details:
        box.setInformativeText(details)
    remove = box.addButton(
        QCoreApplication.translate("Confirm", "&Remove"), QMessageBox.ButtonRole.DestructiveRole
    )
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.buttonClicked.connect(lambda button: answered(button is remove))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
