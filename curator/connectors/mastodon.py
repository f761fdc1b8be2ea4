"""Mastodon: post statuses (and threads of replies) through an instance's REST API.

Written from the Mastodon API documentation (docs.joinmastodon.org):

- ``POST /api/v1/statuses`` ("Post a new status"), OAuth "User + ``write:statuses``".
  Headers: ``Authorization`` -- "Provide this header with ``Bearer <user token>``";
  ``Idempotency-Key`` -- "Provide this header with any arbitrary string to prevent duplicate
  submissions of the same status. [...] Idempotency keys are stored for up to 1 hour."
  Form data parameters used here: ``status`` ("The text content of the status"),
  ``in_reply_to_id`` ("ID of the status being replied to"), ``visibility`` (``public``,
  ``unlisted``, ``private``, ``direct``), ``language`` ("ISO 639 language code") and
  ``scheduled_at`` ("ISO 8601 Datetime at which to schedule a status. Providing this
  parameter will cause ScheduledStatus to be returned instead of Status. Must be at least 5
  minutes in the future."). Returns a Status (``id``, ``url``) or a ScheduledStatus (``id``,
  ``scheduled_at``, ``params``; no ``url``).
- ``GET /api/v1/accounts/verify_credentials`` ("Test to make sure that the user token works"):
  an Account with ``username`` and ``acct``.
- ``POST /api/v1/apps`` ("Create a new application to obtain OAuth2 credentials"), form data
  ``client_name``, ``redirect_uris``, ``scopes`` ("Space separated list of scopes"),
  ``website``; answers an Application with ``client_id`` and ``client_secret``.
- Errors are the Error entity: ``error`` ("The error message") and, "mainly provided with the
  OAuth API", ``error_description``. "The most important part of an error response is the
  HTTP status code": 401 invalid token, 403 not permitted, 404 record not found, 422
  validation failed (e.g. "Validation failed: Text character limit of 500 exceeded"), 429
  rate limited, 503 a temporary problem.
- ``GET /api/v1/statuses/:id`` ("View a single status"; "Public for public statuses, user
  token + ``read:statuses`` for private statuses"): the Status entity, whose counts are
  ``favourites_count`` ("How many favourites this status has received"), ``reblogs_count``
  ("How many boosts this status has received") and ``replies_count`` ("How many replies
  this status has received"). A deleted status answers 404 ``{"error": "Record not
  found"}``; a token without the ``read:statuses`` scope 403 "This action is outside the
  authorized scopes".
- ``GET /api/v1/accounts/verify_credentials`` (``read:accounts``): the CredentialAccount,
  whose ``followers_count`` is "The reported followers of this profile".
- Rate limits come in the ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
  ``X-RateLimit-Reset`` ("Timestamp when your rate limit will reset", ISO 8601) headers.

How failures are classed (curator.connectors.base.Failure):

- 401, 403, or no token in the keyring -> AUTH: the account needs reconnecting (a 403 is a
  revoked scope or a disabled/unconfirmed login: only the user can fix it).
- 422 and every other 4xx but 408/425/429 -> PERMANENT, the server's ``error`` text verbatim.
- 429 -> RETRYABLE, ``retry_after`` from ``Retry-After`` when present, else the seconds until
  ``X-RateLimit-Reset``.
- 5xx, connection errors, timeouts -> RETRYABLE.
- A 200 whose body is not a Status (garbage JSON, no ``id``) -> RETRYABLE: the status may have
  been created, but every request carries an ``Idempotency-Key``, so the retry within the
  hour gets the same status back instead of a second one.

Threads: the parts after the first go as replies, each ``in_reply_to_id`` the previous part.
Part n (n >= 1) carries the Idempotency-Key ``f"{key}-{n}"``, so retrying a thread that
failed half-way returns the parts already made and creates only the missing ones.

The server's own scheduler (``scheduled_at``) is used only when the connector is made with
``server_schedule=True``, the post is a single status (a reply cannot point at a status that
does not exist yet), and ``OutgoingPost.scheduled_at`` is more than
``SERVER_SCHEDULE_MARGIN`` (5 minutes, the documented minimum, plus a minute for clock skew)
ahead. The post then goes out with the laptop closed; ``Published.remote_id`` is
``"scheduled:<id>"`` (a ScheduledStatus id, not a status id) and ``url`` is None. Closer
than that, it is published directly: Mastodon answers a ``scheduled_at`` under 5 minutes
ahead with 422 "Validation failed: Scheduled at The scheduled date must be in the future"
(scheduled_statuses docs), and should the server's clock disagree with ours, that 422 is
answered by publishing directly too (at most a few minutes early), never by failing.

Mastodon does not honour ``Idempotency-Key`` for scheduled statuses (their
``params.idempotency`` is stored as null; mastodon/mastodon#30039 "Idempotency-Key ignored
when scheduling a post"), so before scheduling, and in ``find_published``, the account's
``GET /api/v1/scheduled_statuses`` ("User token + ``read:statuses``") is searched for one
with the same ``params.text`` and ``scheduled_at``: a retry after a lost answer finds the
first one instead of scheduling a second. Without the ``read:statuses`` scope (403) that
look-up is skipped.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from ..counting import fetch_mastodon_limit
from ..errors import CuratorError
from ..types import Account
from .base import Failure, OutgoingPost, PostMetrics, Published, PublishError, post_gone

SECRET_KIND = "access_token"
VISIBILITIES = ("public", "unlisted", "private", "direct")
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)  # (connect, read) seconds
SERVER_SCHEDULE_MARGIN = timedelta(minutes=6)
SCHEDULED_PREFIX = "scheduled:"
TOO_SOON = "Scheduled at"  # the field name in Mastodon's too-soon 422 text
SCHEDULED_PAGES = 8  # 40 a page; Mastodon keeps at most 300 scheduled statuses an account
DEFAULT_SCOPES = "read:accounts read:statuses write:statuses"
_RETRYABLE_4XX = (408, 425, 429)


def make(account: Account, secrets: Any, *, session: Any = None,
         **options: Any) -> MastodonConnector:
    """The connector for a Mastodon account (see MastodonConnector for ``options``)."""
    return MastodonConnector(account, secrets, session=session, **options)


class MastodonConnector:
    """One Mastodon account. The access token is read from ``secrets`` (kind
    ``"access_token"``) on every call and never kept, logged or put into an error."""

    idempotent = True  # the engine may re-send a crashed publish with the same key

    def __init__(
        self,
        account: Account,
        secrets: Any,
        *,
        session: Any = None,
        visibility: str = "public",
        server_schedule: bool = False,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        now: Callable[[], datetime] | None = None,
    ):
        if not account.api_base:
            raise PublishError(f"The account {account.name!r} has no Mastodon server address.",
                               Failure.PERMANENT)
        if visibility not in VISIBILITIES:
            raise PublishError(f"Unknown Mastodon visibility {visibility!r}; use one of "
                               f"{', '.join(VISIBILITIES)}.", Failure.PERMANENT)
        self.account = account
        self.api_base = account.api_base.rstrip("/")
        self._secrets = secrets
        self.session = session if session is not None else requests.Session()
        self.visibility = visibility
        self.server_schedule = server_schedule
        self.timeout = timeout
        self._now = now or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:  # never the token
        return f"MastodonConnector({self.account.name!r}, {self.api_base!r})"

    # ---- the Connector shape ------------------------------------------------------------

    def verify(self) -> str:
        """``GET /api/v1/accounts/verify_credentials``; returns the account's ``acct``
        (``username`` when ``acct`` is missing)."""
        data = self._request("GET", "/api/v1/accounts/verify_credentials")
        handle = data.get("acct") or data.get("username")
        if not isinstance(handle, str) or not handle:
            raise PublishError("The Mastodon server's answer did not name the account.",
                               Failure.RETRYABLE)
        return handle

    def publish(self, post: OutgoingPost) -> Published:
        """``POST /api/v1/statuses`` for the post, then one reply per thread part."""
        fields: dict[str, str] = {"status": post.text, "visibility": self.visibility}
        if post.language:
            fields["language"] = post.language
        scheduled = self._use_server_schedule(post)
        if scheduled:
            earlier = self._find_scheduled(post.text, scheduled)
            if earlier is not None:  # our own earlier attempt: the key would not catch it
                return earlier
            try:
                first = self._post_status(dict(fields, scheduled_at=scheduled),
                                          post.idempotency_key)
                return Published(SCHEDULED_PREFIX + first["id"], None, server_scheduled=True)
            except PublishError as e:
                if e.status != 422 or TOO_SOON not in str(e):
                    raise
                # The server's clock says it is under 5 minutes away: publish it now.
        first = self._post_status(fields, post.idempotency_key)
        parent = first["id"]
        for n, part in enumerate(post.thread, start=1):
            reply = dict(fields, status=part, in_reply_to_id=parent)
            parent = self._post_status(reply, f"{post.idempotency_key}-{n}")["id"]
        url = first.get("url")
        return Published(first["id"], url if isinstance(url, str) and url else None)

    def find_published(self, post: OutgoingPost) -> Published | None:
        """A post meant for the server's scheduler: its ScheduledStatus, when one with the same
        text and time is there. Otherwise None: Mastodon has no lookup by Idempotency-Key, and
        the engine's retry with the same key is what makes a crashed publish safe (within the
        server's 1-hour window)."""
        scheduled = self._use_server_schedule(post)
        return self._find_scheduled(post.text, scheduled) if scheduled else None

    def metrics(self, remote_id: str, url: str | None = None) -> PostMetrics:
        """``GET /api/v1/statuses/:id``: ``favourites_count``, ``reblogs_count`` and
        ``replies_count``. A post still waiting in the server's scheduler (``scheduled:<id>``)
        has none yet; a token without ``read:statuses`` (403) gets an ``unavailable``
        sentence, never zeros; a deleted status (404) is PERMANENT."""
        if remote_id.startswith(SCHEDULED_PREFIX):
            return PostMetrics.not_available(
                "The post is still waiting in the Mastodon server's schedule: it has no "
                "counts until it is out.")
        if not remote_id.isdigit():  # Mastodon status ids are numbers; never a path
            raise PublishError(f"{remote_id!r} is not a Mastodon status id.",
                               Failure.PERMANENT)
        try:
            status = self._request("GET", f"/api/v1/statuses/{remote_id}")
        except PublishError as e:
            if e.status in (404, 410):
                raise post_gone("Mastodon", e.status) from None
            if e.status == 403:
                return PostMetrics.not_available(
                    "This Mastodon sign-in may not read statuses (it lacks the "
                    "read:statuses scope): reconnect the account to see the counts.")
            raise
        return PostMetrics(likes=_count(status.get("favourites_count")),
                           reposts=_count(status.get("reblogs_count")),
                           replies=_count(status.get("replies_count")))

    def followers(self) -> int | None:
        """``followers_count`` of ``GET /api/v1/accounts/verify_credentials``; None when the
        sign-in may not read the account (403, no ``read:accounts``)."""
        try:
            account = self._request("GET", "/api/v1/accounts/verify_credentials")
        except PublishError as e:
            if e.status == 403:
                return None
            raise
        return _count(account.get("followers_count"))

    # ---- extras -------------------------------------------------------------------------

    def fetch_limit(self) -> int:
        """The instance's ``configuration.statuses.max_characters`` (500 when it won't say)."""
        return fetch_mastodon_limit(self.api_base, self.session,
                                    timeout=self._read_timeout())

    # ---- internals ----------------------------------------------------------------------

    def _use_server_schedule(self, post: OutgoingPost) -> str | None:
        if not self.server_schedule or post.thread or post.scheduled_at is None:
            return None
        when = post.scheduled_at
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # OutgoingPost times are UTC
        if when - self._now() <= SERVER_SCHEDULE_MARGIN:
            return None  # too close: the server would refuse it; publish now instead
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def _find_scheduled(self, text: str, scheduled_at: str) -> Published | None:
        """``GET /api/v1/scheduled_statuses`` (``limit`` 40, then the ``Link`` rel="next"
        pages): the ScheduledStatus with ``params.text`` == text at that time, if any."""
        want = _parse_time(scheduled_at)
        url: str | None = self.api_base + "/api/v1/scheduled_statuses?limit=40"
        for _ in range(SCHEDULED_PAGES):
            if url is None:
                break
            try:
                page, resp = self._get_list(url)
            except PublishError as e:
                if e.status == 403:  # no read:statuses scope: cannot look, so do not
                    return None
                raise
            for entity in page:
                if not isinstance(entity, dict):
                    continue
                params = entity.get("params")
                when = _parse_time(entity.get("scheduled_at"))
                if (isinstance(params, dict) and params.get("text") == text
                        and when is not None and want is not None
                        and when.replace(microsecond=0) == want.replace(microsecond=0)
                        and entity.get("id") is not None):
                    return Published(SCHEDULED_PREFIX + str(entity["id"]), None,
                                     server_scheduled=True)
            link = getattr(resp, "links", {}).get("next", {}).get("url")
            url = link if isinstance(link, str) and link.startswith(self.api_base) else None
        return None

    def _get_list(self, url: str) -> tuple[list[Any], Any]:
        host = urlsplit(self.api_base).netloc or self.api_base
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        try:
            resp = self.session.request("GET", url, headers=headers, timeout=self.timeout,
                                        allow_redirects=False)
        except requests.Timeout:
            raise PublishError(f"The Mastodon server {host} did not answer in time.",
                               Failure.RETRYABLE) from None
        except requests.RequestException:
            raise PublishError(f"Could not reach the Mastodon server {host}.",
                               Failure.RETRYABLE) from None
        if resp.status_code != 200:
            raise self._error(resp, host)
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, list):
            raise PublishError(f"The Mastodon server {host} sent an unreadable answer; "
                               "it will be retried.", Failure.RETRYABLE, status=200)
        return body, resp

    def _post_status(self, fields: Mapping[str, str], key: str) -> dict[str, Any]:
        data = self._request("POST", "/api/v1/statuses", data=dict(fields),
                             headers={"Idempotency-Key": key})
        status_id = data.get("id")
        if isinstance(status_id, int) and not isinstance(status_id, bool):
            status_id = str(status_id)
        if not isinstance(status_id, str) or not status_id:
            # It may exist already: the retry with the same key returns it, not a second one.
            raise PublishError("The Mastodon server's answer had no status id; "
                               "it will be retried.", Failure.RETRYABLE, status=200)
        return dict(data, id=status_id)

    def _token(self) -> str:
        try:
            token = self._secrets.get(self.account.id, SECRET_KIND)
        except PublishError:
            raise
        except CuratorError as e:  # the keyring is locked or missing: the post waits
            raise PublishError(str(e), Failure.RETRYABLE) from None
        if not token:
            raise PublishError(f"No Mastodon access token is stored for {self.account.name!r}; "
                               "reconnect the account.", Failure.AUTH)
        return str(token)

    def _read_timeout(self) -> float:
        return self.timeout[1] if isinstance(self.timeout, tuple) else self.timeout

    def _request(self, method: str, path: str, *, data: dict[str, str] | None = None,
                 headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        all_headers = {"Authorization": f"Bearer {self._token()}",
                       "Accept": "application/json"}
        all_headers.update(headers or {})
        host = urlsplit(self.api_base).netloc or self.api_base
        try:
            resp = self.session.request(method, self.api_base + path, data=data,
                                        headers=all_headers, timeout=self.timeout,
                                        allow_redirects=False)
        except requests.Timeout:
            raise PublishError(f"The Mastodon server {host} did not answer in time.",
                               Failure.RETRYABLE) from None
        except requests.RequestException:
            raise PublishError(f"Could not reach the Mastodon server {host}.",
                               Failure.RETRYABLE) from None
        if resp.status_code == 200:
            try:
                body = resp.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise PublishError(f"The Mastodon server {host} sent an unreadable answer; "
                                   "it will be retried.", Failure.RETRYABLE, status=200)
            return body
        raise self._error(resp, host)

    def _error(self, resp: Any, host: str) -> PublishError:
        code = int(resp.status_code)
        message = _error_text(resp) or f"The Mastodon server {host} answered HTTP {code}."
        if code in (401, 403):
            return PublishError(message, Failure.AUTH, status=code)
        if code == 429:
            return PublishError(message, Failure.RETRYABLE, status=code,
                                retry_after=self._retry_after(resp.headers))
        if code >= 500 or code in _RETRYABLE_4XX:
            return PublishError(message, Failure.RETRYABLE, status=code,
                                retry_after=self._retry_after(resp.headers))
        return PublishError(message, Failure.PERMANENT, status=code)

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait: ``Retry-After`` (seconds or an HTTP date) when given, else the
        time left until ``X-RateLimit-Reset`` (ISO 8601)."""
        now = self._now()
        value = headers.get("Retry-After")
        if value:
            value = value.strip()
            if value.isdigit():
                return float(value)
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - now).total_seconds())
        reset = headers.get("X-RateLimit-Reset")
        if reset:
            try:
                when = datetime.fromisoformat(reset.strip())
            except ValueError:
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - now).total_seconds())
        return None


def _count(value: Any) -> int | None:
    """A count from the API: a non-negative int (not a bool), else None (unknown)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as UTC ("...Z" included), or None."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _error_text(resp: Any) -> str | None:
    """The Error entity's ``error`` (verbatim), or None when the body is not one."""
    try:
        body = resp.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, str) and error.strip():
            return error.strip()
    return None


