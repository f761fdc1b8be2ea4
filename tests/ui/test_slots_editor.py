"""Posts → Posting slots…: add and remove an account's slots, change its time zone, go back
to the defaults; every change is saved through the core at once (ui/slots.py)."""

import pytest
from PySide6.QtCore import QTime

from curator import Curator
from curator.slots import DEFAULT_SLOTS
from ui.slots import SlotsDialog

WEEKDAYS_AT_NINE = [f"{d} 09:00" for d in ("Monday", "Tuesday", "Wednesday", "Thursday",
                                           "Friday")]


@pytest.fixture
def cur(tmp_path):
    from ui import tasks

    core = Curator(tmp_path / "datos")
    core.add_account("x", name="Ana en X", timezone="Europe/Madrid")
    core.add_account("mastodon", name="Ana en Mastodon", api_base="https://m.example")
    core.set_slots("Ana en Mastodon", ["Tue 08:15", "Sat 11:00"])
    yield core
    tasks.wait_for_done(15_000)
    core.close()


def open_dialog(qtbot, core):
    dialog = SlotsDialog(core)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded and dialog.slots_loaded, timeout=15_000)
    return dialog


def pairs(core, name):
    return [(s.weekday, s.time) for s in core.list_slots(name)]


def saved(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.saving and dialog.slots_loaded, timeout=15_000)


def test_an_account_without_slots_shows_the_defaults(qtbot, cur):
    dialog = open_dialog(qtbot, cur)
    assert dialog.current_account().name == "Ana en Mastodon"  # accounts by name
    assert dialog.slot_texts() == ["Tuesday 08:15", "Saturday 11:00"]
    assert dialog.zone.currentData() == ""  # this computer's zone
    assert dialog.zone.currentText().startswith("This computer's zone")
    dialog.select_account(cur.get_account("Ana en X").id)
    qtbot.waitUntil(lambda: dialog.slots_loaded and len(dialog.slot_texts()) == 10)
    assert [t for t in dialog.slot_texts() if t.endswith("09:00")] == WEEKDAYS_AT_NINE
    assert "default slots" in dialog.defaults_label.text()
    assert dialog.zone.currentText() == "Europe/Madrid"
    assert not dialog.reset_button.isEnabled()  # nothing to reset


def test_add_a_slot(qtbot, cur):
    dialog = open_dialog(qtbot, cur)
    dialog.day.setCurrentIndex(3)  # Thursday
    dialog.time.setTime(QTime(17, 45))
    with qtbot.waitSignal(dialog.changed, timeout=15_000):
        dialog.add_button.click()
    saved(qtbot, dialog)
    assert pairs(cur, "Ana en Mastodon") == [(1, "08:15"), (3, "17:45"), (5, "11:00")]
    assert dialog.slot_texts() == ["Tuesday 08:15", "Thursday 17:45", "Saturday 11:00"]


def test_adding_to_the_defaults_gives_the_account_its_own(qtbot, cur):
    dialog = open_dialog(qtbot, cur)
    dialog.select_account(cur.get_account("Ana en X").id)
    qtbot.waitUntil(lambda: dialog.slots_loaded and len(dialog.slot_texts()) == 10)
    dialog.add_slot(6, "10:30")
    saved(qtbot, dialog)
    assert cur.has_own_slots("Ana en X")
    assert pairs(cur, "Ana en X") == sorted([*DEFAULT_SLOTS, (6, "10:30")])
    assert dialog.defaults_label.text() == "Its own slots."
    assert dialog.reset_button.isEnabled()


def test_remove_a_slot_and_the_last_one_brings_the_defaults_back(qtbot, cur):
    dialog = open_dialog(qtbot, cur)
    assert not dialog.remove_button.isEnabled()  # nothing selected
    dialog.slot_list.setCurrentRow(1)  # Saturday 11:00
    with qtbot.waitSignal(dialog.changed, timeout=15_000):
        dialog.remove_button.click()
    saved(qtbot, dialog)
    assert pairs(cur, "Ana en Mastodon") == [(1, "08:15")]
    dialog.slot_list.setCurrentRow(0)
    dialog.remove_button.click()
    saved(qtbot, dialog)
    qtbot.waitUntil(lambda: len(dialog.slot_texts()) == 10)
    assert not cur.has_own_slots("Ana en Mastodon")
    assert pairs(cur, "Ana en Mastodon") == list(DEFAULT_SLOTS)


def test_reset_to_defaults(qtbot, cur):
    dialog = open_dialog(qtbot, cur)
    assert dialog.reset_button.isEnabled()
    dialog.reset_button.click()
    saved(qtbot, dialog)
    qtbot.waitUntil(lambda: len(dialog.slot_texts()) == 10)
    assert not cur.has_own_slots("Ana en Mastodon")


def test_change_the_time_zone_and_back_to_this_computers(qtbot, cur):
    dialog = open_dialog(qtbot, cur)
    index = dialog.zone.findData("America/New_York")
    assert index > 0
    dialog.zone.setCurrentIndex(index)
    with qtbot.waitSignal(dialog.changed, timeout=15_000):
        dialog.zone.activated.emit(index)
    assert cur.get_account("Ana en Mastodon").timezone == "America/New_York"
    assert pairs(cur, "Ana en Mastodon") == [(1, "08:15"), (5, "11:00")]  # local times kept
    dialog.zone.setCurrentIndex(0)
    with qtbot.waitSignal(dialog.changed, timeout=15_000):
        dialog.zone.activated.emit(0)
    assert cur.get_account("Ana en Mastodon").timezone is None


def test_an_unknown_zone_is_one_clear_error_and_the_old_one_stays(qtbot, cur):
    dialog = open_dialog(qtbot, cur)
    dialog.select_account(cur.get_account("Ana en X").id)
    qtbot.waitUntil(lambda: dialog.slots_loaded and dialog.zone.currentText() == "Europe/Madrid")
    dialog.set_zone("Marte/Olimpo")
    qtbot.waitUntil(lambda: not dialog.saving, timeout=15_000)
    assert "Marte/Olimpo" in dialog.status.error_text()
    assert cur.get_account("Ana en X").timezone == "Europe/Madrid"
    assert dialog.zone.currentText() == "Europe/Madrid"
