"""OAuth 2.0 sign-in for a desktop app: authorization code + PKCE, with a loopback redirect.

Used for X and LinkedIn (no Qt here; the UI runs :func:`sign_in` off its thread).

The flow, as RFC 8252 ("OAuth 2.0 for Native Apps") prescribes:

- §6: "Native apps MUST use an external user-agent to perform OAuth authorization
  requests" -- the system browser (``webbrowser.open``), never an embedded web view.
- §7.3, Loopback Interface Redirection: "Loopback redirect URIs use the "http" scheme and
  are constructed with the loopback IP literal and whatever port the client is listening
  on. That is, "http://127.0.0.1:{port}/{path}" for IPv4". "The native app SHOULD listen
  on the loopback network interface" and "that the client [...] open the port only when
  starting the authorization request and close it once the response is returned."
  :class:`LoopbackRedirect` is that one-shot listener, bound to 127.0.0.1 (§8.3: "It is
  RECOMMENDED that clients attempting to bind to the loopback interface use the IP
  literal rather than localhost"), on an ephemeral port unless the network insists on a
  registered one.
- §8.1: "Public native app clients MUST implement the Proof Key for Code Exchange (PKCE
  [RFC7636]) extension to OAuth" -- :func:`pkce_pair`.
- §8.9 and RFC 6749 §10.12: the ``state`` parameter ties the answer to this request; a
  redirect with another state is refused (it is someone else's, or a forgery).

Tokens (:class:`Tokens`) never appear in a repr, a log line or an exception message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets as _secrets
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import requests

from .errors import CuratorError

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)  # (connect, read) for the token endpoint
SIGN_IN_TIMEOUT = 300.0  # seconds the user has to approve in the browser
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


class OAuthError(CuratorError):
    """Sign-in or a token request failed. ``retryable``: a network fault or a server error
    (try again later), as opposed to a refused grant (the user must sign in again)."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None,
                 error: str | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.error = error  # RFC 6749 §5.2 error code, e.g. "invalid_grant"


class SignInCancelled(OAuthError):
    """The user declined on the network's consent page (``error=access_denied``)."""


class StateMismatchError(OAuthError):
    """The redirect carried another ``state`` than this sign-in sent."""


class SignInTimeout(OAuthError):
    """No answer came back to the loopback redirect in time."""


CANCELLED = "Sign-in cancelled."


def raise_if_cancelled(cancel: threading.Event | None) -> None:
    """Raises SignInCancelled when the user cancelled the sign-in (``cancel`` is set)."""
    if cancel is not None and cancel.is_set():
        raise SignInCancelled(CANCELLED)


@dataclass(frozen=True)
class Tokens:
    """What a token endpoint answered. The secrets are left out of repr()."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False, default=None)
    expires_at: datetime | None = None  # UTC; None when the server did not say
    scope: str | None = None

    def expires_within(self, margin: timedelta, now: datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at - (now or datetime.now(UTC)) <= margin


@dataclass(frozen=True)
class OAuthConfig:
    """One network's OAuth 2.0 client, as registered in its developer portal."""

    authorize_endpoint: str
    token_endpoint: str
    client_id: str
    scopes: Sequence[str]
    client_secret: str | None = field(default=None, repr=False)  # confidential clients only
    redirect_path: str = "/callback"
    redirect_port: int = 0  # 0: ephemeral (RFC 8252 §7.3); else the port the portal lists
    extra: Mapping[str, str] = field(default_factory=dict)  # more authorize parameters
    timeout: float = SIGN_IN_TIMEOUT


# ---- PKCE (RFC 7636) ------------------------------------------------------------------------


def pkce_pair(length: int = 64) -> tuple[str, str]:
    """A fresh ``(code_verifier, code_challenge)`` for the S256 method.

    RFC 7636 §4.1: ``code_verifier = high-entropy cryptographic random STRING using the
    unreserved characters [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~" [...] with a
    minimum length of 43 characters and a maximum length of 128 characters.``
    §4.2: ``S256: code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))``, and
    (§3, Appendix A) base64url "with all trailing '=' characters omitted".
    """
    if not 43 <= length <= 128:
        raise ValueError("a PKCE code verifier is 43 to 128 characters (RFC 7636 §4.1)")
    verifier = "".join(_secrets.choice(_UNRESERVED) for _ in range(length))
    return verifier, s256_challenge(verifier)


