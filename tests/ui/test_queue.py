"""Publishing from the app: Schedule… in the composer, the queue window, the in-app scheduler
and its notifications, against the local webhook receiver (tests/webhookserver.py).

Webhook secrets live in the OS keyring: run with `bash scripts/test.sh tests/ui/test_queue.py`.
"""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
import shiboken6
from PySide6.QtCore import QDateTime, QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent
from webhookserver import WebhookServer

from curator.types import PostState
from ui.composer import open_composer
from ui.models import format_local
from ui.queue import PostId, SlotTime, moved_order
from ui.scheduler import Notifier, default_time, first_words

SECRET = "clave-de-firma-ñandú"
HOOK = "Equipo de difusión"
TEXT = "¿Quién paga la campaña? Leedlo: cifras, señales y dudas razonables."


@pytest.fixture
def hook():
    server = WebhookServer(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def accounts(core, hook):
    x = core.add_account("x", name="Ana en X", handle="@ana")
    webhook = core.add_account("webhook", name=HOOK, api_base=hook.url, secret=SECRET)
    return {"x": x, "webhook": webhook}


@pytest.fixture
def scheduler(window):
    """The window's scheduler, run only when a test says so."""
    sched = window.publishing.scheduler
    sched.stop()
    return sched


def opened(qtbot, window, **kwargs):
    composer = open_composer(window, **kwargs)
    qtbot.waitUntil(lambda: composer.draft is not None and composer.isEnabled())
    return composer


def queue(core, text=TEXT, at=None, account=HOOK):
    draft = core.new_draft(text=text)
    return core.queue_post(draft.id, account, at or datetime.now(UTC) - timedelta(minutes=1))


def open_queue(qtbot, window):
    queue_window = window.publishing.show_queue()
    qtbot.addWidget(queue_window)
    return queue_window


def state_of(queue_window, post_id):
    post = queue_window.posts.get(post_id)
    return post.state if post is not None else None


def run(qtbot, scheduler):
    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as blocker:
        assert scheduler.run_now()
    return blocker.args[0]


def click(box, text):
    button = next(b for b in box.buttons() if b.text() == text)
    button.click()


# ---- scheduling from the composer ----------------------------------------------------------


def test_schedule_is_offered_only_within_the_limit(qtbot, window, core, accounts, hook,
                                                  scheduler):
    composer = opened(qtbot, window)
    x = composer.variant_tab(accounts["x"].id)
    webhook = composer.variant_tab(accounts["webhook"].id)
    assert not x.schedule_button.isEnabled()  # nothing written yet
    composer.main_edit.setPlainText("Año " * 75)  # 300 characters: over X's 280
    assert not composer.variant_ready(accounts["x"].id)
    assert not x.schedule_button.isEnabled()
    assert webhook.schedule_button.isEnabled()  # a webhook has no limit of its own
    composer.main_edit.setPlainText(TEXT)
    assert composer.variant_ready(accounts["x"].id)
    assert x.schedule_button.isEnabled()

    dialog = webhook.schedule_button.open_dialog()
    # In an hour, rounded up to 5 minutes, local time.
    expected = default_time(QDateTime.currentDateTime())
    assert abs(dialog.when.dateTime().secsTo(expected)) <= 300
    assert dialog.when.dateTime().time().minute() % 5 == 0
    assert TEXT in dialog.preview.text()
    at = QDateTime.currentDateTime().addSecs(2 * 3600)
    dialog.when.setDateTime(at)
    dialog.schedule_button.click()
    qtbot.waitUntil(lambda: len(core.list_queue()) == 1)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))  # closed and deleted
    post = core.list_queue()[0]
    assert post.account == HOOK and post.text == TEXT and post.state is PostState.SCHEDULED
    assert abs(post.scheduled_at.timestamp() - at.toSecsSinceEpoch()) < 1
    assert "Scheduled on Equipo de difusión" in composer.status_label.text()

    queue_window = open_queue(qtbot, window)
    qtbot.waitUntil(lambda: queue_window.rows() == [(HOOK, TEXT, "Scheduled")])
    assert queue_window.select(post.id)
    assert queue_window.cancel_button.isEnabled() and queue_window.edit_button.isEnabled()
    assert not queue_window.retry_button.isEnabled()
    assert hook.deliveries == []  # not due yet
    composer.close()


