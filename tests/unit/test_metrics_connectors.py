"""Engagement counts and followers read by each connector from strict local servers.

Each network's server follows its documented shapes (tests/mastodonserver.py, xserver.py,
linkedinserver.py, blueskyappview.py); Bluesky runs against the real reference PDS
(../shared/bluesky-pds) plus the local AppView. Tokens live in the real OS keyring
(`bash scripts/test.sh`), read by the connectors exactly as publish() reads them.
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
from blueskyappview import BlueskyAppView
from linkedinserver import LinkedInServer
from mastodonserver import MastodonServer
from xserver import XServer

from curator import Curator, oauth
from curator.connectors import Failure, OutgoingPost, PublishError, connector_for
from curator.connectors.base import PostMetrics
from curator.connectors.bluesky import DEFAULT_APPVIEW, BlueskyConnector
from curator.connectors.bluesky import make as make_bluesky
from curator.connectors.linkedin import make as make_linkedin
from curator.connectors.mastodon import make as make_mastodon
from curator.connectors.x import make as make_x
from curator.secrets import SecretStore
from curator.types import Account

TEXTO = "¿Qué opinas del informe? La economía española crece un 2,5 % este año 📈"
M_TOKEN = "tok-Mastodon-Lucía-ñ-0123456789"
X_TOKEN = "tok-X-Lucía-ñ-0123456789abcdef"
X_REFRESH = "refresco-X-ñ-fedcba9876543210"
X_CLIENT = "cliente-curator-123"
LI_TOKEN = "AQV-tok-Lucía-ñ-0123456789abcdef"


def post(text: str = TEXTO, key: str = "metricas-1") -> OutgoingPost:
    return OutgoingPost(post_id=1, text=text, idempotency_key=key)


def failure_of(call: Any, *args: Any) -> PublishError:
    with pytest.raises(PublishError) as e:
        call(*args)
    return e.value


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


def test_post_metrics_is_a_frozen_value() -> None:
    m = PostMetrics(likes=3, reposts=1, replies=2)
    assert (m.quotes, m.impressions, m.unavailable) == (None, None, None)
    with pytest.raises(AttributeError):
        m.likes = 4  # type: ignore[misc]
    none = PostMetrics.not_available("No se puede.")
    assert (none.likes, none.reposts, none.replies, none.unavailable) == (
        None, None, None, "No se puede.")


# ---- Mastodon ---------------------------------------------------------------------------

@pytest.fixture
def mastodon() -> Iterator[MastodonServer]:
    srv = MastodonServer().start()
    srv.add_token(M_TOKEN, username="lucia")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def m_account(core: Curator, mastodon: MastodonServer, store: SecretStore) -> Account:
    acc = core.add_account("mastodon", name="Lucía en Mastodon", api_base=mastodon.url)
    store.set(acc.id, "access_token", M_TOKEN)
    return acc


def m_conn(account: Account, store: SecretStore) -> Any:
    return make_mastodon(account, store, session=requests.Session(), timeout=(2.0, 2.0))


def test_mastodon_counts(m_account: Account, store: SecretStore,
                         mastodon: MastodonServer) -> None:
    conn = m_conn(m_account, store)
    published = conn.publish(post())
    mastodon.set_counts(published.remote_id, favourites=12, reblogs=4, replies=3)
    m = conn.metrics(published.remote_id, published.url)
    assert m == PostMetrics(likes=12, reposts=4, replies=3)
    path = f"/api/v1/statuses/{published.remote_id}"
    assert mastodon.count("GET", path) == 1
    seen = next(r for r in mastodon.requests if r.path == path)
    assert seen.headers["Authorization"] == f"Bearer {M_TOKEN}"


def test_mastodon_counts_through_connector_for(m_account: Account, store: SecretStore,
                                               mastodon: MastodonServer) -> None:
    conn = connector_for(m_account, store, session=requests.Session())
    published = conn.publish(post(key="metricas-2"))
    mastodon.set_counts(published.remote_id, favourites=1)
    assert conn.metrics(published.remote_id).likes == 1


def test_mastodon_without_read_scope_is_unavailable(core: Curator, store: SecretStore,
                                                    mastodon: MastodonServer) -> None:
    writer = mastodon.add_token(username="lucia", scopes="write:statuses")
    acc = core.add_account("mastodon", name="Sólo escribe", api_base=mastodon.url)
    store.set(acc.id, "access_token", writer)
    conn = m_conn(acc, store)
    published = conn.publish(post())
    mastodon.set_counts(published.remote_id, favourites=7)
    m = conn.metrics(published.remote_id)
    assert (m.likes, m.reposts, m.replies) == (None, None, None)
    assert m.unavailable and "read:statuses" in m.unavailable
    assert conn.followers() is None  # no read:accounts either


def test_mastodon_deleted_post_is_permanent(m_account: Account, store: SecretStore,
                                            mastodon: MastodonServer) -> None:
    conn = m_conn(m_account, store)
    published = conn.publish(post())
    mastodon.delete_status(published.remote_id)
    e = failure_of(conn.metrics, published.remote_id)
    assert e.failure is Failure.PERMANENT and e.status == 404
    assert str(e) == "The post is no longer on Mastodon."


def test_mastodon_revoked_token_is_auth(m_account: Account, store: SecretStore,
                                        mastodon: MastodonServer) -> None:
    conn = m_conn(m_account, store)
    published = conn.publish(post())
    mastodon.revoke(M_TOKEN)
    for call, args in ((conn.metrics, (published.remote_id,)), (conn.followers, ())):
        e = failure_of(call, *args)
        assert e.failure is Failure.AUTH and e.status == 401
        assert M_TOKEN not in str(e)


def test_mastodon_rate_limit_is_retryable(m_account: Account, store: SecretStore,
                                          mastodon: MastodonServer) -> None:
    conn = m_conn(m_account, store)
    published = conn.publish(post())
    mastodon.exhaust_rate_limit(M_TOKEN)
    e = failure_of(conn.metrics, published.remote_id)
    assert e.failure is Failure.RETRYABLE and e.status == 429
    assert e.retry_after is not None and 0 <= e.retry_after <= 300


def test_mastodon_scheduled_post_has_no_counts_yet(m_account: Account, store: SecretStore,
                                                   mastodon: MastodonServer) -> None:
    conn = m_conn(m_account, store)
    before = len(mastodon.requests)
    m = conn.metrics("scheduled:3221")
    assert m.unavailable and "schedule" in m.unavailable and m.likes is None
    e = failure_of(conn.metrics, "../accounts/1")
    assert e.failure is Failure.PERMANENT
    assert len(mastodon.requests) == before  # neither asked the server


def test_mastodon_followers(m_account: Account, store: SecretStore,
                            mastodon: MastodonServer) -> None:
    mastodon.followers["lucia"] = 1234
    assert m_conn(m_account, store).followers() == 1234
    assert mastodon.count("GET", "/api/v1/accounts/verify_credentials") == 1


# ---- X ----------------------------------------------------------------------------------

@pytest.fixture
def xapi() -> Iterator[XServer]:
    srv = XServer().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def x_account(core: Curator, xapi: XServer, store: SecretStore) -> Account:
    acc = core.add_account("x", name="Lucía en X", api_base=xapi.url)
    xapi.add_token(X_TOKEN, refresh_token=X_REFRESH)
    oauth.store_tokens(store, acc.id, oauth.Tokens(
        X_TOKEN, X_REFRESH, datetime.now(UTC) + timedelta(hours=2)), client_id=X_CLIENT)
    return acc


def x_conn(account: Account, store: SecretStore) -> Any:
    return make_x(account, store, session=requests.Session(), timeout=(2.0, 2.0))


def test_x_public_metrics(x_account: Account, store: SecretStore, xapi: XServer) -> None:
    conn = x_conn(x_account, store)
    published = conn.publish(post())
    xapi.set_metrics(published.remote_id, like_count=21, retweet_count=5, reply_count=8,
                     quote_count=2, impression_count=1540)
    m = conn.metrics(published.remote_id, published.url)
    assert m == PostMetrics(likes=21, reposts=5, replies=8, quotes=2, impressions=1540)
    assert xapi.count("GET", f"/2/tweets/{published.remote_id}") == 1
    assert xapi.tweets[0].text == TEXTO


def test_x_plan_without_reads_is_unavailable(x_account: Account, store: SecretStore,
                                             xapi: XServer) -> None:
    conn = x_conn(x_account, store)
    published = conn.publish(post())
    xapi.set_metrics(published.remote_id, like_count=9)
    xapi.read_access = False
    m = conn.metrics(published.remote_id)
    assert (m.likes, m.reposts, m.replies, m.quotes, m.impressions) == (None,) * 5
    assert m.unavailable == ("X does not let this app read the post's counts: its API plan "
                             'does not include reading posts (X answered "Client Forbidden").')
    assert conn.followers() is None


def test_x_token_without_read_scope_is_unavailable(core: Curator, store: SecretStore,
                                                   xapi: XServer) -> None:
    acc = core.add_account("x", name="Sólo publica", api_base=xapi.url)
    writer = xapi.add_token(scopes="tweet.write users.read")
    oauth.store_tokens(store, acc.id, oauth.Tokens(writer, None, None), client_id=X_CLIENT)
    conn = x_conn(acc, store)
    published = conn.publish(post())
    m = conn.metrics(published.remote_id)
    assert m.likes is None and m.unavailable and "tweet.read" in m.unavailable
    assert "plan" not in m.unavailable  # the sign-in's scope, not the app's plan


def test_x_deleted_post_is_permanent(x_account: Account, store: SecretStore,
                                     xapi: XServer) -> None:
    conn = x_conn(x_account, store)
    published = conn.publish(post())
    xapi.delete_tweet(published.remote_id)
    e = failure_of(conn.metrics, published.remote_id)
    assert e.failure is Failure.PERMANENT and str(e) == "The post is no longer on X."


def test_x_refreshes_like_publish_then_auth(x_account: Account, store: SecretStore,
                                            xapi: XServer) -> None:
    conn = x_conn(x_account, store)
    published = conn.publish(post())
    xapi.set_metrics(published.remote_id, like_count=3)
    xapi.revoke(X_TOKEN)  # revoked early: one refresh, as publish() does
    assert conn.metrics(published.remote_id).likes == 3
    assert store.get(x_account.id, "access_token") != X_TOKEN
    assert len(xapi.token_requests) == 1
    xapi.revoke(str(store.get(x_account.id, "access_token")))
    store.delete(x_account.id, "refresh_token")  # nothing left to renew with
    e = failure_of(conn.metrics, published.remote_id)
    assert e.failure is Failure.AUTH and e.status == 401


def test_x_rate_limit_is_retryable(x_account: Account, store: SecretStore,
                                   xapi: XServer) -> None:
    conn = x_conn(x_account, store)
    published = conn.publish(post())
    xapi.exhaust_rate_limit(X_TOKEN, "/2/tweets/:id")
    e = failure_of(conn.metrics, published.remote_id)
    assert e.failure is Failure.RETRYABLE and e.status == 429
    assert e.retry_after is not None and 0 < e.retry_after <= 900


def test_x_followers(x_account: Account, store: SecretStore, xapi: XServer) -> None:
    xapi.followers[xapi.sign_in_user] = 4321
    assert x_conn(x_account, store).followers() == 4321
    e = failure_of(x_conn(x_account, store).metrics, "1/../../users/me")
    assert e.failure is Failure.PERMANENT


# ---- LinkedIn ---------------------------------------------------------------------------

@pytest.fixture
def linkedin() -> Iterator[LinkedInServer]:
    srv = LinkedInServer().start()
    try:
        yield srv
    finally:
        srv.stop()


def li_account(core: Curator, linkedin: LinkedInServer, store: SecretStore, *,
               read_posts: bool) -> Account:
    linkedin.add_token(LI_TOKEN, read_posts=read_posts)
    acc = core.add_account("linkedin", name="Lucía en LinkedIn", api_base=linkedin.url)
    store.set(acc.id, "access_token", LI_TOKEN)
    return acc


def li_conn(account: Account, store: SecretStore) -> Any:
    return make_linkedin(account, store, session=requests.Session(), timeout=(2.0, 2.0))


def test_linkedin_social_actions(core: Curator, store: SecretStore,
                                 linkedin: LinkedInServer) -> None:
    conn = li_conn(li_account(core, linkedin, store, read_posts=True), store)
    published = conn.publish(post())
    linkedin.set_social(published.remote_id, likes=15, comments=6, first_level_comments=4)
    m = conn.metrics(published.remote_id, published.url)
    assert m == PostMetrics(likes=15, reposts=None, replies=6)
    encoded = "/rest/socialActions/" + published.remote_id.replace(":", "%3A")
    assert linkedin.count("GET", encoded) == 1
    assert linkedin.posts[0].text == TEXTO


def test_linkedin_without_r_member_social_is_unavailable(core: Curator, store: SecretStore,
                                                         linkedin: LinkedInServer) -> None:
    conn = li_conn(li_account(core, linkedin, store, read_posts=False), store)
    published = conn.publish(post())
    linkedin.set_social(published.remote_id, likes=15)
    m = conn.metrics(published.remote_id)
    assert (m.likes, m.reposts, m.replies) == (None, None, None)
    assert m.unavailable and "r_member_social" in m.unavailable


def test_linkedin_deleted_post_is_permanent(core: Curator, store: SecretStore,
                                            linkedin: LinkedInServer) -> None:
    conn = li_conn(li_account(core, linkedin, store, read_posts=True), store)
    published = conn.publish(post())
    linkedin.delete_post(published.remote_id)
    e = failure_of(conn.metrics, published.remote_id)
    assert e.failure is Failure.PERMANENT and e.status == 404
    assert str(e) == "The post is no longer on LinkedIn."


def test_linkedin_expired_token_and_rate_limit(core: Curator, store: SecretStore,
                                               linkedin: LinkedInServer) -> None:
    conn = li_conn(li_account(core, linkedin, store, read_posts=True), store)
    published = conn.publish(post())
    linkedin.rate_limit(1, retry_after=90)
    e = failure_of(conn.metrics, published.remote_id)
    assert e.failure is Failure.RETRYABLE and e.retry_after == 90
    linkedin.expire(LI_TOKEN)
    e = failure_of(conn.metrics, published.remote_id)
    assert e.failure is Failure.AUTH and e.status == 401 and LI_TOKEN not in str(e)


def test_linkedin_followers_unknown_without_asking(core: Curator, store: SecretStore,
                                                   linkedin: LinkedInServer) -> None:
    conn = li_conn(li_account(core, linkedin, store, read_posts=True), store)
    assert conn.followers() is None
    assert linkedin.requests == []


# ---- webhook ----------------------------------------------------------------------------

def test_webhook_cannot_report(core: Curator) -> None:
    acc = core.add_account("webhook", name="Mi webhook", api_base="http://127.0.0.1:9/gancho")
    conn = connector_for(acc, None)
    m = conn.metrics("clave-1")
    assert m == PostMetrics.not_available("A webhook cannot report engagement.")
    assert conn.followers() is None  # and no request: port 9 would refuse it


# ---- Bluesky (the reference PDS + the local AppView) ------------------------------------

from test_bluesky import pds  # noqa: E402,F401  (the PDS fixture: one real server)


@pytest.fixture
def appview() -> Iterator[BlueskyAppView]:
    srv = BlueskyAppView().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def b_account(core: Curator, store: SecretStore, pds: str) -> Account:  # noqa: F811
    acc = core.add_account("bluesky", name="Alicia en Bluesky", handle="alice.test",
                           api_base=pds)
    store.set(acc.id, "app_password", "alice-pass")
    return acc


def b_conn(account: Account, store: SecretStore, appview: BlueskyAppView) -> BlueskyConnector:
    return make_bluesky(account, store, session=requests.Session(), timeout=(5.0, 20.0),
                        appview=appview.url)


def _published_on_appview(conn: BlueskyConnector, store: SecretStore, account: Account,
                          appview: BlueskyAppView, **counts: Any) -> str:
    """Publish TEXTO on the PDS and let the AppView 'index' it with these counts."""
    uri = conn.publish(post(f"{TEXTO} {time.time_ns()}")).remote_id
    did = json.loads(store.get(account.id, "session") or "{}")["did"]
    appview.add_profile(did, "alice.test", display_name="Alicia")
    appview.add_post(uri, TEXTO, **counts)
    return uri


def test_bluesky_default_appview_is_the_public_one(b_account: Account,
                                                   store: SecretStore) -> None:
    conn = make_bluesky(b_account, store)
    assert conn.appview == DEFAULT_APPVIEW == "https://public.api.bsky.app"


def test_bluesky_counts_from_the_appview(b_account: Account, store: SecretStore,
                                         appview: BlueskyAppView) -> None:
    conn = b_conn(b_account, store, appview)
    uri = _published_on_appview(conn, store, b_account, appview, likes=31, reposts=7,
                                replies=5, quotes=2)
    m = conn.metrics(uri)
    assert m == PostMetrics(likes=31, reposts=7, replies=5, quotes=2, impressions=None)
    assert appview.count("app.bsky.feed.getPosts") == 1
    seen = appview.requests[-1]
    assert seen.query["uris"] == [uri]
    # The PDS session stays with the PDS: the AppView got no token at all.
    assert all("Authorization" not in r.headers for r in appview.requests)


def test_bluesky_deleted_post_is_permanent(b_account: Account, store: SecretStore,
                                           appview: BlueskyAppView) -> None:
    conn = b_conn(b_account, store, appview)
    uri = _published_on_appview(conn, store, b_account, appview, likes=1)
    appview.delete_post(uri)
    e = failure_of(conn.metrics, uri)
    assert e.failure is Failure.PERMANENT and str(e) == "The post is no longer on Bluesky."
    e = failure_of(conn.metrics, "https://bsky.app/profile/alice.test/post/3k")
    assert e.failure is Failure.PERMANENT


def test_bluesky_refreshes_the_session_like_publish(b_account: Account, store: SecretStore,
                                                    appview: BlueskyAppView) -> None:
    conn = b_conn(b_account, store, appview)
    uri = _published_on_appview(conn, store, b_account, appview, likes=4)
    cached = json.loads(store.get(b_account.id, "session") or "{}")
    cached["accessJwt"] = cached["accessJwt"][:-6] + "AAAAAA"  # a bad signature
    store.set(b_account.id, "session", json.dumps(cached))
    store.delete(b_account.id, "app_password")  # refreshSession must do it
    assert conn.metrics(uri).likes == 4
    after = json.loads(store.get(b_account.id, "session") or "{}")
    assert after["accessJwt"] != cached["accessJwt"]


def test_bluesky_wrong_password_is_auth(b_account: Account, store: SecretStore,
                                        appview: BlueskyAppView) -> None:
    store.set(b_account.id, "app_password", "contraseña-mala")
    store.delete(b_account.id, "session")
    conn = b_conn(b_account, store, appview)
    e = failure_of(conn.metrics, "at://did:plc:abc/app.bsky.feed.post/3kabc")
    assert e.failure is Failure.AUTH and "contraseña-mala" not in str(e)
    assert failure_of(conn.followers).failure is Failure.AUTH
    assert appview.requests == []


def test_bluesky_appview_rate_limit_is_retryable(b_account: Account, store: SecretStore,
                                                 appview: BlueskyAppView) -> None:
    conn = b_conn(b_account, store, appview)
    uri = _published_on_appview(conn, store, b_account, appview)
    appview.rate_limit(1)
    e = failure_of(conn.metrics, uri)
    assert e.failure is Failure.RETRYABLE and e.status == 429
    assert e.retry_after is not None and 250 <= e.retry_after <= 300


def test_bluesky_followers(b_account: Account, store: SecretStore,
                           appview: BlueskyAppView) -> None:
    conn = b_conn(b_account, store, appview)
    conn.verify()
    did = json.loads(store.get(b_account.id, "session") or "{}")["did"]
    appview.add_profile(did, "alice.test", followers=321)
    assert conn.followers() == 321
    assert appview.requests[-1].query["actor"] == [did]