def s256_challenge(verifier: str) -> str:
    """BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    """An unguessable ``state`` value (RFC 6749 §10.12: binds the answer to this request)."""
    return _secrets.token_urlsafe(32)


# ---- the authorization request --------------------------------------------------------------


def authorize_url(endpoint: str, client_id: str, redirect_uri: str, scopes: Sequence[str],
                  state: str, challenge: str, extra: Mapping[str, str] | None = None) -> str:
    """The URL to open in the browser (RFC 6749 §4.1.1 plus RFC 7636 §4.3).

    Parameters: ``response_type=code``, ``client_id``, ``redirect_uri``, ``scope`` (space
    separated), ``state``, ``code_challenge`` and ``code_challenge_method=S256``; ``extra``
    adds more (or overrides none of these).
    """
    params: dict[str, str] = dict(extra or {})
    params.update({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": " ".join(scopes), "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    parts = urlsplit(endpoint)
    query = urlencode(params, quote_via=quote)  # spaces as %20: some servers reject "+"
    if parts.query:
        query = parts.query + "&" + query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# ---- the loopback redirect (RFC 8252 §7.3) --------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Curator</title>
<style>body{{font-family:sans-serif;margin:4em auto;max-width:32em;color:#222}}</style>
</head><body><h1>{title}</h1><p>{message}</p></body></html>
"""


class LoopbackRedirect:
    """A one-shot HTTP listener on ``http://127.0.0.1:<port><path>``.

    The socket is bound when the object is made (so :attr:`redirect_uri` is known before the
    browser opens) and closed after the first request to ``path`` has been answered, or on
    :meth:`close`. Requests to other paths (a browser's ``/favicon.ico``) get a 404 and do
    not count. Use it as a context manager.
    """

    def __init__(self, state: str, *, path: str = "/callback", port: int = 0):
        if not path.startswith("/"):
            raise ValueError("the redirect path starts with '/'")
        self.state = state
        self.path = path
        self._result: tuple[str, str] | OAuthError | None = None
        owner = self

        class Handler(_RedirectHandler):
            loopback = owner

        try:
            self._httpd: HTTPServer | None = HTTPServer(("127.0.0.1", port), Handler)
        except OSError:
            raise OAuthError(f"Could not listen on 127.0.0.1 port {port} for the sign-in "
                             "answer: is another sign-in running?") from None
        self.port = int(self._httpd.server_port)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def wait(self, timeout: float = SIGN_IN_TIMEOUT,
             cancel: threading.Event | None = None) -> tuple[str, str]:
        """Serve until the redirect arrives; return its ``(code, state)``, then close.
        Setting ``cancel`` (from another thread: the UI's Cancel button) stops the wait
        within half a second, and the port is closed.

        Raises:
            StateMismatchError: the redirect's ``state`` is not ours (the page says so).
            SignInCancelled: the user declined (``error=access_denied``), or ``cancel`` was
                set.
            OAuthError: another ``error``, or no ``code`` in the redirect.
            SignInTimeout: nothing came within ``timeout`` seconds.
        """
        httpd = self._httpd
        if httpd is None:
            raise OAuthError("This sign-in listener is already closed.")
        deadline = time.monotonic() + timeout
        try:
            while self._result is None:
                raise_if_cancelled(cancel)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SignInTimeout("No answer came back from the sign-in page in time: "
                                        "start the sign-in again.")
                httpd.timeout = min(left, 0.5)
                httpd.handle_request()
        finally:
            self.close()
        if isinstance(self._result, OAuthError):
            raise self._result
        return self._result

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LoopbackRedirect:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # called by the handler, for the one request to self.path
    def _answer(self, query: Mapping[str, list[str]]) -> tuple[int, str, str]:
        state = (query.get("state") or [""])[0]
        if not hmac.compare_digest(state.encode(), self.state.encode()):
            self._result = StateMismatchError(
                "The sign-in answer was not for the sign-in Curator started (its state did "
                "not match), so it was refused: start the sign-in again.")
            return 400, "Sign-in refused", ("This answer does not belong to the sign-in "
                                            "Curator started, so it was ignored. Close this "
                                            "tab and start the sign-in again from Curator.")
        error = (query.get("error") or [""])[0]
        if error == "access_denied":
            self._result = SignInCancelled("The sign-in was declined on the network's page, "
                                           "so the account was not connected.",
                                           error=error)
            return 200, "Sign-in cancelled", ("You declined the access, so the account was "
                                              "not connected. You can close this tab.")
        if error:
            described = (query.get("error_description") or [""])[0].strip()
            self._result = OAuthError(
                f"The network refused the sign-in ({error}"
                + (f": {described}" if described else "") + ").", error=error)
            return 400, "Sign-in failed", (f"The network refused the sign-in ({error}). "
                                           "Close this tab and try again from Curator.")
        code = (query.get("code") or [""])[0]
        if not code:
            self._result = OAuthError("The sign-in answer had no authorization code: start "
                                      "the sign-in again.")
            return 400, "Sign-in failed", "The answer had no authorization code."
        self._result = (code, state)
        return 200, "Signed in", "Curator is connected. You can close this tab."


