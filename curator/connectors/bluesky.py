"""Bluesky: post ``app.bsky.feed.post`` records (and threads of replies) to the account's PDS.

Written from the AT Protocol lexicons (bluesky-social/atproto ``lexicons/``) and the Bluesky
docs ("Creating a post", docs.bsky.app/docs/advanced-guides/posts). Every call is XRPC:
``{service}/xrpc/{NSID}``, JSON in and out.

- ``com.atproto.server.createSession`` ("Create an authentication session."): input
  ``identifier`` ("Handle or other identifier supported by the server for the authenticating
  user.") and ``password``; output ``accessJwt``, ``refreshJwt``, ``handle``, ``did``.
  Errors ``AccountTakedown``, ``AuthFactorTokenRequired``; a wrong password is HTTP 401
  ``AuthenticationRequired`` "Invalid identifier or password".
- ``com.atproto.server.refreshSession`` ("Refresh an authentication session. Requires auth
  using the 'refreshJwt' (not the 'accessJwt')."): same output, a new pair of tokens.
- An expired access token answers HTTP 400 ``{"error": "ExpiredToken", "message": "Token has
  expired"}``; a bad one ``InvalidToken`` or HTTP 401 ``AuthenticationRequired``.
- ``com.atproto.repo.createRecord`` ("Create a single new repository record."): input
  ``repo`` ("The handle or DID of the repo"), ``collection`` ("The NSID of the record
  collection."), ``record``; output ``uri`` and ``cid``.
- ``app.bsky.feed.post`` ("Record containing a Bluesky post."): ``text`` (maxGraphemes 300),
  ``createdAt`` ("Client-declared timestamp when this post was originally created."),
  ``facets`` ("Annotations of text (mentions, URLs, hashtags, etc)"), ``reply``
  (``replyRef``: ``root`` and ``parent``, each a ``com.atproto.repo.strongRef`` ``{uri,
  cid}``), ``embed``, ``langs`` ("Indicates human language of post primary text content.").
- ``app.bsky.richtext.facet``: built by curator.counting.bluesky_facets; a ``#mention``
  needs the ``did``, from ``com.atproto.identity.resolveHandle`` ("Resolves an atproto handle
  (hostname) to a DID.", query ``handle``, output ``did``).
- ``app.bsky.embed.external`` ("A representation of some externally linked content (eg, a
  URL and 'card')"): ``external`` = ``{uri, title, description, thumb}``; ``thumb`` is a
  blob, ``accept: ["image/*"]``, ``maxSize: 1000000``.
- ``com.atproto.repo.uploadBlob`` ("Upload a new blob, to be referenced from a repository
  record. [...] Requires auth, implemented by PDS."): the raw bytes as the body with their
  ``Content-Type``; output ``blob``, the reference that goes into ``thumb`` as it is.
- ``com.atproto.repo.listRecords`` ("List a range of records in a repository, matching a
  specific collection."): query ``repo``, ``collection``, ``limit``; output ``records`` of
  ``{uri, cid, value}``, newest first.
- ``app.bsky.feed.getPosts`` ("Gets post views for a specified list of posts (by AT-URI).
  This is sometimes referred to as 'hydrating' a 'feed skeleton'."): query ``uris`` (at
  most 25); output ``posts``, each an ``app.bsky.feed.defs#postView`` whose optional
  integers ``likeCount``, ``repostCount``, ``replyCount`` and ``quoteCount`` are the counts.
  A post that no longer exists is simply left out of ``posts``.
- ``app.bsky.actor.getProfile`` ("Get detailed profile view of an actor. Does not require
  auth, but contains relevant metadata with auth."): query ``actor`` ("Handle or DID of
  account to fetch profile of."); output ``profileViewDetailed`` with ``followersCount``.
- These ``app.bsky.*`` reads are answered by an AppView, not by the PDS: a PDS proxies them
  to its configured AppView for a signed-in client. A PDS with no AppView behind it (a
  self-hosted one without ``PDS_BSKY_APP_VIEW_URL``, or the reference PDS the tests run)
  answers 502 (or 501 ``MethodNotImplemented``); the reads then go to the public AppView,
  ``https://public.api.bsky.app`` (the Bluesky docs: "public.api.bsky.app [...] for
  unauthenticated requests", cached, no auth needed), or the one given as the ``appview``
  option. No token ever goes to the AppView: the session is the PDS's alone.
- Errors are ``{"error": name, "message": text}``. Rate limits: HTTP 429 with the headers
  ``ratelimit-limit``, ``ratelimit-remaining``, ``ratelimit-reset`` (epoch seconds) and
  ``ratelimit-policy``.

Secrets (curator.secrets, never SQLite): the app password is kind ``"app_password"``; the
session tokens are cached as JSON in kind ``"session"`` (``accessJwt``, ``refreshJwt``,
``did``, ``handle``; other keys already in that JSON are kept). An access token whose
``exp`` claim is less than a minute away is refreshed before use (the PDS reads an
``uploadBlob`` body before the token and answers a bad token there with HTTP 500, not
``ExpiredToken``); a call that meets an expired or rejected access token anyway refreshes once
with ``refreshSession``; when the refresh token is refused too, a new session is made with
``createSession``; only when that fails is the account sent back to the user.

How failures are classed (curator.connectors.base.Failure):

- createSession refused (401, ``AuthenticationRequired``, ``InvalidToken``, ``ExpiredToken``,
  ``AccountTakedown``...), no app password stored -> AUTH.
- 400 ``InvalidRequest`` and any other 4xx -> PERMANENT with the server's ``message``.
- 429 -> RETRYABLE, ``retry_after`` = seconds until ``ratelimit-reset``.
- 5xx, connection errors, timeouts, a 200 that is not the documented answer -> RETRYABLE.

Threads: a thread that fails after its first part went out is failed for good (PERMANENT,
or AUTH) with the posted parts named: retrying would post the head again.

Crash recovery: Bluesky has no idempotency key, so ``idempotent`` is False and the engine
never re-sends blindly. ``find_published`` lists the author's 20 newest posts
(``listRecords``) and returns the one whose ``text`` is exactly the post's and whose
``createdAt`` is within the last hour: a crash after createRecord is then recorded as
published instead of posted twice; None means "not found", and the engine asks the user.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from ..counting import bluesky_facets
from ..errors import CuratorError
from ..types import Account
from .base import Failure, OutgoingPost, PostMetrics, Published, PublishError, post_gone

DEFAULT_SERVICE = "https://bsky.social"
DEFAULT_APPVIEW = "https://public.api.bsky.app"  # Bluesky's public, unauthenticated AppView
# A PDS with no AppView behind it: 502 UpstreamFailure (or 501 when it has no route at all).
_NO_APPVIEW = (501, 502)
PASSWORD_KIND = "app_password"
SESSION_KIND = "session"
POST_COLLECTION = "app.bsky.feed.post"
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)  # (connect, read) seconds
THUMB_MAX_BYTES = 1_000_000  # app.bsky.embed.external#external thumb maxSize
FIND_WINDOW = timedelta(hours=1)
FIND_LIMIT = 20
EXPIRY_MARGIN = 60  # seconds: refresh an access token this close to its "exp"
# Answers that mean "this access token will not do": refresh, then sign in again.
_TOKEN_ERRORS = ("ExpiredToken", "InvalidToken", "AuthenticationRequired",
                 "AuthMissing", "BadJwt")
_SESSION_KEYS = ("accessJwt", "refreshJwt", "did", "handle")


def make(account: Account, secrets: Any, *, session: Any = None,
         **options: Any) -> BlueskyConnector:
    """The connector for a Bluesky account (see BlueskyConnector for ``options``)."""
    return BlueskyConnector(account, secrets, session=session, **options)


class _Answer:
    """An XRPC answer: status, parsed JSON body (or None), headers."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str]):
        self.status = status
        self.body = body
        self.headers = headers

    @property
    def error(self) -> str:
        e = self.body.get("error") if isinstance(self.body, dict) else None
        return e if isinstance(e, str) else ""

    @property
    def message(self) -> str:
        m = self.body.get("message") if isinstance(self.body, dict) else None
        return m.strip() if isinstance(m, str) and m.strip() else ""

    def token_refused(self) -> bool:
        return self.status == 401 or (self.status == 400 and self.error in _TOKEN_ERRORS)


