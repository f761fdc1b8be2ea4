"""ui.app.main: data folder resolution, a clear message when it is unusable, the window."""

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from curator.errors import CuratorError
from ui import app, errors
from ui.mainwindow import MainWindow


@pytest.fixture
def shown_errors(monkeypatch):
    calls = []
    monkeypatch.setattr(errors, "show_error", lambda parent, exc: calls.append(exc))
    return calls


def close_window_soon(seen):
    def poll():
        windows = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        if windows:
            seen.append(windows[0].core.data_dir)
            windows[0].close()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def test_an_unusable_data_folder_is_a_message_not_a_traceback(qapp, tmp_path, shown_errors):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert app.main(["--data-dir", str(blocker / "data")]) == 1
    (exc,) = shown_errors
    assert isinstance(exc, CuratorError)
    assert "Cannot create the data folder" in str(exc)


def test_a_damaged_database_is_a_message(qapp, tmp_path, shown_errors):
    (tmp_path / "curator.db").write_bytes(b"this is not SQLite" * 100)
    assert app.main(["--data-dir", str(tmp_path)]) == 1
    assert isinstance(shown_errors[0], CuratorError)


def test_main_opens_the_window_on_the_data_dir(qapp, tmp_path, shown_errors):
    seen = []
    close_window_soon(seen)
    assert app.main(["--data-dir", str(tmp_path / "d")]) == 0
    assert seen == [tmp_path / "d"]
    assert (tmp_path / "d" / "curator.db").exists()
    assert qapp.applicationName() == "Curator"
    assert qapp.organizationName() == "Curator"
    assert shown_errors == []


def test_the_data_dir_comes_from_the_environment(qapp, tmp_path, monkeypatch, shown_errors):
    monkeypatch.setenv("CURATOR_DATA_DIR", str(tmp_path / "env"))
    seen = []
    close_window_soon(seen)
    assert app.main([]) == 0
    assert seen == [tmp_path / "env"]


def test_drafts_deleted_a_month_ago_are_purged_at_start(qapp, tmp_path, shown_errors):
    from datetime import UTC, datetime, timedelta

    from curator import Curator
    from curator.errors import DraftNotFoundError

    data = tmp_path / "d"
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with Curator(data, now=lambda: long_ago) as core:
        old = core.new_draft(text="Borrador viejo, ¿lo quería?")
        core.delete_draft(old.id)
    with Curator(data) as core:
        recent = core.new_draft(text="Borrador de ayer: ¡aún se puede deshacer!")
        core.delete_draft(recent.id)
    seen = []
    close_window_soon(seen)
    assert app.main(["--data-dir", str(data)]) == 0
    with Curator(data) as core:
        with pytest.raises(DraftNotFoundError):
            core.get_draft(old.id)
        core.undelete_draft(recent.id)
        assert core.get_draft(recent.id).text.startswith("Borrador de ayer")


def test_the_app_starts_the_in_app_scheduler(qapp, tmp_path, shown_errors):
    active = []

    def poll():
        windows = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        if windows:
            active.append(windows[0].publishing.scheduler.timer.isActive())
            windows[0].close()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    assert app.main(["--data-dir", str(tmp_path / "d")]) == 0
    assert active == [True]  # test windows built directly leave it stopped
