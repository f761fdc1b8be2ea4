"""curator.oauth: PKCE, the one-shot loopback redirect, and a whole sign-in against the strict
local X server (tests/xserver.py), with the browser replaced by requests."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from xserver import XServer

from curator import oauth
from curator.connectors.x import SCOPES, oauth_config

CLIENT_ID = "cliente-curator-123"


@pytest.fixture
def server() -> Iterator[XServer]:
    srv = XServer().start()
    try:
        yield srv
    finally:
        srv.stop()


# ---- PKCE (RFC 7636) ------------------------------------------------------------------------


def test_pkce_pair_is_s256_of_an_unreserved_verifier() -> None:
    seen = set()
    for length in (43, 64, 128):
        verifier, challenge = oauth.pkce_pair(length)
        assert len(verifier) == length
        assert re.fullmatch(r"[A-Za-z0-9\-._~]+", verifier)
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        assert challenge == expected.rstrip(b"=").decode()
        assert "=" not in challenge and len(challenge) == 43
        seen.add(verifier)
    assert len(seen) == 3
    with pytest.raises(ValueError):
        oauth.pkce_pair(42)
    with pytest.raises(ValueError):
        oauth.pkce_pair(129)


def test_rfc7636_appendix_b_example() -> None:
    # RFC 7636 Appendix B: the worked S256 example.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_authorize_url_carries_every_parameter() -> None:
    url = oauth.authorize_url("https://x.com/i/oauth2/authorize", CLIENT_ID,
                              "http://127.0.0.1:5000/callback", ["tweet.read", "tweet.write"],
                              "estado-ñ", "reto", {"prompt": "consent"})
    parts = urlsplit(url)
    assert parts.netloc == "x.com" and parts.path == "/i/oauth2/authorize"
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q == {"response_type": "code", "client_id": CLIENT_ID,
                 "redirect_uri": "http://127.0.0.1:5000/callback",
                 "scope": "tweet.read tweet.write", "state": "estado-ñ",
                 "code_challenge": "reto", "code_challenge_method": "S256",
                 "prompt": "consent"}
    assert "+" not in parts.query  # spaces as %20


# ---- the loopback listener (RFC 8252 §7.3) --------------------------------------------------


def _get_later(url: str, out: dict[str, Any], delay: float = 0.05) -> threading.Thread:
    def run() -> None:
        threading.Event().wait(delay)
        try:
            out["resp"] = requests.get(url, timeout=5)
        except requests.RequestException as e:
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_loopback_returns_code_and_closes_after_one_request() -> None:
    lr = oauth.LoopbackRedirect("estado-correcto")
    uri = lr.redirect_uri
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", uri)
    assert lr.port != 0
    out: dict[str, Any] = {}
    t = _get_later(uri + "?code=código-1&state=estado-correcto", out)
    assert lr.wait(5) == ("código-1", "estado-correcto")
    t.join(5)
    assert out["resp"].status_code == 200
    assert "You can close this tab" in out["resp"].text
    assert out["resp"].headers["Cache-Control"] == "no-store"
    # One-shot: the port is closed now.
    with pytest.raises(requests.ConnectionError):
        requests.get(uri + "?code=otro&state=estado-correcto", timeout=2)


def test_loopback_ignores_other_paths_until_the_redirect() -> None:
    with oauth.LoopbackRedirect("s1") as lr:
        favicon: dict[str, Any] = {}
        redirect: dict[str, Any] = {}
        t1 = _get_later(f"http://127.0.0.1:{lr.port}/favicon.ico", favicon, 0.02)
        t2 = _get_later(lr.redirect_uri + "?code=abc&state=s1", redirect, 0.3)
        assert lr.wait(5) == ("abc", "s1")
        t1.join(5)
        t2.join(5)
        assert favicon["resp"].status_code == 404


def test_loopback_refuses_another_state() -> None:
    lr = oauth.LoopbackRedirect("el-nuestro")
    out: dict[str, Any] = {}
    t = _get_later(lr.redirect_uri + "?code=robado&state=el-de-otro", out)
    with pytest.raises(oauth.StateMismatchError, match="state did not match"):
        lr.wait(5)
    t.join(5)
    assert out["resp"].status_code == 400
    assert "does not belong to the sign-in" in out["resp"].text


def test_loopback_access_denied_is_a_clear_cancel() -> None:
    lr = oauth.LoopbackRedirect("s")
    out: dict[str, Any] = {}
    t = _get_later(lr.redirect_uri + "?error=access_denied&state=s", out)
    with pytest.raises(oauth.SignInCancelled, match="declined"):
        lr.wait(5)
    t.join(5)
    assert "You declined" in out["resp"].text


def test_loopback_times_out_and_releases_the_port() -> None:
    lr = oauth.LoopbackRedirect("s")
    uri = lr.redirect_uri
    with pytest.raises(oauth.SignInTimeout, match="in time"):
        lr.wait(0.3)
    with pytest.raises(requests.ConnectionError):
        requests.get(uri + "?code=tarde&state=s", timeout=2)


def test_loopback_cancel_stops_the_wait_within_a_second_and_closes_the_port() -> None:
    lr = oauth.LoopbackRedirect("s")
    uri = lr.redirect_uri
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(oauth.SignInCancelled, match="^Sign-in cancelled.$"):
        lr.wait(60, cancel)
    assert time.monotonic() - started < 1.0  # not the 60 s timeout
    with pytest.raises(requests.ConnectionError):
        requests.get(uri + "?code=tarde&state=s", timeout=2)


def test_loopback_already_cancelled_does_not_wait() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(oauth.SignInCancelled):
        oauth.LoopbackRedirect("s").wait(60, cancel)
    oauth.raise_if_cancelled(None)  # no event: never cancelled
    oauth.raise_if_cancelled(threading.Event())


# ---- a whole sign-in against the local X server ----------------------------------------------


def browser_via_requests(results: dict[str, Any]) -> Any:
    """Stands in for webbrowser.open: GETs the authorize URL and follows the redirect to the
    loopback listener, in the background (a browser returns at once too)."""

    def open_browser(url: str) -> bool:
        results["url"] = url

        def run() -> None:
            try:
                results["page"] = requests.get(url, timeout=10)
            except requests.RequestException as e:
                results["error"] = e

        threading.Thread(target=run, daemon=True).start()
        return True

    return open_browser


def test_sign_in_end_to_end_with_pkce(server: XServer) -> None:
    config = oauth_config(CLIENT_ID, api_base=server.url, authorize_endpoint=server.authorize_url)
    results: dict[str, Any] = {}
    before = datetime.now(UTC)
    tokens = oauth.sign_in(config, browser_via_requests(results), requests.Session())
    assert server.valid_token(tokens.access_token)
    assert tokens.refresh_token  # offline.access was asked for
    assert tokens.expires_at is not None
    assert timedelta(seconds=7100) < tokens.expires_at - before < timedelta(seconds=7300)
    assert set((tokens.scope or "").split()) == set(SCOPES)
    # What the server saw: S256 challenge on authorize, the verifier on the token request.
    asked = server.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256"
    exchange = server.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert oauth.s256_challenge(exchange["code_verifier"]) == asked["code_challenge"]
    assert exchange["redirect_uri"] == asked["redirect_uri"]
    assert results["page"].status_code == 200
    assert "You can close this tab" in results["page"].text
    # Secrets never in a repr.
    assert tokens.access_token not in repr(tokens)
    assert tokens.refresh_token not in repr(tokens)


def test_sign_in_declined_by_the_user(server: XServer) -> None:
    server.deny_next()
    config = oauth_config(CLIENT_ID, api_base=server.url, authorize_endpoint=server.authorize_url)
    with pytest.raises(oauth.SignInCancelled):
        oauth.sign_in(config, browser_via_requests({}), requests.Session())
    assert server.token_requests == []


def test_a_wrong_verifier_is_refused_by_the_token_endpoint(server: XServer) -> None:
    lr = oauth.LoopbackRedirect("s")
    _, challenge = oauth.pkce_pair()
    url = oauth.authorize_url(server.authorize_url, CLIENT_ID, lr.redirect_uri, SCOPES, "s",
                              challenge)
    out: dict[str, Any] = {}
    _get_later(url, out)
    code, _ = lr.wait(5)
    other_verifier, _ = oauth.pkce_pair()
    with pytest.raises(oauth.OAuthError, match="code verifier was invalid") as e:
        oauth.exchange_code(server.token_url, code, other_verifier, lr.redirect_uri, CLIENT_ID,
                            requests.Session())
    assert e.value.retryable is False and e.value.error == "invalid_request"


def test_refresh_rotates_and_old_refresh_token_stops_working(server: XServer) -> None:
    server.add_token("acceso-viejo", refresh_token="refresco-viejo")
    http = requests.Session()
    tokens = oauth.refresh(server.token_url, "refresco-viejo", CLIENT_ID, http)
    assert server.valid_token(tokens.access_token)
    assert tokens.refresh_token and tokens.refresh_token != "refresco-viejo"
    with pytest.raises(oauth.OAuthError) as e:
        oauth.refresh(server.token_url, "refresco-viejo", CLIENT_ID, http)
    assert not e.value.retryable
    assert "refresco-viejo" not in str(e.value)


def test_token_endpoint_down_is_retryable(server: XServer) -> None:
    server.fail_next("503")
    with pytest.raises(oauth.OAuthError) as e:
        oauth.refresh(server.token_url, "lo-que-sea", CLIENT_ID, requests.Session())
    assert e.value.retryable and e.value.status == 503
    with pytest.raises(oauth.OAuthError) as e2:
        oauth.refresh("http://127.0.0.1:9/2/oauth2/token", "x", CLIENT_ID, requests.Session(),
                      timeout=(1.0, 1.0))
    assert e2.value.retryable


def test_no_browser_is_a_clear_error(server: XServer) -> None:
    config = oauth_config(CLIENT_ID, api_base=server.url, authorize_endpoint=server.authorize_url)
    with pytest.raises(oauth.OAuthError, match="No web browser"):
        oauth.sign_in(config, lambda url: False, requests.Session())


def test_sign_in_cancelled_while_waiting_asks_for_no_token(server: XServer) -> None:
    config = oauth_config(CLIENT_ID, api_base=server.url, authorize_endpoint=server.authorize_url)
    cancel = threading.Event()
    opened: list[str] = []

    def open_browser(url: str) -> bool:  # the user never answers; then presses Cancel
        opened.append(url)
        threading.Timer(0.2, cancel.set).start()
        return True

    started = time.monotonic()
    with pytest.raises(oauth.SignInCancelled, match="cancelled"):
        oauth.sign_in(config, open_browser, requests.Session(), cancel=cancel)
    assert time.monotonic() - started < 1.5
    assert len(opened) == 1 and server.token_requests == []
