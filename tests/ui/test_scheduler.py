"""The composer's Schedule… dialog queues what the tab shows: the optional disclaimer as the
user left it, a long post as the thread it was split into; and the in-app scheduler publishes
that thread to the strict local Mastodon server (tests/mastodonserver.py) as chained replies.

Secrets live in an in-memory keyring backend (no OS keyring needed for these tests).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import keyring
import keyring.backend
import keyring.errors
import pytest
import shiboken6
from mastodonserver import MastodonServer

from curator import counting
from curator.types import PostState
from ui.composer import open_composer, open_composers

OPTIONAL = "Las opiniones son mías, no de mi empresa."
MANDATORY = "Comunicación publicitaria. Rentabilidades pasadas no garantizan futuras."
TOKEN = "tok-Lucía-ñandú-0123456789abcdef"
SENTENCE = "La campaña publicó sus cifras. ¿Cuadran con el presupuesto? No del todo, señora. "


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that keeps secrets in this process only."""

    # 0: never chosen nor chained by keyring's own discovery (a subclass registers itself),
    # so later tests still find the real Secret Service as the default.
    priority = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring(core) -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    core._secrets = None  # the store picks its backend once: let it look again
    try:
        yield memory
    finally:
        keyring.set_keyring(previous)
        core._secrets = None


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
