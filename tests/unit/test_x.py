"""The X connector against a strict local X API (tests/xserver.py).

Tokens live in the real OS keyring through curator.secrets.SecretStore (scripts/test.sh runs
an unlocked Secret Service); the account comes from a real Curator.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from xserver import XServer

from curator import Curator, oauth
from curator.connectors import Failure, OutgoingPost, PublishError, connector_for
from curator.connectors.x import XConnector, make
from curator.counting import x_weighted_length
from curator.secrets import SecretStore
from curator.types import Account

TOKEN = "tok-X-Lucía-ñ-0123456789abcdef"  # never to appear in errors or reprs
REFRESH = "refresco-X-ñ-fedcba9876543210"
CLIENT_ID = "cliente-curator-123"


@pytest.fixture
def server() -> Iterator[XServer]:
    srv = XServer().start()
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
def store(core: Curator) -> Iterator[SecretStore]:
    if not os.environ.get("CURATOR_TEST_KEYRING"):
        pytest.skip("needs the private, unlocked Secret Service that `bash scripts/test.sh` "
                    "starts (tests never touch your desktop's keyring)")
    secrets = SecretStore(core.data_dir)
    secrets.check()
    yield secrets
    for account in core.list_accounts():
        secrets.delete_all(account.id)


@pytest.fixture
def account(core: Curator, server: XServer, store: SecretStore) -> Account:
    acc = core.add_account("x", name="Lucía en X", api_base=server.url)
    server.add_token(TOKEN, refresh_token=REFRESH)
    oauth.store_tokens(store, acc.id, oauth.Tokens(
        TOKEN, REFRESH, datetime.now(UTC) + timedelta(hours=2)), client_id=CLIENT_ID)
    return acc


def connector(account: Account, store: SecretStore, **options: Any) -> XConnector:
    options.setdefault("timeout", (2.0, 2.0))
    return make(account, store, session=requests.Session(), **options)


def post(text: str, **kw: Any) -> OutgoingPost:
    return OutgoingPost(post_id=1, text=text, idempotency_key="post-1-ab12", **kw)


def publish_error(conn: XConnector, p: OutgoingPost) -> PublishError:
    with pytest.raises(PublishError) as e:
        conn.publish(p)
    assert TOKEN not in str(e.value) and REFRESH not in str(e.value)
    return e.value


# ---- publishing -----------------------------------------------------------------------------


def test_publish_spanish_post(account: Account, store: SecretStore, server: XServer) -> None:
    conn = connector_for(account, store, session=requests.Session())
    assert isinstance(conn, XConnector) and conn.idempotent is False
    text = "¿Has leído esto? ¡Qué buena noticia para España! 🇪🇸👩‍💻 https://ejemplo.es/año"
    published = conn.publish(post(text))
    assert published.url == f"https://x.com/i/web/status/{published.remote_id}"
    assert server.tweets[-1].text == text
    seen = [r for r in server.requests if r.path == "/2/tweets"][-1]
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["Content-Type"].startswith("application/json")
    assert seen.body == {"text": text}
    assert conn.last_rate["x-rate-limit-remaining"].isdigit()
    assert conn.last_rate["x-user-limit-24hour-remaining"] == "16"
    assert TOKEN not in repr(conn)


def test_length_is_counted_the_x_way(account: Account, store: SecretStore,
                                     server: XServer) -> None:
    conn = connector(account, store)
    # ¿ ¡ ñ weigh 1 each, an emoji 2, CJK 2: exactly 280 goes out, 281 does not.
    base = "¿Año nuevo? ¡Sí! 😀 漢 "
    fits = base + "ñ" * (280 - x_weighted_length(base))
    assert x_weighted_length(fits) == 280 and len(fits) < 280
    conn.publish(post(fits))
    too_long = fits + "ñ"
    e = publish_error(conn, post(too_long))
    assert e.failure is Failure.PERMANENT and e.status == 403
    assert "too long" in str(e)


def test_thread_goes_out_as_replies(account: Account, store: SecretStore,
                                    server: XServer) -> None:
    conn = connector(account, store)
    published = conn.publish(post("1/3 Hilo sobre la economía española 🧵",
                                  thread=["2/3 ¿Por qué crece?", "3/3 ¡Gracias por leer!"]))
    first, second, third = server.tweets[-3:]
    assert published.remote_id == first.id and first.in_reply_to is None
    assert second.in_reply_to == first.id and third.in_reply_to == second.id
    bodies = [r.body for r in server.requests if r.path == "/2/tweets"]
    assert bodies[1] == {"text": "2/3 ¿Por qué crece?",
                         "reply": {"in_reply_to_tweet_id": first.id}}


def test_thread_failing_half_way_is_not_retried(account: Account, store: SecretStore,
                                                server: XServer) -> None:
    conn = connector(account, store)
    server.fail_next("ok")
    server.fail_next("503")
    e = publish_error(conn, post("Primera parte", thread=["Segunda parte", "Tercera"]))
    assert e.failure is Failure.PERMANENT  # a retry would post the first part again
    assert "first 1 of 3 parts" in str(e) and server.tweets[-1].id in str(e)


def test_duplicate_is_permanent_with_xs_words(account: Account, store: SecretStore,
                                              server: XServer) -> None:
    conn = connector(account, store)
    conn.publish(post("Lo mismo de siempre, ¿verdad?"))
    e = publish_error(conn, post("Lo mismo de siempre, ¿verdad?"))
    assert e.failure is Failure.PERMANENT and e.status == 403
    assert str(e) == "You are not allowed to create a Tweet with duplicate content."


def test_revoked_token_needs_reconnecting(account: Account, store: SecretStore,
                                          server: XServer) -> None:
    store.delete(account.id, "refresh_token")
    server.revoke(TOKEN)
    e = publish_error(connector(account, store), post("¿Sigo conectada?"))
    assert e.failure is Failure.AUTH and e.status == 401
    assert "reconnect" in str(e)


def test_no_token_at_all_is_auth(account: Account, store: SecretStore) -> None:
    store.delete_all(account.id)
    e = publish_error(connector(account, store), post("Hola"))
    assert e.failure is Failure.AUTH


def test_rate_limit_429_retries_after_reset(account: Account, store: SecretStore,
                                            server: XServer) -> None:
    server.exhaust_rate_limit(TOKEN)
    e = publish_error(connector(account, store), post("Demasiado rápido"))
    assert e.failure is Failure.RETRYABLE and e.status == 429
    assert e.retry_after is not None and 800 < e.retry_after <= 900
    assert "rate limit" in str(e)


def test_daily_cap_explains_the_free_tier(account: Account, store: SecretStore,
                                          server: XServer) -> None:
    server.exhaust_daily_cap(TOKEN)
    e = publish_error(connector(account, store), post("Uno más, por favor"))
    assert e.failure is Failure.RETRYABLE and e.status == 429
    message = str(e)
    # The Free column of X's rate-limits table: "17 requests / 24 hours PER USER".
    assert "Free plan" in message and "17 posts per user" in message
    assert "24 hours" in message
    assert " UTC" in message and message.count(".") == 1  # one sentence
    assert e.retry_after is not None and 86000 < e.retry_after <= 86400


def test_a_paid_plans_daily_cap_is_not_called_the_free_tier(core: Curator, store: SecretStore
                                                            ) -> None:
    srv = XServer(daily_cap=100).start()  # Basic: "100 requests / 24 hours PER USER"
    try:
        acc = core.add_account("x", name="Lucía Basic", api_base=srv.url)
        srv.add_token(TOKEN)
        store.set(acc.id, "access_token", TOKEN)
        srv.exhaust_daily_cap(TOKEN)
        e = publish_error(connector(acc, store), post("Con plan de pago"))
    finally:
        srv.stop()
    assert e.failure is Failure.RETRYABLE and "100 posts per user" in str(e)
    assert "free" not in str(e).lower()


def test_a_cap_that_resets_days_away_fails_with_the_reason(account: Account,
                                                           store: SecretStore,
                                                           server: XServer) -> None:
    server.exhaust_daily_cap(TOKEN)
    # Seen from three days earlier, X's reset is days away: fail now, with the reason.
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    conn = connector(account, store, now=lambda: three_days_ago)
    e = publish_error(conn, post("Dentro de unos días"))
    assert e.failure is Failure.PERMANENT and e.status == 429
    assert "daily posting cap" in str(e) and "not retried" in str(e)
    assert str(e).count(".") == 1


def test_usage_cap_is_permanent_with_xs_words(account: Account, store: SecretStore,
                                              server: XServer) -> None:
    server.exhaust_usage_cap()
    e = publish_error(connector(account, store), post("¿Queda cupo este mes?"))
    # Retrying on x-rate-limit-reset (minutes away) against a monthly cap would loop for days.
    assert e.failure is Failure.PERMANENT and e.status == 429
    assert "Usage cap exceeded: Monthly product cap" in str(e)
    assert e.retry_after is None and server.tweets == []


def test_rate_limit_body_as_the_docs_show_it(account: Account, store: SecretStore,
                                             server: XServer) -> None:
    server.rate_limit_body = "legacy"
    server.exhaust_rate_limit(TOKEN)
    e = publish_error(connector(account, store), post("Otra vez demasiado rápido"))
    assert e.failure is Failure.RETRYABLE and "Rate limit exceeded" in str(e)
    assert e.retry_after is not None and 800 < e.retry_after <= 900


def test_server_errors_and_timeouts_are_retryable(account: Account, store: SecretStore,
                                                  server: XServer) -> None:
    conn = connector(account, store, timeout=(1.0, 0.5))
    for fault in ("500", "503"):
        server.fail_next(fault)
        e = publish_error(conn, post(f"Intento con fallo {fault}"))
        assert e.failure is Failure.RETRYABLE and e.status == int(fault)
    server.delay_seconds = 2.0
    server.fail_next("delay")
    e = publish_error(conn, post("Servidor lento"))
    assert e.failure is Failure.RETRYABLE and "in time" in str(e)


def test_unreachable_is_retryable(core: Curator, store: SecretStore) -> None:
    acc = core.add_account("x", name="X caído", api_base="http://127.0.0.1:9")
    store.set(acc.id, "access_token", TOKEN)
    e = publish_error(connector(acc, store, timeout=(1.0, 1.0)), post("¿Hay alguien?"))
    assert e.failure is Failure.RETRYABLE


# ---- tokens ---------------------------------------------------------------------------------


def test_token_is_refreshed_before_expiry_and_stored(account: Account, store: SecretStore,
                                                     server: XServer) -> None:
    oauth.store_tokens(store, account.id, oauth.Tokens(
        TOKEN, REFRESH, datetime.now(UTC) + timedelta(minutes=2)), client_id=CLIENT_ID)
    conn = connector(account, store)
    conn.publish(post("Publicado con un token renovado"))
    new_access = store.get(account.id, "access_token")
    new_refresh = store.get(account.id, "refresh_token")
    assert new_access and new_access != TOKEN and server.valid_token(new_access)
    assert new_refresh and new_refresh != REFRESH
    expires_at, client_id = oauth.load_session(store, account.id)
    assert client_id == CLIENT_ID
    assert expires_at is not None and expires_at > datetime.now(UTC) + timedelta(hours=1)
    token_call = server.token_requests[-1]
    assert token_call == {"grant_type": "refresh_token", "refresh_token": REFRESH,
                          "client_id": CLIENT_ID}
    seen = [r for r in server.requests if r.path == "/2/tweets"][-1]
    assert seen.headers["Authorization"] == f"Bearer {new_access}"
    # Stored as JSON, with no secret in it.
    raw = store.get(account.id, "session") or ""
    assert json.loads(raw)["client_id"] == CLIENT_ID and TOKEN not in raw


def test_a_401_refreshes_once_then_succeeds(account: Account, store: SecretStore,
                                            server: XServer) -> None:
    server.revoke(TOKEN)  # revoked early, though the session says it is valid for 2 hours
    published = connector(account, store).publish(post("Tras renovar la sesión"))
    assert published.remote_id == server.tweets[-1].id
    assert store.get(account.id, "access_token") != TOKEN


def test_refused_refresh_means_reconnect(account: Account, store: SecretStore,
                                         server: XServer) -> None:
    oauth.store_tokens(store, account.id, oauth.Tokens(
        TOKEN, "refresco-que-no-existe", datetime.now(UTC) + timedelta(seconds=30)),
        client_id=CLIENT_ID)
    e = publish_error(connector(account, store), post("Sin sesión"))
    assert e.failure is Failure.AUTH and "reconnect" in str(e)
    assert "refresco-que-no-existe" not in str(e)


def test_token_endpoint_down_is_retryable(account: Account, store: SecretStore,
                                          server: XServer) -> None:
    oauth.store_tokens(store, account.id, oauth.Tokens(
        TOKEN, REFRESH, datetime.now(UTC) - timedelta(seconds=5)), client_id=CLIENT_ID)
    server.fail_next("503")
    e = publish_error(connector(account, store), post("Luego"))
    assert e.failure is Failure.RETRYABLE
    assert store.get(account.id, "refresh_token") == REFRESH  # nothing lost


def test_verify_returns_the_username(account: Account, store: SecretStore,
                                     server: XServer) -> None:
    assert connector(account, store).verify() == "lucia_garcia"
    seen = [r for r in server.requests if r.path == "/2/users/me"][-1]
    assert seen.method == "GET" and seen.headers["Authorization"] == f"Bearer {TOKEN}"


def test_find_published_cannot_tell(account: Account, store: SecretStore) -> None:
    assert connector(account, store).find_published(post("x")) is None


def test_server_checks_the_body_strictly(server: XServer) -> None:
    # The local server itself: unknown fields, missing text, and no auth are refused.
    token = server.add_token()
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    r = http.post(server.url + "/2/tweets", json={"text": "hola", "lang": "es"},
                  headers=headers, timeout=5)
    assert r.status_code == 400 and "lang" in r.json()["errors"][0]["message"]
    r = http.post(server.url + "/2/tweets", json={}, headers=headers, timeout=5)
    assert r.status_code == 400
    r = http.post(server.url + "/2/tweets", json={"text": "hola",
                                                  "reply": {"in_reply_to_tweet_id": "1"}},
                  headers=headers, timeout=5)
    assert r.status_code == 403 and "deleted or not visible" in r.json()["detail"]
    r = http.post(server.url + "/2/tweets", json={"text": "hola"}, timeout=5)
    assert r.status_code == 401 and r.json()["title"] == "Unauthorized"
    r = http.post(server.url + "/2/tweets", data="text=hola", headers=headers, timeout=5)
    assert r.status_code == 400
    assert int(r.headers["x-rate-limit-reset"]) > time.time()


def test_store_tokens_drops_a_stale_refresh_token_and_keeps_other_keys(
        account: Account, store: SecretStore) -> None:
    store.set(account.id, "session", json.dumps({"expires_at": None, "aviso": "sí"}))
    oauth.store_tokens(store, account.id, oauth.Tokens("nuevo-acceso", None, None),
                       client_id=CLIENT_ID)
    assert store.get(account.id, "refresh_token") is None
    assert store.get(account.id, "access_token") == "nuevo-acceso"
    assert json.loads(store.get(account.id, "session") or "{}") == {
        "expires_at": None, "aviso": "sí", "client_id": CLIENT_ID}
