"""The composer's Schedule… dialog queues what the tab shows: the optional disclaimer as the
user left it, a long post as the thread it was split into; and the in-app scheduler publishes
that thread to the strict local Mastodon server (tests/mastodonserver.py) as chained replies.
The wake-up timer (set for core.next_due_at, re-armed on a queue change, a clock jump or a
sleep, never polling) publishes to the local webhook receiver without blocking the UI; "Add
to queue" and "Share next" place posts in the account's slots.

Secrets live in an in-memory keyring backend (no OS keyring needed for these tests).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import shiboken6
from mastodonserver import MastodonServer
from PySide6.QtCore import QTimer
from webhookserver import WebhookServer

from curator import counting
from curator.types import PostState
from ui.composer import open_composer, open_composers
from ui.scheduler import MAX_WAIT_MS, format_slot, queue_events

OPTIONAL = "Las opiniones son mías, no de mi empresa."
MANDATORY = "Comunicación publicitaria. Rentabilidades pasadas no garantizan futuras."
TOKEN = "tok-Lucía-ñandú-0123456789abcdef"
SENTENCE = "La campaña publicó sus cifras. ¿Cuadran con el presupuesto? No del todo, señora. "



@pytest.fixture
def scheduler(window):
    """The window's scheduler, run only when a test says so."""
    sched = window.publishing.scheduler
    sched.stop()
    return sched


@pytest.fixture
def mastodon() -> Iterator[MastodonServer]:
    server = MastodonServer().start()
    server.add_token(TOKEN, username="lucia")
    try:
        yield server
    finally:
        server.stop()


def opened(qtbot, window, **kwargs):
    composer = open_composer(window, **kwargs)
    qtbot.waitUntil(lambda: composer.draft is not None and composer.isEnabled())
    return composer


def schedule(qtbot, core, tab, *, hours=2):
    """Open the tab's Schedule… dialog, queue the post `hours` ahead; the new Post."""
    before = {p.id for p in core.list_queue()}
    dialog = tab.schedule_button.open_dialog()
    from PySide6.QtCore import QDateTime

    dialog.when.setDateTime(QDateTime.currentDateTime().addSecs(hours * 3600))
    dialog.schedule_button.click()
    qtbot.waitUntil(lambda: len(core.list_queue()) == len(before) + 1)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    return next(p for p in core.list_queue() if p.id not in before)


# ---- the disclaimer ------------------------------------------------------------------------


def test_the_disclaimer_goes_out_as_the_checkbox_says(qtbot, window, core, scheduler):
    bluesky = core.add_account("bluesky", name="Ana en Bluesky", disclaimer=OPTIONAL)
    linkedin = core.add_account("linkedin", name="Ana en LinkedIn", disclaimer=MANDATORY,
                                disclaimer_mandatory=True)
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("¿Subirán los tipos? Yo diría que no.")
    sky = composer.variant_tab(bluesky.id)
    ink = composer.variant_tab(linkedin.id)

    sky.disclaimer_check.setChecked(False)
    dialog = sky.schedule_button.open_dialog()
    assert OPTIONAL not in dialog.preview.text()
    dialog.reject()
    unticked = schedule(qtbot, core, sky)
    assert unticked.text == "¿Subirán los tipos? Yo diría que no."

    sky.disclaimer_check.setChecked(True)
    ticked = schedule(qtbot, core, sky)
    assert ticked.text == f"¿Subirán los tipos? Yo diría que no.\n\n{OPTIONAL}"

    ink.disclaimer_check.setChecked(False)  # disabled in the UI; code cannot remove it either
    mandatory = schedule(qtbot, core, ink)
    assert mandatory.text.endswith(f"\n\n{MANDATORY}")
    composer.close()


