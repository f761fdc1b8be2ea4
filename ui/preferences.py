"""The Preferences dialog: the few settings a user changes (how often feeds refresh)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .settings import MAX_REFRESH_INTERVAL, Settings


class PreferencesDialog(QDialog):
    """Edits a Settings; values are saved when the user presses OK."""

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("Preferences"))

        self.refresh_interval = QSpinBox()
        self.refresh_interval.setRange(0, MAX_REFRESH_INTERVAL)
        self.refresh_interval.setSingleStep(5)
        self.refresh_interval.setSuffix(self.tr(" min"))
        self.refresh_interval.setSpecialValueText(self.tr("Off"))  # shown for 0
        self.refresh_interval.setValue(settings.refresh_interval_minutes)
        self.refresh_interval.setAccessibleName(self.tr("Refresh feeds every"))

        hint = QLabel(
            self.tr(
                "Refreshing pauses while the computer is offline and catches up when the "
                "network returns."
            )
        )
        hint.setWordWrap(True)
        hint.setTextFormat(Qt.TextFormat.PlainText)

        form = QFormLayout()
        form.addRow(self.tr("Refresh feeds &every:"), self.refresh_interval)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    def accept(self) -> None:
        self.settings.refresh_interval_minutes = self.refresh_interval.value()
        super().accept()
