"""Connecting an account through the network's own sign-in page (``curator accounts
connect``, :meth:`curator.Curator.connect_account`).

Every flow is OAuth 2.0 authorization code with a one-shot loopback redirect on 127.0.0.1
(RFC 8252 §7.3, :class:`curator.oauth.LoopbackRedirect`), the system browser, and ``state``
checked. Tokens go to the OS keyring only; nothing is stored unless the whole flow worked.

- **X** (docs.x.com, "OAuth 2.0 Authorization Code Flow with PKCE"): the user's own X app
  (a "Native App" / public client; its client id from the developer portal), ``GET
  https://x.com/i/oauth2/authorize`` with PKCE, ``POST https://api.x.com/2/oauth2/token``;
  scopes ``tweet.read tweet.write users.read offline.access``. X matches the callback URL
  exactly: register ``http://127.0.0.1:8421/callback`` (or pass another ``redirect_port``).
  The client id is kept in the ``session`` JSON (curator.oauth.store_tokens) for refreshes.
- **LinkedIn** (learn.microsoft.com, "Authorization Code Flow (3-legged OAuth)"): ``GET
  https://www.linkedin.com/oauth/v2/authorization`` with ``response_type=code``,
  ``client_id``, ``redirect_uri``, ``state``, ``scope``; then ``POST
  https://www.linkedin.com/oauth/v2/accessToken`` (form data) with ``grant_type=
  authorization_code``, ``code``, ``client_id``, ``client_secret``, ``redirect_uri``. The
  answer has ``access_token`` and ``expires_in`` (60 days). Scopes ``openid profile
  w_member_social``. The client secret is kept in the keyring (kind ``client_secret``).
- **Mastodon** (docs.joinmastodon.org, methods/apps and methods/oauth): ``POST
  /api/v1/apps`` registers Curator on the instance with the loopback ``redirect_uris``;
  ``GET /oauth/authorize`` with ``response_type=code``, ``client_id``, ``redirect_uri``,
  ``scope``, ``state``, ``code_challenge`` and ``code_challenge_method=S256`` (4.3+; older
  servers ignore them); ``POST /oauth/token`` with ``grant_type=authorization_code``,
  ``code``, ``client_id``, ``client_secret``, ``redirect_uri``, ``code_verifier``. Scopes
  ``read:accounts write:statuses``. The app's ``client_id`` and ``redirect_uri`` are cached
  in the ``session`` JSON under ``mastodon_app`` (with the instance), its secret in the
  keyring (``client_secret``), and reused while the instance and the loopback port match.
  A pasted access token (``accounts edit --secret-stdin``) still works too.

Where the endpoints are: derived from the account's ``api_base``. For X and LinkedIn, whose
sign-in hosts differ from their API hosts, an account without ``api_base`` uses the real
hosts above; one with ``api_base`` (a test server, a proxy) uses ``<api_base>/i/oauth2/
authorize`` + ``<api_base>/2/oauth2/token`` (X) or ``<api_base>/oauth/v2/authorization`` +
``<api_base>/oauth/v2/accessToken`` (LinkedIn). The environment variables
``CURATOR_X_AUTHORIZE_URL``, ``CURATOR_X_TOKEN_URL``, ``CURATOR_LINKEDIN_AUTHORIZE_URL`` and
``CURATOR_LINKEDIN_TOKEN_URL`` override either.
"""

from __future__ import annotations

import json
import os
import threading
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from . import oauth
from .errors import CuratorError
from .types import Account, Network

REDIRECT_PORT = 8421  # X and LinkedIn: the port of the callback URL registered in the portal
X_SCOPES: tuple[str, ...] = ("tweet.read", "tweet.write", "users.read", "offline.access")
LINKEDIN_SCOPES: tuple[str, ...] = ("openid", "profile", "w_member_social")
# read:statuses: to find a scheduled status again after a lost answer (no Idempotency-Key there)
MASTODON_SCOPES = "read:accounts read:statuses write:statuses"
X_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
X_TOKEN_URL = "https://api.x.com/2/oauth2/token"
LINKEDIN_AUTHORIZE_URL = "https://www.linkedin.com/oauth/v2/authorization"
LINKEDIN_TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"
ENV = {
    "x_authorize": "CURATOR_X_AUTHORIZE_URL", "x_token": "CURATOR_X_TOKEN_URL",
    "linkedin_authorize": "CURATOR_LINKEDIN_AUTHORIZE_URL",
    "linkedin_token": "CURATOR_LINKEDIN_TOKEN_URL",
}

Opener = Callable[[str], Any]