def test_the_disclaimer_choice_lasts_while_the_composer_is_open(qtbot, window, core,
                                                               scheduler):
    bluesky = core.add_account("bluesky", name="Ana en Bluesky", disclaimer=OPTIONAL)
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("Sin descargo, por favor.")
    composer.variant_tab(bluesky.id).disclaimer_check.setChecked(False)
    composer.remove_account(bluesky.id)
    tab = composer.add_account(bluesky)
    assert not tab.disclaimer_check.isChecked()
    assert tab.final == "Sin descargo, por favor."
    qtbot.waitUntil(composer.saver.idle)
    draft_id = composer.draft_id
    composer.close()
    # A new window for the draft starts with the careful default: the disclaimer on.
    qtbot.waitUntil(lambda: not open_composers(window))
    again = opened(qtbot, window, draft_id=draft_id)
    assert again.variant_tab(bluesky.id).disclaimer_check.isChecked()
    assert again.final_text(bluesky.id).endswith(OPTIONAL)
    again.close()


# ---- threads ---------------------------------------------------------------------------------


def test_a_split_post_is_scheduled_as_the_thread_the_composer_showed(qtbot, window, core,
                                                                     scheduler):
    accounts = [
        core.add_account("x", name="Ana en X", handle="@ana"),
        core.add_account("bluesky", name="Ana en Bluesky", disclaimer=OPTIONAL),
        core.add_account("mastodon", name="Ana en Mastodon", api_base="https://mastodon.example",
                         hashtags=["presupuestos"]),
    ]
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText(SENTENCE * 9)  # over 500: too long on every network
    for account in accounts:
        tab = composer.variant_tab(account.id)
        assert tab.over_by > 0 and not tab.ready and not tab.schedule_button.isEnabled()
        assert tab.state_label.text() == "Too long to schedule"
        with qtbot.waitSignal(composer.ready_changed, timeout=5_000):
            tab.split_button.click()
        qtbot.waitUntil(lambda t=tab: bool(t.thread_parts))
        parts = tab.thread_parts
        assert len(parts) >= 2
        assert all(counting.measure(account.network.value, p).ok for p in parts)
        assert tab.ready and tab.schedule_button.isEnabled()
        assert composer.variant_ready(account.id)
        assert tab.state_label.text() == f"Ready to schedule as a thread of {len(parts)}"
        assert "⚠" not in composer.tabs.tabText(composer.tabs.indexOf(tab))
        assert not tab.split_button.isVisibleTo(tab)

        dialog = tab.schedule_button.open_dialog()
        shown = dialog.preview.text()
        for n, part in enumerate(parts, 1):
            assert f"Post {n} of {len(parts)}:\n{part}" in shown
        assert dialog.thread_label.isVisibleTo(dialog)
        dialog.reject()
        post = schedule(qtbot, core, tab)
        assert [post.text, *post.thread] == parts
        assert post.state is PostState.SCHEDULED
        assert f"(a thread of {len(parts)} posts)" in composer.status_label.text()

    # Typing makes the split stale: not ready again until split anew.
    x = composer.variant_tab(accounts[0].id)
    composer.main_edit.insertPlainText(" Más.")
    assert x.thread_parts == [] and not x.ready and not x.schedule_button.isEnabled()
    assert x.state_label.text() == "Too long to schedule"
    assert x.split_button.isVisibleTo(x)
    composer.close()


def test_the_unticked_disclaimer_is_left_out_of_the_thread_too(qtbot, window, core, scheduler):
    bluesky = core.add_account("bluesky", name="Ana en Bluesky", disclaimer=OPTIONAL)
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText(SENTENCE * 5)
    tab = composer.variant_tab(bluesky.id)
    tab.disclaimer_check.setChecked(False)
    tab.split_button.click()
    qtbot.waitUntil(lambda: tab.ready)
    parts = tab.thread_parts
    assert not any(OPTIONAL in p for p in parts)
    post = schedule(qtbot, core, tab)
    assert [post.text, *post.thread] == parts
    composer.close()


