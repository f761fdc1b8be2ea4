"""Overdue posts at start (the laptop was off): one dialog asks, per post or for all at once,
to publish now, move to the next slot or skip; a grace preference lets slightly late posts go
out unasked; nothing is ever sent in a silent burst.

Secrets live in an in-memory keyring backend; the webhook receiver runs on 127.0.0.1.
"""

from datetime import UTC, datetime, timedelta

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from webhookserver import WebhookServer

from curator import Curator
from curator.types import PostState
from ui import app
from ui.mainwindow import MainWindow
from ui.overdue import OverdueDialog, OverduePrompt
from ui.preferences import PreferencesDialog
from ui.scheduler import format_slot

SECRET = "firma-ñandú-0042"
EVERY_DAY = [(day, hhmm) for day in range(7) for hhmm in ("09:00", "14:30", "21:15")]


@pytest.fixture
def hook(core, memory_keyring):
    server = WebhookServer(secret=SECRET).start()
    account = core.add_account("webhook", name="Equipo de difusión", api_base=server.url,
                               secret=SECRET)
    core.set_slots(account.id, EVERY_DAY)
    try:
        yield server, account
    finally:
        server.stop()


@pytest.fixture
def scheduler(window):
    sched = window.publishing.scheduler
    sched.stop()
    return sched


def missed(core, account, hours_late, text):
    """A post queued in time (a week ago) for a time that passed while the computer was off."""
    real_now = core.now
    now = datetime.now(UTC)
    core.now = lambda: now - timedelta(days=7)  # queued before its time
    try:
        draft = core.new_draft(text=text)
        return core.queue_post(draft.id, account.id, now - timedelta(hours=hours_late))
    finally:
        core.now = real_now


def ask(qtbot, window) -> OverdueDialog:
    prompt = OverduePrompt(window)
    prompt.check()
    qtbot.waitUntil(lambda: prompt.dialog is not None and prompt.dialog.isVisible(),
                    timeout=10_000)
    assert prompt.dialog is not None
    return prompt.dialog


def test_each_post_gets_its_own_answer(qtbot, window, core, scheduler, hook):
    server, account = hook
    window.refresher.network.set_online_for_test(True)
    publish = missed(core, account, 50, "Lunes: las cifras de la campaña, por fin.")
    move = missed(core, account, 26, "Martes: ¿quién paga la fiesta?")
    skip = missed(core, account, 3, "Martes tarde: ya no tiene sentido, señora.")
    assert {p.id for p in core.overdue_posts()} == {publish.id, move.id, skip.id}

    dialog = ask(qtbot, window)
    assert sorted(dialog.posts) == sorted([publish.id, move.id, skip.id])
    row = dialog.rows[move.id]
    assert row.text(0) == "Equipo de difusión"
    assert row.text(2) == "Martes: ¿quién paga la fiesta?"
    assert "30 min" in dialog.grace_label.text()
    assert server.deliveries == []  # nothing went out before the user answered

    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
        dialog.row_buttons[publish.id]["publish"].click()
    assert [(o.post_id, o.state) for o, _p in done.args[0]] == [
        (publish.id, PostState.PUBLISHED)]
    assert [p["payload"]["text"] for p in server.posts.values()] == [publish.text]
    assert dialog.choice_text(publish.id) == "Publishing now"

    slot = core.next_free_slot(account.id)
    with qtbot.waitSignal(dialog.resolved, timeout=10_000):
        dialog.row_buttons[move.id]["next_slot"].click()
    assert core.get_post(move.id).scheduled_at == slot
    assert dialog.choice_text(move.id) == f"Moved to {format_slot(slot)}"
    assert dialog.isVisible()  # one post still waits

    with qtbot.waitSignal(dialog.resolved, timeout=10_000):
        dialog.row_buttons[skip.id]["skip"].click()
    assert core.get_post(skip.id).state is PostState.CANCELLED
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    assert core.overdue_posts() == []
    assert len(server.posts) == 1  # only the one the user chose