def test_the_dialog_saves_the_last_keystrokes_first(qtbot, window, core, accounts, scheduler):
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("Primera versión")
    composer.main_edit.setPlainText(TEXT)  # still waiting for the autosave's pause
    dialog = composer.variant_tab(accounts["webhook"].id).schedule_button.open_dialog()
    dialog.schedule_button.click()
    qtbot.waitUntil(lambda: len(core.list_queue()) == 1)
    assert core.list_queue()[0].text == TEXT
    composer.close()


def test_the_core_refusal_is_shown_in_the_dialog(qtbot, window, core, accounts, scheduler):
    # The account got a limit after the composer opened (the composer counts the limit it
    # read): the core holds the post to the account's limit of now, and the dialog says so.
    composer = opened(qtbot, window)
    core.update_account(HOOK, char_limit=20)
    composer.main_edit.setPlainText(TEXT)
    assert composer.variant_ready(accounts["webhook"].id)
    dialog = composer.variant_tab(accounts["webhook"].id).schedule_button.open_dialog()
    dialog.schedule_button.click()
    qtbot.waitUntil(lambda: dialog.status.error_text() != "")
    assert "over its limit of 20" in dialog.status.error_text()
    assert dialog.isVisible() and dialog.schedule_button.isEnabled()
    assert core.list_queue() == []
    dialog.when.setDateTime(QDateTime.currentDateTime().addSecs(-3600))
    dialog.schedule_button.click()
    assert "That time has passed" in dialog.status.error_text()
    dialog.reject()
    composer.close()


def test_publish_now_sends_it_at_once(qtbot, window, core, accounts, hook, scheduler):
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText(TEXT)
    dialog = composer.variant_tab(accounts["webhook"].id).schedule_button.open_dialog()
    with qtbot.waitSignal(scheduler.finished, timeout=15_000):
        dialog.now_button.click()
    assert len(hook.posts) == 1
    assert [p.state for p in core.history()] == [PostState.PUBLISHED]
    composer.close()


# ---- the scheduler and its notifications ---------------------------------------------------


def test_the_scheduler_publishes_when_due_and_notifies(qtbot, window, core, accounts, hook,
                                                       scheduler):
    post = queue(core, at=datetime.now(UTC) + timedelta(hours=1))
    queue_window = open_queue(qtbot, window)
    qtbot.waitUntil(lambda: state_of(queue_window, post.id) is PostState.SCHEDULED)
    assert run(qtbot, scheduler) == []  # not due yet
    assert hook.deliveries == []

    scheduler.now = lambda: datetime.now(UTC) + timedelta(hours=1, minutes=1)
    results = run(qtbot, scheduler)
    assert [o.state for o, _post in results] == [PostState.PUBLISHED]
    assert len(hook.posts) == 1
    qtbot.waitUntil(lambda: state_of(queue_window, post.id) is PostState.PUBLISHED)
    assert queue_window.rows() == [(HOOK, TEXT, "Published")]
    url = core.get_post(post.id).remote_url
    assert url and url.startswith("http://127.0.0.1:")
    assert queue_window.select(post.id)
    assert f'href="{url}"' in queue_window.detail.toHtml()
    assert not queue_window.cancel_button.isEnabled()
    assert not queue_window.retry_button.isEnabled()

    # Offscreen there is no system tray: the window says it.
    note = window.publishing.notifier.shown[-1]
    assert note.where == "window" and not note.failed
    assert note.title == f"Published on {HOOK}" and note.link == url
    assert note.text == first_words(TEXT)
    banner = window.publishing.notifier.banner
    assert banner.isVisible() and url in banner.text()
    assert window.statusBar().currentMessage().startswith(f"Published on {HOOK}: ¿Quién paga")
    assert run(qtbot, scheduler) == []  # published once
    assert len(hook.deliveries) == 1


