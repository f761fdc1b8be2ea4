"""X: posts (and threads of replies) through the X API v2, with an OAuth 2.0 user token.

Written from X's API documentation (docs.x.com):

- ``POST /2/tweets`` ("Create or Edit Post"), authenticated with "OAuth 2.0 Authorization
  Code with PKCE" (scopes ``tweet.read``, ``tweet.write``, ``users.read``): header
  ``Authorization: Bearer <user access token>``, a JSON body ``{"text": "..."}``; a reply is
  ``{"text": "...", "reply": {"in_reply_to_tweet_id": "<id>"}}``. The answer is
  ``201 Created`` with ``{"data": {"id": "...", "text": "..."}}``.
- ``GET /2/users/me``: ``{"data": {"id", "name", "username"}}``; with
  ``user.fields=public_metrics`` the user's ``public_metrics`` (``followers_count``,
  ``following_count``, ``tweet_count``, ``listed_count``).
- ``GET /2/tweets/:id`` with ``tweet.fields=public_metrics`` (scopes ``tweet.read``,
  ``users.read``): ``{"data": {"id", "text", "edit_history_tweet_ids", "public_metrics":
  {"retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count",
  "impression_count"}}}``. A deleted post is a 200 with no ``data``, only ``errors``
  (``{"value": id, "detail": "Could not find tweet with id: [id].", "title": "Not Found
  Error", "resource_type": "tweet", "parameter": "id", "resource_id": id, "type":
  "https://api.twitter.com/2/problems/resource-not-found"}``).
- Reading posts is not in every plan. An app whose plan has no access to an endpoint gets
  403 ``{"client_id", "detail": "When authenticating requests to the Twitter API v2
  endpoints, you must use keys and tokens from a Twitter developer App that is attached to
  a Project. You can create a project via the developer portal.", "registration_url",
  "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
  "reason": "client-not-enrolled", "type":
  "https://api.twitter.com/2/problems/client-forbidden"}`` (as integrators report it, e.g.
  xdevplatform/samples#150, plhery/node-twitter-api-v2#487); a token without the scope, a
  403 "Forbidden"; a plan's monthly read cap used up, 429 ``usage-capped``. Metrics then
  say so in ``PostMetrics.unavailable`` instead of showing zeros.
- Errors are Problem objects (RFC 7807): ``title``, ``type``, ``detail``, ``status``; a 400
  ``https://api.twitter.com/2/problems/invalid-request`` adds ``errors[].message``. A 403
  carries X's reason in ``detail`` (e.g. "You are not allowed to create a Tweet with
  duplicate content.").
- Rate limits (docs.x.com, "X API Rate Limits"): "Response headers show your current rate
  limit status": ``x-rate-limit-limit``, ``x-rate-limit-remaining``, ``x-rate-limit-reset``
  ("Unix timestamp when window resets"); exceeding one gives "429 Too Many Requests", whose
  body that page shows as ``{"errors": [{"code": 88, "message": "Rate limit exceeded"}]}``
  while the v2 endpoints answer a Problem (``"title": "Too Many Requests"``): both are read.
  "429 Too Many Requests: Rate limit or usage cap exceeded" ("Response Codes & Errors"); a
  usage cap is the Problem type ``.../usage-capped`` ("Usage cap exceeded").
- The 24-hour posting cap: the Free plan's ``POST /2/tweets`` limit was "17 requests / 24
  hours PER USER, 17 requests / 24 hours PER APP" (docs.x.com rate-limits table, Free
  column); today's pay-per-usage table gives "10,000/24hrs" per app. X's answers report the
  24-hour windows in ``x-user-limit-24hour-limit``, ``-remaining`` and ``-reset`` (epoch
  seconds; ``x-app-limit-24hour-*`` for the app): these headers are *not* in X's docs, they
  are what the API sends (listed by twapi-v2 and x-api-sdk-ts), so they are used when
  present and never required.
- Tokens: "the access token you create through the Authorization Code Flow with PKCE will
  only stay valid for two hours unless you've used the offline.access scope", which issues
  a refresh token, traded at ``POST https://api.x.com/2/oauth2/token`` with
  ``grant_type=refresh_token``, ``refresh_token`` and ``client_id`` (form data).

How failures are classed (curator.connectors.base.Failure):

- 401, no token, or a refresh the server refuses -> AUTH (reconnect the account).
- 403 (duplicate content, too long, not permitted) and other 4xx -> PERMANENT, X's
  ``detail`` text.
- 429 -> RETRYABLE, ``retry_after`` until ``x-rate-limit-reset``; when the 24-hour user (or
  app) cap is what ran out, until ``x-user-limit-24hour-reset``, and the message explains
  the cap in one sentence (naming the Free plan when the limit is its documented 17). A
  reset more than MAX_CAP_WAIT away, or a ``usage-capped`` Problem (a monthly cap), is
  PERMANENT with that explanation: retrying every few minutes for days helps nobody.
- 5xx, connection errors, timeouts -> RETRYABLE.

Secrets (curator.secrets KINDS): ``access_token``, ``refresh_token``, and ``session`` (JSON
``{"expires_at", "client_id"}``, written by curator.oauth.store_tokens). The access token is
refreshed when it expires within REFRESH_MARGIN, and once more after a 401, when a refresh
token and the client id are stored; the new tokens go straight back to the keyring (X
rotates refresh tokens: the old one stops working).

X has no idempotency key, so ``idempotent`` is False: after a crash the engine asks the user
rather than risk a second post. A thread that fails after its first part went out is failed
for good (PERMANENT) with the posted parts named: retrying would post the head again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from .. import oauth
from ..errors import CuratorError
from ..types import Account
from .base import Failure, OutgoingPost, PostMetrics, Published, PublishError, post_gone

API_BASE = "https://api.x.com"
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_PATH = "/2/oauth2/token"
SCOPES: tuple[str, ...] = ("tweet.read", "tweet.write", "users.read", "offline.access")
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
REFRESH_MARGIN = timedelta(minutes=5)
STATUS_URL = "https://x.com/i/web/status/{id}"
# "17 requests / 24 hours PER USER" for POST /2/tweets, Free column of the docs.x.com
# rate-limits table (xdevplatform/docs x-api/fundamentals/rate-limits.mdx).
FREE_TIER_POSTS_PER_24H = 17
# A 24-hour window never resets further away than a day; beyond this the post is failed
# with the explanation instead of waiting in the queue for days.
MAX_CAP_WAIT = timedelta(days=2)
USAGE_CAPPED = "/2/problems/usage-capped"
CLIENT_FORBIDDEN = "/2/problems/client-forbidden"  # the app's plan lacks the endpoint


def make(account: Account, secrets: Any, *, session: Any = None, **options: Any) -> XConnector:
    """The connector for an X account (see XConnector for ``options``)."""
    return XConnector(account, secrets, session=session, **options)


def oauth_config(client_id: str, *, api_base: str | None = None,
                 authorize_endpoint: str = AUTHORIZE_URL, redirect_port: int = 0,
                 client_secret: str | None = None) -> oauth.OAuthConfig:
    """The sign-in settings for X (curator.oauth.sign_in). X matches the callback URL
    registered in the developer portal exactly: register ``http://127.0.0.1:<port>/callback``
    and pass that port."""
    return oauth.OAuthConfig(
        authorize_endpoint=authorize_endpoint,
        token_endpoint=(api_base or API_BASE).rstrip("/") + TOKEN_PATH,
        client_id=client_id, scopes=SCOPES, client_secret=client_secret,
        redirect_port=redirect_port)


class XConnector:
    """One X account. Tokens are read from ``secrets`` on every call, never kept, logged or
    put into an error."""

    idempotent = False  # X has no idempotency key: never re-send blindly

    def __init__(self, account: Account, secrets: Any, *, session: Any = None,
                 token_endpoint: str | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 now: Callable[[], datetime] | None = None):
        self.account = account
        self.api_base = (account.api_base or API_BASE).rstrip("/")
        self.token_endpoint = token_endpoint or self.api_base + TOKEN_PATH
        self._secrets = secrets
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self._now = now or (lambda: datetime.now(UTC))
        self.last_rate: dict[str, str] = {}  # the last answer's x-rate-limit-* / 24h headers
        self._last_problem = ""  # the last error answer's Problem ``type``

    def __repr__(self) -> str:  # never a token
        return f"XConnector({self.account.name!r}, {self.api_base!r})"

    # ---- the Connector shape ------------------------------------------------------------

    def verify(self) -> str:
        """``GET /2/users/me``; returns ``data.username``."""
        body = self._request("GET", "/2/users/me")
        data = body.get("data")
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username:
            raise PublishError("X's answer did not name the account.", Failure.RETRYABLE)
        return username

    def publish(self, post: OutgoingPost) -> Published:
        """``POST /2/tweets`` for the post, then one reply per thread part."""
        first = self._create({"text": post.text})
        parent = first
        for n, part in enumerate(post.thread, start=1):
            try:
                parent = self._create({"text": part,
                                       "reply": {"in_reply_to_tweet_id": parent}})
            except PublishError as e:
                # The head is on X: a retry would post it again (or be refused as a
                # duplicate). Say what went out and stop here.
                raise PublishError(
                    f"Only the first {n} of {len(post.thread) + 1} parts of the thread were "
                    f"posted ({STATUS_URL.format(id=first)}); part {n + 1} failed: {e}",
                    Failure.AUTH if e.failure is Failure.AUTH else Failure.PERMANENT,
                    status=e.status) from None
        return Published(first, STATUS_URL.format(id=first))

    def find_published(self, post: OutgoingPost) -> Published | None:
        """Always None: X cannot look a post up by a client key (there is none), and finding
        it by text needs extra reads (``GET /2/users/:id/tweets``) the free tier does not
        include. The engine leaves the post for the user to check (needs_attention)."""
        return None

    def metrics(self, remote_id: str, url: str | None = None) -> PostMetrics:
        """``GET /2/tweets/:id?tweet.fields=public_metrics``: ``like_count``,
        ``retweet_count``, ``reply_count``, ``quote_count`` and ``impression_count``. A plan
        or token without read access (403, or a used-up monthly read cap) gives an
        ``unavailable`` sentence; a deleted post is PERMANENT."""
        if not remote_id.isdigit():  # X post ids are numbers; never a path
            raise PublishError(f"{remote_id!r} is not an X post id.", Failure.PERMANENT)
        try:
            body = self._request("GET", f"/2/tweets/{remote_id}?tweet.fields=public_metrics")
        except PublishError as e:
            unavailable = self._read_refused(e, "read the post's counts")
            if unavailable:
                return PostMetrics.not_available(unavailable)
            if e.status == 404:
                raise post_gone("X", 404) from None
            raise
        data = body.get("data")
        if not isinstance(data, dict):
            if _not_found(body):
                raise post_gone("X", 200)
            raise PublishError("X sent an unreadable answer; it will be retried.",
                               Failure.RETRYABLE, status=200)
        counts = data.get("public_metrics")
        if not isinstance(counts, dict):
            return PostMetrics.not_available("X did not give this post's public metrics.")
        return PostMetrics(likes=_count(counts.get("like_count")),
                           reposts=_count(counts.get("retweet_count")),
                           replies=_count(counts.get("reply_count")),
                           quotes=_count(counts.get("quote_count")),
                           impressions=_count(counts.get("impression_count")))

    def followers(self) -> int | None:
        """``public_metrics.followers_count`` of ``GET /2/users/me?user.fields=
        public_metrics``; None when the plan or token may not read it."""
        try:
            body = self._request("GET", "/2/users/me?user.fields=public_metrics")
        except PublishError as e:
            if self._read_refused(e, "read the account"):
                return None
            raise
        data = body.get("data")
        counts = data.get("public_metrics") if isinstance(data, dict) else None
        return _count(counts.get("followers_count")) if isinstance(counts, dict) else None

    def _read_refused(self, e: PublishError, what: str) -> str | None:
        """One sentence when X refused a read for the plan or the token's scopes (403, or a
        429 ``usage-capped``), else None."""
        if e.status == 403 and self._last_problem.endswith(CLIENT_FORBIDDEN):
            return (f"X does not let this app {what}: its API plan does not include reading "
                    'posts (X answered "Client Forbidden").')
        if e.status == 403:
            return (f"X does not let this sign-in {what}: reconnect the account to allow "
                    "reading posts (tweet.read, users.read).")
        if e.status == 429 and e.failure is Failure.PERMANENT:  # usage-capped: days away
            return (f"X does not let this app {what} now: the monthly read cap of its API "
                    "plan is used up.")
        return None

    # ---- internals ----------------------------------------------------------------------

    def _create(self, payload: dict[str, Any]) -> str:
        body = self._request("POST", "/2/tweets", json_body=payload)
        data = body.get("data")
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if isinstance(tweet_id, int) and not isinstance(tweet_id, bool):
            tweet_id = str(tweet_id)
        if not isinstance(tweet_id, str) or not tweet_id:
            # It may well be on X: re-sending could post it twice. The user checks.
            raise PublishError("X accepted the post but its answer had no post id: check "
                               "the account's profile before retrying it.", Failure.PERMANENT,
                               status=201)
        return tweet_id

    def _secret(self, kind: str) -> str | None:
        try:
            value = self._secrets.get(self.account.id, kind)
        except CuratorError as e:  # the keyring is locked or missing: the post waits
            raise PublishError(str(e), Failure.RETRYABLE) from None
        return str(value) if value else None

    def _token(self, *, force_refresh: bool = False) -> str:
        token = self._secret("access_token")
        if not token:
            raise PublishError(f"No X access token is stored for {self.account.name!r}; "
                               "reconnect the account.", Failure.AUTH)
        try:
            expires_at, client_id = oauth.load_session(self._secrets, self.account.id)
        except CuratorError as e:
            raise PublishError(str(e), Failure.RETRYABLE) from None
        due = expires_at is not None and expires_at - self._now() <= REFRESH_MARGIN
        if not (due or force_refresh):
            return token
        refresh_token = self._secret("refresh_token")
        if not refresh_token or not client_id:
            if force_refresh or (expires_at is not None and expires_at <= self._now()):
                raise PublishError(f"The X sign-in of {self.account.name!r} has expired; "
                                   "reconnect the account.", Failure.AUTH)
            return token  # still valid for a few minutes, and nothing to refresh with
        return self._refresh(token, refresh_token, client_id)

    def _refresh(self, token: str, refresh_token: str, client_id: str) -> str:
        try:
            tokens = oauth.refresh(self.token_endpoint, refresh_token, client_id,
                                   self.session, now=self._now(), timeout=self.timeout)
        except oauth.OAuthError as e:
            if e.retryable:
                raise PublishError(f"Could not renew the X sign-in of {self.account.name!r} "
                                   f"now: {e}", Failure.RETRYABLE) from None
            # Another process (the GUI and a cron run) may have just rotated it.
            newer = self._secret("access_token")
            if newer and newer != token:
                return newer
            raise PublishError(f"X refused to renew the sign-in of {self.account.name!r}; "
                               "reconnect the account.", Failure.AUTH,
                               status=e.status) from None
        try:
            oauth.store_tokens(self._secrets, self.account.id, tokens, client_id=client_id)
        except CuratorError as e:
            raise PublishError(str(e), Failure.RETRYABLE) from None
        return tokens.access_token

    def _request(self, method: str, path: str, *,
                 json_body: dict[str, Any] | None = None) -> dict[str, Any]:
        resp = self._send(method, path, json_body, self._token())
        if resp.status_code == 401 and self._secret("refresh_token"):
            # Revoked early or our clock is off: one refresh, then once more. A 401 means
            # nothing was created, so the second try cannot double-post.
            resp = self._send(method, path, json_body, self._token(force_refresh=True))
        self.last_rate = {k.lower(): v for k, v in resp.headers.items()
                          if k.lower().startswith(("x-rate-limit-", "x-user-limit-",
                                                   "x-app-limit-"))}
        if resp.status_code in (200, 201):
            try:
                body = resp.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                if method == "POST":
                    raise PublishError("X accepted the post but its answer was unreadable: "
                                       "check the account's profile before retrying it.",
                                       Failure.PERMANENT, status=resp.status_code)
                raise PublishError("X sent an unreadable answer; it will be retried.",
                                   Failure.RETRYABLE, status=resp.status_code)
            return body
        raise self._error(resp)

    def _send(self, method: str, path: str, json_body: dict[str, Any] | None,
              token: str) -> Any:
        host = urlsplit(self.api_base).netloc or self.api_base
        try:
            return self.session.request(
                method, self.api_base + path, json=json_body, timeout=self.timeout,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                allow_redirects=False)
        except requests.Timeout:
            raise PublishError(f"X ({host}) did not answer in time.",
                               Failure.RETRYABLE) from None
        except requests.RequestException:
            raise PublishError(f"Could not reach X ({host}).", Failure.RETRYABLE) from None

    def _error(self, resp: Any) -> PublishError:
        code = int(resp.status_code)
        self._last_problem = _problem_type(resp)
        text = _problem_text(resp) or f"X answered HTTP {code}."
        if code == 401:
            return PublishError(f"X refused the sign-in of {self.account.name!r} ({text}); "
                                "reconnect the account.", Failure.AUTH, status=code)
        if code == 429:
            return self._rate_limited(resp, text)
        if code >= 500 or code in (408, 425):
            return PublishError(f"X had a problem ({text}); it will be retried.",
                                Failure.RETRYABLE, status=code)
        return PublishError(text, Failure.PERMANENT, status=code)

    def _rate_limited(self, resp: Any, text: str) -> PublishError:
        headers: Mapping[str, str] = resp.headers
        now = self._now()
        if _problem_type(resp).endswith(USAGE_CAPPED):
            # A monthly (or product) cap: X gives no reset time, and it is days away.
            return PublishError(
                f"X refused the post because this app's usage cap is used up ({text}); it "
                "resets with the developer account's billing period, so the post was not "
                "retried.", Failure.PERMANENT, status=429)
        for scope, who in (("user", "per user"), ("app", "for this app")):
            remaining = headers.get(f"x-{scope}-limit-24hour-remaining")
            if remaining is not None and remaining.strip() == "0":
                reset = _epoch(headers.get(f"x-{scope}-limit-24hour-reset"))
                limit = (headers.get(f"x-{scope}-limit-24hour-limit") or "").strip()
                cap = f"{limit} posts" if limit.isdigit() else "a limited number of posts"
                plan = ("the API's Free plan allows only" if limit == str(FREE_TIER_POSTS_PER_24H)
                        else "X's API plan for this app allows")
                when = (reset.strftime("%Y-%m-%d %H:%M UTC") if reset
                        else "within 24 hours")
                if reset is not None and reset - now > MAX_CAP_WAIT:
                    return PublishError(
                        f"X's daily posting cap is used up: {plan} {cap} {who} every 24 "
                        f"hours and X says it resets only at {when}, so the post was not "
                        "retried.", Failure.PERMANENT, status=429)
                return PublishError(
                    f"X's daily posting cap is used up: {plan} {cap} {who} every 24 hours, "
                    f"so this post waits until the cap resets at {when}.",
                    Failure.RETRYABLE, status=429,
                    retry_after=max(0.0, (reset - now).total_seconds()) if reset else None)
        reset = _epoch(headers.get("x-rate-limit-reset"))
        retry_after = max(0.0, (reset - now).total_seconds()) if reset else None
        return PublishError(f"X's rate limit was reached ({text}); the post will be retried"
                            + (f" after {reset.strftime('%H:%M:%S UTC')}." if reset else "."),
                            Failure.RETRYABLE, status=429, retry_after=retry_after)


def _count(value: Any) -> int | None:
    """A ``public_metrics`` count: a non-negative int, else None (not given)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _not_found(body: dict[str, Any]) -> bool:
    """A 200 whose ``errors`` say the post is not there (``.../resource-not-found``)."""
    errors = body.get("errors")
    return isinstance(errors, list) and any(
        isinstance(e, dict) and str(e.get("type", "")).endswith("/resource-not-found")
        for e in errors)


def _epoch(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int((value or "").strip()), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _problem_type(resp: Any) -> str:
    """The Problem's ``type`` URI ("" when the body has none)."""
    try:
        body = resp.json()
    except ValueError:
        return ""
    kind = body.get("type") if isinstance(body, dict) else None
    return kind.strip() if isinstance(kind, str) else ""


def _problem_text(resp: Any) -> str | None:
    """X's own words from a Problem body: ``detail`` (with an invalid request's
    ``errors[].message``), else ``title``."""
    try:
        body = resp.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    detail = body.get("detail")
    title = body.get("title")
    text = (detail if isinstance(detail, str) and detail.strip()
            else title if isinstance(title, str) and title.strip() else None)
    errors = body.get("errors")
    if isinstance(errors, list):
        messages = [str(e["message"]) for e in errors
                    if isinstance(e, dict) and isinstance(e.get("message"), str)]
        if messages:
            text = f"{text} {'; '.join(messages)}" if text else "; ".join(messages)
    return text.strip() if text else None