def register_app(api_base: str, session: Any, redirect_uri: str, *,
                 client_name: str = "Curator", scopes: str = DEFAULT_SCOPES,
                 website: str | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> tuple[str, str]:
    """``POST /api/v1/apps`` on the instance; returns ``(client_id, client_secret)``.

    Form data per the docs: ``client_name``, ``redirect_uris`` ("Where the user should be
    redirected after authorization"; ``urn:ietf:wg:oauth:2.0:oob`` shows the code instead),
    ``scopes`` and ``website``. The caller stores the secret in the keyring, never in SQLite.

    Raises:
        PublishError: a 422 (e.g. "Validation failed: Redirect URI must be an absolute URI.")
            is PERMANENT with the server's text; network faults, 429 and 5xx are RETRYABLE.
    """
    base = api_base.rstrip("/")
    http = session if session is not None else requests.Session()
    host = urlsplit(base).netloc or base
    fields = {"client_name": client_name, "redirect_uris": redirect_uri, "scopes": scopes}
    if website:
        fields["website"] = website
    try:
        resp = http.post(base + "/api/v1/apps", data=fields, timeout=timeout,
                         headers={"Accept": "application/json"}, allow_redirects=False)
    except requests.Timeout:
        raise PublishError(f"The Mastodon server {host} did not answer in time.",
                           Failure.RETRYABLE) from None
    except requests.RequestException:
        raise PublishError(f"Could not reach the Mastodon server {host}.",
                           Failure.RETRYABLE) from None
    if resp.status_code != 200:
        code = int(resp.status_code)
        message = _error_text(resp) or f"The Mastodon server {host} answered HTTP {code}."
        failure = (Failure.RETRYABLE if code >= 500 or code in _RETRYABLE_4XX
                   else Failure.PERMANENT)
        raise PublishError(message, failure, status=code)
    try:
        body = resp.json()
    except ValueError:
        body = None
    if (not isinstance(body, dict) or not isinstance(body.get("client_id"), str)
            or not isinstance(body.get("client_secret"), str)):
        raise PublishError(f"The Mastodon server {host} did not return app credentials.",
                           Failure.RETRYABLE, status=200)
    return body["client_id"], body["client_secret"]
