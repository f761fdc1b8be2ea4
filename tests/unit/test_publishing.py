"""The publishing engine against a local webhook receiver (tests/webhookserver.py): the state
machine, backoff with an injected clock, giving up, every kind of fault, crash recovery."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from corehelp import T0, Clock
from webhookserver import WebhookServer

from curator import Curator
from curator import _publishing as publishing
from curator.connectors import Published, webhook
from curator.errors import CuratorError, PostStateError
from curator.types import Account, PostState

SECRET = "clave-de-firma-ñ"


class Secrets:
    """Stands in for the keyring here (tests/e2e use the real one)."""

    def __init__(self, values: dict[tuple[int, str], str] | None = None):
        self.values = values or {}

    def get(self, account_id: int, kind: str) -> str | None:
        return self.values.get((account_id, kind))


@pytest.fixture
def server() -> Iterator[WebhookServer]:
    s = WebhookServer(secret=SECRET).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cur(tmp_path: Path, clock: Clock) -> Iterator[Curator]:
    with Curator(tmp_path / "data", now=clock) as c:
        yield c


@pytest.fixture
def account(cur: Curator, server: WebhookServer) -> Account:
    return cur.add_account("webhook", name="Equipo", api_base=server.url,
                           disclaimer="Opiniones personales.")


@pytest.fixture
def secrets(account: Account) -> Secrets:
    return Secrets({(account.id, "webhook_secret"): SECRET})


def queue(cur: Curator, text: str = "Lectura recomendada sobre la campaña de otoño",
          at: datetime = T0, account: str = "Equipo") -> int:
    draft = cur.new_draft(text=text)
    return cur.queue_post(draft.id, account, at).id


# ---- queueing -------------------------------------------------------------------------------


def test_queue_composes_the_final_text_and_waits(cur: Curator, account: Account) -> None:
    draft = cur.new_draft(text="Texto general")
    cur.add_variant(draft.id, "Equipo", text="Mi versión para el equipo")
    post = cur.queue_post(draft.id, "Equipo", T0 + timedelta(hours=2))
    assert post.state is PostState.SCHEDULED
    assert post.text == "Mi versión para el equipo\n\nOpiniones personales."
    assert post.account == "Equipo" and post.attempts == 0
    assert post.scheduled_at == T0 + timedelta(hours=2)
    cur.save_draft_text(draft.id, "cambiado después")  # the queued text is final
    assert cur.get_post(post.id).text == post.text
    assert [p.id for p in cur.list_queue()] == [post.id]
    data = post.to_json()
    for key in ("id", "account", "text", "scheduled_at", "state", "attempts", "last_error",
                "remote_id", "remote_url", "published_at"):
        assert key in data
    assert data["scheduled_at"] == "2024-06-01T14:00:00Z"


def test_queue_refuses_a_post_over_the_network_limit(cur: Curator) -> None:
    cur.add_account("x", name="Mi X")
    draft = cur.new_draft(text="á" * 300)
    with pytest.raises(CuratorError, match="over its limit of 280: shorten it by 20"):
        cur.queue_post(draft.id, "Mi X", T0)
    assert cur.list_queue() == []


def test_queue_refuses_bad_input(cur: Curator, account: Account) -> None:
    draft = cur.new_draft(text="hola")
    with pytest.raises(CuratorError, match="time zone"):
        cur.queue_post(draft.id, "Equipo", datetime(2024, 6, 1, 9, 0))
    cur.delete_draft(draft.id)
    with pytest.raises(CuratorError, match="deleted"):
        cur.queue_post(draft.id, "Equipo", T0)
    empty = cur.new_draft(text="")
    cur.update_account("Equipo", disclaimer="")
    with pytest.raises(CuratorError, match="empty"):
        cur.queue_post(empty.id, "Equipo", T0)


# ---- publishing -----------------------------------------------------------------------------


def test_due_post_is_published_once_with_signature_and_key(
        cur: Curator, server: WebhookServer, secrets: Secrets) -> None:
    later = queue(cur, "Para mañana", at=T0 + timedelta(days=1))
    post_id = queue(cur)
    outcomes = cur.publish_due(T0, secrets=secrets)
    assert [(o.post_id, o.state) for o in outcomes] == [(post_id, PostState.PUBLISHED)]
    post = cur.get_post(post_id)
    assert post.state is PostState.PUBLISHED
    assert (post.remote_id, post.attempts, post.published_at) == ("wh-1", 1, T0)
    assert post.remote_url and post.remote_url.endswith("/p/1")
    [d] = server.deliveries
    assert d.signature_ok and d.signature and d.signature.startswith("sha256=")
    assert d.key == post.idempotency_key
    assert d.payload == {
        "text": post.text, "link": None, "title": None, "account": "Equipo", "handle": None,
        "scheduled_at": "2024-06-01T12:00:00Z", "post_id": post_id,
        "idempotency_key": post.idempotency_key, "thread": []}
    assert cur.publish_due(T0, secrets=secrets) == []  # nothing twice
    assert [p.id for p in cur.history()] == [post_id]
    assert [p.id for p in cur.list_queue()] == [later]


def test_webhook_without_a_secret_sends_no_signature(cur: Curator) -> None:
    open_server = WebhookServer().start()
    try:
        cur.add_account("webhook", name="Abierto", api_base=open_server.url)
        post_id = queue(cur, account="Abierto")
        cur.publish_due(T0, secrets=Secrets())
        assert cur.get_post(post_id).state is PostState.PUBLISHED
        assert open_server.deliveries[0].signature is None
        assert "X-Curator-Signature" not in open_server.deliveries[0].headers
    finally:
        open_server.stop()


def test_429_honours_retry_after(cur: Curator, server: WebhookServer, secrets: Secrets) -> None:
    post_id = queue(cur)
    server.fail("429", retry_after="7200")
    [o] = cur.publish_due(T0, secrets=secrets)
    assert o.state is PostState.SCHEDULED and o.error == "Demasiadas peticiones."
    post = cur.get_post(post_id)
    assert post.next_attempt_at == T0 + timedelta(hours=2)
    assert (post.attempts, post.last_error) == (1, "Demasiadas peticiones.")
    assert cur.publish_due(T0 + timedelta(hours=1), secrets=secrets) == []
    [o] = cur.publish_due(T0 + timedelta(hours=2), secrets=secrets)
    assert o.state is PostState.PUBLISHED
    post = cur.get_post(post_id)
    assert (post.attempts, post.last_error, post.remote_id) == (2, None, "wh-1")
    assert server.count(post.idempotency_key) == 2 and len(server.posts) == 1


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert webhook.parse_retry_after("Sat, 01 Jun 2024 12:02:00 GMT", now) == 120
    assert webhook.parse_retry_after("Sat, 01 Jun 2024 11:00:00 GMT", now) == 0
    assert webhook.parse_retry_after("30") == 30
    assert webhook.parse_retry_after("pronto") is None


def test_5xx_backs_off_exponentially_then_gives_up(
        cur: Curator, server: WebhookServer, secrets: Secrets) -> None:
    post_id = queue(cur)
    server.fail("500", times=publishing.MAX_ATTEMPTS)
    now = T0
    delays = []
    for _ in range(1, publishing.MAX_ATTEMPTS):
        [o] = cur.publish_due(now, secrets=secrets)
        assert o.state is PostState.SCHEDULED
        assert o.error == "The webhook answered HTTP 500 Internal Server Error."
        assert o.next_attempt_at is not None
        delays.append(o.next_attempt_at - now)
        assert cur.publish_due(o.next_attempt_at - timedelta(seconds=1), secrets=secrets) == []
        now = o.next_attempt_at
    [o] = cur.publish_due(now, secrets=secrets)
    assert o.state is PostState.FAILED
    post = cur.get_post(post_id)
    assert post.state is PostState.FAILED and post.attempts == publishing.MAX_ATTEMPTS
    assert post.last_error == ("The webhook answered HTTP 500 Internal Server Error. "
                               f"(gave up after {publishing.MAX_ATTEMPTS} attempts)")
    for n, delay in enumerate(delays):  # 1, 2, 4, 8 minutes, each with jitter
        step = publishing.BACKOFF_BASE * 2 ** n
        assert step / 2 <= delay <= step
    assert server.count(post.idempotency_key) == publishing.MAX_ATTEMPTS
    assert server.posts == {}
    assert cur.publish_due(now + timedelta(days=1), secrets=secrets) == []


def test_backoff_is_capped_jittered_and_yields_to_a_longer_retry_after() -> None:
    rng = random.Random(7)
    assert publishing.backoff(30, None, rng) <= publishing.BACKOFF_CAP
    seen = {publishing.backoff(3, None, rng) for _ in range(20)}
    assert len(seen) > 1  # jittered
    assert all(timedelta(minutes=2) <= d <= timedelta(minutes=4) for d in seen)
    assert publishing.backoff(1, 3600, rng) == timedelta(hours=1)
    assert publishing.backoff(6, 1, rng) >= timedelta(minutes=16)


def test_timeout_retries_with_the_same_key_and_the_receiver_sees_one_post(
        cur: Curator, server: WebhookServer, secrets: Secrets,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "TIMEOUT", (2.0, 0.3))
    post_id = queue(cur)
    server.fail("slow", delay=1.0)
    [o] = cur.publish_due(T0, secrets=secrets)
    assert o.state is PostState.SCHEDULED
    assert o.error and "did not answer in time" in o.error
    assert o.next_attempt_at
    [o] = cur.publish_due(o.next_attempt_at, secrets=secrets)
    assert o.state is PostState.PUBLISHED
    key = cur.get_post(post_id).idempotency_key
    assert server.count(key) == 2 and len(server.posts) == 1


@pytest.mark.parametrize("fault", ["reset", "reset_after"])
def test_connection_reset_is_retried(cur: Curator, server: WebhookServer, secrets: Secrets,
                                     fault: str) -> None:
    post_id = queue(cur)
    server.fail(fault)
    [o] = cur.publish_due(T0, secrets=secrets)
    assert o.state is PostState.SCHEDULED
    assert o.error and o.error.startswith("Could not reach the webhook at 127.0.0.1")
    assert o.next_attempt_at
    [o] = cur.publish_due(o.next_attempt_at, secrets=secrets)
    assert (o.state, o.remote_id) == (PostState.PUBLISHED, "wh-1")
    assert len(server.posts) == 1
    assert cur.get_post(post_id).attempts == 2


def test_401_needs_attention_and_the_account_a_reconnect(
        cur: Curator, server: WebhookServer, secrets: Secrets) -> None:
    post_id = queue(cur)
    server.fail("401")
    [o] = cur.publish_due(T0, secrets=secrets)
    assert (o.state, o.error) == (PostState.NEEDS_ATTENTION, "Token caducado.")
    assert cur.account_needs_reconnect("Equipo")
    assert cur.get_post(post_id).state is PostState.NEEDS_ATTENTION
    assert cur.publish_due(T0 + timedelta(days=1), secrets=secrets) == []  # waits for the user
    cur.mark_account_reconnected("Equipo")
    assert not cur.account_needs_reconnect("Equipo")
    post = cur.retry_post(post_id)
    assert (post.state, post.attempts, post.last_error) == (PostState.SCHEDULED, 0, None)
    [o] = cur.publish_due(T0, secrets=secrets)
    assert o.state is PostState.PUBLISHED


def test_a_wrong_secret_is_an_auth_failure(cur: Curator, server: WebhookServer,
                                           account: Account) -> None:
    queue(cur)
    [o] = cur.publish_due(T0, secrets=Secrets({(account.id, "webhook_secret"): "otra"}))
    assert (o.state, o.error) == (PostState.NEEDS_ATTENTION, "Firma no válida.")
    assert server.posts == {}


def test_a_publish_success_clears_reconnect_needed(
        cur: Curator, server: WebhookServer, secrets: Secrets, account: Account) -> None:
    cur.publisher.set_account_state(account.id, publishing.ACCOUNT_RECONNECT)
    queue(cur)
    cur.publish_due(T0, secrets=secrets)
    assert not cur.account_needs_reconnect(account.id)


def test_400_fails_with_the_services_message(cur: Curator, server: WebhookServer,
                                             secrets: Secrets) -> None:
    post_id = queue(cur)
    server.fail("400", message="El campo «text» es demasiado largo.")
    [o] = cur.publish_due(T0, secrets=secrets)
    assert (o.state, o.error) == (PostState.FAILED, "El campo «text» es demasiado largo.")
    post = cur.get_post(post_id)
    assert post.last_error == "El campo «text» es demasiado largo."
    assert cur.publish_due(T0 + timedelta(days=1), secrets=secrets) == []
    assert [p.id for p in cur.list_queue()] == [post_id]  # failed posts stay visible


def test_a_2xx_that_is_not_json_is_published(cur: Curator, server: WebhookServer,
                                             secrets: Secrets) -> None:
    post_id = queue(cur)
    server.fail("garbage")
    [o] = cur.publish_due(T0, secrets=secrets)
    post = cur.get_post(post_id)
    assert o.state is PostState.PUBLISHED
    assert (post.remote_id, post.remote_url) == (post.idempotency_key, None)


def test_cancel_and_retry_follow_the_states(cur: Curator, server: WebhookServer,
                                            secrets: Secrets) -> None:
    post_id = queue(cur)
    with pytest.raises(PostStateError, match="only failed, cancelled or needs-attention"):
        cur.retry_post(post_id)
    assert cur.cancel_post(post_id).state is PostState.CANCELLED
    assert cur.list_queue() == []
    assert cur.publish_due(T0, secrets=secrets) == []
    cur.retry_post(post_id)
    cur.publish_due(T0, secrets=secrets)
    with pytest.raises(PostStateError, match="is published"):
        cur.cancel_post(post_id)


# ---- crash recovery -------------------------------------------------------------------------


def _claim_as(cur: Curator, post_id: int, claimed_by: str, claimed_at: datetime) -> None:
    conn = cur.storage.db.conn
    conn.execute("UPDATE posts SET state = 'publishing', attempts = attempts + 1, "
                 "claimed_by = ?, claimed_at = ? WHERE id = ?",
                 (claimed_by, claimed_at.strftime("%Y-%m-%dT%H:%M:%SZ"), post_id))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_crash_after_sending_resends_with_the_same_key_and_the_receiver_dedups(
        cur: Curator, server: WebhookServer, secrets: Secrets, account: Account) -> None:
    post_id = queue(cur)
    post = cur.get_post(post_id)
    # What the dead process managed to do: the request reached the receiver...
    webhook.make(account, secrets).publish(publishing._outgoing(
        cur.storage.db.conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()))
    # ...but it died before recording the answer.
    _claim_as(cur, post_id, f"{publishing.socket.gethostname()}:{_dead_pid()}", T0)
    outcomes = cur.publish_due(T0 + timedelta(minutes=1), secrets=secrets)
    assert [(o.post_id, o.state) for o in outcomes] == [(post_id, PostState.PUBLISHED)]
    post = cur.get_post(post_id)
    assert (post.state, post.remote_id, post.attempts) == (PostState.PUBLISHED, "wh-1", 2)
    assert server.count(post.idempotency_key) == 2
    assert len(server.posts) == 1  # counted on the server: once


def test_a_claim_held_by_a_live_process_is_left_alone(
        cur: Curator, server: WebhookServer, secrets: Secrets) -> None:
    post_id = queue(cur)
    _claim_as(cur, post_id, "otra-maquina:4242", T0)  # another host: only the lease tells
    assert cur.publish_due(T0 + publishing.LEASE - timedelta(seconds=1), secrets=secrets) == []
    assert cur.get_post(post_id).state is PostState.PUBLISHING
    assert server.deliveries == []
    [o] = cur.publish_due(T0 + publishing.LEASE, secrets=secrets)  # the lease ran out
    assert o.state is PostState.PUBLISHED
    assert len(server.posts) == 1


class FakeConnector:
    """A network that cannot dedup (no idempotency key), but may be asked."""

    idempotent = False

    def __init__(self, account: Account, found: Published | None):
        self.account = account
        self.found = found
        self.sent = 0

    def verify(self) -> str:
        return "yo"

    def publish(self, post: object) -> Published:
        self.sent += 1
        return Published("nuevo", None)

    def find_published(self, post: object) -> Published | None:
        return self.found


@pytest.mark.parametrize("found", [None, Published("109876", "https://red.example/109876")])
def test_crash_recovery_without_idempotency_never_resends(
        cur: Curator, account: Account, found: Published | None) -> None:
    post_id = queue(cur)
    _claim_as(cur, post_id, "otra-maquina:1", T0 - timedelta(hours=1))
    fake = FakeConnector(account, found)
    [o] = cur.publisher.publish_due(T0, cur.get_account, lambda a: fake)
    post = cur.get_post(post_id)
    assert fake.sent == 0 and o.recovered
    if found is None:
        assert post.state is PostState.NEEDS_ATTENTION
        assert post.last_error and post.last_error.startswith("Curator stopped while publishing")
    else:
        assert (post.state, post.remote_id, post.remote_url) == (
            PostState.PUBLISHED, "109876", "https://red.example/109876")


def test_an_unexpected_connector_error_never_leaves_a_post_claimed(
        cur: Curator, account: Account) -> None:
    post_id = queue(cur)

    class Broken(FakeConnector):
        def publish(self, post: object) -> Published:
            raise KeyError("id")

    [o] = cur.publisher.publish_due(T0, cur.get_account, lambda a: Broken(account, None))
    assert o.state is PostState.NEEDS_ATTENTION  # it may have gone out: ask the user
    assert cur.get_post(post_id).last_error == (
        "Curator could not tell whether the post went out (KeyError: 'id'): check the "
        "account, then retry or cancel it.")


def test_history_survives_the_account(cur: Curator, server: WebhookServer,
                                      secrets: Secrets) -> None:
    post_id = queue(cur)
    cur.publish_due(T0, secrets=secrets)
    cur.remove_account("Equipo", keep_secrets=True)
    [post] = cur.history()
    assert (post.id, post.account, post.account_id, post.remote_id) == (
        post_id, "Equipo", None, "wh-1")


def test_the_claim_is_one_transaction(cur: Curator, account: Account) -> None:
    """Two publishers on two connections: the second never gets a post the first claimed."""
    post_id = queue(cur)
    other = publishing.Publisher(cur.storage.db)
    first = cur.publisher._claim_next(T0, "a:1")
    second = other._claim_next(T0, "b:2")
    assert first is not None and first.row["id"] == post_id
    assert second is None
    row = sqlite3.connect(cur.storage.db.path).execute(
        "SELECT state, claimed_by FROM posts WHERE id = ?", (post_id,)).fetchone()
    assert row == ("publishing", "a:1")
