"""Planning the week in the core, with an injected clock and a local webhook receiver: slots
and time zones per account, the next free slot with a full queue, several accounts at once,
share next / reorder / shuffle over the same times, pausing, the overdue hold, settings, and
moves that never race the publishing engine's claim."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from corehelp import Clock
from webhookserver import WebhookServer

from curator import Curator
from curator import _schema as schema
from curator.errors import AccountNotFoundError, CuratorError, PostStateError
from curator.types import Account, PostState, Slot

SECRET = "clave-de-firma-ñ"
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2024, 6, 3, 6, 0, tzinfo=UTC)  # Monday 08:00 in Madrid


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class Secrets:
    """Stands in for the keyring here (tests/e2e use the real one)."""

    def __init__(self, values: dict[tuple[int, str], str]):
        self.values = values

    def get(self, account_id: int, kind: str) -> str | None:
        return self.values.get((account_id, kind))


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def cur(tmp_path: Path, clock: Clock) -> Iterator[Curator]:
    with Curator(tmp_path / "data", now=clock) as c:
        yield c


@pytest.fixture
def server() -> Iterator[WebhookServer]:
    s = WebhookServer(secret=SECRET).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def madrid(cur: Curator, server: WebhookServer) -> Account:
    return cur.add_account("webhook", name="Ventas Madrid", api_base=server.url,
                           timezone="Europe/Madrid")


@pytest.fixture
def secrets(cur: Curator, madrid: Account) -> Secrets:
    return Secrets({(madrid.id, "webhook_secret"): SECRET})


def draft(cur: Curator, text: str = "Lectura recomendada sobre la campaña de otoño") -> int:
    return cur.new_draft(text=text).id


def times(posts: list) -> list[datetime]:  # type: ignore[type-arg]
    return [p.scheduled_at for p in posts]


# ---- slots and time zones ----------------------------------------------------------------------


def test_an_account_without_slots_uses_the_defaults_and_set_replaces_them(
        cur: Curator, madrid: Account) -> None:
    defaults = cur.list_slots("Ventas Madrid")
    assert len(defaults) == 10 and not cur.has_own_slots(madrid.id)
    assert defaults[0] == Slot(madrid.id, 0, "09:00")
    mine = cur.set_slots("Ventas Madrid", ["Tue 09:00", "Thu 09:00", (0, "17:30"), "tue 9:00"])
    assert [(s.weekday, s.time) for s in mine] == [(0, "17:30"), (1, "09:00"), (3, "09:00")]
    assert cur.list_slots(madrid.id) == mine and cur.has_own_slots(madrid.id)
    assert mine[0].to_json() == {"account_id": madrid.id, "weekday": 0, "time": "17:30"}
    assert len(cur.set_slots("Ventas Madrid", [])) == 10  # back to the defaults
    with pytest.raises(CuratorError, match="not a day of the week"):
        cur.set_slots("Ventas Madrid", ["Domingo-Funday 09:00"])
    with pytest.raises(CuratorError):
        cur.set_slots("Ventas Madrid", [(7, "09:00")])
    with pytest.raises(AccountNotFoundError):
        cur.list_slots("Nadie")


def test_slots_go_with_their_account(cur: Curator, madrid: Account) -> None:
    cur.set_slots(madrid.id, ["Tue 09:00"])
    cur.remove_account(madrid.id, keep_secrets=True)
    assert cur.storage.db.conn.execute("SELECT COUNT(*) FROM slots").fetchone()[0] == 0


def test_time_zones_are_validated_and_can_be_cleared(cur: Curator, madrid: Account) -> None:
    assert madrid.timezone == "Europe/Madrid" and madrid.paused is False
    with pytest.raises(CuratorError, match="not a time zone"):
        cur.update_account(madrid.id, timezone="Europa/Madrid")
    with pytest.raises(CuratorError, match="not a time zone"):
        cur.add_account("webhook", name="Otra", timezone="Luna/Base")
    assert cur.update_account(madrid.id, timezone="America/New_York").timezone == \
        "America/New_York"
    assert cur.update_account(madrid.id, timezone="").timezone is None
    assert cur.get_account(madrid.id).to_json()["timezone"] is None


def test_free_slots_follow_the_account_zone_across_the_march_change(
        cur: Curator, clock: Clock, madrid: Account) -> None:
    clock.now = utc(2024, 3, 20)
    cur.set_slots(madrid.id, ["Mon 09:00"])
    week_before, week_after = cur.free_slots(madrid.id, utc(2024, 3, 24), utc(2024, 4, 7))
    assert (week_before, week_after) == (utc(2024, 3, 25, 8), utc(2024, 4, 1, 7))
    assert {t.astimezone(MADRID).strftime("%a %H:%M") for t in (week_before, week_after)} == \
        {"Mon 09:00"}
    with pytest.raises(CuratorError, match="time zone"):
        cur.free_slots(madrid.id, datetime(2024, 3, 24), utc(2024, 4, 7))


# ---- the next free slot ------------------------------------------------------------------------


def test_next_slot_fills_the_queue_in_order_and_skips_taken_slots(
        cur: Curator, madrid: Account) -> None:
    cur.set_slots(madrid.id, ["Tue 09:00", "Thu 09:00"])
    d = draft(cur)
    posts = [cur.queue_post(d, "Ventas Madrid", next_slot=True) for _ in range(5)]
    assert times(posts) == [utc(2024, 6, 4, 7), utc(2024, 6, 6, 7), utc(2024, 6, 11, 7),
                            utc(2024, 6, 13, 7), utc(2024, 6, 18, 7)]
    # A full queue: the next free slot is after the last post.
    assert cur.next_free_slot(madrid.id) == utc(2024, 6, 20, 7)
    # A post queued by hand within a minute of a slot takes it.
    cur.queue_post(d, madrid.id, utc(2024, 6, 20, 7, 1))
    assert cur.next_free_slot(madrid.id) == utc(2024, 6, 25, 7)
    # A cancelled post frees its slot; a failed one too (the user decides about it).
    cur.cancel_post(posts[1].id)
    assert cur.next_free_slot(madrid.id) == utc(2024, 6, 6, 7)
    # `after` starts the search later.
    assert cur.next_free_slot(madrid.id, utc(2024, 6, 7)) == utc(2024, 6, 25, 7)


def test_other_accounts_posts_do_not_take_a_slot(cur: Curator, madrid: Account) -> None:
    other = cur.add_account("webhook", name="Equipo NY", api_base="http://127.0.0.1:9/h",
                            timezone="America/New_York")
    cur.set_slots(madrid.id, ["Tue 09:00"])
    cur.set_slots(other.id, ["Tue 09:00"])
    d = draft(cur)
    assert cur.queue_post(d, other.id, utc(2024, 6, 4, 7)).scheduled_at == utc(2024, 6, 4, 7)
    assert cur.next_free_slot(madrid.id) == utc(2024, 6, 4, 7)
    assert cur.next_free_slot(other.id) == utc(2024, 6, 4, 13)  # 09:00 in New York


def test_queue_post_needs_a_time_or_the_next_slot_and_at_keeps_working(
        cur: Curator, madrid: Account) -> None:
    d = draft(cur)
    with pytest.raises(CuratorError, match="Say when"):
        cur.queue_post(d, madrid.id)
    exact = cur.queue_post(d, madrid.id, utc(2024, 6, 3, 10, 17))
    assert exact.scheduled_at == utc(2024, 6, 3, 10, 17)
    later = cur.queue_post(d, madrid.id, utc(2024, 6, 5), next_slot=True)
    assert later.scheduled_at == utc(2024, 6, 5, 7)  # the first slot at or after that time


# ---- several accounts at once ------------------------------------------------------------------


def test_one_draft_to_several_accounts_each_in_its_own_next_slot(
        cur: Curator, madrid: Account) -> None:
    ny = cur.add_account("webhook", name="Equipo NY", api_base="http://127.0.0.1:9/h",
                         timezone="America/New_York")
    cur.set_slots(madrid.id, ["Wed 09:00"])
    cur.set_slots(ny.id, ["Mon 17:30"])
    posts = cur.queue_for_accounts(draft(cur), ["Ventas Madrid", "Equipo NY"])
    assert [p.account for p in posts] == ["Ventas Madrid", "Equipo NY"]
    assert times(posts) == [utc(2024, 6, 5, 7), utc(2024, 6, 3, 21, 30)]
    assert len({p.idempotency_key for p in posts}) == 2


def test_several_accounts_staggered(cur: Curator, madrid: Account) -> None:
    for name in ("Equipo NY", "Perfil"):
        cur.add_account("webhook", name=name, api_base="http://127.0.0.1:9/h")
    at = utc(2024, 6, 10, 8)
    posts = cur.queue_for_accounts(draft(cur), [madrid.id, "Equipo NY", "Perfil"], at=at,
                                   stagger=timedelta(minutes=20))
    assert times(posts) == [at, at + timedelta(minutes=20), at + timedelta(minutes=40)]
    cur.set_slots(madrid.id, ["Fri 09:00"])
    from_slot = cur.queue_for_accounts(draft(cur), [madrid.id, "Perfil"],
                                       stagger=timedelta(minutes=15))
    assert times(from_slot) == [utc(2024, 6, 7, 7), utc(2024, 6, 7, 7, 15)]
    with pytest.raises(CuratorError, match="named twice"):
        cur.queue_for_accounts(draft(cur), [madrid.id, "Ventas Madrid"], at=at)


def test_several_accounts_all_or_nothing(cur: Curator, madrid: Account) -> None:
    cur.add_account("webhook", name="Corto", api_base="http://127.0.0.1:9/h", char_limit=20)
    d = draft(cur, "Una reflexión bastante más larga que veinte caracteres")
    with pytest.raises(CuratorError, match="Corto"):
        cur.queue_for_accounts(d, ["Ventas Madrid", "Corto"])
    assert cur.list_queue() == []
    with pytest.raises(AccountNotFoundError):
        cur.queue_for_accounts(d, ["Ventas Madrid", "Nadie"])
    assert cur.list_queue() == []


# ---- share next, reorder, shuffle, reschedule --------------------------------------------------


def queue_week(cur: Curator, account: Account, n: int) -> list[int]:
    cur.set_slots(account.id, ["daily 09:00"])
    return [cur.queue_post(draft(cur, f"Publicación {i}"), account.id, next_slot=True).id
            for i in range(n)]


def test_share_next_takes_the_first_time_and_the_posts_before_it_move_down(
        cur: Curator, madrid: Account) -> None:
    ids = queue_week(cur, madrid, 4)
    before = [cur.get_post(i).scheduled_at for i in ids]
    moved = cur.share_next(ids[2])
    assert moved.scheduled_at == before[0]
    queue = cur.queue_for(madrid.id)
    assert [p.id for p in queue] == [ids[2], ids[0], ids[1], ids[3]]
    assert times(queue) == before  # the same set of times
    assert cur.share_next(ids[2]).scheduled_at == before[0]  # already first: unchanged
    assert times(cur.queue_for(madrid.id)) == before


def test_share_next_takes_an_earlier_free_slot(cur: Curator, madrid: Account) -> None:
    ids = queue_week(cur, madrid, 3)
    first = cur.get_post(ids[0]).scheduled_at
    cur.cancel_post(ids[0])  # frees the earliest slot
    moved = cur.share_next(ids[2])
    assert moved.scheduled_at == first
    assert [p.id for p in cur.queue_for(madrid.id)] == [ids[2], ids[1]]


def test_reorder_keeps_the_same_times_in_the_new_order(cur: Curator, madrid: Account) -> None:
    ids = queue_week(cur, madrid, 4)
    before = times(cur.queue_for(madrid.id))
    new_order = [ids[3], ids[1], ids[0], ids[2]]
    after = cur.reorder_queue("Ventas Madrid", new_order)
    assert [p.id for p in after] == new_order
    assert times(after) == before
    with pytest.raises(CuratorError, match="twice"):
        cur.reorder_queue(madrid.id, [ids[0], ids[0]])
    other = cur.add_account("webhook", name="Otra", api_base="http://127.0.0.1:9/h")
    foreign = cur.queue_post(draft(cur), other.id, utc(2024, 7, 1)).id
    with pytest.raises(CuratorError, match="not in this account's queue"):
        cur.reorder_queue(madrid.id, [ids[0], foreign])
    cur.cancel_post(ids[1])
    with pytest.raises(PostStateError):
        cur.reorder_queue(madrid.id, [ids[1], ids[0]])
    assert [p.id for p in cur.queue_for(madrid.id)] == [ids[3], ids[0], ids[2]]


def test_shuffle_keeps_the_same_times(cur: Curator, madrid: Account) -> None:
    ids = queue_week(cur, madrid, 8)
    before = times(cur.queue_for(madrid.id))
    shuffled = cur.shuffle_queue(madrid.id, random.Random(7))
    assert times(shuffled) == before
    assert sorted(p.id for p in shuffled) == sorted(ids)
    assert [p.id for p in shuffled] != ids
    assert {p.state for p in shuffled} == {PostState.SCHEDULED}
    assert all(p.next_attempt_at == p.scheduled_at for p in shuffled)


def test_reschedule_to_an_exact_time_and_back_from_failed(
        cur: Curator, clock: Clock, madrid: Account, secrets: Secrets,
        server: WebhookServer) -> None:
    post = cur.queue_post(draft(cur), madrid.id, MONDAY)
    moved = cur.reschedule_post(post.id, datetime(2024, 6, 10, 11, 0, tzinfo=MADRID))
    assert moved.scheduled_at == moved.next_attempt_at == utc(2024, 6, 10, 9)
    with pytest.raises(CuratorError, match="time zone"):
        cur.reschedule_post(post.id, datetime(2024, 6, 10, 11))
    server.fail("400")
    clock.now = utc(2024, 6, 10, 9)
    [outcome] = cur.publish_due(secrets=secrets)
    assert outcome.state is PostState.FAILED
    again = cur.reschedule_post(post.id, utc(2024, 6, 11, 9))
    assert (again.state, again.attempts, again.last_error) == (PostState.SCHEDULED, 0, None)
    clock.now = utc(2024, 6, 11, 9)
    [sent] = cur.publish_due(secrets=secrets)
    assert sent.state is PostState.PUBLISHED
    with pytest.raises(PostStateError):
        cur.reschedule_post(post.id, utc(2024, 6, 12))
    with pytest.raises(PostStateError):
        cur.share_next(post.id)


def test_a_post_being_published_is_never_moved(cur: Curator, madrid: Account) -> None:
    ids = queue_week(cur, madrid, 3)
    before = times(cur.queue_for(madrid.id))
    # What a concurrent publish-due's claim does, under the same write lock.
    with cur.storage.db.transaction() as db:
        db.execute("UPDATE posts SET state = 'publishing', claimed_at = ?, claimed_by = 'otro:1' "
                   "WHERE id = ?", ("2024-06-03T06:00:00Z", ids[1]))
    with pytest.raises(PostStateError, match="being published"):
        cur.reorder_queue(madrid.id, [ids[2], ids[1], ids[0]])
    with pytest.raises(PostStateError, match="being published"):
        cur.reschedule_post(ids[1], utc(2024, 7, 1))
    # Rolled back: nothing moved, not even the posts that could have.
    assert [cur.get_post(i).scheduled_at for i in ids] == before
    shuffled = cur.shuffle_queue(madrid.id, random.Random(1))  # the claimed one is left out
    assert ids[1] not in [p.id for p in shuffled]
    assert cur.get_post(ids[1]).scheduled_at == before[1]


# ---- pausing -----------------------------------------------------------------------------------


def test_a_paused_accounts_due_post_waits_and_goes_out_on_resume(
        cur: Curator, clock: Clock, madrid: Account, secrets: Secrets,
        server: WebhookServer) -> None:
    post = cur.queue_post(draft(cur), madrid.id, MONDAY + timedelta(minutes=5))
    assert cur.set_paused("Ventas Madrid", True).paused is True
    assert cur.next_due_at() is None  # nothing to wake up for
    clock.advance(minutes=10)
    assert cur.publish_due(secrets=secrets) == []
    assert server.deliveries == []
    assert cur.get_post(post.id).state is PostState.SCHEDULED
    assert cur.set_paused(madrid.id, False).paused is False
    assert cur.next_due_at() == MONDAY + timedelta(minutes=5)
    [outcome] = cur.publish_due(secrets=secrets)
    assert outcome.state is PostState.PUBLISHED
    assert len(server.deliveries) == 1


# ---- overdue -----------------------------------------------------------------------------------


def test_a_week_of_missed_posts_is_held_not_sent_in_a_burst(
        cur: Curator, clock: Clock, madrid: Account, secrets: Secrets,
        server: WebhookServer) -> None:
    ids = queue_week(cur, madrid, 5)  # Mon 09:00 ... Fri 09:00 Madrid
    late = cur.queue_post(draft(cur, "Casi a tiempo"), madrid.id, utc(2024, 6, 10, 7, 50)).id
    clock.now = utc(2024, 6, 10, 8)  # the laptop was off all week
    outcomes = cur.publish_due(secrets=secrets)
    assert [o.post_id for o in outcomes] == [late]  # 10 minutes late: within the grace
    assert len(server.deliveries) == 1
    held = cur.overdue_posts()
    assert [p.id for p in held] == ids
    assert all(p.state is PostState.SCHEDULED for p in held)
    assert cur.next_due_at() is None  # the wake-up timer does not spin on held posts

    published = cur.resolve_overdue(ids[0], "publish")
    assert published.scheduled_at == clock.now
    moved = cur.resolve_overdue(ids[1], "next-slot")
    assert moved.scheduled_at == utc(2024, 6, 11, 7)  # Tuesday 09:00 Madrid
    assert cur.resolve_overdue(ids[2], "skip").state is PostState.CANCELLED
    with pytest.raises(CuratorError, match="Unknown choice"):
        cur.resolve_overdue(ids[3], "later")
    [sent] = cur.publish_due(secrets=secrets)
    assert sent.post_id == ids[0] and sent.state is PostState.PUBLISHED
    assert [p.id for p in cur.overdue_posts()] == [ids[3], ids[4]]
    sent_anyway = cur.publish_due(secrets=secrets, overdue="publish")
    assert [o.post_id for o in sent_anyway] == [ids[3], ids[4]]
    assert len(server.deliveries) == 4
    with pytest.raises(CuratorError, match="overdue policy"):
        cur.publish_due(secrets=secrets, overdue="burst")


def test_a_post_queued_for_a_past_time_is_due_now_not_overdue(
        cur: Curator, madrid: Account, secrets: Secrets) -> None:
    post = cur.queue_post(draft(cur), madrid.id, utc(2024, 1, 8, 9))  # as `queue add --at`
    assert cur.overdue_posts() == []
    [outcome] = cur.publish_due(secrets=secrets)
    assert (outcome.post_id, outcome.state) == (post.id, PostState.PUBLISHED)


def test_a_failed_post_retried_days_later_is_sent_not_held(
        cur: Curator, clock: Clock, madrid: Account, secrets: Secrets,
        server: WebhookServer) -> None:
    post = cur.queue_post(draft(cur), madrid.id, MONDAY + timedelta(hours=1))
    clock.advance(hours=1)
    server.fail("400", message="Texto no válido.")
    assert cur.publish_due(secrets=secrets)[0].state is PostState.FAILED
    clock.advance(days=3)
    cur.retry_post(post.id)  # the user says: send it now
    assert cur.overdue_posts() == []
    [outcome] = cur.publish_due(secrets=secrets)
    assert outcome.state is PostState.PUBLISHED


def test_the_overdue_grace_is_a_shared_setting(
        cur: Curator, clock: Clock, madrid: Account, secrets: Secrets) -> None:
    assert cur.get_setting("overdue_grace_minutes") == 30
    assert cur.get_setting("mix_max_own_share") == pytest.approx(1 / 3)
    assert cur.get_setting("no_such_thing") is None
    post = cur.queue_post(draft(cur), madrid.id, MONDAY + timedelta(hours=1))
    clock.advance(hours=2)  # an hour late
    assert [p.id for p in cur.overdue_posts()] == [post.id]
    cur.set_setting("overdue_grace_minutes", 90)
    assert cur.overdue_posts() == []
    assert cur.next_due_at() == MONDAY + timedelta(hours=1)
    for key, bad in (("overdue_grace_minutes", -1), ("overdue_grace_minutes", "mucho"),
                     ("mix_max_own_share", 2), ("overdue_grace_minutes", True)):
        with pytest.raises(CuratorError):
            cur.set_setting(key, bad)
    cur.set_setting("mix_max_own_share", 0.25)
    cur.set_setting("vista", {"semana": "lunes"})
    assert cur.get_setting("vista") == {"semana": "lunes"}
    cur.set_setting("overdue_grace_minutes", None)  # back to the default
    assert cur.get_setting("overdue_grace_minutes") == 30
    [outcome] = cur.publish_due(secrets=secrets, overdue="publish")
    assert outcome.state is PostState.PUBLISHED


# ---- schema ------------------------------------------------------------------------------------


def test_a_version_6_database_gains_slots_settings_time_zones_and_pausing(
        tmp_path: Path) -> None:
    data = tmp_path / "viejo"
    data.mkdir()
    v6 = schema.SCHEMA[:schema.SCHEMA.index("-- ---- scheduling (v7)")]
    conn = sqlite3.connect(data / "curator.db")
    conn.executescript(v6 + "\nPRAGMA user_version = 6;")
    conn.execute("INSERT INTO accounts (name, network, created_at) VALUES "
                 "('Señal', 'webhook', '2024-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    with Curator(data, now=Clock(MONDAY)) as c:
        [account] = c.list_accounts()
        assert (account.name, account.timezone, account.paused) == ("Señal", None, False)
        assert len(c.list_slots(account.id)) == 10
        c.set_slots(account.id, ["Tue 09:00"])
        c.set_setting("overdue_grace_minutes", 15)
        version = c.storage.db.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == schema.VERSION >= 7
    assert (data / "curator.db.v6.bak").exists()