def test_linkedin_and_webhooks_are_never_offered_a_thread(qtbot, window, core, scheduler):
    linkedin = core.add_account("linkedin", name="Ana en LinkedIn")
    hook = core.add_account("webhook", name="Equipo de difusión", api_base="http://127.0.0.1:9/",
                            char_limit=60)
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("ñ" * 3001)
    ink = composer.variant_tab(linkedin.id)
    assert not ink.ready and not ink.schedule_button.isEnabled()
    assert not ink.split_button.isVisibleTo(ink)
    assert ink.over_label.text() == "Shorten it by 1 character."
    # A webhook with a limit of its own: counted as the core counts it, shortening only.
    webhook = composer.variant_tab(hook.id)
    composer.main_edit.setPlainText(SENTENCE)
    over = counting.bluesky_graphemes(SENTENCE.strip()) - 60
    assert webhook.counter.text() == f"{60 + over} / 60"
    assert not webhook.ready and not webhook.schedule_button.isEnabled()
    assert not webhook.split_button.isVisibleTo(webhook)
    assert webhook.over_label.text() == f"Shorten it by {over} characters."
    composer.main_edit.setPlainText("¿Cuadran las cifras?")
    assert webhook.ready and webhook.schedule_button.isEnabled()
    composer.close()


# ---- end to end: the thread on a strict Mastodon server --------------------------------------


def test_the_scheduler_publishes_the_thread_as_chained_replies(
        qtbot, window, core, scheduler, mastodon, memory_keyring):
    account = core.add_account("mastodon", name="Lucía en Mastodon", api_base=mastodon.url,
                               secret=TOKEN)
    assert TOKEN in memory_keyring.entries.values()
    window.refresher.network.set_online_for_test(True)
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText(SENTENCE * 16)
    tab = composer.variant_tab(account.id)
    tab.split_button.click()
    qtbot.waitUntil(lambda: tab.ready)
    parts = list(tab.thread_parts)
    assert len(parts) >= 3
    post = schedule(qtbot, core, tab, hours=1)
    assert [post.text, *post.thread] == parts

    queue_window = window.publishing.show_queue()
    qtbot.addWidget(queue_window)
    first = parts[0].split(".")[0]
    qtbot.waitUntil(lambda: any(r[1].startswith(f"Thread of {len(parts)} · {first}")
                                for r in queue_window.rows()))
    assert queue_window.select(post.id)
    detail = queue_window.detail.toPlainText()
    for n, part in enumerate(parts, 1):
        assert f"Post {n} of {len(parts)}" in detail and part in detail
    assert mastodon.statuses == []  # not due yet

    scheduler.now = lambda: datetime.now(UTC) + timedelta(hours=1, minutes=1)
    with qtbot.waitSignal(scheduler.finished, timeout=20_000) as blocker:
        assert scheduler.run_now()
    assert [o.state for o, _p in blocker.args[0]] == [PostState.PUBLISHED]

    made = mastodon.statuses
    assert [s.text for s in made] == parts
    assert made[0].in_reply_to_id is None
    for reply, parent in zip(made[1:], made, strict=False):
        assert reply.in_reply_to_id == parent.id  # each part answers the one before
    published = core.get_post(post.id)
    assert published.remote_id == made[0].id
    assert published.remote_url == made[0].entity["url"]

    note = window.publishing.notifier.shown[-1]
    assert note.title == f"Published a thread of {len(parts)} posts on Lucía en Mastodon"
    assert note.link == made[0].entity["url"] and not note.failed
    qtbot.waitUntil(lambda: queue_window.posts.get(post.id) is not None
                    and queue_window.posts[post.id].state is PostState.PUBLISHED)
    assert queue_window.select(post.id)
    assert f'href="{made[0].entity["url"]}"' in queue_window.detail.toHtml()
    assert "the link opens the first" in queue_window.detail.toPlainText()

    with qtbot.waitSignal(scheduler.finished, timeout=20_000):
        assert scheduler.run_now()
    assert len(mastodon.statuses) == len(parts)  # published once
    composer.close()


# ---- the wake-up timer (issue 6) -------------------------------------------------------------

HOOK_SECRET = "firma-del-webhook-ñandú-42"
AVISO = "Aviso de campaña: las cifras de marzo, con dudas razonables."


@pytest.fixture
def hook(core, memory_keyring) -> Iterator[tuple[WebhookServer, object]]:
    server = WebhookServer(secret=HOOK_SECRET).start()
    account = core.add_account("webhook", name="Equipo de difusión", api_base=server.url,
                               secret=HOOK_SECRET)
    try:
        yield server, account
    finally:
        server.stop()


def queue_at(core, account, at, text=AVISO):
    draft = core.new_draft(text=text)
    return core.queue_post(draft.id, account.id, at)


