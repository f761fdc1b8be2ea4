"""The Preferences dialog: the few settings a user changes (how often feeds refresh, how late
a post may go out without asking)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from . import errors
from .settings import MAX_REFRESH_INTERVAL, Settings
from .tasks import run_in_background

GRACE_KEY = "overdue_grace_minutes"  # a core setting: the CLI's publish-due honours it too
MAX_GRACE_MINUTES = 7 * 24 * 60


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

        # The overdue grace lives in the database (shared with `curator publish-due`): only
        # with a window that has a core, read and written in the background.
        self.core = getattr(parent, "core", None)
        self.grace: QSpinBox | None = None
        self._grace_loaded: int | None = None
        if self.core is not None:
            self.grace = QSpinBox()
            self.grace.setRange(0, MAX_GRACE_MINUTES)
            self.grace.setSingleStep(5)
            self.grace.setSuffix(self.tr(" min"))
            self.grace.setSpecialValueText(self.tr("Always ask"))  # shown for 0
            self.grace.setAccessibleName(
                self.tr("Publish posts late by less than this without asking"))
            self.grace.setToolTip(self.tr(
                "When Curator starts (or the computer wakes) after a post's time: posts later "
                "than this wait for you to choose, so a week of posts never goes out at once"))
            self.grace.setEnabled(False)  # until read
            row = QHBoxLayout()
            row.addWidget(self.grace)
            row.addWidget(QLabel(self.tr("without asking")), 1)
            grace_label = QLabel(self.tr("Publish posts &late by less than"))
            grace_label.setBuddy(self.grace)
            form.addRow(grace_label, row)
            core = self.core
            run_in_background(lambda: core.get_setting(GRACE_KEY), on_success=self._grace_read,
                              on_error=lambda _exc: None, parent=self)
        from .tray import add_tray_preference  # here: ui.tray imports the window's modules

        self.keep_in_tray = add_tray_preference(settings, form, self)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        from .backup import add_data_section  # Data: folder, Back Up…, Restore…

        self.data_section = add_data_section(self.core, settings, self)

    def _grace_read(self, value: object) -> None:
        if self.grace is None:
            return
        try:
            minutes = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            minutes = 30
        self._grace_loaded = minutes
        self.grace.setValue(minutes)
        self.grace.setEnabled(True)

    def accept(self) -> None:
        self.settings.refresh_interval_minutes = self.refresh_interval.value()
        if self.grace is not None and self._grace_loaded is not None \
                and self.grace.value() != self._grace_loaded:
            core: Any = self.core
            minutes, window = self.grace.value(), self.parentWidget()
            run_in_background(lambda: core.set_setting(GRACE_KEY, minutes),
                              on_error=lambda exc: errors.show_error(window, exc))
        super().accept()