class BlueskyConnector:
    """One Bluesky account on its PDS. The app password and session tokens are read from
    ``secrets`` when needed and never logged, repr()d or put into an error."""

    idempotent = False  # no idempotency key on Bluesky: find_published decides after a crash

    def __init__(
        self,
        account: Account,
        secrets: Any,
        *,
        session: Any = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        thumb_max_bytes: int = THUMB_MAX_BYTES,
        appview: str | None = None,
        now: Callable[[], datetime] | None = None,
    ):
        if not account.handle:
            raise PublishError(f"The account {account.name!r} has no Bluesky handle.",
                               Failure.PERMANENT)
        self.account = account
        self.handle = account.handle.lstrip("@")
        self.api_base = (account.api_base or DEFAULT_SERVICE).rstrip("/")
        self._secrets = secrets
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.thumb_max_bytes = thumb_max_bytes
        self._now = now or (lambda: datetime.now(UTC))
        self._host = urlsplit(self.api_base).netloc or self.api_base
        # Where app.bsky.* reads go when the PDS cannot proxy them (see the module docstring).
        self.appview = (appview or DEFAULT_APPVIEW).rstrip("/")

    def __repr__(self) -> str:  # never a token or the password
        return f"BlueskyConnector({self.account.name!r}, {self.api_base!r})"

    # ---- the Connector shape ------------------------------------------------------------

    def verify(self) -> str:
        """``com.atproto.server.createSession`` with the handle and app password; returns
        the ``handle`` the server answers (and caches the new session)."""
        return str(self._create_session()["handle"])

    def publish(self, post: OutgoingPost) -> Published:
        """``createRecord`` of the post (with facets, ``langs`` and a link card), then one
        reply per thread part, each ``reply`` pointing at the first post (``root``) and the
        previous part (``parent``)."""
        sess = self._session()
        did = str(sess["did"])
        handle = str(sess.get("handle") or self.handle)
        record = self._record(post.text, post.language)
        if post.link:
            record["embed"] = self._external_embed(post)
        first = self._create_post(did, record)
        root = parent = {"uri": first["uri"], "cid": first["cid"]}
        url = _post_url(handle, first["uri"])
        for n, part in enumerate(post.thread, start=1):
            reply = self._record(part, post.language)
            reply["reply"] = {"root": root, "parent": parent}
            try:
                made = self._create_post(did, reply)
            except PublishError as e:
                # The head is on Bluesky: a retry would post it again. Say what went out.
                raise PublishError(
                    f"Only the first {n} of {len(post.thread) + 1} parts of the thread were "
                    f"posted ({url}); part {n + 1} failed: {e}",
                    Failure.AUTH if e.failure is Failure.AUTH else Failure.PERMANENT,
                    status=e.status) from None
            parent = {"uri": made["uri"], "cid": made["cid"]}
        return Published(first["uri"], url)

    def find_published(self, post: OutgoingPost) -> Published | None:
        """``com.atproto.repo.listRecords`` (``collection`` app.bsky.feed.post, ``limit``
        20): the record whose ``text`` is exactly ``post.text`` and whose ``createdAt`` is
        within the last hour, else None."""
        sess = self._session()
        did = str(sess["did"])
        handle = str(sess.get("handle") or self.handle)
        body = self._xrpc("GET", "com.atproto.repo.listRecords",
                          params={"repo": did, "collection": POST_COLLECTION,
                                  "limit": str(FIND_LIMIT)})
        records = body.get("records")
        if not isinstance(records, list):
            raise PublishError(f"The Bluesky server {self._host} sent an unreadable list of "
                               "posts.", Failure.RETRYABLE, status=200)
        since = self._now() - FIND_WINDOW
        for rec in records:
            value = rec.get("value") if isinstance(rec, dict) else None
            if not isinstance(value, dict) or value.get("text") != post.text:
                continue
            if "reply" in value:
                continue  # a thread part with the same words is not the post itself
            created = _parse_time(value.get("createdAt"))
            if created is None or created < since or not isinstance(rec.get("uri"), str):
                continue
            return Published(rec["uri"], _post_url(handle, rec["uri"]))
        return None

    def metrics(self, remote_id: str, url: str | None = None) -> PostMetrics:
        """``app.bsky.feed.getPosts?uris=<remote_id>``: ``likeCount``, ``repostCount``,
        ``replyCount`` and ``quoteCount`` (Bluesky counts no impressions). A URI missing
        from ``posts`` is a deleted post: PERMANENT."""
        if not remote_id.startswith("at://") or "/app.bsky.feed.post/" not in remote_id:
            raise PublishError(f"{remote_id!r} is not a Bluesky post (at:// URI).",
                               Failure.PERMANENT)
        body = self._read("app.bsky.feed.getPosts", {"uris": remote_id})
        posts = body.get("posts")
        if not isinstance(posts, list):
            raise PublishError("Bluesky sent an unreadable list of posts; it will be "
                               "retried.", Failure.RETRYABLE, status=200)
        view = next((p for p in posts if isinstance(p, dict) and p.get("uri") == remote_id),
                    None)
        if view is None:
            raise post_gone("Bluesky")
        return PostMetrics(likes=_count(view.get("likeCount")),
                           reposts=_count(view.get("repostCount")),
                           replies=_count(view.get("replyCount")),
                           quotes=_count(view.get("quoteCount")))

    def followers(self) -> int | None:
        """``followersCount`` of ``app.bsky.actor.getProfile`` for the account (its DID from
        the session, else its handle); None when the profile does not say."""
        sess = self._session()
        actor = str(sess.get("did") or self.handle)
        return _count(self._read("app.bsky.actor.getProfile", {"actor": actor})
                      .get("followersCount"))

    def _read(self, nsid: str, params: Mapping[str, str]) -> dict[str, Any]:
        """An ``app.bsky.*`` read: through the PDS with the account's session (refreshed as
        publish() does), or, when the PDS has no AppView, from the AppView without any
        token."""
        try:
            return self._xrpc("GET", nsid, params=params)
        except PublishError as e:
            if e.status not in _NO_APPVIEW:
                raise
        host = urlsplit(self.appview).netloc or self.appview
        ans = self._send("GET", nsid, params=params, base=self.appview)
        if ans.status == 200 and isinstance(ans.body, dict):
            return ans.body
        if ans.status == 200:
            raise PublishError(f"The Bluesky AppView {host} sent an unreadable answer; it "
                               "will be retried.", Failure.RETRYABLE, status=200)
        raise self._error(ans)

    # ---- the post record ----------------------------------------------------------------

    def _record(self, text: str, language: str | None) -> dict[str, Any]:
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": text,
                                  "createdAt": _iso_z(self._now())}
        if language:
            record["langs"] = [language]
        facets = []
        dids: dict[str, str | None] = {}
        for facet in bluesky_facets(text):
            if facet.kind == "mention":
                if facet.value not in dids:
                    dids[facet.value] = self._resolve_handle(facet.value)
                did = dids[facet.value]
                if not did:
                    continue  # an unknown handle stays plain text, like the official app
                facets.append(facet.to_record(did))
            else:
                facets.append(facet.to_record())
        if facets:
            record["facets"] = facets
        return record

    def _resolve_handle(self, handle: str) -> str | None:
        """``com.atproto.identity.resolveHandle``; None when the handle is unknown or the
        lookup fails for any reason (the mention is then plain text)."""
        try:
            ans = self._send("GET", "com.atproto.identity.resolveHandle",
                             params={"handle": handle})
        except PublishError:
            return None
        did = ans.body.get("did") if ans.status == 200 and isinstance(ans.body, dict) else None
        return did if isinstance(did, str) and did.startswith("did:") else None

    def _external_embed(self, post: OutgoingPost) -> dict[str, Any]:
        assert post.link
        external: dict[str, Any] = {"uri": post.link, "title": post.title or post.link,
                                    "description": post.description or ""}
        if post.thumbnail_url:
            blob = self._upload_thumb(post.thumbnail_url)
            if blob is not None:
                external["thumb"] = blob
        return {"$type": "app.bsky.embed.external", "external": external}

    def _upload_thumb(self, url: str) -> dict[str, Any] | None:
        """Download the image (image/* only, at most ``thumb_max_bytes``) and
        ``uploadBlob`` it; None on any failure: a card without a picture beats no post."""
        got = self._download_image(url)
        if got is None:
            return None
        data, mime = got
        try:
            body = self._xrpc("POST", "com.atproto.repo.uploadBlob", data=data,
                              headers={"Content-Type": mime})
        except PublishError:
            return None
        blob = body.get("blob")
        return blob if isinstance(blob, dict) else None

    def _download_image(self, url: str) -> tuple[bytes, str] | None:
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        try:
            with self.session.get(url, stream=True, timeout=self.timeout) as resp:
                mime = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if resp.status_code != 200 or not mime.startswith("image/"):
                    return None
                length = resp.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > self.thumb_max_bytes:
                    return None
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > self.thumb_max_bytes:
                        return None
                    chunks.append(chunk)
        except (requests.RequestException, OSError):
            return None
        data = b"".join(chunks)
        return (data, mime) if data else None

    def _create_post(self, did: str, record: dict[str, Any]) -> dict[str, str]:
        body = self._xrpc("POST", "com.atproto.repo.createRecord",
                          json_body={"repo": did, "collection": POST_COLLECTION,
                                     "record": record})
        uri, cid = body.get("uri"), body.get("cid")
        if not isinstance(uri, str) or not isinstance(cid, str) or not uri or not cid:
            raise PublishError(f"The Bluesky server {self._host} did not say which post it "
                               "made.", Failure.RETRYABLE, status=200)
        return {"uri": uri, "cid": cid}

    # ---- sessions -----------------------------------------------------------------------

    def _stored_session(self) -> dict[str, Any]:
        raw = self._secret(SESSION_KIND)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return data if isinstance(data, dict) else {}

    def _store_session(self, answer: dict[str, Any]) -> dict[str, Any]:
        data = self._stored_session()  # keep keys others put there
        for key in _SESSION_KEYS:
            data[key] = answer[key]
        try:
            self._secrets.set(self.account.id, SESSION_KIND, json.dumps(data))
        except CuratorError as e:
            raise PublishError(str(e), Failure.RETRYABLE) from None
        return data

    def _session(self) -> dict[str, Any]:
        data = self._stored_session()
        if not all(isinstance(data.get(k), str) and data[k] for k in ("accessJwt", "did")):
            return self._create_session()
        expires = _jwt_expiry(data["accessJwt"])
        if expires is not None and expires <= self._now().timestamp() + EXPIRY_MARGIN:
            # Refresh first: the PDS reads an uploadBlob body before checking the token and
            # answers a bad one with HTTP 500, which would cost the link card its picture.
            return self._refresh_session()
        return data

    def _create_session(self) -> dict[str, Any]:
        password = self._secret(PASSWORD_KIND)
        if not password:
            raise PublishError(f"No Bluesky app password is stored for {self.account.name!r}; "
                               "reconnect the account.", Failure.AUTH)
        ans = self._send("POST", "com.atproto.server.createSession",
                         json_body={"identifier": self.handle, "password": password})
        if ans.status != 200:
            if ans.token_refused() or ans.error in ("AccountTakedown",
                                                     "AuthFactorTokenRequired"):
                raise PublishError(ans.message or "Bluesky refused the handle or app password.",
                                   Failure.AUTH, status=ans.status)
            raise self._error(ans)
        return self._store_session(self._session_answer(ans))

    def _refresh_session(self) -> dict[str, Any]:
        """``refreshSession`` with the cached ``refreshJwt``; a refused refresh token falls
        back to ``createSession``."""
        refresh = self._stored_session().get("refreshJwt")
        if isinstance(refresh, str) and refresh:
            ans = self._send("POST", "com.atproto.server.refreshSession",
                             headers={"Authorization": f"Bearer {refresh}"})
            if ans.status == 200:
                return self._store_session(self._session_answer(ans))
            if not ans.token_refused():
                raise self._error(ans)
        return self._create_session()

    def _session_answer(self, ans: _Answer) -> dict[str, Any]:
        body = ans.body
        if not isinstance(body, dict) or not all(
                isinstance(body.get(k), str) and body[k] for k in _SESSION_KEYS):
            raise PublishError(f"The Bluesky server {self._host} sent an unreadable session.",
                               Failure.RETRYABLE, status=ans.status)
        return body

    def _secret(self, kind: str) -> str | None:
        try:
            value = self._secrets.get(self.account.id, kind)
        except PublishError:
            raise
        except CuratorError as e:  # the keyring is locked or missing: the post waits
            raise PublishError(str(e), Failure.RETRYABLE) from None
        return str(value) if value else None

    # ---- XRPC ---------------------------------------------------------------------------

    def _xrpc(self, method: str, nsid: str, *, params: Mapping[str, str] | None = None,
              json_body: Any = None, data: bytes | None = None,
              headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """An authenticated call: refresh (or sign in again) once when the access token is
        refused, then give up with AUTH."""
        for attempt in range(2):
            sess = self._session() if attempt == 0 else self._refresh_session()
            all_headers = {"Authorization": f"Bearer {sess['accessJwt']}"}
            all_headers.update(headers or {})
            ans = self._send(method, nsid, params=params, json_body=json_body, data=data,
                             headers=all_headers)
            if ans.status == 200:
                if not isinstance(ans.body, dict):
                    raise PublishError(f"The Bluesky server {self._host} sent an unreadable "
                                       "answer; it will be retried.", Failure.RETRYABLE,
                                       status=200)
                return ans.body
            if not ans.token_refused():
                raise self._error(ans)
        raise PublishError(ans.message or "Bluesky refused the account's session; reconnect "
                           "the account.", Failure.AUTH, status=ans.status)

    def _send(self, method: str, nsid: str, *, params: Mapping[str, str] | None = None,
              json_body: Any = None, data: bytes | None = None,
              headers: Mapping[str, str] | None = None, base: str | None = None) -> _Answer:
        all_headers = {"Accept": "application/json"}
        all_headers.update(headers or {})
        host = self._host if base is None else (urlsplit(base).netloc or base)
        try:
            resp = self.session.request(method, f"{base or self.api_base}/xrpc/{nsid}",
                                        params=params,
                                        json=json_body, data=data, headers=all_headers,
                                        timeout=self.timeout, allow_redirects=False)
        except requests.Timeout:
            raise PublishError(f"The Bluesky server {host} did not answer in time.",
                               Failure.RETRYABLE) from None
        except requests.RequestException:
            raise PublishError(f"Could not reach the Bluesky server {host}.",
                               Failure.RETRYABLE) from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        return _Answer(int(resp.status_code), body, resp.headers)

    def _error(self, ans: _Answer) -> PublishError:
        code = ans.status
        message = ans.message or ans.error or f"The Bluesky server {self._host} answered " \
                                              f"HTTP {code}."
        if code == 429:
            return PublishError(message, Failure.RETRYABLE, status=code,
                                retry_after=self._retry_after(ans.headers))
        if code >= 500 or code in (408, 425) or code < 400:
            return PublishError(message, Failure.RETRYABLE, status=code)
        if ans.token_refused():
            return PublishError(message, Failure.AUTH, status=code)
        return PublishError(message, Failure.PERMANENT, status=code)

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds until ``ratelimit-reset`` (epoch seconds); ``Retry-After`` when that is
        all there is."""
        reset = (headers.get("ratelimit-reset") or "").strip()
        if reset.isdigit():
            return max(0.0, int(reset) - self._now().timestamp())
        retry = (headers.get("Retry-After") or "").strip()
        return float(retry) if retry.isdigit() else None


def _count(value: Any) -> int | None:
    """A lexicon count (optional integer): a non-negative int, else None (not given)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _jwt_expiry(token: str) -> float | None:
    """The access JWT's ``exp`` claim (epoch seconds), read without checking the signature
    (only the PDS can); None when the token is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


def _post_url(handle: str, uri: str) -> str:
    """``at://did/app.bsky.feed.post/rkey`` -> ``https://bsky.app/profile/handle/post/rkey``."""
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


def _iso_z(when: datetime) -> str:
    """The lexicon's datetime: UTC, milliseconds, a trailing "Z"."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