def armed_for(qtbot, scheduler, action):
    """Run action(); the due time the timer is then set for (after the background read)."""
    with qtbot.waitSignal(scheduler.armed, timeout=10_000) as blocker:
        action()
    return blocker.args[0]


def remaining_s(scheduler) -> float:
    assert scheduler.timer.isActive()
    return scheduler.timer.remainingTime() / 1000


def test_the_timer_wakes_at_the_next_due_time_and_publishes_in_the_background(
        qtbot, window, core, scheduler, hook):
    server, account = hook
    window.refresher.network.set_online_for_test(True)
    later = queue_at(core, account, datetime.now(UTC) + timedelta(minutes=10))
    assert core.next_due_at() == later.next_attempt_at

    with qtbot.waitSignal(scheduler.armed, timeout=10_000) as blocker:
        scheduler.start(first_delay_ms=0)  # the start's catch-up run: nothing due yet
    assert blocker.args[0] == later.next_attempt_at
    assert 9 * 60 < remaining_s(scheduler) <= 10 * 60  # one wake-up, no polling
    assert scheduler.runs == 1 and server.deliveries == []

    # A post queued for in two seconds: the queue's change moves the wake-up forward.
    soon = queue_at(core, account, datetime.now(UTC) + timedelta(seconds=2))
    assert armed_for(qtbot, scheduler, queue_events().changed.emit) == soon.next_attempt_at
    assert remaining_s(scheduler) <= 2.5

    # The server holds the request: the UI's event loop keeps turning meanwhile.
    server.fail("hold")
    ticks = []
    ticker = QTimer()
    ticker.timeout.connect(lambda: ticks.append(1))
    ticker.start(10)
    qtbot.waitUntil(server.received.is_set, timeout=10_000)  # the timer woke and sent it
    assert scheduler.running and scheduler.runs == 2
    before = len(ticks)
    qtbot.wait(300)
    assert len(ticks) - before >= 10  # ticked while the publish was waiting on the network
    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
        server.release()
    ticker.stop()
    [(outcome, post)] = done.args[0]
    assert outcome.state is PostState.PUBLISHED and post.id == soon.id
    assert [p["payload"]["text"] for p in server.posts.values()] == [AVISO]
    # And the timer waits for the next one again.
    qtbot.waitUntil(lambda: scheduler.wake_at == later.next_attempt_at)
    assert 9 * 60 < remaining_s(scheduler) <= 10 * 60
    assert core.get_post(later.id).state is PostState.SCHEDULED
    scheduler.stop()


def test_a_long_wait_is_split_and_nothing_queued_still_looks_again(qtbot, window, core,
                                                                   scheduler, hook):
    _server, account = hook
    window.refresher.network.set_online_for_test(True)
    assert armed_for(qtbot, scheduler, lambda: scheduler.start(first_delay_ms=0)) is None
    assert abs(remaining_s(scheduler) - MAX_WAIT_MS / 1000) < 5  # another process may queue
    far = queue_at(core, account, datetime.now(UTC) + timedelta(days=3))
    assert armed_for(qtbot, scheduler, queue_events().changed.emit) == far.next_attempt_at
    assert abs(remaining_s(scheduler) - MAX_WAIT_MS / 1000) < 5
    # The chunk's end reads again instead of publishing.
    runs = scheduler.runs
    assert armed_for(qtbot, scheduler, scheduler.timer.timeout.emit) == far.next_attempt_at
    assert scheduler.runs == runs
    scheduler.stop()
    assert not scheduler.timer.isActive() and not scheduler.watchdog.isActive()


class FakeClocks:
    """The wall clock and the monotonic clock, moved by the test: a sleep moves only the
    wall clock (the monotonic one stands still while the computer sleeps)."""

    def __init__(self) -> None:
        self.wall = datetime.now(UTC)
        self.mono = 1000.0

    def tick(self, seconds: float) -> None:  # awake: both move
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds

    def sleep(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)


