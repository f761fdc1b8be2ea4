"""The LinkedIn connector against a strict local LinkedIn API (tests/linkedinserver.py).

The token lives in the real OS keyring through curator.secrets.SecretStore (scripts/test.sh
runs an unlocked Secret Service); the account comes from a real Curator.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from linkedinserver import LinkedInServer, parse_little_text

from curator import Curator
from curator.connectors import Failure, OutgoingPost, PublishError, connector_for
from curator.connectors.linkedin import (
    DEFAULT_LINKEDIN_VERSION,
    RATE_LIMIT_WAIT,
    VERSION_ENV,
    LinkedInConnector,
    make,
    save_token,
    token_expires_at,
    token_warning,
)
from curator.counting import linkedin_commentary, linkedin_length
from curator.secrets import SecretStore
from curator.types import Account

TOKEN = "AQV-tok-Lucía-ñ-0123456789abcdef"  # never to appear in errors or reprs
TYPED = "¿Qué opinas? (sí) #estrategia @equipo [nota] 50% *clave* <ojo> \\ ~ _"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[LinkedInServer]:
    srv = LinkedInServer().start()
    srv.add_token(TOKEN, sub="yQZ4p_Lm2r")
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
def account(core: Curator, server: LinkedInServer, store: SecretStore) -> Account:
    acc = core.add_account("linkedin", name="Lucía en LinkedIn", api_base=server.url)
    store.set(acc.id, "access_token", TOKEN)
    return acc


def connector(account: Account, store: SecretStore, **options: Any) -> LinkedInConnector:
    options.setdefault("timeout", (2.0, 2.0))
    return make(account, store, session=requests.Session(), **options)


def post(text: str, **kw: Any) -> OutgoingPost:
    return OutgoingPost(post_id=1, text=text, idempotency_key="post-1-ab12", **kw)


def failure(call: Any) -> PublishError:
    with pytest.raises(PublishError) as info:
        call()
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    return info.value


# ---- publishing ------------------------------------------------------------------------------


def test_reserved_characters_arrive_exactly_as_typed(server: LinkedInServer, account: Account,
                                                     store: SecretStore) -> None:
    published = connector(account, store).publish(post(TYPED))
    [made] = server.posts
    assert made.text == TYPED and made.cut_at is None  # LinkedIn shows what was typed
    assert made.commentary == linkedin_commentary(TYPED) != TYPED
    assert made.hashtags == ["estrategia"]  # a real, clickable hashtag
    assert published.remote_id == made.urn and made.urn.startswith("urn:li:share:")
    assert published.url == f"https://www.linkedin.com/feed/update/{made.urn}/"
    body = made.body
    assert body["author"] == "urn:li:person:yQZ4p_Lm2r"
    assert body["visibility"] == "PUBLIC" and body["lifecycleState"] == "PUBLISHED"
    assert body["distribution"] == {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                    "thirdPartyDistributionChannels": []}
    assert body["isReshareDisabledByAuthor"] is False and "content" not in body
    sent = [r for r in server.requests if r.path == "/rest/posts"][0].headers
    assert sent["Authorization"] == f"Bearer {TOKEN}"
    assert sent["LinkedIn-Version"] == DEFAULT_LINKEDIN_VERSION
    assert sent["X-Restli-Protocol-Version"] == "2.0.0"
    assert sent["Content-Type"] == "application/json"


def test_article_card(server: LinkedInServer, account: Account, store: SecretStore) -> None:
    link = "https://ejemplo.es/noticias/economía?utm_source=curator"
    connector(account, store).publish(post(
        f"Lectura recomendada: {link}", link=link, title="La economía crece (más de lo previsto)",
        description="El Banco de España revisa al alza su previsión."))
    assert server.posts[0].body["content"] == {"article": {
        "source": link, "title": "La economía crece (más de lo previsto)",
        "description": "El Banco de España revisa al alza su previsión."}}


def test_article_without_title_uses_the_link(server: LinkedInServer, account: Account,
                                             store: SecretStore) -> None:
    connector(account, store).publish(post("Mirad esto", link="https://ejemplo.es/a"))
    assert server.posts[0].body["content"] == {"article": {"source": "https://ejemplo.es/a",
                                                           "title": "https://ejemplo.es/a"}}


def _raw_post(server: LinkedInServer, commentary: str) -> requests.Response:
    body: dict[str, Any] = {
        "author": "urn:li:person:yQZ4p_Lm2r", "commentary": commentary,
        "visibility": "PUBLIC", "lifecycleState": "PUBLISHED",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                         "thirdPartyDistributionChannels": []}}
    return requests.post(server.url + "/rest/posts", json=body, timeout=5, headers={
        "Authorization": f"Bearer {TOKEN}", "LinkedIn-Version": DEFAULT_LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0"})


def test_the_server_cuts_unescaped_little_text_like_linkedin(server: LinkedInServer) -> None:
    # LinkedIn answers 201 and the post ends where little text stops parsing.
    assert _raw_post(server, "Hola (equipo) de ventas").status_code == 201
    assert _raw_post(server, "Leed {hashtag|x|IA} hoy").status_code == 201
    assert _raw_post(server, "Precio # 1").status_code == 201
    assert [(p.text, p.cut_at) for p in server.posts] == [
        ("Hola ", 5), ("Leed ", 5), ("Precio ", 7)]


def test_the_server_reads_documented_elements(server: LinkedInServer) -> None:
    commentary = (r"Hola @[Ana Núñez](urn:li:person:a1B2) y @[Acme\_SA](urn:li:organization:12)"
                  r" #ventas {hashtag|#|IA} {hashtag|＃|全角} {hashtag|\#|mi\_tag} 50% \(sí\)")
    assert _raw_post(server, commentary).status_code == 201
    [made] = server.posts
    assert made.cut_at is None and made.hashtags == ["ventas", "IA", "全角", "mi_tag"]
    assert made.text == "Hola Ana Núñez y Acme_SA #ventas #IA ＃全角 #mi_tag 50% (sí)"
    assert [e.urn for e in made.elements if e.kind == "mention"] == [
        "urn:li:person:a1B2", "urn:li:organization:12"]


def test_the_server_can_refuse_bad_little_text(server: LinkedInServer) -> None:
    server.little_text_errors = "reject"
    resp = _raw_post(server, "Hola (equipo)")
    assert resp.status_code == 422 and resp.json() == {
        "message": "ERROR :: /commentary :: not little text: unescaped reserved character "
                   "'(' at 5\n", "status": 422}
    assert not server.posts


def test_parse_little_text_stops_at_the_first_problem() -> None:
    little = parse_little_text(r"Bien \{ok\} y mal \x")
    assert little.shown == "Bien {ok} y mal " and little.cut_at == 18
    assert little.problem == "unescaped reserved character '\\' at 18"
    assert parse_little_text("@Ana sin URN").cut_at == 0
    assert parse_little_text("").elements == () and parse_little_text("").cut_at is None


def test_limit_counts_the_typed_text(server: LinkedInServer, account: Account,
                                     store: SecretStore) -> None:
    conn = connector(account, store)
    exactly = "(" * 2998 + "🙂"  # 2,998 + an emoji of two UTF-16 units; escaped it is 5,998
    assert linkedin_length(exactly) == 3000
    conn.publish(post(exactly))
    error = failure(lambda: conn.publish(post(exactly + "a")))
    assert error.failure is Failure.PERMANENT and error.status == 422
    assert "length 3001 exceeds the maximum of 3000 characters" in str(error)
    assert len(server.posts) == 1


def test_thread_is_refused(account: Account, store: SecretStore) -> None:
    error = failure(lambda: connector(account, store).publish(post("uno", thread=["dos"])))
    assert error.failure is Failure.PERMANENT


# ---- the LinkedIn-Version setting --------------------------------------------------------------


def test_version_setting_reaches_the_header(server: LinkedInServer, account: Account,
                                            store: SecretStore,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    connector(account, store, linkedin_version="202609").publish(post("uno"))
    monkeypatch.setenv(VERSION_ENV, "202610")
    connector(account, store).publish(post("dos"))
    conn = connector_for(account, store)  # the engine's way: the environment's version
    assert isinstance(conn, LinkedInConnector) and conn.version == "202610"
    sent = [r.headers["LinkedIn-Version"] for r in server.requests if r.path == "/rest/posts"]
    assert sent == ["202609", "202610"]


def test_too_old_version_says_what_to_change(server: LinkedInServer, account: Account,
                                             store: SecretStore) -> None:
    error = failure(lambda: connector(account, store, linkedin_version="202401")
                    .publish(post("Hola")))
    assert error.failure is Failure.PERMANENT and error.status == 426
    assert '"Requested version 20240101 is not active"' in str(error)  # as LinkedIn said it
    assert str(error) == (
        'LinkedIn no longer serves API version 202401 (HTTP 426, "Requested version 20240101 '
        'is not active"): change the account\'s "LinkedIn API version" setting of '
        f"'Lucía en LinkedIn' to a month LinkedIn lists as active, such as "
        f"{DEFAULT_LINKEDIN_VERSION} (curator accounts edit NAME --api-version YYYYMM).")
    assert not server.posts


def test_malformed_version_is_refused_before_sending(server: LinkedInServer, account: Account,
                                                     store: SecretStore) -> None:
    error = failure(lambda: connector(account, store, linkedin_version="julio"))
    assert error.failure is Failure.PERMANENT
    assert '\'julio\' (the account\'s "LinkedIn API version" setting)' in str(error)
    assert not server.requests


def test_malformed_environment_version_names_the_variable(
        account: Account, store: SecretStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VERSION_ENV, "2026-09")
    error = failure(lambda: connector(account, store))
    assert f"the environment variable {VERSION_ENV}" in str(error)


def test_default_version_is_one_linkedin_serves() -> None:
    assert DEFAULT_LINKEDIN_VERSION in LinkedInServer().active_versions
    assert make.__kwdefaults__ == {"session": None, "linkedin_version": None}


# ---- failures ----------------------------------------------------------------------------------


def test_unknown_token_is_auth(server: LinkedInServer, account: Account,
                               store: SecretStore) -> None:
    store.set(account.id, "access_token", "otro-token")
    error = failure(lambda: connector(account, store).publish(post("Hola")))
    assert error.failure is Failure.AUTH and error.status == 401
    assert str(error) == ('LinkedIn refused the sign-in (HTTP 401, "Invalid access token"): '
                          "reconnect the account.")


def test_expired_token_is_auth(server: LinkedInServer, account: Account,
                               store: SecretStore) -> None:
    server.expire(TOKEN)
    error = failure(lambda: connector(account, store).publish(post("Hola")))
    assert error.failure is Failure.AUTH and "expired" in str(error)


def test_no_token_is_auth(server: LinkedInServer, account: Account, store: SecretStore) -> None:
    store.delete(account.id, "access_token")
    error = failure(lambda: connector(account, store).publish(post("Hola")))
    assert error.failure is Failure.AUTH and not server.requests


def test_rate_limit_is_retryable(server: LinkedInServer, account: Account,
                                 store: SecretStore) -> None:
    conn = connector(account, store)
    conn.verify()
    server.rate_limit(retry_after=120)
    error = failure(lambda: conn.publish(post("Hola")))
    assert error.failure is Failure.RETRYABLE and error.retry_after == 120.0
    server.rate_limit(message="Too many requests")  # "infrastructure protection"
    error = failure(lambda: conn.publish(post("Hola")))
    assert error.failure is Failure.RETRYABLE and error.retry_after == RATE_LIMIT_WAIT
    assert conn.publish(post("Hola")).remote_id == server.posts[0].urn


def test_a_daily_limit_waits_for_midnight_utc(server: LinkedInServer, account: Account,
                                              store: SecretStore) -> None:
    # "These limits reset at midnight UTC every day."
    conn = connector(account, store, now=lambda: NOW)  # 10:00 UTC
    conn.verify()
    server.rate_limit()
    error = failure(lambda: conn.publish(post("Hola")))
    assert error.failure is Failure.RETRYABLE and error.retry_after == 14 * 3600 + 60
    assert ('(HTTP 429, "Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls '
            'to this resource is reached.")') in str(error)


@pytest.mark.parametrize("fault", ["500", "503", "reset", "delay"])
def test_server_faults_are_retryable(server: LinkedInServer, account: Account,
                                     store: SecretStore, fault: str) -> None:
    conn = connector(account, store, timeout=(1.0, 0.5))
    conn.verify()
    server.fail_next(fault)
    error = failure(lambda: conn.publish(post("Hola")))
    assert error.failure is Failure.RETRYABLE
    assert TOKEN not in repr(conn)


def test_token_never_in_reprs(account: Account, store: SecretStore) -> None:
    conn = connector(account, store)
    assert TOKEN not in repr(conn) and TOKEN not in repr(store) and TOKEN not in repr(account)


# ---- verify, expiry, recovery ----------------------------------------------------------------


def test_verify_names_the_member(server: LinkedInServer, account: Account,
                                 store: SecretStore) -> None:
    conn = connector(account, store)
    assert conn.verify() == "lucia@ejemplo.es"
    assert conn.author == "urn:li:person:yQZ4p_Lm2r"
    userinfo = server.requests[0]
    assert userinfo.path == "/v2/userinfo" and "LinkedIn-Version" not in userinfo.headers


def test_token_warning_a_week_ahead(account: Account, store: SecretStore) -> None:
    assert token_warning(account, store, NOW) is None  # expiry unknown
    save_token(store, account.id, TOKEN, expires_in=60 * 86400, now=NOW)
    assert store.get(account.id, "access_token") == TOKEN
    assert token_expires_at(store, account.id) == NOW + timedelta(days=60)
    assert token_warning(account, store, NOW + timedelta(days=52, hours=23)) is None
    assert token_warning(account, store, NOW + timedelta(days=53)) == (
        "Your LinkedIn sign-in expires on 2027-01-28: reconnect within a week")
    assert "expired on 2027-01-28" in str(token_warning(account, store,
                                                        NOW + timedelta(days=61)))


def test_locally_expired_token_is_auth_without_asking(server: LinkedInServer,
                                                      account: Account,
                                                      store: SecretStore) -> None:
    save_token(store, account.id, TOKEN, expires_in=60 * 86400, now=NOW)
    late = connector(account, store, now=lambda: NOW + timedelta(days=61))
    error = failure(lambda: late.publish(post("Hola")))
    assert error.failure is Failure.AUTH and "reconnect" in str(error)
    assert not server.requests


def test_find_published_with_read_permission(server: LinkedInServer, account: Account,
                                             store: SecretStore) -> None:
    server.add_token(TOKEN, sub="yQZ4p_Lm2r", read_posts=True)
    conn = connector(account, store)
    outgoing = post(TYPED)
    assert conn.find_published(outgoing) is None
    published = conn.publish(outgoing)
    assert conn.find_published(outgoing) == published
    assert conn.find_published(post("otro texto")) is None
    later = connector(account, store, now=lambda: datetime.now(UTC) + timedelta(hours=2))
    assert later.find_published(outgoing) is None  # older than an hour: not this attempt
    query = [r for r in server.requests if r.method == "GET" and r.path == "/rest/posts"][0]
    assert query.query["q"] == ["author"] and query.query["author"] == [conn.author]


def test_find_published_without_read_permission_cannot_tell(server: LinkedInServer,
                                                            account: Account,
                                                            store: SecretStore) -> None:
    conn = connector(account, store)
    conn.publish(post("Hola"))
    assert conn.find_published(post("Hola")) is None
    assert conn.idempotent is False


def test_engine_marks_reconnect_and_keeps_the_queue(server: LinkedInServer, core: Curator,
                                                    account: Account,
                                                    store: SecretStore) -> None:
    draft = core.new_draft(text=TYPED)
    first = core.queue_post(draft.id, account.name, datetime.now(UTC))
    second = core.queue_post(draft.id, account.name, datetime.now(UTC) + timedelta(days=1))
    server.expire(TOKEN)
    [outcome] = core.publish_due(secrets=store)
    assert outcome.post_id == first.id and outcome.state.value == "needs_attention"
    assert core.account_needs_reconnect(account.name)
    assert core.get_post(second.id).state.value == "scheduled"  # the queue is kept
    server.add_token(TOKEN, sub="yQZ4p_Lm2r")  # reconnected
    core.mark_account_reconnected(account.name)
    core.retry_post(first.id)
    [outcome] = core.publish_due(secrets=store)
    assert outcome.state.value == "published" and server.posts[0].text == TYPED


def test_reads_the_expiry_curator_oauth_stores(account: Account, store: SecretStore) -> None:
    from curator.oauth import Tokens, load_session, store_tokens

    store_tokens(store, account.id, Tokens(TOKEN, expires_at=NOW + timedelta(days=3)),
                 client_id="86abcdef")
    assert token_expires_at(store, account.id) == NOW + timedelta(days=3)
    assert token_warning(account, store, NOW) == (
        "Your LinkedIn sign-in expires on 2026-12-02: reconnect within a week")
    save_token(store, account.id, TOKEN, expires_in=60 * 86400, now=NOW)
    assert load_session(store, account.id) == (NOW + timedelta(days=60), "86abcdef")


def test_engine_looks_before_resending_after_an_ambiguous_failure(
    server: LinkedInServer, core: Curator, account: Account, store: SecretStore
) -> None:
    # LinkedIn made the post, then the connection dropped: a retry must not post it twice.
    server.add_token(TOKEN, sub="yQZ4p_Lm2r", read_posts=True)
    draft = core.new_draft(text=TYPED)
    queued = core.queue_post(draft.id, account.name, datetime.now(UTC))
    server.fail_next("ok")  # the author lookup (/v2/userinfo) goes through
    server.fail_next("create_then_reset")  # the post is made, then the connection drops
    [outcome] = core.publish_due(secrets=store)
    assert outcome.state.value == "scheduled" and len(server.posts) == 1  # retry later
    [outcome] = core.publish_due(now=datetime.now(UTC) + timedelta(hours=1), secrets=store)
    assert outcome.state.value == "published"
    assert len(server.posts) == 1  # found on the network, not sent again
    assert core.get_post(queued.id).remote_id == server.posts[0].urn


# ---- hashtags (little text's HashtagTemplate) ------------------------------------------------


@pytest.mark.parametrize(("typed", "hashtags", "commentary_has"), [
    ("Nuestra guía de #marketing con #IA, ¡gratis!", ["marketing", "IA"],
     r"de {hashtag|\#|marketing} con {hashtag|\#|IA}, ¡gratis!"),
    ("Lee https://ejemplo.es/a#b y https://ejemplo.es/#inicio (#fuentes)", ["fuentes"],
     r"https://ejemplo.es/a\#b y https://ejemplo.es/\#inicio \({hashtag|\#|fuentes}\)"),
    ("Aprende C# y F# este año", [], r"Aprende C\# y F\# este año"),
    ("Precios # 1 y #", [], r"Precios \# 1 y \#"),
])
def test_hashtags_arrive_as_hashtags(server: LinkedInServer, account: Account,
                                     store: SecretStore, typed: str, hashtags: list[str],
                                     commentary_has: str) -> None:
    connector(account, store).publish(post(typed))
    [made] = server.posts
    assert made.text == typed and made.cut_at is None  # nothing lost or cut
    assert made.hashtags == hashtags
    assert commentary_has in made.commentary


def test_find_published_recognises_a_post_with_hashtags(server: LinkedInServer,
                                                        account: Account,
                                                        store: SecretStore) -> None:
    server.add_token(TOKEN, sub="yQZ4p_Lm2r", read_posts=True)
    conn = connector(account, store)
    outgoing = post("Nuestra guía de #marketing con #IA")
    published = conn.publish(outgoing)
    assert conn.find_published(outgoing) == published


# ---- error bodies and statuses as LinkedIn gives them ------------------------------------------


def _rest(server: LinkedInServer, headers: dict[str, str], **kw: Any) -> requests.Response:
    return requests.post(server.url + "/rest/posts", timeout=5, headers=headers, **kw)


def test_server_error_bodies_follow_linkedin(server: LinkedInServer) -> None:
    good = {"Authorization": f"Bearer {TOKEN}", "LinkedIn-Version": DEFAULT_LINKEDIN_VERSION,
            "X-Restli-Protocol-Version": "2.0.0"}
    no_version = {k: v for k, v in good.items() if k != "LinkedIn-Version"}
    assert _rest(server, no_version, json={}).json() == {
        "status": 400, "code": "VERSION_MISSING", "message": "A version must be present. "
        "Please specify a version by adding the Linkedin-Version header."}
    resp = _rest(server, dict(good, **{"LinkedIn-Version": "202511"}), json={})
    assert resp.status_code == 426 and resp.json() == {
        "status": 426, "code": "NONEXISTENT_VERSION",
        "message": "Requested version 20251101 is not active"}
    resp = _rest(server, {k: v for k, v in good.items() if k != "Authorization"}, json={})
    assert resp.status_code == 401 and resp.json()["message"] == "Empty oauth2_access_token"
    resp = _rest(server, dict(good, **{"Content-Type": "application/json"}),
                 data=b"no es JSON")
    assert resp.status_code == 400 and resp.json()["message"] == (
        "Request body could not be converted to data map")
    resp = _rest(server, good, json={"author": "urn:li:person:yQZ4p_Lm2r", "texto": "Hola"})
    assert resp.status_code == 422
    assert resp.json()["message"].splitlines() == [
        "ERROR :: /texto :: unrecognized field found but not allowed",
        "ERROR :: /commentary :: field is required but not found and has no default value",
        "ERROR :: /visibility :: field is required but not found and has no default value",
        "ERROR :: /distribution :: field is required but not found and has no default value",
        "ERROR :: /lifecycleState :: field is required but not found and has no default "
        "value"]


def test_revoked_token_is_auth_with_linkedin_s_words(server: LinkedInServer, account: Account,
                                                     store: SecretStore) -> None:
    server.revoke(TOKEN)
    error = failure(lambda: connector(account, store).publish(post("Hola")))
    assert error.failure is Failure.AUTH
    assert '"The token used in the request has been revoked by the user"' in str(error)


def test_validation_error_shows_linkedin_s_message(account: Account, store: SecretStore,
                                                   server: LinkedInServer) -> None:
    error = failure(lambda: connector(account, store).publish(
        post("Hola", link="ftp://ejemplo.es/a")))
    assert error.failure is Failure.PERMANENT and error.status == 422
    assert str(error) == ('LinkedIn refused the post (HTTP 422, "ERROR :: '
                          '/content/article/source :: not an http(s) URL").')


def test_the_account_setting_reaches_the_header(server: LinkedInServer, core: Curator,
                                                account: Account, store: SecretStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VERSION_ENV, "202603")  # the account's own setting wins
    acc = core.update_account(account.name, api_version="202611")
    conn = connector_for(acc, store)
    assert isinstance(conn, LinkedInConnector) and conn.version == "202611"
    conn.publish(post("Hola #equipo"))
    assert [r.headers["LinkedIn-Version"] for r in server.requests
            if r.path == "/rest/posts"] == ["202611"]
    retired = core.update_account(account.name, api_version="202510")
    error = failure(lambda: connector_for(retired, store).publish(post("Hola")))
    assert error.status == 426 and 'the account\'s "LinkedIn API version" setting' in str(error)
