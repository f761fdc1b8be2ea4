"""Preferences → Data: the folder shown and openable, Back Up… and Restore… through the core."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from ui import backup as backup_ui
from ui.preferences import PreferencesDialog
from ui.settings import Settings


@pytest.fixture
def dialog(qtbot, window, tmp_path):
    store = QSettings(str(tmp_path / "Curator.ini"), QSettings.Format.IniFormat)
    settings = Settings(store)
    settings.refresh_interval_minutes = 15
    dlg = PreferencesDialog(settings, window)
    qtbot.addWidget(dlg)
    return dlg


@pytest.fixture
def answers(monkeypatch):
    """Modal boxes answered without showing them; what they said is recorded."""
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda parent, title, text, *a: said.append(text))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    return said, quits


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_data_folder_is_shown_and_opens(dialog, core, monkeypatch) -> None:
    opened = []
    monkeypatch.setattr(backup_ui.QDesktopServices, "openUrl", lambda url: opened.append(url))
    section = dialog.data_section
    assert section.folder.text() == str(core.data_dir)
    section.open_button.click()
    assert [u.toLocalFile() for u in opened] == [str(core.data_dir)]
    for button in (section.open_button, section.backup_button, section.restore_button):
        assert button.accessibleName()


def test_back_up_then_restore_quits_with_the_backup_restored(
        qtbot, dialog, core, tmp_path, monkeypatch, answers) -> None:
    said, quits = answers
    zip_path = tmp_path / "copia de seguridad.zip"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(zip_path), ""))
    feeds_before = [f.url for f in core.list_feeds()]
    dialog.data_section.backup_button.click()
    qtbot.waitUntil(lambda: bool(said), timeout=10_000)
    assert said == [f"Backed up to {zip_path}."]
    with zipfile.ZipFile(zip_path) as zf:
        assert "interval_minutes=15" in zf.read("settings/Curator.ini").decode()

    # Changes after the backup: the restore takes them back.
    core.add_feed("https://nuevo.example.es/feed", fetch=False)
    dialog.settings.refresh_interval_minutes = 60
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(zip_path), ""))
    dialog.data_section.restore_button.click()
    qtbot.waitUntil(lambda: bool(quits), timeout=10_000)
    assert "start it again" in said[-1]
    assert [f.url for f in core.list_feeds()] == feeds_before
    assert "interval_minutes=15" in (tmp_path / "Curator.ini").read_text()
    assert (Path(core.data_dir) / "curator.db.before-restore").exists()


def test_a_corrupt_zip_is_refused_and_the_data_kept(
        qtbot, dialog, core, tmp_path, monkeypatch, answers, shown_errors) -> None:
    _said, quits = answers
    bad = tmp_path / "roto.zip"
    bad.write_bytes(b"PK\x03\x04 no es una copia de Curator")
    db = Path(core.data_dir) / "curator.db"
    core.storage.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _sha(db)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    dialog.data_section.restore_button.click()
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=10_000)
    assert str(shown_errors[0][1]) == (
        "roto.zip is not a Curator backup this Curator can restore: it is not a zip file.")
    assert not quits and _sha(db) == before
    assert len(core.list_feeds()) == 3  # the core works on
    assert dialog.data_section.restore_button.isEnabled()