def test_a_clock_jump_or_a_sleep_rearms_the_timer(qtbot, window, core, scheduler, hook):
    server, account = hook
    window.refresher.network.set_online_for_test(True)
    clocks = FakeClocks()
    scheduler.now = lambda: clocks.wall
    scheduler.monotonic = lambda: clocks.mono
    post = queue_at(core, account, clocks.wall + timedelta(minutes=40))
    assert armed_for(qtbot, scheduler, lambda: scheduler.start(first_delay_ms=0)) \
        == post.next_attempt_at
    assert abs(remaining_s(scheduler) - MAX_WAIT_MS / 1000) < 5

    clocks.tick(60)  # an ordinary watchdog tick: nothing to do
    with qtbot.assertNotEmitted(scheduler.armed, wait=200):
        assert not scheduler.check_clock()

    clocks.tick(60)
    clocks.sleep(35 * 60)  # the lid was closed for 35 minutes: the post is due in 3
    with qtbot.waitSignal(scheduler.clock_jumped) as jumped:
        assert armed_for(qtbot, scheduler, scheduler.watchdog.timeout.emit) \
            == post.next_attempt_at
    assert jumped.args[0] == pytest.approx(35 * 60)
    assert 2.5 * 60 < remaining_s(scheduler) <= 3 * 60

    # Someone sets the clock 5 minutes ahead: the post is 2 minutes late, within the grace.
    clocks.sleep(5 * 60)
    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
        assert scheduler.check_clock()
    [(outcome, _post)] = done.args[0]
    assert outcome.state is PostState.PUBLISHED
    assert len(server.posts) == 1
    scheduler.stop()


def test_after_a_long_sleep_overdue_posts_are_held_not_sent(qtbot, window, core, scheduler,
                                                            hook):
    server, account = hook
    window.refresher.network.set_online_for_test(True)
    clocks = FakeClocks()
    scheduler.now = lambda: clocks.wall
    scheduler.monotonic = lambda: clocks.mono
    posts = [queue_at(core, account, clocks.wall + timedelta(hours=h), text=f"Aviso {h}: ñ")
             for h in (1, 2, 3)]
    armed_for(qtbot, scheduler, lambda: scheduler.start(first_delay_ms=0))

    clocks.sleep(5 * 3600)  # the weekend: all three missed by hours
    with qtbot.waitSignal(scheduler.held, timeout=10_000) as held:
        assert scheduler.check_clock()
    assert sorted(p.id for p in held.args[0]) == [p.id for p in posts]
    qtbot.waitUntil(lambda: not scheduler.timer.isActive() or scheduler.wake_at is None)
    assert scheduler.wake_at is None  # nothing else is due: no wake-up for held posts
    # Even an explicit run does not send them: publish_due holds them for the user.
    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
        assert scheduler.run_now()
    assert done.args[0] == [] and server.deliveries == []
    assert all(core.get_post(p.id).state is PostState.SCHEDULED for p in posts)
    with qtbot.assertNotEmitted(scheduler.held, wait=300):  # each is asked about once
        scheduler.rearm()
    scheduler.stop()


def test_offline_no_wake_up_and_the_network_s_return_publishes(qtbot, window, core, scheduler,
                                                               hook):
    server, account = hook
    network = window.refresher.network
    network.set_online_for_test(True)
    clocks = FakeClocks()
    scheduler.now = lambda: clocks.wall
    scheduler.monotonic = lambda: clocks.mono
    queue_at(core, account, clocks.wall + timedelta(minutes=5))
    armed_for(qtbot, scheduler, lambda: scheduler.start(first_delay_ms=0))
    assert scheduler.timer.isActive()
    assert armed_for(qtbot, scheduler, lambda: network.set_online_for_test(False)) is None
    assert not scheduler.timer.isActive()
    clocks.tick(6 * 60)
    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
        network.set_online_for_test(True)
    assert [o.state for o, _p in done.args[0]] == [PostState.PUBLISHED]
    assert len(server.posts) == 1
    scheduler.stop()


# ---- Add to queue, Share next (the Schedule dialog) ------------------------------------------

EVERY_DAY = [(day, hhmm) for day in range(7) for hhmm in ("08:15", "13:45", "20:30")]


def open_share(qtbot, composer, account):
    tab = composer.variant_tab(account.id)
    qtbot.waitUntil(lambda: tab.ready)
    dialog = tab.schedule_button.open_dialog()
    qtbot.waitUntil(lambda: dialog.next_slot is not None, timeout=10_000)
    return dialog