def endpoints(account: Account, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``(authorize URL, token URL)`` for the account (see the module docstring)."""
    env = os.environ if env is None else env
    base = account.api_base.rstrip("/") if account.api_base else None
    if account.network is Network.X:
        auth = base + "/i/oauth2/authorize" if base else X_AUTHORIZE_URL
        token = base + "/2/oauth2/token" if base else X_TOKEN_URL
        return env.get(ENV["x_authorize"]) or auth, env.get(ENV["x_token"]) or token
    if account.network is Network.LINKEDIN:
        auth = base + "/oauth/v2/authorization" if base else LINKEDIN_AUTHORIZE_URL
        token = base + "/oauth/v2/accessToken" if base else LINKEDIN_TOKEN_URL
        return (env.get(ENV["linkedin_authorize"]) or auth,
                env.get(ENV["linkedin_token"]) or token)
    if account.network is Network.MASTODON:
        if not base:
            raise CuratorError(f"The account {account.name!r} has no Mastodon server address: "
                               "set one with curator accounts edit NAME --instance URL.")
        return base + "/oauth/authorize", base + "/oauth/token"
    raise CuratorError(f"Signing in through the browser is not available for "
                       f"{account.network.value}: give the account its secret with "
                       "curator accounts edit NAME --secret-stdin.")


def connect(account: Account, secrets: Any, *, client_id: str | None = None,
            client_secret: str | None = None, open_browser: Opener | None = None,
            timeout: float = oauth.SIGN_IN_TIMEOUT, session: Any = None,
            redirect_port: int | None = None, now: datetime | None = None,
            cancel: threading.Event | None = None) -> str:
    """Sign the account in through its network's page, store the tokens in the keyring,
    and return the handle the network reports (connector ``verify()``). Setting ``cancel``
    (from another thread) stops the wait for the browser within half a second.

    Raises:
        SignInCancelled, SignInTimeout, OAuthError, PublishError, CuratorError: one sentence;
        when raised before the token exchange succeeded, nothing was stored.
    """
    from .connectors import connector_for

    opener = open_browser if open_browser is not None else webbrowser.open
    http = session if session is not None else requests.Session()
    if account.network is Network.X:
        _connect_x(account, secrets, client_id, client_secret, opener, timeout, http,
                   REDIRECT_PORT if redirect_port is None else redirect_port, now, cancel)
    elif account.network is Network.LINKEDIN:
        _connect_linkedin(account, secrets, client_id, client_secret, opener, timeout, http,
                          REDIRECT_PORT if redirect_port is None else redirect_port, now,
                          cancel)
    elif account.network is Network.MASTODON:
        _connect_mastodon(account, secrets, opener, timeout, http, redirect_port or 0, cancel)
    else:
        endpoints(account)  # raises the "not available" sentence
    return connector_for(account, secrets, session=http).verify()


# ---- the pieces every flow shares ----------------------------------------------------------


def _listen(port: int) -> oauth.LoopbackRedirect:
    try:
        return oauth.LoopbackRedirect(oauth.new_state(), port=port)
    except oauth.OAuthError:
        raise oauth.OAuthError(
            f"Could not listen on 127.0.0.1 port {port} for the sign-in answer: is another "
            "sign-in running, or does another program use that port?") from None


def _wait_for_code(lr: oauth.LoopbackRedirect, url: str, opener: Opener,
                   timeout: float, cancel: threading.Event | None) -> str:
    oauth.raise_if_cancelled(cancel)  # no browser page for a sign-in already cancelled
    try:
        opened = opener(url)
    except (webbrowser.Error, OSError):
        opened = False
    if opened is False:
        raise oauth.OAuthError("No web browser could be opened for the sign-in: set a default "
                               "browser, or use --no-browser and open the address yourself.")
    code, _ = lr.wait(timeout, cancel)
    oauth.raise_if_cancelled(cancel)  # cancelled as the answer came: no token is asked for
    return code


def _with_query(endpoint: str, params: Mapping[str, str]) -> str:
    sep = "&" if urlsplit(endpoint).query else "?"
    return endpoint + sep + urlencode(params, quote_via=quote)  # spaces as %20


def _token(endpoint: str, form: dict[str, str], http: Any, client_id: str,
           basic_secret: str | None, now: datetime | None) -> oauth.Tokens:
    # curator.oauth's token request (error sentences, no secret in them), with the form as
    # each network documents it.
    return oauth._token_request(endpoint, form, http, client_id, basic_secret, now,
                                oauth.DEFAULT_TIMEOUT, previous_refresh=None)


def _session_json(secrets: Any, account_id: int) -> dict[str, Any]:
    try:
        data = json.loads(secrets.get(account_id, "session") or "{}")
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def _need_client_id(client_id: str | None, network: str, where: str) -> str:
    if not client_id or not client_id.strip():
        raise CuratorError(f"Signing in to {network} needs your own app's client id (from "
                           f"{where}): pass --client-id ID the first time.")
    return client_id.strip()


# ---- X -------------------------------------------------------------------------------------


def _connect_x(account: Account, secrets: Any, client_id: str | None,
               client_secret: str | None, opener: Opener, timeout: float, http: Any,
               port: int, now: datetime | None, cancel: threading.Event | None) -> None:
    _, stored_id = oauth.load_session(secrets, account.id)
    cid = _need_client_id(client_id or stored_id, "X", "the X developer portal")
    # A confidential client ("Web App" type) authenticates with HTTP Basic at the token
    # endpoint; a public one ("Native App") sends only its client_id.
    secret = client_secret or (secrets.get(account.id, "client_secret") if not client_id
                               else None)
    authorize, token = endpoints(account)
    verifier, challenge = oauth.pkce_pair()
    with _listen(port) as lr:
        url = oauth.authorize_url(authorize, cid, lr.redirect_uri, X_SCOPES, lr.state,
                                  challenge)
        code = _wait_for_code(lr, url, opener, timeout, cancel)
        redirect_uri = lr.redirect_uri
    tokens = oauth.exchange_code(token, code, verifier, redirect_uri, cid, http,
                                 client_secret=secret, now=now)
    if secret:
        secrets.set(account.id, "client_secret", secret)
    else:
        secrets.delete(account.id, "client_secret")
    oauth.store_tokens(secrets, account.id, tokens, client_id=cid)


# ---- LinkedIn ------------------------------------------------------------------------------


def _connect_linkedin(account: Account, secrets: Any, client_id: str | None,
                      client_secret: str | None, opener: Opener, timeout: float, http: Any,
                      port: int, now: datetime | None,
                      cancel: threading.Event | None) -> None:
    _, stored_id = oauth.load_session(secrets, account.id)
    cid = _need_client_id(client_id or stored_id, "LinkedIn", "the LinkedIn developer portal")
    secret = client_secret or secrets.get(account.id, "client_secret")
    if not secret:
        raise CuratorError("Signing in to LinkedIn needs your app's client secret (from the "
                           "LinkedIn developer portal): pass it with --client-secret-stdin.")
    authorize, token = endpoints(account)
    with _listen(port) as lr:
        url = linkedin_authorize_url(authorize, cid, lr.redirect_uri, LINKEDIN_SCOPES,
                                     lr.state)
        code = _wait_for_code(lr, url, opener, timeout, cancel)
        redirect_uri = lr.redirect_uri
    # LinkedIn's docs put client_id and client_secret in the form body, not HTTP Basic.
    tokens = _token(token, {"grant_type": "authorization_code", "code": code,
                            "client_id": cid, "client_secret": secret,
                            "redirect_uri": redirect_uri}, http, cid, None, now)
    secrets.set(account.id, "client_secret", secret)
    oauth.store_tokens(secrets, account.id, tokens, client_id=cid)


def linkedin_authorize_url(endpoint: str, client_id: str, redirect_uri: str,
                           scopes: Sequence[str], state: str) -> str:
    """LinkedIn's authorization URL: ``response_type=code``, ``client_id``,
    ``redirect_uri``, ``state``, ``scope`` (space separated). No PKCE: LinkedIn's 3-legged
    flow for web apps authenticates the code exchange with the client secret instead."""
    return _with_query(endpoint, {"response_type": "code", "client_id": client_id,
                                  "redirect_uri": redirect_uri, "state": state,
                                  "scope": " ".join(scopes)})


# ---- Mastodon ------------------------------------------------------------------------------


def _connect_mastodon(account: Account, secrets: Any, opener: Opener, timeout: float,
                      http: Any, port: int, cancel: threading.Event | None) -> None:
    from .connectors.mastodon import register_app

    authorize, token = endpoints(account)
    instance = (account.api_base or "").rstrip("/")
    cached = _session_json(secrets, account.id).get("mastodon_app")
    lr: oauth.LoopbackRedirect | None = None
    app: tuple[str, str, str] | None = None  # client_id, client_secret, redirect_uri
    if isinstance(cached, dict) and cached.get("instance") == instance:
        cid, uri = cached.get("client_id"), cached.get("redirect_uri")
        secret = secrets.get(account.id, "client_secret")
        cached_port = urlsplit(uri).port if isinstance(uri, str) else None
        if isinstance(cid, str) and secret and cached_port:
            try:  # the registered redirect URI names this port: reuse it when it is free
                lr = oauth.LoopbackRedirect(oauth.new_state(), port=cached_port)
                app = (cid, secret, lr.redirect_uri)
            except oauth.OAuthError:
                lr = None
    if lr is None or app is None:
        lr = _listen(port)
        try:
            cid, secret = register_app(instance, http, lr.redirect_uri, scopes=MASTODON_SCOPES)
        except BaseException:
            lr.close()
            raise
        app = (cid, secret, lr.redirect_uri)
    cid, secret, redirect_uri = app
    verifier, challenge = oauth.pkce_pair()
    with lr:
        url = oauth.authorize_url(authorize, cid, redirect_uri, MASTODON_SCOPES.split(),
                                  lr.state, challenge)
        code = _wait_for_code(lr, url, opener, timeout, cancel)
    tokens = _token(token, {"grant_type": "authorization_code", "code": code,
                            "client_id": cid, "client_secret": secret,
                            "redirect_uri": redirect_uri, "code_verifier": verifier,
                            "scope": MASTODON_SCOPES}, http, cid, None, None)
    secrets.set(account.id, "client_secret", secret)
    oauth.store_tokens(secrets, account.id, tokens, client_id=cid)
    data = _session_json(secrets, account.id)
    data["mastodon_app"] = {"instance": instance, "client_id": cid, "redirect_uri": redirect_uri,
                            "registered_at": datetime.now(UTC).isoformat(timespec="seconds")}
    secrets.set(account.id, "session", json.dumps(data))
