"""curator.signin and `curator accounts connect`: the browser sign-in of X, Mastodon and
LinkedIn against strict local servers (tests/xserver.py, tests/mastodonserver.py,
tests/linkedinserver.py plus a minimal LinkedIn OAuth handler here), with the browser
replaced by requests. Tokens go to the real OS keyring that scripts/test.sh starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from linkedinserver import LinkedInServer
from mastodonserver import MastodonServer
from xserver import XServer

from curator import Curator
from curator._publishing import ACCOUNT_RECONNECT
from curator.errors import CuratorError
from curator.oauth import SignInCancelled, SignInTimeout
from curator.secrets import SecretStore
from curator.signin import LINKEDIN_SCOPES, endpoints, linkedin_authorize_url
from curator.types import Network

CLIENT_ID = "cliente-curator-123"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Curator]:
    c = Curator(tmp_path / "datos")
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


def browser(results: dict[str, Any]) -> Any:
    """Stands in for webbrowser.open: GETs the URL (following the redirect to the loopback
    listener) in the background, and returns at once as a browser does."""

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


# ---- X ---------------------------------------------------------------------------------------


def test_x_sign_in_stores_tokens_fills_handle_and_clears_reconnect(
        core: Curator, store: SecretStore) -> None:
    with XServer() as srv:
        acc = core.add_account("x", name="Lucía en X", api_base=srv.url)
        core.publisher.set_account_state(acc.id, ACCOUNT_RECONNECT)
        assert core.account_needs_reconnect(acc.id)
        results: dict[str, Any] = {}
        handle = core.connect_account(acc.name, client_id=CLIENT_ID,
                                      open_browser=browser(results), timeout=10,
                                      redirect_port=0)
        assert handle == "lucia_garcia"
        assert core.get_account(acc.id).handle == "lucia_garcia"
        assert not core.account_needs_reconnect(acc.id)
        access = store.get(acc.id, "access_token")
        assert access and srv.valid_token(access)
        assert store.get(acc.id, "refresh_token")
        session = json.loads(store.get(acc.id, "session") or "{}")
        assert session["client_id"] == CLIENT_ID and session["expires_at"]
        assert store.get(acc.id, "client_secret") is None  # a public client
        asked = srv.authorize_requests[-1]
        assert urlsplit(results["url"]).path == "/i/oauth2/authorize"
        assert set(asked["scope"].split()) == {"tweet.read", "tweet.write", "users.read",
                                               "offline.access"}
        assert asked["code_challenge_method"] == "S256"
        assert results["page"].status_code == 200
        # The client id is remembered: a reconnect needs no --client-id.
        assert core.connect_account(acc.id, open_browser=browser({}), timeout=10,
                                    redirect_port=0) == "lucia_garcia"
        # The secrets are only in the keyring, never in the database.
        for path in core.data_dir.iterdir():
            if path.is_file():
                assert access.encode() not in path.read_bytes(), path


def test_x_declined_stores_nothing(core: Curator, store: SecretStore) -> None:
    with XServer() as srv:
        srv.deny_next()
        acc = core.add_account("x", name="X", api_base=srv.url)
        with pytest.raises(SignInCancelled, match="declined"):
            core.connect_account(acc.id, client_id=CLIENT_ID, open_browser=browser({}),
                                 timeout=10, redirect_port=0)
        assert store.kinds(acc.id) == []
        assert srv.token_requests == []
        assert core.get_account(acc.id).handle is None


def test_x_needs_a_client_id_and_times_out_clearly(core: Curator, store: SecretStore) -> None:
    with XServer() as srv:
        acc = core.add_account("x", name="X", api_base=srv.url)
        with pytest.raises(CuratorError, match="client id"):
            core.connect_account(acc.id, open_browser=browser({}), redirect_port=0)
        with pytest.raises(SignInTimeout, match="in time"):
            core.connect_account(acc.id, client_id=CLIENT_ID, open_browser=lambda url: True,
                                 timeout=0.5, redirect_port=0)
        assert store.kinds(acc.id) == []


def never_answers(cancel: threading.Event, after: float = 0.2) -> Any:
    """A browser the user never signs in with: the user presses Cancel after `after` s."""

    def open_browser(url: str) -> bool:
        threading.Timer(after, cancel.set).start()
        return True

    return open_browser


def test_cancel_stops_a_waiting_sign_in_and_stores_nothing(core: Curator,
                                                           store: SecretStore) -> None:
    with XServer() as srv:
        acc = core.add_account("x", name="Lucía en X", api_base=srv.url)
        core.publisher.set_account_state(acc.id, ACCOUNT_RECONNECT)
        cancel = threading.Event()
        started = time.monotonic()
        with pytest.raises(SignInCancelled, match="^Sign-in cancelled.$"):
            core.connect_account(acc.id, client_id=CLIENT_ID, client_secret="secreto-ñ",
                                 open_browser=never_answers(cancel), timeout=60,
                                 redirect_port=0, cancel=cancel)
        assert time.monotonic() - started < 1.5  # not the 60 s timeout
        assert store.kinds(acc.id) == []  # not even the client secret
        assert srv.token_requests == []
        assert core.account_needs_reconnect(acc.id)  # still: nothing was fixed
        assert core.get_account(acc.id).handle is None
        # The listener is gone: the same port is free for the next sign-in at once.
        again = threading.Event()
        again.set()
        with pytest.raises(SignInCancelled):  # cancelled before any browser opens
            core.connect_account(acc.id, client_id=CLIENT_ID, open_browser=browser({}),
                                 redirect_port=0, cancel=again)
        assert srv.authorize_requests == []


def test_cancel_during_a_mastodon_sign_in_keeps_no_secret(core: Curator,
                                                          store: SecretStore) -> None:
    with MastodonServer() as srv:
        acc = core.add_account("mastodon", name="M", api_base=srv.url)
        cancel = threading.Event()
        with pytest.raises(SignInCancelled, match="cancelled"):
            core.connect_account(acc.id, open_browser=never_answers(cancel), timeout=60,
                                 cancel=cancel)
        assert len(srv.apps) == 1  # registered, but its secret is not kept
        assert store.kinds(acc.id) == [] and srv.token_requests == []


def test_endpoints_default_to_the_real_hosts_and_follow_api_base(core: Curator) -> None:
    x = core.add_account("x", name="X real")
    assert endpoints(x, {}) == ("https://x.com/i/oauth2/authorize",
                                "https://api.x.com/2/oauth2/token")
    li = core.add_account("linkedin", name="LinkedIn real")
    assert endpoints(li, {}) == ("https://www.linkedin.com/oauth/v2/authorization",
                                 "https://www.linkedin.com/oauth/v2/accessToken")
    assert endpoints(li, {"CURATOR_LINKEDIN_AUTHORIZE_URL": "http://127.0.0.1:1/a"})[0] \
        == "http://127.0.0.1:1/a"
    m = core.add_account("mastodon", name="M", api_base="https://mastodon.example")
    assert endpoints(m, {}) == ("https://mastodon.example/oauth/authorize",
                                "https://mastodon.example/oauth/token")
    bsky = core.add_account("bluesky", name="B")
    assert bsky.network is Network.BLUESKY
    with pytest.raises(CuratorError, match="not available for bluesky"):
        endpoints(bsky, {})


# ---- Mastodon --------------------------------------------------------------------------------


def test_mastodon_registers_the_app_then_signs_in(core: Curator, store: SecretStore) -> None:
    with MastodonServer() as srv:
        acc = core.add_account("mastodon", name="Lucía en Mastodon", api_base=srv.url)
        results: dict[str, Any] = {}
        assert core.connect_account(acc.id, open_browser=browser(results),
                                    timeout=10) == "lucia"
        assert len(srv.apps) == 1
        app = srv.apps[0]
        assert app["scopes"] == ["read:accounts", "read:statuses", "write:statuses"]
        assert app["redirect_uri"].startswith("http://127.0.0.1:")
        assert store.get(acc.id, "client_secret") == app["client_secret"]
        session = json.loads(store.get(acc.id, "session") or "{}")
        assert session["mastodon_app"]["client_id"] == app["client_id"]
        assert app["client_secret"] not in json.dumps(session)
        token = store.get(acc.id, "access_token")
        assert token and token in srv._users
        assert srv.token_requests[-1]["code_verifier"]
        assert core.get_account(acc.id).handle == "lucia"
        # Reconnecting reuses the registered app (its port is free again).
        assert core.connect_account(acc.id, open_browser=browser({}), timeout=10) == "lucia"
        assert len(srv.apps) == 1


def test_mastodon_code_is_single_use_and_redirect_must_match(core: Curator,
                                                              store: SecretStore) -> None:
    with MastodonServer() as srv:
        acc = core.add_account("mastodon", name="M", api_base=srv.url)
        core.connect_account(acc.id, open_browser=browser({}), timeout=10)
        app = srv.apps[0]
        # A redirect URI the app did not register is refused on the authorize page.
        r = requests.get(srv.url + "/oauth/authorize?" + urlencode({
            "response_type": "code", "client_id": app["client_id"], "state": "s",
            "redirect_uri": "http://127.0.0.1:1/otro", "scope": "read:accounts"}),
            allow_redirects=False, timeout=5)
        assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri"
        r = requests.get(srv.url + "/oauth/authorize?" + urlencode({
            "response_type": "code", "client_id": app["client_id"], "state": "s",
            "redirect_uri": app["redirect_uri"], "scope": "read:accounts"}),
            allow_redirects=False, timeout=5)
        code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code,
                "client_id": app["client_id"], "client_secret": "no-es-el-secreto",
                "redirect_uri": app["redirect_uri"]}
        assert requests.post(srv.url + "/oauth/token", data=form, timeout=5).status_code == 401
        form["client_secret"] = app["client_secret"]
        assert requests.post(srv.url + "/oauth/token", data=form, timeout=5).status_code == 200
        again = requests.post(srv.url + "/oauth/token", data=form, timeout=5)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_mastodon_denied_stores_nothing(core: Curator, store: SecretStore) -> None:
    with MastodonServer() as srv:
        srv.deny_next()
        acc = core.add_account("mastodon", name="M", api_base=srv.url)
        core.publisher.set_account_state(acc.id, ACCOUNT_RECONNECT)
        with pytest.raises(SignInCancelled, match="not connected"):
            core.connect_account(acc.id, open_browser=browser({}), timeout=10)
        assert store.kinds(acc.id) == []
        assert srv.token_requests == []
        assert core.account_needs_reconnect(acc.id)


def test_cli_connect_mastodon_without_browser(tmp_path: Path, core: Curator,
                                              store: SecretStore) -> None:
    with MastodonServer() as srv:
        acc = core.add_account("mastodon", name="Lucía", api_base=srv.url)
        env = dict(os.environ, PYTHONPATH=str(REPO), NO_PROXY="127.0.0.1,localhost")
        proc = subprocess.Popen(
            [sys.executable, "-m", "curator", "accounts", "connect", "Lucía", "--no-browser",
             "--data-dir", str(core.data_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
        try:
            assert proc.stdout is not None
            lines = []
            url = None
            while url is None:
                line = proc.stdout.readline()
                assert line, "the CLI ended before printing the address"
                lines.append(line)
                if line.startswith("http://127.0.0.1:"):
                    url = line.strip()
            page = requests.get(url, timeout=10)  # the user's browser, in effect
            assert page.status_code == 200
            rest, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        out = "".join(lines) + rest
        assert proc.returncode == 0, err
        assert "Signed in as lucia." in out
        assert "/oauth/authorize?" in out
        token = store.get(acc.id, "access_token")
        assert token and token not in out and token not in err
        secret = store.get(acc.id, "client_secret")
        assert secret and secret not in out and secret not in err


# ---- LinkedIn (its OAuth host is www.linkedin.com: a minimal stand-in here) -------------------


class _LinkedInOAuth:
    """``GET /oauth/v2/authorization`` (approves at once, 302 to ``redirect_uri``) and ``POST
    /oauth/v2/accessToken`` (form: ``grant_type``, ``code``, ``client_id``,
    ``client_secret``, ``redirect_uri``), issuing tokens the LinkedIn API server knows."""

    def __init__(self, api: LinkedInServer, client_id: str, client_secret: str):
        self.api, self.client_id, self.client_secret = api, client_id, client_secret
        self.codes: dict[str, str] = {}
        self.token_forms: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                q = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                ok = (q.get("client_id") == owner.client_id and q.get("response_type") == "code"
                      and q.get("state") and q.get("redirect_uri", "").startswith(
                          "http://127.0.0.1:"))
                if not ok:
                    self._send(400, {"error": "invalid_request"})
                    return
                code = f"código-{len(owner.codes)}"
                owner.codes[code] = q["redirect_uri"]
                self.send_response(302)
                self.send_header("Location", q["redirect_uri"] + "?" + urlencode(
                    {"code": code, "state": q["state"]}))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                owner.token_forms.append(form)
                redirect = owner.codes.pop(form.get("code", ""), None)
                if (form.get("client_id") != owner.client_id
                        or form.get("client_secret") != owner.client_secret):
                    self._send(401, {"error": "invalid_client",
                                     "error_description": "Client authentication failed"})
                elif redirect is None or redirect != form.get("redirect_uri") \
                        or form.get("grant_type") != "authorization_code":
                    self._send(400, {"error": "invalid_request",
                                     "error_description": "Unable to retrieve access token"})
                else:
                    token = owner.api.add_token(f"AQV-token-{len(owner.token_forms)}")
                    self._send(200, {"access_token": token, "expires_in": 5183999,
                                     "scope": "email,openid,profile,w_member_social"})

            def _send(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_linkedin_authorize_url() -> None:
    url = linkedin_authorize_url("https://www.linkedin.com/oauth/v2/authorization", "77abc",
                                 "http://127.0.0.1:8421/callback", LINKEDIN_SCOPES, "estado")
    parts = urlsplit(url)
    assert parts.netloc == "www.linkedin.com" and parts.path == "/oauth/v2/authorization"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "response_type": "code", "client_id": "77abc", "state": "estado",
        "redirect_uri": "http://127.0.0.1:8421/callback",
        "scope": "openid profile w_member_social"}
    assert "+" not in parts.query


def test_linkedin_sign_in_with_client_secret(core: Curator, store: SecretStore,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with LinkedInServer() as api:
        auth = _LinkedInOAuth(api, "77abc", "secreto-de-la-app")
        try:
            monkeypatch.setenv("CURATOR_LINKEDIN_AUTHORIZE_URL",
                               auth.url + "/oauth/v2/authorization")
            monkeypatch.setenv("CURATOR_LINKEDIN_TOKEN_URL", auth.url + "/oauth/v2/accessToken")
            acc = core.add_account("linkedin", name="Lucía en LinkedIn", api_base=api.url)
            with pytest.raises(CuratorError, match="client secret"):
                core.connect_account(acc.id, client_id="77abc", open_browser=browser({}),
                                     redirect_port=0)
            handle = core.connect_account(acc.id, client_id="77abc",
                                          client_secret="secreto-de-la-app",
                                          open_browser=browser({}), timeout=10,
                                          redirect_port=0)
            assert handle == "lucia@ejemplo.es"
            assert store.get(acc.id, "access_token") == "AQV-token-1"
            assert store.get(acc.id, "client_secret") == "secreto-de-la-app"
            session = json.loads(store.get(acc.id, "session") or "{}")
            assert session["client_id"] == "77abc" and session["expires_at"]
            form = auth.token_forms[-1]
            assert form["client_secret"] == "secreto-de-la-app"
            assert form["redirect_uri"].startswith("http://127.0.0.1:")
            # The remembered id and secret are enough to reconnect.
            assert core.connect_account(acc.id, open_browser=browser({}), timeout=10,
                                        redirect_port=0) == "lucia@ejemplo.es"
        finally:
            auth.stop()
