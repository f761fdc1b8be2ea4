"""ui.crash: a bug in the UI thread gives one dialog (summary, log path), the traceback goes
to the log, and the app keeps running."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from curator import logs
from ui import crash

pytestmark = pytest.mark.qt_no_exception_capture  # the crash handler under test catches them


@pytest.fixture
def log_file(tmp_path):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = logs.setup_logging(tmp_path / "datos")
    yield path
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logs._handler = logs._console = None


@pytest.fixture
def reporter(qtbot, monkeypatch, log_file):
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    crash_reporter = crash.CrashReporter(window)
    monkeypatch.setattr(sys, "excepthook", crash_reporter.excepthook)
    yield crash_reporter
    if crash_reporter.dialog is not None:
        crash_reporter.dialog.close()
        crash_reporter.dialog.deleteLater()


def fail_in_a_timer(message: str) -> None:
    def boom() -> None:
        raise ValueError(message)

    QTimer.singleShot(0, boom)


def log_text(path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_an_exception_in_a_timer_shows_the_dialog_and_logs_the_traceback(
        qtbot, reporter, log_file):
    fail_in_a_timer("índice fuera de rango en «Borradores»\nsegunda línea")
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    dialog = reporter.dialog

    assert dialog.summary_label.text() == "ValueError: índice fuera de rango en «Borradores»"
    assert str(log_file) in dialog.log_label.text()
    assert dialog.open_button.isEnabled()
    text = log_text(log_file)
    assert "Traceback (most recent call last)" in text
    assert "in boom" in text and "índice fuera de rango en «Borradores»" in text

    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("ValueError: índice fuera de rango")
    assert "in boom" in copied  # the traceback, for a bug report

    # The app keeps running: the event loop still delivers timers.
    ran = []
    QTimer.singleShot(0, lambda: ran.append(True))
    qtbot.waitUntil(lambda: ran == [True])


def test_repeated_errors_show_one_dialog(qtbot, reporter, log_file):
    fail_in_a_timer("primero")
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    first = reporter.dialog
    for n in range(3):
        fail_in_a_timer(f"otra vez {n}")
    qtbot.waitUntil(lambda: first.repeats == 3)
    assert reporter.dialog is first
    assert first.summary_label.text() == "ValueError: primero"  # the first one stays shown
    assert first.repeats_label.text().startswith("3 more error")  # plural: from the .qm
    dialogs = [w for w in qtbot_top_levels() if isinstance(w, crash.CrashDialog)
               and w.isVisible()]
    assert dialogs == [first]
    assert log_text(log_file).count("Traceback") == 4  # every one is in the log

    # Closed, the same error again (same place) is only logged: no nagging dialog.
    first.close()
    fail_in_a_timer("otra vez más")
    qtbot.wait(50)
    assert not first.isVisible()
    assert log_text(log_file).count("Traceback") == 5


def test_no_secret_in_the_dialog(qtbot, reporter):
    logs.remember_secret("tokenSecretoDeLucía42")
    fail_in_a_timer("HTTP 401 con tokenSecretoDeLucía42")
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert "tokenSecretoDeLucía42" not in reporter.dialog.summary_label.text()
    assert "tokenSecretoDeLucía42" not in reporter.dialog.details


def qtbot_top_levels():
    from PySide6.QtWidgets import QApplication

    return QApplication.topLevelWidgets()