@pytest.mark.parametrize("action", ["next_slot", "skip", "publish"])
def test_one_answer_for_all(qtbot, window, core, scheduler, hook, action):
    server, account = hook
    window.refresher.network.set_online_for_test(True)
    posts = [missed(core, account, h, f"Aviso {h}: ñandú") for h in (72, 48, 5)]
    assert {p.id for p in core.overdue_posts()} == {p.id for p in posts}
    expected_slots = []
    after = datetime.now(UTC)
    for _ in posts:  # three consecutive free slots, oldest post first
        expected_slots.append(core.next_free_slot(account.id, after))
        after = expected_slots[-1] + timedelta(minutes=2)
    dialog = ask(qtbot, window)
    button = {"next_slot": dialog.next_slot_all, "skip": dialog.skip_all,
              "publish": dialog.publish_all}[action]
    if action == "publish":
        with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
            button.click()
        assert sorted(o.post_id for o, _p in done.args[0]) == [p.id for p in posts]
        assert len(server.posts) == 3  # the user asked for it: they go out
    else:
        with qtbot.waitSignal(dialog.resolved, timeout=10_000):
            button.click()
    after_posts = [core.get_post(p.id) for p in posts]
    if action == "next_slot":
        assert [p.scheduled_at for p in after_posts] == expected_slots
        assert all(p.state is PostState.SCHEDULED for p in after_posts)
    elif action == "skip":
        assert all(p.state is PostState.CANCELLED for p in after_posts)
        assert server.deliveries == []
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    assert core.overdue_posts() == []


def test_decide_later_leaves_them_held_and_asks_once(qtbot, window, core, scheduler, hook):
    server, account = hook
    window.refresher.network.set_online_for_test(True)
    post = missed(core, account, 10, "Se queda en la cola hasta que decida.")
    prompt = OverduePrompt(window)
    prompt.check()
    qtbot.waitUntil(lambda: prompt.dialog is not None and prompt.dialog.isVisible())
    assert prompt.dialog is not None
    prompt.dialog.later.click()
    qtbot.waitUntil(lambda: not shiboken6.isValid(prompt.dialog))
    # The scheduler's run holds it: not sent, not asked again this session.
    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
        assert scheduler.run_now()
    assert done.args[0] == [] and server.deliveries == []
    assert core.get_post(post.id).state is PostState.SCHEDULED
    prompt.show_posts([core.get_post(post.id)])
    assert not shiboken6.isValid(prompt.dialog)  # the closed one; no new dialog


def test_the_grace_preference_lets_slightly_late_posts_go_unasked(qtbot, window, core,
                                                                 scheduler, hook):
    server, account = hook
    window.refresher.network.set_online_for_test(True)
    late = missed(core, account, 1.5, "Hora y media tarde: sale sola.")
    later = missed(core, account, 4, "Cuatro horas tarde: pregunta.")
    assert {p.id for p in core.overdue_posts()} == {late.id, later.id}

    dialog = PreferencesDialog(window.refresher.settings, window)
    qtbot.addWidget(dialog)
    assert dialog.grace is not None
    qtbot.waitUntil(dialog.grace.isEnabled)
    assert dialog.grace.value() == 30
    dialog.grace.setValue(120)
    dialog.accept()
    qtbot.waitUntil(lambda: core.get_setting("overdue_grace_minutes") == 120)
    assert [p.id for p in core.overdue_posts()] == [later.id]

    asked = ask(qtbot, window)
    assert list(asked.posts) == [later.id]
    assert "120 min" in asked.grace_label.text()
    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
        assert scheduler.run_now()
    assert [o.post_id for o, _p in done.args[0]] == [late.id]  # within the grace: sent
    assert core.get_post(later.id).state is PostState.SCHEDULED  # held
    assert len(server.posts) == 1
    asked.reject()


def test_the_app_asks_at_start(qapp, tmp_path, monkeypatch):
    data = tmp_path / "datos"
    with Curator(data) as core:
        account = core.add_account("bluesky", name="Ana en Bluesky")
        first = missed(core, account, 30, "Olvidado el lunes: ¿lo publico?")
        second = missed(core, account, 6, "Olvidado esta mañana.")
    seen: list[list[int]] = []

    def poll():
        dialogs = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, OverdueDialog) and w.isVisible()]
        if dialogs:
            seen.append(sorted(dialogs[0].posts))
            dialogs[0].reject()
            for w in QApplication.topLevelWidgets():
                if isinstance(w, MainWindow) and w.isVisible():
                    w.close()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    assert app.main(["--data-dir", str(data)]) == 0
    assert seen == [sorted([first.id, second.id])]
    with Curator(data) as core:
        assert {p.state for p in core.list_queue()} == {PostState.SCHEDULED}