def test_a_refusal_fails_in_the_networks_words_and_retry_requeues(
        qtbot, window, core, accounts, hook, scheduler):
    message = "El texto no es válido: ¡falta el enlace, señora!"
    hook.fail("400", message=message)
    post = queue(core)
    queue_window = open_queue(qtbot, window)
    results = run(qtbot, scheduler)
    assert [(o.state, o.error) for o, _p in results] == [(PostState.FAILED, message)]
    qtbot.waitUntil(lambda: state_of(queue_window, post.id) is PostState.FAILED)
    assert queue_window.rows() == [(HOOK, TEXT, "Failed")]
    item = queue_window.list.topLevelItem(0)
    assert item.toolTip(queue_window.STATE) == message  # verbatim
    assert queue_window.select(post.id)
    assert message in queue_window.detail.toPlainText()
    note = window.publishing.notifier.shown[-1]
    assert note.failed and note.title == f"Could not publish on {HOOK}" and note.text == message
    assert message in window.publishing.notifier.banner.text()
    assert "Published on" not in window.publishing.notifier.banner.text()
    assert queue_window.retry_button.isEnabled() and not queue_window.cancel_button.isEnabled()

    # Offline, the retried post waits in the queue instead of failing again.
    window.refresher.network.set_online_for_test(False)
    queue_window.retry()
    qtbot.waitUntil(lambda: state_of(queue_window, post.id) is PostState.SCHEDULED)
    assert queue_window.rows() == [(HOOK, TEXT, "Scheduled")]
    assert not scheduler.run_now()
    assert len(hook.deliveries) == 1
    # The network returns: the scheduler runs at once.
    with qtbot.waitSignal(scheduler.finished, timeout=15_000):
        window.refresher.network.set_online_for_test(True)
    qtbot.waitUntil(lambda: state_of(queue_window, post.id) is PostState.PUBLISHED)
    assert len(hook.posts) == 1


def test_cancel_asks_first(qtbot, window, core, accounts, hook, scheduler):
    post = queue(core, at=datetime.now(UTC) + timedelta(days=1))
    queue_window = open_queue(qtbot, window)
    qtbot.waitUntil(lambda: queue_window.select(post.id))
    box = queue_window.cancel()
    assert box is not None and "It will not be published" in box.text()
    click(box, "&Keep it")
    assert core.get_post(post.id).state is PostState.SCHEDULED
    box = queue_window.cancel()
    click(box, "Cancel &post")
    qtbot.waitUntil(lambda: state_of(queue_window, post.id) is PostState.CANCELLED)
    assert core.get_post(post.id).state is PostState.CANCELLED
    assert queue_window.rows() == [(HOOK, TEXT, "Cancelled")]
    assert queue_window.select(post.id)
    assert not queue_window.cancel_button.isEnabled()
    scheduler.now = lambda: datetime.now(UTC) + timedelta(days=2)
    assert run(qtbot, scheduler) == []
    assert hook.deliveries == []


def test_edit_takes_the_post_out_and_opens_its_draft(qtbot, window, core, accounts, scheduler):
    post = queue(core, at=datetime.now(UTC) + timedelta(hours=3))
    queue_window = open_queue(qtbot, window)
    qtbot.waitUntil(lambda: queue_window.select(post.id))
    box = queue_window.edit()
    assert box is not None and "does not change when you edit the draft" in box.text()
    click(box, "Take out and &edit")
    from ui.composer import open_composers

    qtbot.waitUntil(lambda: any(c.draft_id == post.draft_id for c in open_composers(window)))
    assert core.get_post(post.id).state is PostState.CANCELLED
    for composer in open_composers(window):
        qtbot.waitUntil(composer.isEnabled)
        composer.close()