def share(qtbot, core, dialog, button):
    before = {p.id for p in core.list_queue()}
    button.click()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=10_000)
    return next(p for p in core.list_queue() if p.id not in before)


def test_add_to_queue_takes_the_next_free_slot_it_shows(qtbot, window, core, scheduler):
    account = core.add_account("bluesky", name="Ana en Bluesky")
    core.set_slots(account.id, EVERY_DAY)
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("¿Cuadran las cifras de la campaña? Lo dudo.")
    first_slot = core.next_free_slot(account.id)

    dialog = open_share(qtbot, composer, account)
    assert dialog.next_slot == first_slot
    assert dialog.slot_label.text() == f"Next slot: {format_slot(first_slot)}"
    assert dialog.queue_button.isDefault()
    post = share(qtbot, core, dialog, dialog.queue_button)
    assert post.scheduled_at == first_slot and post.state is PostState.SCHEDULED
    assert post.account_id == account.id
    assert composer.status_label.text().startswith("Added to Ana en Bluesky’s queue for")

    # The slot is taken now: the next one is offered, and taken.
    second_slot = core.next_free_slot(account.id)
    assert second_slot > first_slot
    again = open_share(qtbot, composer, account)
    assert again.next_slot == second_slot
    assert share(qtbot, core, again, again.queue_button).scheduled_at == second_slot
    composer.close()


def test_share_next_goes_to_the_front_and_the_queue_moves_on(qtbot, window, core, scheduler):
    account = core.add_account("mastodon", name="Ana en Mastodon",
                               api_base="https://mastodon.example")
    core.set_slots(account.id, EVERY_DAY)
    queued = []
    for words in ("Primero en la cola.", "Segundo en la cola."):
        draft = core.new_draft(text=words)
        queued.append(core.queue_post(draft.id, account.id, next_slot=True))
    times = [p.scheduled_at for p in queued]
    third_time = core.next_free_slot(account.id)

    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("Urgente: la campaña cambia sus cifras hoy, señores.")
    dialog = open_share(qtbot, composer, account)
    post = share(qtbot, core, dialog, dialog.next_button)
    assert post.scheduled_at == times[0]  # the front of the queue
    assert [core.get_post(p.id).scheduled_at for p in queued] == [times[1], third_time]
    assert composer.status_label.text().startswith("Shares next on Ana en Mastodon, at")
    assert [p.id for p in core.queue_for(account.id)] == [post.id, *(p.id for p in queued)]
    composer.close()


def test_share_now_still_queues_for_now_and_runs_the_scheduler(qtbot, window, core, scheduler,
                                                             hook):
    server, account = hook
    window.refresher.network.set_online_for_test(True)
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("Ahora mismo: ¿quién paga la campaña?")
    dialog = open_share(qtbot, composer, account)
    with qtbot.waitSignal(scheduler.finished, timeout=15_000) as done:
        dialog.now_button.click()
    assert [o.state for o, _p in done.args[0]] == [PostState.PUBLISHED]
    assert [p["payload"]["text"] for p in server.posts.values()] == [
        "Ahora mismo: ¿quién paga la campaña?"]
    composer.close()


def test_the_wake_up_also_serves_engagement_counts(core):
    """1 h after publishing the counts are due: the timer wakes for them too, and counts that
    are already due (a failed read) wait METRICS_RETRY rather than wake it in a loop."""
    from ui.scheduler import METRICS_RETRY, next_wake_up

    class Secrets:
        def get(self, account_id, kind):
            return None  # an unsigned webhook needs no secret

    server = WebhookServer().start()
    try:
        core.add_account("webhook", name="Avisos", api_base=server.url)
        at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        post = core.queue_post(core.new_draft(text="Publicado hace un minuto").id, "Avisos", at)
        core.publish_due(at + timedelta(seconds=30), secrets=Secrets())
    finally:
        server.stop()
    published = core.get_post(post.id).published_at
    now = published + timedelta(minutes=5)
    assert next_wake_up(core, now).due_at == published + timedelta(hours=1)
    late = published + timedelta(hours=2)  # the 1 h read never happened
    assert next_wake_up(core, late).due_at == late + METRICS_RETRY
