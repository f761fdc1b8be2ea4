"""LinkedIn: post to a member's feed through the versioned Posts API.

Written from LinkedIn's documentation (learn.microsoft.com/linkedin):

- Posts API (``/rest/posts``): "All APIs require the request header ``Linkedin-Version:
  {Version in YYYYMM format}``. All APIs require the request header
  ``X-Restli-Protocol-Version: 2.0.0``". Permission ``w_member_social``: "Post, comment and
  like posts on behalf of an authenticated member." A post is created with
  ``POST https://api.linkedin.com/rest/posts`` and the JSON fields ``author`` (a person
  URN), ``commentary`` (little text), ``visibility`` (``PUBLIC``), ``distribution``
  (``feedDistribution: MAIN_FEED``, ``targetEntities``, ``thirdPartyDistributionChannels``),
  ``lifecycleState`` (``PUBLISHED``) and ``isReshareDisabledByAuthor``; an article post adds
  ``content.article`` with ``source``, ``title`` and ``description`` ("Article Post API does
  not support url scraping [...] API partners need to set article fields such as thumbnail,
  title and description"). The answer is 201 with the new post's URN in the ``x-restli-id``
  response header; a person sees it at ``https://www.linkedin.com/feed/update/<urn>/``.
- Versioning ("LinkedIn Marketing API Versioning"): "Include a request header with the key
  "Linkedin-Version" and set the value to the version (format: YYYYMM)"; "These API versions
  are supported and stable for a minimum of one year before sunset"; "you should make the
  base URL and version header configurable". A retired version answers 426
  ``{"status":426,"code":"NONEXISTENT_VERSION","message":"Requested version 20240401 is not
  active"}`` (as integrators saw it). Here the version is the account's "LinkedIn API
  version" setting (``make(..., linkedin_version=...)``; ``curator accounts edit NAME
  --api-version YYYYMM``), else the environment variable ``CURATOR_LINKEDIN_VERSION``, else
  :data:`DEFAULT_LINKEDIN_VERSION` (see :func:`resolve_version`).
- little Text Format (the ``commentary``): "Characters reserved for little elements must be
  escaped to be treated as plaintext" and "All reserved characters need to be escaped with a
  backslash, even if those characters are not used in one of the supported elements or
  templates" (``| { } @ [ ] ( ) < > # \\ * _ ~``); unescaped, LinkedIn answers 201 and cuts
  the post at the first one. Its HashtagTemplate "Represents a hashtag, including the hashtag
  sign, which should be either '#' (U+0023) or '＃' (U+FF03)": ``{hashtag|\\#|tag}``. So
  ``commentary`` is curator.counting.linkedin_commentary of the typed text: a ``#word`` that
  starts a word becomes a clickable hashtag; everything else, ``C#``, a lone ``#`` and the
  ``#`` of ``https://ejemplo.es/a#b`` included, is escaped. A plain ``@name`` stays text: a
  MentionElement needs the entity's URN (``@[Eddy](urn:li:person:1234)``). The 3,000
  characters are counted on the text the post shows (curator.counting.linkedin_length);
  LinkedIn does not say how templates count.
- Sign In with LinkedIn using OpenID Connect: ``GET /v2/userinfo`` (scopes ``openid``,
  ``profile``, ``email``) answers ``sub``, ``name``, ``given_name``, ``family_name``,
  ``email``...; the author of the member's posts is ``urn:li:person:<sub>``.
- Error Handling: "Error responses have the following details: message - A description of
  the error. serviceErrorCode - A subcode that further classifies the error. status - The
  type of error (status code)." Errors show ``message`` word for word. Access tokens live 60
  days ("Generated access tokens have a lifespan of only 60 days"); an expired or revoked one
  answers 401.
- Social Actions ("Network Update Social Actions"): ``GET
  https://api.linkedin.com/rest/socialActions/{shareUrn|ugcPostUrn|commentUrn}`` (the URN
  URL-encoded, as Rest.li 2.0 wants keys in a path) "Retrieve a Summary of Social
  Actions": ``likesSummary`` (``totalLikes``, ``likedByCurrentUser``) and
  ``commentsSummary`` (``totalFirstLevelComments``, ``aggregatedTotalComments``). Reading
  them for a member's posts needs ``r_member_social`` ("Restricted [...] This permission is
  granted to select developers only"); a token with only ``w_member_social`` gets 403
  ``ACCESS_DENIED`` "Not enough permissions to access: ...", so the counts are
  "unavailable", never zeros. Shares and impressions are not in socialActions, and a
  member's follower count needs other restricted permissions: both stay None.
- Rate Limits: "Rate limits specify the maximum number of API calls that can be made in a 24
  hour period. These limits reset at midnight UTC every day." and "Rate limited requests will
  receive a 429 response. In rare cases, LinkedIn may also return a 429 response as part of
  infrastructure protection." No Retry-After is documented: a 429 whose message names a DAY
  limit waits for midnight UTC, any other waits :data:`RATE_LIMIT_WAIT`.
- Find Posts by Authors: ``GET /rest/posts?author={encoded URN}&q=author&count=10&
  sortBy=LAST_MODIFIED``, which for a member's posts needs ``r_member_social`` ("(Restricted)
  [...] This is a private permission"). :meth:`LinkedInConnector.find_published` uses it when
  the app has it, and answers None (cannot tell) when LinkedIn refuses.

How failures are classed (curator.connectors.base.Failure):

- 401, 403, no token in the keyring, or a token whose known expiry has passed -> AUTH:
  "reconnect needed" (the engine keeps the account's queue, marked needs_attention).
- 426, or a 400 ``NONEXISTENT_VERSION``/``VERSION_MISSING`` -> PERMANENT, telling the user to
  change the account's "LinkedIn API version" setting.
- 400, 422 and other 4xx -> PERMANENT with LinkedIn's ``message``.
- 429 -> RETRYABLE (``Retry-After`` when given, else midnight UTC for a DAY limit, else
  RATE_LIMIT_WAIT); 5xx, 408, connection errors and timeouts -> RETRYABLE.

The token's expiry (when the sign-in said it: ``expires_in``) is kept in the keyring as kind
``"session"``: JSON ``{"expires_at": "<ISO 8601 UTC>" or null, ...}``, the shape
curator.oauth.store_tokens writes (and :func:`save_token`);
:func:`token_warning` warns a week ahead.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from ..counting import linkedin_commentary, linkedin_escape, linkedin_unescape
from ..errors import CuratorError
from ..types import Account
from .base import Failure, OutgoingPost, PostMetrics, Published, PublishError, post_gone

SECRET_KIND = "access_token"
SESSION_KIND = "session"  # JSON {"expires_at": ISO 8601}: not secret, but only the keyring
DEFAULT_API_BASE = "https://api.linkedin.com"
# September 2026: the latest version LinkedIn was found to list (checked 2026-11-29).
# LinkedIn: "These API versions are supported and stable for a minimum of one year before
# sunset"; its migrations table dates each sunset a year on ("202603 (March 2026) ...
# March 16, 2027 ... Active"), and in September 2026 its versioning page listed 202609 as the
# latest ("Microsoft currently lists 202609 (September 2026) as the latest version",
# n8n-io/n8n#39065). So it stays active until about September 2027.
DEFAULT_LINKEDIN_VERSION = "202609"
VERSION_SETTING = 'the account\'s "LinkedIn API version" setting'
VERSION_ENV = "CURATOR_LINKEDIN_VERSION"
RESTLI_PROTOCOL_VERSION = "2.0.0"
MAX_CHARACTERS = 3000
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)  # (connect, read) seconds
RATE_LIMIT_WAIT = 15 * 60.0  # seconds, when a 429 carries no Retry-After
TOKEN_WARNING = timedelta(days=7)
FIND_WINDOW = timedelta(hours=1)
FEED_URL = "https://www.linkedin.com/feed/update/{urn}/"
_VERSION_RE = re.compile(r"^\d{6}(\.\d{2})?$")  # YYYYMM, or a patch like 202508.02


def resolve_version(explicit: str | None = None) -> str:
    """The LinkedIn-Version to send: ``explicit``, else ``$CURATOR_LINKEDIN_VERSION``, else
    DEFAULT_LINKEDIN_VERSION.

    Raises:
        PublishError: not a YYYYMM month (PERMANENT).
    """
    from_env = os.environ.get(VERSION_ENV)
    value = (explicit or from_env or DEFAULT_LINKEDIN_VERSION).strip()
    if not _VERSION_RE.match(value):
        where = VERSION_SETTING if explicit else f"the environment variable {VERSION_ENV}"
        raise PublishError(f"The LinkedIn API version {value!r} ({where}) is not a month like "
                           f"{DEFAULT_LINKEDIN_VERSION} (YYYYMM): correct it.",
                           Failure.PERMANENT)
    return value


def make(account: Account, secrets: Any, *, session: Any = None,
         linkedin_version: str | None = None, **options: Any) -> LinkedInConnector:
    """The connector for a LinkedIn account (see LinkedInConnector for ``options``)."""
    return LinkedInConnector(account, secrets, session=session,
                             linkedin_version=linkedin_version, **options)


# ---- the token's expiry ------------------------------------------------------------------


def save_token(secrets: Any, account_id: int, access_token: str, *,
               expires_in: float | None, now: datetime) -> None:
    """Store a new access token and, when LinkedIn gave ``expires_in`` (seconds; 60 days for
    member tokens), when it expires (``null`` when unknown). Other keys of the ``session``
    JSON (curator.oauth.store_tokens keeps ``client_id`` there) are kept."""
    secrets.set(account_id, SECRET_KIND, access_token)
    try:
        session = json.loads(secrets.get(account_id, SESSION_KIND) or "{}")
    except ValueError:
        session = {}
    if not isinstance(session, dict):
        session = {}
    expires_at = None
    if expires_in is not None:
        expires_at = (_aware(now) + timedelta(seconds=float(expires_in))).replace(microsecond=0)
    session["expires_at"] = expires_at.isoformat() if expires_at else None
    secrets.set(account_id, SESSION_KIND, json.dumps(session))


def token_expires_at(secrets: Any, account_id: int) -> datetime | None:
    """When the stored token expires, or None when unknown."""
    raw = secrets.get(account_id, SESSION_KIND)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        value = data.get("expires_at") if isinstance(data, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (ValueError, OverflowError, OSError):
        pass
    return None


def token_warning(account: Account, secrets: Any, now: datetime) -> str | None:
    """One sentence when the account's LinkedIn sign-in expires within a week (or has), else
    None. LinkedIn member tokens last 60 days; Curator cannot renew them without the user."""
    expires = token_expires_at(secrets, account.id)
    if expires is None:
        return None
    now = _aware(now)
    day = expires.astimezone(UTC).strftime("%Y-%m-%d")
    if expires <= now:
        return f"Your LinkedIn sign-in expired on {day}: reconnect the account."
    if expires - now <= TOKEN_WARNING:
        return f"Your LinkedIn sign-in expires on {day}: reconnect within a week"
    return None


# ---- the connector -----------------------------------------------------------------------


class LinkedInConnector:
    """One LinkedIn member account. The access token is read from ``secrets`` (kind
    ``"access_token"``) on every call and never kept, logged or put into an error."""

    idempotent = False  # the Posts API has no idempotency key: a re-send is a second post

    def __init__(
        self,
        account: Account,
        secrets: Any,
        *,
        session: Any = None,
        linkedin_version: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        now: Callable[[], datetime] | None = None,
    ):
        self.account = account
        self.api_base = (account.api_base or DEFAULT_API_BASE).rstrip("/")
        self.version = resolve_version(linkedin_version)
        self._secrets = secrets
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self._now = now or (lambda: datetime.now(UTC))
        self._author: str | None = None

    def __repr__(self) -> str:  # never the token
        return (f"LinkedInConnector({self.account.name!r}, {self.api_base!r}, "
                f"version={self.version!r})")

    # ---- the Connector shape ------------------------------------------------------------

    def verify(self) -> str:
        """``GET /v2/userinfo``; remembers the author URN ``urn:li:person:<sub>`` and returns
        the member's email (their name when the token has no ``email`` scope)."""
        info = self._userinfo()
        handle = info.get("email") or info.get("name") or self._author
        return str(handle)

    @property
    def author(self) -> str:
        """``urn:li:person:<sub>`` of the signed-in member (one userinfo call, then kept)."""
        if self._author is None:
            self._userinfo()
        assert self._author is not None
        return self._author

    def publish(self, post: OutgoingPost) -> Published:
        """``POST /rest/posts``: the text as little text (hashtags as hashtags), with an
        article card when the post has a link."""
        if post.thread:
            raise PublishError("LinkedIn has no threads: shorten the post to one part.",
                               Failure.PERMANENT)
        body: dict[str, Any] = {
            "author": self.author,
            "commentary": linkedin_commentary(post.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if post.link:
            # LinkedIn does not scrape the page: the card shows what is sent. A title is
            # required; the link itself stands in when the item had none.
            article: dict[str, str] = {"source": post.link, "title": post.title or post.link}
            if post.description:
                article["description"] = post.description
            body["content"] = {"article": article}
        resp = self._send("POST", "/rest/posts", json_body=body, rest=True)
        if resp.status_code != 201:
            raise self._error(resp)
        urn = (resp.headers.get("x-restli-id") or "").strip()
        if not urn:
            # It is on LinkedIn: a retry would post it twice. Let the user look.
            raise PublishError("LinkedIn accepted the post but did not say its id: check your "
                               "LinkedIn profile before retrying it.", Failure.PERMANENT,
                               status=201)
        return Published(urn, FEED_URL.format(urn=urn))

    def find_published(self, post: OutgoingPost) -> Published | None:
        """The member's post with exactly this text made within the last hour, through
        "Find Posts by Authors" (``GET /rest/posts?author=...&q=author``). That finder needs
        the restricted ``r_member_social`` permission: without it (403) LinkedIn cannot tell,
        and the answer is None."""
        resp = self._send("GET", "/rest/posts", rest=True, params={
            "author": self.author, "q": "author", "count": "10", "sortBy": "LAST_MODIFIED"})
        if resp.status_code == 403:
            return None
        if resp.status_code != 200:
            raise self._error(resp)
        data = _json(resp)
        elements = data.get("elements") if isinstance(data, dict) else None
        if not isinstance(elements, list):
            return None
        # What this connector sends now, what it sent before hashtags were templates, or any
        # little text that shows the same words.
        wanted = {linkedin_commentary(post.text), linkedin_escape(post.text), post.text}
        since = self._now() - FIND_WINDOW
        for element in elements:
            commentary = element.get("commentary") if isinstance(element, dict) else None
            if not isinstance(commentary, str) or (
                    commentary not in wanted and linkedin_unescape(commentary) != post.text):
                continue
            assert isinstance(element, dict)
            created = element.get("createdAt") or element.get("publishedAt")
            if not isinstance(created, int | float) or isinstance(created, bool):
                continue
            if datetime.fromtimestamp(created / 1000, UTC) < since:
                continue
            urn = element.get("id")
            if isinstance(urn, str) and urn:
                return Published(urn, FEED_URL.format(urn=urn))
        return None

    def metrics(self, remote_id: str, url: str | None = None) -> PostMetrics:
        """``GET /rest/socialActions/{encoded urn}``: ``likesSummary.totalLikes`` and
        ``commentsSummary.aggregatedTotalComments``. Without ``r_member_social`` (403) the
        counts are unavailable; a deleted post (404) is PERMANENT."""
        if not remote_id.startswith("urn:li:"):
            raise PublishError(f"{remote_id!r} is not a LinkedIn post URN.", Failure.PERMANENT)
        resp = self._send("GET", "/rest/socialActions/" + urllib.parse.quote(remote_id, safe=""),
                          rest=True)
        if resp.status_code == 403:
            return PostMetrics.not_available(
                "LinkedIn does not give reactions to this token: it needs r_member_social, "
                "a permission LinkedIn grants only to select developers.")
        if resp.status_code in (404, 410):
            raise post_gone("LinkedIn", resp.status_code)
        if resp.status_code != 200:
            raise self._error(resp)
        body = _json(resp)
        if not isinstance(body, dict):
            raise PublishError("LinkedIn sent an unreadable answer; it will be retried.",
                               Failure.RETRYABLE, status=200)
        likes = body.get("likesSummary")
        comments = body.get("commentsSummary")
        return PostMetrics(
            likes=_count(likes.get("totalLikes")) if isinstance(likes, dict) else None,
            reposts=None,  # socialActions has no shares
            replies=(_count(comments.get("aggregatedTotalComments"))
                     if isinstance(comments, dict) else None))

    def followers(self) -> int | None:
        """None: a member's follower count needs permissions LinkedIn restricts."""
        return None

    # ---- internals ----------------------------------------------------------------------

    def _userinfo(self) -> dict[str, Any]:
        resp = self._send("GET", "/v2/userinfo", rest=False)
        if resp.status_code != 200:
            raise self._error(resp)
        info = _json(resp)
        sub = info.get("sub") if isinstance(info, dict) else None
        if not isinstance(sub, str) or not sub:
            raise PublishError("LinkedIn's answer did not name the signed-in member.",
                               Failure.RETRYABLE, status=200)
        assert isinstance(info, dict)
        self._author = f"urn:li:person:{sub}"
        return info

    def _token(self) -> str:
        try:
            token = self._secrets.get(self.account.id, SECRET_KIND)
            expires = token_expires_at(self._secrets, self.account.id) if token else None
        except PublishError:
            raise
        except CuratorError as e:  # the keyring is locked or missing: the post waits
            raise PublishError(str(e), Failure.RETRYABLE) from None
        if not token:
            raise PublishError(f"No LinkedIn access token is stored for {self.account.name!r}: "
                               "reconnect the account.", Failure.AUTH)
        if expires is not None and expires <= self._now():
            day = expires.astimezone(UTC).strftime("%Y-%m-%d")
            raise PublishError(f"Your LinkedIn sign-in expired on {day}: reconnect the "
                               "account.", Failure.AUTH)
        return str(token)

    def _send(self, method: str, path: str, *, rest: bool,
              json_body: dict[str, Any] | None = None,
              params: Mapping[str, str] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        if rest:  # the versioned API; /v2/userinfo is not versioned
            headers["LinkedIn-Version"] = self.version
            headers["X-Restli-Protocol-Version"] = RESTLI_PROTOCOL_VERSION
        if json_body is not None:
            headers["Content-Type"] = "application/json"
        host = urlsplit(self.api_base).netloc or self.api_base
        try:
            return self.session.request(
                method, self.api_base + path, headers=headers, params=params,
                data=None if json_body is None else json.dumps(json_body).encode("utf-8"),
                timeout=self.timeout, allow_redirects=False)
        except requests.Timeout:
            raise PublishError(f"LinkedIn ({host}) did not answer in time.",
                               Failure.RETRYABLE) from None
        except requests.RequestException:
            raise PublishError(f"Could not reach LinkedIn ({host}).", Failure.RETRYABLE) from None

    def _error(self, resp: Any) -> PublishError:
        code = int(resp.status_code)
        body = _json(resp)
        message = body.get("message") if isinstance(body, dict) else None
        error_code = body.get("code") if isinstance(body, dict) else None
        # LinkedIn's message word for word (only surrounding white space trimmed), quoted.
        said = (f'"{message.strip()}"' if isinstance(message, str) and message.strip()
                else "no message")
        if code == 426 or error_code in ("NONEXISTENT_VERSION", "VERSION_MISSING"):
            return PublishError(
                f"LinkedIn no longer serves API version {self.version} (HTTP {code}, {said}): "
                f"change {VERSION_SETTING} of {self.account.name!r} to a month LinkedIn lists "
                f"as active, such as {DEFAULT_LINKEDIN_VERSION} (curator accounts edit NAME "
                "--api-version YYYYMM).", Failure.PERMANENT, status=code)
        if code == 401:
            return PublishError(f"LinkedIn refused the sign-in (HTTP 401, {said}): reconnect "
                                "the account.", Failure.AUTH, status=code)
        if code == 403:
            return PublishError(f"LinkedIn refused the permission (HTTP 403, {said}): "
                                "reconnect the account and allow posting.", Failure.AUTH,
                                status=code)
        if code == 429:
            wait = self._retry_after(resp.headers)
            if wait is None:
                wait = (self._until_midnight_utc() if isinstance(message, str)
                        and "DAY limit" in message else RATE_LIMIT_WAIT)
            return PublishError(f"LinkedIn's rate limit was reached (HTTP 429, {said}); it "
                                "will be retried.", Failure.RETRYABLE, status=code,
                                retry_after=wait)
        if code >= 500 or code == 408:
            return PublishError(f"LinkedIn could not take the request (HTTP {code}, {said}); "
                                "it will be retried.", Failure.RETRYABLE, status=code,
                                retry_after=self._retry_after(resp.headers))
        return PublishError(f"LinkedIn refused the post (HTTP {code}, {said}).",
                            Failure.PERMANENT, status=code)

    def _until_midnight_utc(self) -> float:
        """Seconds until LinkedIn's daily limits reset ("at midnight UTC every day"), plus a
        minute for clocks that differ."""
        now = _aware(self._now())
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - now).total_seconds() + 60.0

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        value = (headers.get("Retry-After") or "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, (_aware(when) - self._now()).total_seconds())


def _count(value: Any) -> int | None:
    """A summary count: a non-negative int, else None (not given)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _json(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _aware(d: datetime) -> datetime:
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)