def test_the_scheduler_never_runs_twice_at_once(qtbot, window, core, accounts, scheduler,
                                                monkeypatch):
    release = threading.Event()
    lock = threading.Lock()
    running = [0]
    most = [0]
    calls = [0]
    real = core.publish_due

    def slow_publish_due(now=None, **kwargs):
        with lock:
            running[0] += 1
            calls[0] += 1
            most[0] = max(most[0], running[0])
        try:
            release.wait(10)
            return real(now, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(core, "publish_due", slow_publish_due)
    assert scheduler.run_now()
    qtbot.waitUntil(lambda: calls[0] == 1)
    assert not scheduler.run_now()  # a click on "Publish now", say
    scheduler.timer.timeout.emit()  # and the 30 s tick
    qtbot.wait(200)
    assert calls[0] == 1 and scheduler.running
    with qtbot.waitSignals([scheduler.finished, scheduler.finished], timeout=15_000):
        release.set()
    qtbot.waitUntil(lambda: not scheduler.running)
    assert calls[0] == 2  # the asks made meanwhile: one more run, after the first
    assert most[0] == 1


def test_a_tray_gets_the_notice_when_there_is_one(qtbot, window):
    notifier = Notifier(window, tray_available=lambda: True)
    note = notifier.notify("Publicado en Equipo", "¿Quién paga?", link="https://ejemplo.es/p/1")
    assert note.where == "tray" and notifier.tray is not None
    assert not notifier.banner.isVisible()
    notifier.tray_available = lambda: False
    note = notifier.notify("No se pudo publicar", "Token caducado.", failed=True)
    assert note.where == "window" and notifier.banner.isVisible()
    assert "Token caducado." in notifier.banner.text()
    notifier.notify("Publicado en Equipo", "Segundo aviso")  # several at once: all shown
    assert "Token caducado." in notifier.banner.text()
    assert "Segundo aviso" in notifier.banner.text()
    notifier.tray.hide()


def test_first_words():
    assert first_words("\n  Hola, mundo  \nsegunda línea") == "Hola, mundo"
    long = "palabra " * 20
    cut = first_words(long, 30)
    assert cut.endswith("…") and len(cut) <= 30 and "palabr…" not in cut


def test_a_post_handed_to_mastodons_scheduler_says_so(qtbot, window, core, scheduler):
    from mastodonserver import MastodonServer

    token = "token-de-mastodon-ñ"
    server = MastodonServer().start()
    try:
        server.add_token(token, username="lucia")
        core.add_account("mastodon", name="Lucía", api_base=server.url, server_schedule=True,
                         secret=token)
        post = queue(core, at=datetime.now(UTC) + timedelta(days=1), account="Lucía")
        [(outcome, _post)] = run(qtbot, scheduler)  # due at once: the hand-over
        assert outcome.state is PostState.PUBLISHED
        assert [e["params"]["text"] for e in server.scheduled] == [TEXT]
        assert server.statuses == []
        note = window.publishing.notifier.shown[-1]
        assert note.title.startswith("Scheduled on Lucía’s server for ")
        queue_window = open_queue(qtbot, window)
        qtbot.waitUntil(lambda: state_of(queue_window, post.id) is PostState.PUBLISHED)
        assert ("Lucía", TEXT, "Scheduled on the server") in queue_window.rows()
        assert queue_window.select(post.id)
        assert "even with this computer off" in queue_window.detail.toPlainText()
    finally:
        server.stop()


# ---- one account's queue ---------------------------------------------------------------------


def daily_slots(core, account=HOOK):
    """A slot every day at 09:00, so the coming week always has seven."""
    core.set_slots(account, [(day, "09:00") for day in range(7)])


def queue_next(core, count, account=HOOK):
    posts = []
    for n in range(count):
        draft = core.new_draft(text=f"Artículo {n + 1}: ¿qué dirá la señora ministra?")
        posts.append(core.queue_post(draft.id, account, next_slot=True))
    return posts


def show_account(qtbot, queue_window, name):
    qtbot.waitUntil(lambda: queue_window.account_filter.findText(name) > 0)
    queue_window.account_filter.setCurrentIndex(queue_window.account_filter.findText(name))
    qtbot.waitUntil(lambda: not queue_window._loading and queue_window.account_id() is not None)


def queue_ids(core, account=HOOK):
    return [p.id for p in core.queue_for(account)]


def test_one_accounts_queue_shows_its_free_slots(qtbot, window, core, accounts, scheduler):
    daily_slots(core)
    posts = queue_next(core, 3)
    other = queue(core, account="Ana en X", at=datetime.now(UTC) + timedelta(hours=5))
    queue_window = open_queue(qtbot, window)
    qtbot.waitUntil(lambda: len(queue_window.rows()) == 4)
    assert queue_window.free_slot_rows() == []  # all accounts: no gaps
    assert not queue_window.shuffle_button.isVisibleTo(queue_window)

    show_account(qtbot, queue_window, HOOK)
    qtbot.waitUntil(lambda: len(queue_window.rows()) == 3)
    assert other.id not in [queue_window.list.topLevelItem(i).data(0, PostId)
                            for i in range(queue_window.list.topLevelItemCount())]
    now = datetime.now(UTC)
    free = core.free_slots(HOOK, now, now + timedelta(days=7))
    assert len(free) == 4  # seven daily slots, three taken
    assert queue_window.free_slot_rows() == [(HOOK, format_local(t)) for t in free]
    assert queue_window.shuffle_button.isVisibleTo(queue_window)
    # The gaps sit among the posts by time, greyed and not selectable.
    times = []
    for i in range(queue_window.list.topLevelItemCount()):
        item = queue_window.list.topLevelItem(i)
        post_id = item.data(0, PostId)
        times.append(core.get_post(post_id).scheduled_at if post_id is not None
                     else item.data(0, SlotTime))
        if post_id is None:
            assert item.text(queue_window.TEXT) == "Free slot"
            assert not item.flags() & Qt.ItemFlag.ItemIsSelectable
    assert times == sorted(times)
    assert [p.id for p in posts] == queue_ids(core)


def test_reorder_by_drop_and_by_keys_changes_the_cores_queue(qtbot, window, core, accounts,
                                                             scheduler):
    daily_slots(core)
    first, second, third = queue_next(core, 3)
    times = [p.scheduled_at for p in (first, second, third)]
    queue_window = open_queue(qtbot, window)
    show_account(qtbot, queue_window, HOOK)
    qtbot.waitUntil(lambda: len(queue_window.rows()) == 3)
    assert queue_window.list.draggable_ids() == [first.id, second.id, third.id]

    # A drop of the third post on the top half of the first one's row: it goes first.
    lst = queue_window.list
    assert queue_window.select(third.id)
    target = next(lst.topLevelItem(i) for i in range(lst.topLevelItemCount())
                  if lst.topLevelItem(i).data(0, PostId) == first.id)
    rect = lst.visualItemRect(target)
    drop = QDropEvent(QPointF(rect.center().x(), rect.top() + 2), Qt.DropAction.MoveAction,
                      QMimeData(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    lst.dropEvent(drop)
    qtbot.waitUntil(lambda: queue_ids(core) == [third.id, first.id, second.id])
    assert sorted(p.scheduled_at for p in core.queue_for(HOOK)) == times  # the same times
    qtbot.waitUntil(lambda: lst.draggable_ids() == [third.id, first.id, second.id])

    # Ctrl+Down (the Move down button) on the selected post.
    assert queue_window.select(first.id)
    assert queue_window.move_down_button.isEnabled() and queue_window.move_up_button.isEnabled()
    queue_window.move_down_button.click()
    qtbot.waitUntil(lambda: queue_ids(core) == [third.id, second.id, first.id])
    qtbot.waitUntil(lambda: lst.draggable_ids() == [third.id, second.id, first.id])
    assert queue_window.select(third.id)
    assert not queue_window.move_up_button.isEnabled()


def test_moved_order():
    assert moved_order([1, 2, 3], 3, 1, after=False) == [3, 1, 2]
    assert moved_order([1, 2, 3], 1, 3, after=True) == [2, 3, 1]
    assert moved_order([1, 2, 3], 1, None, after=True) == [2, 3, 1]
    assert moved_order([1, 2, 3], 2, 2, after=False) == [1, 2, 3]


def test_shuffle_mixes_the_accounts_queue(qtbot, window, core, accounts, scheduler,
                                          monkeypatch):
    daily_slots(core)
    posts = queue_next(core, 5)
    ids = [p.id for p in posts]
    # A seed whose shuffle is not the order it started from (the core shuffles by id).
    seed = next(s for s in range(100) if (lambda order: (random.Random(s).shuffle(order),
                                                         order)[1])(list(ids)) != ids)
    real = core.shuffle_queue
    calls = []
    monkeypatch.setattr(core, "shuffle_queue", lambda account, rng=None: (
        calls.append(account), real(account, random.Random(seed)))[1])
    queue_window = open_queue(qtbot, window)
    show_account(qtbot, queue_window, HOOK)
    qtbot.waitUntil(lambda: len(queue_window.rows()) == 5)
    queue_window.shuffle_button.click()
    qtbot.waitUntil(lambda: queue_ids(core) != ids)
    assert calls == [accounts["webhook"].id]
    assert sorted(queue_ids(core)) == sorted(ids)
    assert sorted(p.scheduled_at for p in core.queue_for(HOOK)) == [p.scheduled_at
                                                                    for p in posts]
    qtbot.waitUntil(lambda: queue_window.list.draggable_ids() == queue_ids(core))


def test_pause_and_resume_an_accounts_queue(qtbot, window, core, accounts, hook, scheduler):
    daily_slots(core)
    [post] = queue_next(core, 1)
    queue_window = open_queue(qtbot, window)
    show_account(qtbot, queue_window, HOOK)
    qtbot.waitUntil(lambda: queue_window.rows() == [(HOOK, post.text, "Scheduled")])
    assert queue_window.pause_button.text() == "&Pause queue"
    queue_window.pause_button.click()
    qtbot.waitUntil(lambda: core.get_account(HOOK).paused)
    qtbot.waitUntil(lambda: queue_window.rows() == [(HOOK, post.text,
                                                     "Scheduled (queue paused)")])
    assert queue_window.pause_button.text() == "&Resume queue"
    assert queue_window.paused_label.isVisibleTo(queue_window)
    assert "paused" in queue_window.paused_label.text()
    assert queue_window.account_filter.currentText() == f"{HOOK} (paused)"
    # Paused: even when due, nothing of it goes out.
    scheduler.now = lambda: post.scheduled_at + timedelta(minutes=1)
    assert run(qtbot, scheduler) == []
    assert hook.deliveries == []

    queue_window.pause_button.click()
    qtbot.waitUntil(lambda: not core.get_account(HOOK).paused)
    qtbot.waitUntil(lambda: queue_window.rows() == [(HOOK, post.text, "Scheduled")])
    assert not queue_window.paused_label.isVisibleTo(queue_window)
    assert queue_window.account_filter.currentText() == HOOK


def test_share_next_moves_a_post_to_the_front(qtbot, window, core, accounts, scheduler):
    daily_slots(core)
    first, second, third = queue_next(core, 3)
    queue_window = open_queue(qtbot, window)
    qtbot.waitUntil(lambda: queue_window.select(third.id))
    assert queue_window.share_next_button.isEnabled()
    queue_window.share_next_button.click()
    qtbot.waitUntil(lambda: queue_ids(core) == [third.id, first.id, second.id])
    assert core.get_post(third.id).scheduled_at == first.scheduled_at
    qtbot.waitUntil(lambda: queue_window.rows()[0][1] == third.text)
