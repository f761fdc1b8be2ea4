"""Preferences → Data: the data folder (shown, openable), Back up… and Restore….

A restore replaces the database under the running window, so after one Curator quits and
asks the user to start it again (honest and simple: no half-reloaded views, and no second
process racing the single-instance lock)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from . import errors
from .settings import Settings
from .tasks import run_in_background


def _tr(text: str) -> str:
    return QCoreApplication.translate("Backup", text)


def settings_file(settings: Settings) -> Path | None:
    """The QSettings file to put in a backup (None when settings live in a registry)."""
    settings.store.sync()  # what the zip gets is what the user sees now
    name = settings.store.fileName()
    return Path(name) if name and Path(name).is_file() else None


def add_data_section(core: Any, settings: Settings, parent: QWidget) -> QGroupBox | None:
    """A "Data" group for the Preferences dialog; None without a core (nothing to back up)."""
    if core is None:
        return None
    section = DataSection(core, settings, parent)
    layout = parent.layout()
    if layout is not None:
        # Above the OK/Cancel row, which the dialog adds last.
        layout.insertWidget(max(0, layout.count() - 1), section)  # type: ignore[attr-defined]
    return section


class DataSection(QGroupBox):
    """The data folder with Open, Back up… and Restore… buttons."""

    def __init__(self, core: Any, settings: Settings, parent: QWidget | None = None):
        super().__init__(_tr("Data"), parent)
        self.core = core
        self.settings = settings
        self.folder = QLabel(str(core.data_dir))
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder.setTextFormat(Qt.TextFormat.PlainText)
        self.folder.setWordWrap(True)
        self.folder.setAccessibleName(_tr("Data folder"))
        self.open_button = QPushButton(_tr("&Open"))
        self.open_button.setAccessibleName(_tr("Open the data folder"))
        self.open_button.clicked.connect(self.open_folder)
        self.backup_button = QPushButton(_tr("&Back Up…"))
        self.backup_button.setAccessibleName(_tr("Back up the database and settings"))
        self.backup_button.setToolTip(_tr(
            "One zip with your feeds, items, drafts, posts, accounts and settings; secrets "
            "stay in the system keyring and are never included"))
        self.backup_button.clicked.connect(self.back_up)
        self.restore_button = QPushButton(_tr("&Restore…"))
        self.restore_button.setAccessibleName(_tr("Restore from a backup"))
        self.restore_button.clicked.connect(self.restore)

        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(self.open_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(buttons)

    def _busy(self, busy: bool) -> None:
        for button in (self.backup_button, self.restore_button):
            button.setEnabled(not busy)

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.core.data_dir)))

    # ---- back up -------------------------------------------------------------------------

    def back_up(self) -> None:
        suggested = Path.home() / f"curator-backup-{date.today().isoformat()}.zip"
        name, _ = QFileDialog.getSaveFileName(
            self, _tr("Back Up Curator"), str(suggested), _tr("Zip archives (*.zip)"))
        if not name:
            return
        dest = Path(name if name.lower().endswith(".zip") else name + ".zip")
        extra = [p for p in [settings_file(self.settings)] if p is not None]
        core = self.core
        self._busy(True)
        run_in_background(lambda: core.backup(dest, extra_files=extra),
                          on_success=lambda info: self._backed_up(dest),
                          on_error=self._failed, parent=self)

    def _backed_up(self, dest: Path) -> None:
        self._busy(False)
        QMessageBox.information(self, _tr("Back Up Curator"),
                                _tr("Backed up to {path}.").format(path=dest))

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        errors.show_error(self, exc)

    # ---- restore -------------------------------------------------------------------------

    def restore(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, _tr("Restore Curator"), str(Path.home()), _tr("Zip archives (*.zip)"))
        if not name:
            return
        answer = QMessageBox.question(
            self, _tr("Restore Curator"),
            _tr("Replace your feeds, items, drafts, posts, accounts and settings with the "
                "backup's? The backup is checked first; your current database is kept as "
                "curator.db.before-restore. Curator closes afterwards."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        window = self.window().parentWidget() or self.window()
        scheduler = getattr(getattr(window, "publishing", None), "scheduler", None)
        was_running = bool(scheduler is not None and scheduler.started)
        if scheduler is not None:
            scheduler.stop()  # nothing publishes from the old database mid-restore
        cancel = getattr(window, "cancel_refresh", None)
        if callable(cancel):
            cancel()
        target = settings_file(self.settings)
        targets = {target.name: target} if target is not None else {}
        core = self.core
        self._busy(True)

        def refused(exc: BaseException) -> None:
            if scheduler is not None and was_running:
                scheduler.start()
            self._failed(exc)  # the core reopens the untouched database on its next call

        run_in_background(lambda: core.restore(Path(name), settings_targets=targets),
                          on_success=lambda result: self._restored(),
                          on_error=refused, parent=self)

    def _restored(self) -> None:
        QMessageBox.information(
            self, _tr("Restore Curator"),
            _tr("The backup is restored. Curator will close now; start it again to use the "
                "restored data."))
        QApplication.quit()
