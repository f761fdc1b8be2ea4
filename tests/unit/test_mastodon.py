"""The Mastodon connector against a strict local Mastodon server (tests/mastodonserver.py).

The token lives in the real OS keyring through curator.secrets.SecretStore (scripts/test.sh
runs an unlocked Secret Service); the account comes from a real Curator.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from mastodonserver import MastodonServer

from curator import Curator
from curator.connectors import Failure, OutgoingPost, PublishError, connector_for
from curator.connectors.mastodon import MastodonConnector, make, register_app
from curator.counting import mastodon_length
from curator.secrets import SecretStore
from curator.types import Account

TOKEN = "tok-Lucía-ñ-0123456789abcdef"  # never to appear in errors or reprs

LONG_URL = ("https://ejemplo.es/noticias/2024/06/la-economía-española-crece-más-de-lo-previsto"
            "-según-el-banco-de-españa?utm_source=curator&utm_medium=social&utm_campaign=junio"
            "&ref=" + "x" * 200)


@pytest.fixture
def server() -> Iterator[MastodonServer]:
    srv = MastodonServer().start()
    srv.add_token(TOKEN, username="lucia")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def core(tmp_path: Any) -> Iterator[Curator]:
    c = Curator(tmp_path / "data")
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def store(tmp_path: Any, core: Curator) -> Iterator[SecretStore]:
    # Like tests/unit/test_secrets.py: only the private keyring scripts/test.sh starts, never
    # the desktop's; there it must work (no skipping).
    if not os.environ.get("CURATOR_TEST_KEYRING"):
        pytest.skip("needs the private, unlocked Secret Service that `bash scripts/test.sh` "
                    "starts (tests never touch your desktop's keyring)")
    secrets = SecretStore(core.data_dir)
    secrets.check()
    yield secrets
    for account in core.list_accounts():
        secrets.delete_all(account.id)


@pytest.fixture
def account(core: Curator, server: MastodonServer, store: SecretStore) -> Account:
    acc = core.add_account("mastodon", name="Lucía en Mastodon", api_base=server.url)
    store.set(acc.id, "access_token", TOKEN)
    return acc


def connector(account: Account, store: SecretStore, **options: Any) -> MastodonConnector:
    options.setdefault("timeout", (2.0, 2.0))
    return make(account, store, session=requests.Session(), **options)


def post(text: str, key: str = "post-1-ab12", **kw: Any) -> OutgoingPost:
    return OutgoingPost(post_id=1, text=text, idempotency_key=key, **kw)


def publish_error(conn: MastodonConnector, p: OutgoingPost) -> PublishError:
    with pytest.raises(PublishError) as info:
        conn.publish(p)
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    return info.value


# ---- publishing ----------------------------------------------------------------------------


def test_spanish_post_is_created_with_the_documented_fields_and_headers(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    # Over 500 code points, but within 500 as Mastodon counts: the URL weighs 23.
    body = "¿Sabías que España crece más de lo previsto? ¡Qué año! Ñandúes y pingüinos. " * 5
    text = f"{body}\n\n{LONG_URL}"
    assert len(text) > 500 and mastodon_length(text) <= 500
    conn = connector(account, store)

    published = conn.publish(post(text, language="es"))

    assert len(server.statuses) == 1
    made = server.statuses[0]
    assert (made.text, made.language, made.visibility) == (text, "es", "public")
    assert made.in_reply_to_id is None and made.idempotency_key == "post-1-ab12"
    assert published.remote_id == made.id
    assert published.url == made.entity["url"] == f"{server.url}/@lucia/{made.id}"
    seen = [r for r in server.requests if r.path == "/api/v1/statuses"][0]
    assert seen.method == "POST"
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["Idempotency-Key"] == "post-1-ab12"
    assert seen.content_type == "application/x-www-form-urlencoded"  # the documented form data
    assert "scheduled_at" not in seen.fields and "in_reply_to_id" not in seen.fields


def test_a_thread_goes_as_chained_replies_with_a_key_per_part(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    conn = connector(account, store, visibility="unlisted")
    parts = ["Hilo 🧵 sobre la jornada: 1/3", "Segunda parte: ¿qué aprendimos? 2/3",
             "Y la última: ¡gracias a todos! 3/3"]

    published = conn.publish(post(parts[0], key="hilo-7", thread=parts[1:], language="es"))

    made = server.statuses
    assert [s.text for s in made] == parts
    assert published.remote_id == made[0].id
    assert made[0].in_reply_to_id is None
    assert made[1].in_reply_to_id == made[0].id and made[2].in_reply_to_id == made[1].id
    assert made[2].entity["in_reply_to_account_id"] == made[0].entity["account"]["id"]
    assert [s.idempotency_key for s in made] == ["hilo-7", "hilo-7-1", "hilo-7-2"]
    assert {s.visibility for s in made} == {"unlisted"} and {s.language for s in made} == {"es"}


def test_a_thread_that_failed_half_way_is_completed_not_duplicated(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    conn = connector(account, store)
    p = post("Primera", key="hilo-9", thread=["Segunda", "Tercera"])
    server.fail_next("ok")
    server.fail_next("500")  # the second part fails

    assert publish_error(conn, p).failure is Failure.RETRYABLE
    assert [s.text for s in server.statuses] == ["Primera"]

    published = conn.publish(p)  # the engine's retry: same keys

    assert [s.text for s in server.statuses] == ["Primera", "Segunda", "Tercera"]
    assert published.remote_id == server.statuses[0].id
    assert server.statuses[1].in_reply_to_id == server.statuses[0].id


def test_over_the_limit_is_permanent_with_the_servers_own_words(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    error = publish_error(connector(account, store), post("ñ" * 501))
    assert error.failure is Failure.PERMANENT and error.status == 422
    assert str(error) == "Validation failed: Text character limit of 500 exceeded"
    assert server.statuses == []


def test_the_limit_comes_from_the_instance(server: MastodonServer, account: Account,
                                           store: SecretStore) -> None:
    server.max_characters = 1000
    conn = connector(account, store)
    assert conn.fetch_limit() == 1000
    conn.publish(post("á" * 900))
    assert len(server.statuses) == 1


def test_a_bad_or_missing_token_asks_for_reconnection(
        server: MastodonServer, core: Curator, account: Account, store: SecretStore) -> None:
    store.set(account.id, "access_token", "caducado")
    error = publish_error(connector(account, store), post("Hola"))
    assert (error.failure, error.status) == (Failure.AUTH, 401)
    assert str(error) == "The access token is invalid"

    store.delete(account.id, "access_token")
    error = publish_error(connector(account, store), post("Hola"))
    assert error.failure is Failure.AUTH and "reconnect" in str(error)
    assert server.statuses == []


def test_a_token_without_the_write_scope_is_an_auth_failure(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    server.add_token("solo-lectura", username="lucia", scopes="read")
    store.set(account.id, "access_token", "solo-lectura")
    error = publish_error(connector(account, store), post("Hola"))
    assert (error.failure, error.status) == (Failure.AUTH, 403)
    assert str(error) == "This action is outside the authorized scopes"


def test_rate_limited_is_retryable_after_the_reset(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    server.rate_period = 120.0
    server.exhaust_rate_limit(TOKEN)
    error = publish_error(connector(account, store), post("Hola"))
    assert (error.failure, error.status) == (Failure.RETRYABLE, 429)
    assert str(error) == "Too many requests"
    assert error.retry_after is not None and 0 < error.retry_after <= 120.0
    assert server.statuses == []


def test_rate_limit_headers_are_sent(server: MastodonServer, account: Account,
                                     store: SecretStore) -> None:
    resp = requests.get(server.url + "/api/v1/accounts/verify_credentials",
                        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert resp.headers["X-RateLimit-Limit"] == "300"
    assert resp.headers["X-RateLimit-Remaining"] == "299"
    reset = datetime.fromisoformat(resp.headers["X-RateLimit-Reset"])
    assert timedelta(0) < reset - datetime.now(UTC) <= timedelta(seconds=300)


def test_retry_after_wins_over_the_rate_limit_reset(account: Account,
                                                    store: SecretStore) -> None:
    now = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    conn = connector(account, store, now=lambda: now)
    reset = {"X-RateLimit-Reset": "2024-06-01T12:02:30.000000Z"}
    assert conn._retry_after(reset) == 150.0
    assert conn._retry_after({**reset, "Retry-After": "30"}) == 30.0
    assert conn._retry_after({"Retry-After": "Sat, 01 Jun 2024 12:01:00 GMT"}) == 60.0
    assert conn._retry_after({"X-RateLimit-Reset": "pronto"}) is None


@pytest.mark.parametrize("fault", ["500", "503", "reset"])
def test_server_faults_are_retryable(server: MastodonServer, account: Account,
                                     store: SecretStore, fault: str) -> None:
    server.fail_next(fault)
    error = publish_error(connector(account, store), post("Hola"))
    assert error.failure is Failure.RETRYABLE
    assert server.statuses == []


def test_a_timeout_is_retryable_and_the_retry_makes_no_second_status(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    server.delay_seconds = 2.5
    server.fail_next("delay")  # answers late, but the status is made
    impatient = connector(account, store, timeout=(2.0, 1.0))
    error = publish_error(impatient, post("Con retraso"))
    assert error.failure is Failure.RETRYABLE and "in time" in str(error)

    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while not server.statuses and datetime.now(UTC) < deadline:
        time.sleep(0.05)  # the server finishes its late answer
    published = connector(account, store).publish(post("Con retraso"))
    assert len(server.statuses) == 1 and published.remote_id == server.statuses[0].id


@pytest.mark.parametrize("fault", ["create_then_reset", "garbage"])
def test_a_status_made_before_a_fault_is_not_made_twice(
        server: MastodonServer, account: Account, store: SecretStore, fault: str) -> None:
    server.fail_next(fault)
    conn = connector(account, store)
    assert publish_error(conn, post("Una sola vez")).failure is Failure.RETRYABLE
    assert len(server.statuses) == 1  # the server did make it

    published = conn.publish(post("Una sola vez"))  # same Idempotency-Key

    assert len(server.statuses) == 1
    assert published.remote_id == server.statuses[0].id
    assert published.url == server.statuses[0].entity["url"]


def test_find_published_cannot_say(account: Account, store: SecretStore) -> None:
    conn = connector(account, store)
    assert conn.idempotent is True
    assert conn.find_published(post("Hola")) is None


def test_unreachable_server_is_retryable(core: Curator, store: SecretStore) -> None:
    with socket_closed_port() as port:
        acc = core.add_account("mastodon", name="Caído", api_base=f"http://127.0.0.1:{port}")
        store.set(acc.id, "access_token", TOKEN)
        error = publish_error(connector(acc, store), post("Hola"))
    assert error.failure is Failure.RETRYABLE and "Could not reach" in str(error)


# ---- verify, scheduling, registration ------------------------------------------------------


def test_verify_returns_the_acct(server: MastodonServer, account: Account,
                                 store: SecretStore) -> None:
    assert connector(account, store).verify() == "lucia"
    store.set(account.id, "access_token", "otro")
    with pytest.raises(PublishError) as info:
        connector(account, store).verify()
    assert info.value.failure is Failure.AUTH


def test_connector_for_finds_this_module(account: Account, store: SecretStore) -> None:
    conn = connector_for(account, store)
    assert isinstance(conn, MastodonConnector)
    assert TOKEN not in repr(conn)


def test_server_scheduler_gets_a_post_far_enough_ahead(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    conn = connector(account, store, server_schedule=True)

    published = conn.publish(post("Programada: ¡buenos días!", scheduled_at=when,
                                  language="es"))

    assert server.statuses == [] and len(server.scheduled) == 1
    scheduled = server.scheduled[0]
    assert published.remote_id == "scheduled:" + scheduled["id"] and published.url is None
    assert datetime.fromisoformat(scheduled["scheduled_at"]) == when
    assert scheduled["params"]["text"] == "Programada: ¡buenos días!"
    assert scheduled["params"]["idempotency"] is None  # as Mastodon stores it
    # a retry gets the same scheduled status back (found, not deduplicated by the key)
    assert conn.publish(post("Programada: ¡buenos días!", scheduled_at=when)) == published
    assert len(server.scheduled) == 1
    assert conn.find_published(post("Programada: ¡buenos días!", scheduled_at=when)
                               ) == published


def test_a_scheduled_post_whose_answer_was_lost_is_not_scheduled_twice(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    # Mastodon ignores Idempotency-Key for scheduled statuses (mastodon#30039): the retry
    # must find the first one itself.
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    conn = connector(account, store, server_schedule=True)
    p = post("Programada una sola vez, ¿verdad?", scheduled_at=when)
    server.fail_next("ok")  # the look-up before scheduling
    server.fail_next("create_then_reset")
    assert publish_error(conn, p).failure is Failure.RETRYABLE
    assert len(server.scheduled) == 1

    published = conn.publish(p)

    assert len(server.scheduled) == 1
    assert published.remote_id == "scheduled:" + server.scheduled[0]["id"]


def test_without_read_statuses_the_lookup_is_skipped(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    server.add_token("solo-escritura", username="lucia", scopes="write:statuses")
    store.set(account.id, "access_token", "solo-escritura")
    when = datetime.now(UTC) + timedelta(hours=1)
    published = connector(account, store, server_schedule=True).publish(
        post("Programada sin permiso de lectura", scheduled_at=when))
    assert published.remote_id == "scheduled:" + server.scheduled[0]["id"]
    looked = [r for r in server.requests if r.path == "/api/v1/scheduled_statuses"]
    assert looked and all(r.method == "GET" for r in looked)


def test_a_too_soon_refusal_is_published_directly(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    # Our clock runs 10 minutes behind the server's: to us the post is 13 minutes away, to
    # the server 3, and it answers the documented 422. The post goes out now, not failed.
    behind = datetime.now(UTC) - timedelta(minutes=10)
    conn = connector(account, store, server_schedule=True, now=lambda: behind)
    published = conn.publish(post("Con el reloj atrasado",
                                  scheduled_at=datetime.now(UTC) + timedelta(minutes=3)))
    assert server.scheduled == [] and len(server.statuses) == 1
    assert published.remote_id == server.statuses[0].id
    refused = [r for r in server.requests
               if r.path == "/api/v1/statuses" and "scheduled_at" in r.fields]
    assert len(refused) == 1


def test_server_scheduler_is_not_used_too_close_for_threads_or_when_off(
        server: MastodonServer, account: Account, store: SecretStore) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=3)
    later = datetime.now(UTC) + timedelta(hours=2)
    on = connector(account, store, server_schedule=True)
    on.publish(post("Muy pronto", key="a", scheduled_at=soon))
    on.publish(post("Hilo", key="b", scheduled_at=later, thread=["dos"]))
    connector(account, store).publish(post("Sin programar", key="c", scheduled_at=later))
    assert server.scheduled == []
    assert [s.text for s in server.statuses] == ["Muy pronto", "Hilo", "dos", "Sin programar"]
    assert all("scheduled_at" not in r.fields for r in server.requests)


def test_register_app(server: MastodonServer) -> None:
    session = requests.Session()
    client_id, client_secret = register_app(server.url, session,
                                            "urn:ietf:wg:oauth:2.0:oob")
    app = server.apps[0]
    assert (client_id, client_secret) == (app["client_id"], app["client_secret"])
    assert app["name"] == "Curator"
    assert app["scopes"] == ["read:accounts", "read:statuses", "write:statuses"]

    with pytest.raises(PublishError) as info:
        register_app(server.url, session, "no-es-una-uri")
    assert info.value.failure is Failure.PERMANENT
    assert str(info.value) == "Validation failed: Redirect URI must be an absolute URI."


# ---- the local server itself ---------------------------------------------------------------


def test_server_is_strict(server: MastodonServer) -> None:
    url = server.url + "/api/v1/statuses"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.post(url, data={"status": "Hola"}, timeout=5).status_code == 401
    blank = requests.post(url, data={"status": "  "}, headers=auth, timeout=5)
    assert (blank.status_code, blank.json()) == (
        422, {"error": "Validation failed: Text can't be blank"})
    bad = requests.post(url, data={"status": "Hola", "visibility": "todos"}, headers=auth,
                        timeout=5)
    assert bad.status_code == 422
    orphan = requests.post(url, data={"status": "Hola", "in_reply_to_id": "999"},
                           headers=auth, timeout=5)
    assert orphan.status_code == 404
    too_soon = requests.post(url, headers=auth, timeout=5, data={
        "status": "Hola", "scheduled_at": (datetime.now(UTC) + timedelta(minutes=2)).isoformat()})
    assert (too_soon.status_code, too_soon.json()) == (422, {
        "error": "Validation failed: Scheduled at The scheduled date must be in the future"})
    # A time already past is ignored by Mastodon (PostStatusService#scheduled_in_the_past?):
    # the status is posted at once.
    past = requests.post(url, headers=auth, timeout=5, data={
        "status": "Ya pasó", "scheduled_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()})
    assert past.status_code == 200 and past.json()["content"] == "<p>Ya pasó</p>"
    # The same Idempotency-Key on a scheduled status schedules it again (mastodon#30039).
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for _ in range(2):
        requests.post(url, headers={**auth, "Idempotency-Key": "k-1"}, timeout=5,
                      data={"status": "Dos veces", "scheduled_at": later})
    assert len(server.scheduled) == 2
    listed = requests.get(server.url + "/api/v1/scheduled_statuses?limit=1", headers=auth,
                          timeout=5)
    assert [e["id"] for e in listed.json()] == [server.scheduled[1]["id"]]
    assert 'rel="next"' in listed.headers["Link"]
    as_json = requests.post(url, json={"status": "En JSON"}, headers=auth, timeout=5)
    assert as_json.status_code == 200 and as_json.json()["content"] == "<p>En JSON</p>"
    instance = requests.get(server.url + "/api/v2/instance", timeout=5).json()
    assert instance["configuration"]["statuses"]["max_characters"] == 500


class socket_closed_port:
    """A loopback port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        pass
