"""The tray: its menu (Open, Refresh, Pause/Resume publishing, Quit) drives the window, its
tooltip shows the unread and queued counts, and the "keep in the tray" preference turns
closing the window into hiding it (only when a tray exists)."""

import pytest
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication

from ui.preferences import PreferencesDialog
from ui.scheduler import queue_events
from ui.tray import Tray, keep_in_tray, set_keep_in_tray

UNREAD = 11  # the golden feeds' items (tests/ui/conftest.py)


@pytest.fixture
def quits():
    return []


@pytest.fixture
def tray(qtbot, window, quits):
    """A tray without an icon (offscreen has no system tray): menu and actions only."""
    made = Tray(window, tray_available=lambda: False, quit_app=lambda: quits.append("quit"))
    qtbot.waitUntil(lambda: made.unread is not None)
    yield made
    window.publishing.scheduler.stop()
    QApplication.setQuitOnLastWindowClosed(True)


def test_the_menu_has_open_refresh_pause_and_quit(tray):
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == ["&Open Curator", "&Refresh", "&Resume publishing", "&Quit"]
    assert tray.icon is None  # no system tray offscreen: no icon, the menu still works


def test_open_shows_the_hidden_window(qtbot, window, tray):
    window.hide()
    assert not window.isVisible()
    tray.open_action.trigger()
    assert window.isVisible()


def test_refresh_starts_a_refresh(qtbot, window, tray):
    with qtbot.waitSignal(window.refresher.started, timeout=5_000):
        tray.refresh_action.trigger()
    qtbot.waitSignal(window.refresher.finished, timeout=15_000)
    qtbot.waitUntil(lambda: not window.refresher.running, timeout=15_000)


def test_pause_and_resume_toggle_the_scheduler_and_the_text(window, tray):
    scheduler = window.publishing.scheduler
    scheduler.start(first_delay_ms=60_000)
    tray.menu.aboutToShow.emit()  # the text follows the scheduler when the menu opens
    assert tray.pause_action.text() == "&Pause publishing"
    tray.pause_action.trigger()
    assert not scheduler.started
    assert tray.pause_action.text() == "&Resume publishing"
    tray.pause_action.trigger()
    assert scheduler.started
    assert tray.pause_action.text() == "&Pause publishing"


def test_quit_closes_the_window_and_quits(window, tray, quits):
    tray.quit_action.trigger()
    assert quits == ["quit"]
    assert not window.isVisible()
    assert tray.quitting


def test_the_tooltip_counts_unread_and_queued(qtbot, window, core, monkeypatch):
    made = Tray(window, tray_available=lambda: False, quit_app=lambda: None)
    qtbot.waitUntil(lambda: made.unread is not None)
    assert made.tooltip() == f"Curator: {UNREAD} unread, 0 queued"

    core.mark_all_read()
    monkeypatch.setattr(core, "list_queue", lambda: ["Lunes: la campaña", "Martes: cifras"])
    queue_events().changed.emit()  # a post was queued: the counts are read again
    qtbot.waitUntil(lambda: made.queued == 2)
    assert made.tooltip() == "Curator: 0 unread, 2 queued"


def test_closing_hides_into_the_tray_only_when_asked(qtbot, window, quits):
    made = Tray(window, tray_available=lambda: True, quit_app=lambda: quits.append("quit"))
    try:
        assert made.icon is not None
        assert window.publishing.notifier.tray is made.icon  # one icon for both
        settings = window.refresher.settings

        set_keep_in_tray(settings, False)
        assert not made.keeps_running()
        assert made.eventFilter(window, QCloseEvent()) is False  # closes as before

        set_keep_in_tray(settings, True)
        assert keep_in_tray(settings)
        event = QCloseEvent()
        QApplication.sendEvent(window, event)
        assert not event.isAccepted()  # kept: hidden, not closed
        assert not window.isVisible()
        assert not QApplication.quitOnLastWindowClosed()  # the hidden window is no "last one"

        made.open_action.trigger()
        assert window.isVisible()
        made.quit_action.trigger()  # Quit is real even with the preference on
        assert quits == ["quit"]
        assert not window.isVisible()
    finally:
        QApplication.setQuitOnLastWindowClosed(True)
        window.publishing.notifier.tray = None
        made.icon.hide()


def test_the_preference_is_saved_by_ok(qtbot, window):
    settings = window.refresher.settings
    assert not keep_in_tray(settings)
    dialog = PreferencesDialog(settings, window)
    qtbot.addWidget(dialog)
    assert not dialog.keep_in_tray.isChecked()
    dialog.keep_in_tray.setChecked(True)
    dialog.accept()
    assert keep_in_tray(settings)
    again = PreferencesDialog(settings, window)
    qtbot.addWidget(again)
    assert again.keep_in_tray.isChecked()
    again.keep_in_tray.setChecked(False)
    again.reject()  # Cancel keeps the saved value
    assert keep_in_tray(settings)