class _RedirectHandler(BaseHTTPRequestHandler):
    loopback: LoopbackRedirect
    server_version = "Curator"
    timeout = 5.0  # a browser's idle pre-connection must not hold up the one-shot listener

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the code
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        owner = self.loopback
        if parts.path != owner.path or owner._result is not None:
            self._page(404, "Not found", "Nothing here.")
            return
        status, title, message = owner._answer(parse_qs(parts.query, keep_blank_values=True))
        self._page(status, title, message)

    def _page(self, status: int, title: str, message: str) -> None:
        body = _PAGE.format(title=html.escape(title), message=html.escape(message)).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")  # the URL held a code
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass
        self.close_connection = True


# ---- the token endpoint (RFC 6749 §4.1.3, §6) -----------------------------------------------


def exchange_code(token_endpoint: str, code: str, verifier: str, redirect_uri: str,
                  client_id: str, session: Any = None, *, client_secret: str | None = None,
                  now: datetime | None = None,
                  timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> Tokens:
    """Trade the authorization code for tokens: ``POST`` form data ``grant_type=
    authorization_code``, ``code``, ``redirect_uri``, ``client_id`` and (RFC 7636 §4.5)
    ``code_verifier``. A confidential client authenticates with HTTP Basic (RFC 6749
    §2.3.1).

    Raises:
        OAuthError: refused (``retryable`` False) or unreachable/5xx (``retryable`` True).
    """
    return _token_request(token_endpoint, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": client_id, "code_verifier": verifier,
    }, session, client_id, client_secret, now, timeout, previous_refresh=None)


def refresh(token_endpoint: str, refresh_token: str, client_id: str, session: Any = None, *,
            client_secret: str | None = None, now: datetime | None = None,
            timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> Tokens:
    """New tokens from a refresh token (RFC 6749 §6): ``grant_type=refresh_token``,
    ``refresh_token``, ``client_id``. When the answer has no new refresh token the old one
    stays valid (§6: "The authorization server MAY issue a new refresh token").

    Raises:
        OAuthError: as :func:`exchange_code`.
    """
    return _token_request(token_endpoint, {
        "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id,
    }, session, client_id, client_secret, now, timeout, previous_refresh=refresh_token)


def _token_request(endpoint: str, form: dict[str, str], session: Any, client_id: str,
                   client_secret: str | None, now: datetime | None,
                   timeout: float | tuple[float, float], *,
                   previous_refresh: str | None) -> Tokens:
    http = session if session is not None else requests.Session()
    host = urlsplit(endpoint).netloc or endpoint
    auth = (client_id, client_secret) if client_secret else None
    try:
        resp = http.post(endpoint, data=form, auth=auth, timeout=timeout,
                         headers={"Accept": "application/json"}, allow_redirects=False)
    except requests.Timeout:
        raise OAuthError(f"The sign-in server {host} did not answer in time.",
                         retryable=True) from None
    except requests.RequestException:
        raise OAuthError(f"Could not reach the sign-in server {host}.", retryable=True) from None
    try:
        body = resp.json()
    except ValueError:
        body = None
    status = int(resp.status_code)
    if status != 200:
        retryable = status >= 500 or status in (408, 429)
        error = body.get("error") if isinstance(body, dict) else None
        described = body.get("error_description") if isinstance(body, dict) else None
        text = described if isinstance(described, str) and described.strip() else None
        code = error if isinstance(error, str) else None
        message = (f"The sign-in server {host} refused the token request"
                   + (f" ({code})" if code else f" (HTTP {status})")
                   + (f": {text.strip()}" if text else "") + ".")
        raise OAuthError(message, retryable=retryable, status=status, error=code)
    access = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(access, str) or not access:
        raise OAuthError(f"The sign-in server {host} sent an unreadable token answer.",
                         retryable=True, status=status)
    new_refresh = body.get("refresh_token")
    expires_in = body.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at = (now or datetime.now(UTC)) + timedelta(seconds=float(expires_in))
    scope = body.get("scope")
    return Tokens(access, new_refresh if isinstance(new_refresh, str) and new_refresh
                  else previous_refresh, expires_at, scope if isinstance(scope, str) else None)


# ---- the whole sign-in -----------------------------------------------------------------------


def sign_in(config: OAuthConfig, open_browser: Callable[[str], Any] = webbrowser.open,
            session: Any = None, *, now: Callable[[], datetime] | None = None,
            cancel: threading.Event | None = None) -> Tokens:
    """Run the whole flow: PKCE pair and state, the loopback listener, the browser on the
    authorize URL, the redirect, and the code exchange.

    ``open_browser(url)`` must return at once (as ``webbrowser.open`` does); a False return
    means no browser could be opened. Setting ``cancel`` stops the wait (SignInCancelled).

    Raises:
        OAuthError (and its subclasses): one sentence for the user.
    """
    verifier, challenge = pkce_pair()
    state = new_state()
    with LoopbackRedirect(state, path=config.redirect_path, port=config.redirect_port) as lr:
        url = authorize_url(config.authorize_endpoint, config.client_id, lr.redirect_uri,
                            config.scopes, state, challenge, config.extra)
        try:
            opened = open_browser(url)
        except (webbrowser.Error, OSError):
            opened = False
        if opened is False:
            raise OAuthError("No web browser could be opened for the sign-in: set one as "
                             "the system's default browser, then try again.")
        code, _ = lr.wait(config.timeout, cancel)
        redirect_uri = lr.redirect_uri
    raise_if_cancelled(cancel)  # cancelled as the answer came: no token is asked for
    return exchange_code(config.token_endpoint, code, verifier, redirect_uri, config.client_id,
                         session, client_secret=config.client_secret,
                         now=now() if now else None)


# ---- keeping tokens in the keyring ----------------------------------------------------------


def store_tokens(secrets: Any, account_id: int, tokens: Tokens, *, client_id: str) -> None:
    """Keep ``tokens`` for an account in the OS keyring (curator.secrets.SecretStore):
    ``access_token``, ``refresh_token`` (when there is one), and ``session``, a JSON object
    ``{"expires_at": ISO 8601 UTC or null, "client_id": ...}`` that a refresh needs (other
    keys a connector keeps there are left alone)."""
    # The refresh token first: a network that rotates it has already invalidated the old one.
    if tokens.refresh_token:
        secrets.set(account_id, "refresh_token", tokens.refresh_token)
    else:  # a sign-in without offline access: a stale refresh token would only mislead
        secrets.delete(account_id, "refresh_token")
    secrets.set(account_id, "access_token", tokens.access_token)
    try:
        data = json.loads(secrets.get(account_id, "session") or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    data["expires_at"] = (tokens.expires_at.astimezone(UTC).isoformat()
                          if tokens.expires_at else None)
    data["client_id"] = client_id
    secrets.set(account_id, "session", json.dumps(data))


def load_session(secrets: Any, account_id: int) -> tuple[datetime | None, str | None]:
    """``(expires_at, client_id)`` stored by :func:`store_tokens` (Nones when absent)."""
    raw = secrets.get(account_id, "session")
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    expires_at = None
    if isinstance(data.get("expires_at"), str):
        try:
            expires_at = datetime.fromisoformat(data["expires_at"])
        except ValueError:
            expires_at = None
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
    client_id = data.get("client_id")
    return expires_at, client_id if isinstance(client_id, str) and client_id else None

