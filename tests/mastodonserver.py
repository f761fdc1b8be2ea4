"""A strict local Mastodon API on 127.0.0.1 for the connector's tests.

It follows the Mastodon documentation (docs.joinmastodon.org) as closely as a test needs:

- Every ``/api/`` call but the public ones (instance, apps) needs ``Authorization: Bearer
  <token>`` of a known, unrevoked token: otherwise 401 ``{"error": "The access token is
  invalid"}``. A token without the needed scope (``write:statuses`` to post,
  ``read:accounts`` to verify) gets 403 ``{"error": "This action is outside the authorized
  scopes"}``.
- ``POST /api/v1/statuses`` takes form data (or JSON): ``status`` is required ("Validation
  failed: Text can't be blank"); its length, counted the Mastodon way
  (curator.counting.mastodon_length, URLs 23, plus ``spoiler_text``), must be within the
  limit ("Validation failed: Text character limit of 500 exceeded"); ``visibility`` is one of
  public/unlisted/private/direct; ``in_reply_to_id`` must exist (404 "The post you are
  trying to reply to does not appear to exist."). ``scheduled_at`` "Must be at least 5
  minutes in the future" and returns a ScheduledStatus; as Mastodon's PostStatusService
  does it, a time already past is ignored (``scheduled_in_the_past?``: the status is posted
  at once) and one less than 5 minutes ahead is 422 "Validation failed: Scheduled at The
  scheduled date must be in the future" (ScheduledStatus ``MINIMUM_OFFSET``, the text the
  scheduled_statuses docs give); an unreadable one is 422 "Record invalid".
  ``Idempotency-Key``: the same key from the same account within 1 hour returns the first
  status (Mastodon keeps ``idempotency:status:<account>:<key>`` for 3,600 s), never a second
  one. Not for scheduled statuses: their ``params.idempotency`` is stored as null and a
  repeated key schedules a second one (mastodon/mastodon#30039, "Idempotency-Key ignored
  when scheduling a post", open).
- ``GET /api/v1/scheduled_statuses`` (``read:statuses``): the account's ScheduledStatus
  list, ``limit`` (default 20, max 40) and ``max_id``, newest first, with a ``Link`` header
  (``rel="next"``) while more remain.
- Rate limits: every authenticated (or, for public endpoints, per-IP) request counts; each
  answer carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
  (ISO 8601, microseconds, like rack-attack); when exhausted, 429 ``{"error": "Too many
  requests"}``.
- ``GET /api/v1/statuses/:id`` ("View a single status"; "Public for public statuses, user
  token + ``read:statuses`` for private statuses"; Mastodon's ``authorize_if_got_token!``:
  a token without a read scope is 403 "This action is outside the authorized scopes"): the
  Status entity with ``favourites_count``, ``reblogs_count`` and ``replies_count`` (set
  them with ``set_counts``); unknown or deleted (``delete_status``) -> 404 ``{"error":
  "Record not found"}``. ``verify_credentials`` reports ``followers_count`` from
  ``server.followers[username]``. ``count(method, path)`` says how many requests came in.
- ``GET /api/v2/instance`` (and v1) with ``configuration.statuses.max_characters``;
  ``GET /api/v1/accounts/verify_credentials``; ``POST /api/v1/apps``.
- OAuth (docs.joinmastodon.org/methods/oauth): ``GET /oauth/authorize`` stands in for the
  consent page: it approves at once as ``sign_in_user`` (or declines with
  ``error=access_denied`` after ``deny_next()``) and answers 302 to the ``redirect_uri``,
  which must be one the app registered; ``response_type=code``, a known ``client_id`` and
  ``state`` are required, ``code_challenge`` (S256) optional. ``POST /oauth/token`` with
  ``grant_type=authorization_code``: the client credentials (form or HTTP Basic) must be the
  app's, the ``code`` is single-use and must be the app's, ``redirect_uri`` must match, and
  ``code_verifier`` must match the challenge when one was sent. Errors are Doorkeeper's
  ``{"error", "error_description"}``.
- Scriptable faults for the next requests: ``fail_next("500"|"503"|"delay"|"reset"|
  "create_then_reset"|"garbage", times=n)``.

The created statuses are kept in ``server.statuses`` (and scheduled ones in
``server.scheduled``) for assertions; ``server.requests`` records what came in.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets as _secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from curator.counting import mastodon_length

FAULTS = ("ok", "500", "503", "delay", "reset", "create_then_reset", "garbage")
VISIBILITIES = ("public", "unlisted", "private", "direct")
SCOPES = ("read", "write", "follow", "push", "profile", "read:accounts", "read:statuses",
          "write:statuses", "write:media")
IDEMPOTENCY_TTL = 3600.0
MIN_SCHEDULE_OFFSET = timedelta(minutes=5)


@dataclass
class Created:
    """One status the server made, with what the client sent for it."""

    id: str
    text: str
    visibility: str
    language: str | None
    in_reply_to_id: str | None
    idempotency_key: str | None
    token: str
    entity: dict[str, Any]


@dataclass
class Seen:
    """One request as it arrived (the Authorization header is kept for auth assertions)."""

    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, Any]
    content_type: str


@dataclass
class _User:
    id: str
    username: str
    scopes: frozenset[str]


@dataclass
class _Window:
    start: float
    used: int = 0


@dataclass
class MastodonServer:
    """Start with ``MastodonServer().start()``; ``url`` is the instance's base URL."""

    max_characters: int = 500
    url_length: int = 23
    rate_limit: int = 300
    rate_period: float = 300.0
    statuses: list[Created] = field(default_factory=list)
    scheduled: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    apps: list[dict[str, Any]] = field(default_factory=list)
    delay_seconds: float = 3.0
    sign_in_user: str = "lucia"  # who approves on /oauth/authorize
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    followers: dict[str, int] = field(default_factory=dict)  # username -> followers_count

    def __post_init__(self) -> None:
        self._codes: dict[str, dict[str, Any]] = {}
        self._deny = 0
        self._lock = threading.Lock()
        self._users: dict[str, _User] = {}
        self._idempotency: dict[tuple[str, str], tuple[float, str, bool]] = {}
        self._scheduled_by: dict[str, str] = {}  # ScheduledStatus id -> account id
        self._windows: dict[str, _Window] = {}
        self._faults: list[str] = []
        self._next_id = 110_000_000_000_000_000
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- set-up -----------------------------------------------------------------------

    def add_token(self, token: str | None = None, *, username: str = "lucia",
                  scopes: str = "read write") -> str:
        """A valid user token for ``username`` (created on first use)."""
        token = token or _secrets.token_urlsafe(24)
        with self._lock:
            existing = next((u for u in self._users.values() if u.username == username), None)
            user_id = existing.id if existing else str(len(self._users) + 1)
            self._users[token] = _User(user_id, username, frozenset(scopes.split()))
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._users.pop(token, None)

    def set_counts(self, status_id: str, *, favourites: int = 0, reblogs: int = 0,
                   replies: int = 0) -> None:
        """What people did with a status: its Status entity's counts."""
        with self._lock:
            entity = next(s.entity for s in self.statuses if s.id == status_id)
            entity.update(favourites_count=favourites, reblogs_count=reblogs,
                          replies_count=replies)

    def delete_status(self, status_id: str) -> None:
        """The status is deleted (``DELETE /api/v1/statuses/:id``): it answers 404 from now."""
        with self._lock:
            self.statuses = [s for s in self.statuses if s.id != status_id]

    def count(self, method: str, path: str) -> int:
        """How many requests for ``method path`` came in."""
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    def fail_next(self, kind: str, times: int = 1) -> None:
        """The next ``times`` requests meet ``kind``: "ok" (none: to aim at a later request),
        "500", "503", "delay" (answer after
        ``delay_seconds``, the work done), "reset" (connection reset, nothing done),
        "create_then_reset" (the work done, then reset), "garbage" (the work done, a 200
        with a body that is not JSON)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults += [kind] * times

    def exhaust_rate_limit(self, token_or_ip: str) -> None:
        """Use up the current window of ``token_or_ip`` ("127.0.0.1" for public calls)."""
        with self._lock:
            self._windows[token_or_ip] = _Window(time.time(), self.rate_limit)

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def start(self) -> MastodonServer:
        server = self

        class Handler(_Handler):
            mastodon = server

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False  # a "delay" fault must not hold up stop()
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,),
                                        name="mastodonserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MastodonServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- the API ----------------------------------------------------------------------

    def _take_fault(self) -> str | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _rate(self, bucket: str) -> tuple[bool, dict[str, str]]:
        """Count one request; (allowed, rate-limit headers)."""
        now = time.time()
        with self._lock:
            window = self._windows.get(bucket)
            if window is None or now >= window.start + self.rate_period:
                # Windows are aligned to the period, as rack-attack's are.
                start = now - (now % self.rate_period)
                window = self._windows[bucket] = _Window(start)
            allowed = window.used < self.rate_limit
            if allowed:
                window.used += 1
            reset = datetime.fromtimestamp(window.start + self.rate_period, UTC)
            headers = {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(max(0, self.rate_limit - window.used)),
                "X-RateLimit-Reset": reset.isoformat(timespec="microseconds")
                .replace("+00:00", "Z"),
            }
        return allowed, headers

    def _new_id(self) -> str:
        with self._lock:
            self._next_id += 1
            return str(self._next_id)

    def account_entity(self, user: _User) -> dict[str, Any]:
        return {
            "id": user.id, "username": user.username, "acct": user.username,
            "display_name": user.username.capitalize(), "locked": False, "bot": False,
            "discoverable": True, "group": False, "created_at": "2022-11-01T00:00:00.000Z",
            "note": "", "url": f"{self.url}/@{user.username}",
            "uri": f"{self.url}/users/{user.username}",
            "avatar": f"{self.url}/avatars/original/missing.png",
            "avatar_static": f"{self.url}/avatars/original/missing.png",
            "header": f"{self.url}/headers/original/missing.png",
            "header_static": f"{self.url}/headers/original/missing.png",
            "followers_count": self.followers.get(user.username, 0), "following_count": 0,
            "statuses_count": sum(1 for s in self.statuses if s.entity["account"]["id"] == user.id),
            "last_status_at": None, "emojis": [], "fields": [],
        }

    def instance_v2(self) -> dict[str, Any]:
        host = urlsplit(self.url).netloc
        return {
            "domain": host, "title": "Mastodon de pruebas", "version": "4.3.0",
            "source_url": "https://github.com/mastodon/mastodon", "description": "",
            "usage": {"users": {"active_month": len(self._users)}},
            "languages": ["es", "en"],
            "configuration": {
                "urls": {"streaming": f"ws://{host}"},
                "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                "statuses": {"max_characters": self.max_characters,
                             "max_media_attachments": 4,
                             "characters_reserved_per_url": self.url_length},
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
        }

    def instance_v1(self) -> dict[str, Any]:
        host = urlsplit(self.url).netloc
        return {
            "uri": host, "title": "Mastodon de pruebas", "version": "4.3.0",
            "max_toot_chars": self.max_characters,
            "configuration": {"statuses": {"max_characters": self.max_characters,
                                           "max_media_attachments": 4,
                                           "characters_reserved_per_url": self.url_length}},
        }

    def create_status(self, token: str, fields: dict[str, Any],
                      key: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            user = self._users[token]
            if key and not _one(fields.get("scheduled_at")):
                hit = self._idempotency.get((user.id, key))
                if hit and time.time() - hit[0] < IDEMPOTENCY_TTL:
                    _, existing_id, was_scheduled = hit
                    pool: list[dict[str, Any]] = (
                        self.scheduled if was_scheduled else [s.entity for s in self.statuses])
                    return 200, next(e for e in pool if e["id"] == existing_id)
        text = _one(fields.get("status"))
        spoiler = _one(fields.get("spoiler_text")) or ""
        visibility = _one(fields.get("visibility")) or "public"
        language = _one(fields.get("language")) or None
        reply_to = _one(fields.get("in_reply_to_id")) or None
        scheduled_at = _one(fields.get("scheduled_at")) or None
        if not text or not text.strip():
            return 422, {"error": "Validation failed: Text can't be blank"}
        if visibility not in VISIBILITIES:
            return 422, {"error": "Validation failed: Visibility is not included in the list"}
        size = mastodon_length(text, url_length=self.url_length) + len(spoiler)
        if size > self.max_characters:
            return 422, {"error": "Validation failed: Text character limit of "
                                  f"{self.max_characters} exceeded"}
        if language is not None and not (language.isalpha() and 2 <= len(language) <= 3):
            language = None  # Mastodon ignores a language it does not know
        parent = None
        if reply_to is not None:
            parent = next((s for s in self.statuses if s.id == reply_to), None)
            if parent is None:
                return 404, {"error": "The post you are trying to reply to does not appear "
                                      "to exist."}
        when = None
        if scheduled_at is not None:
            try:
                when = datetime.fromisoformat(scheduled_at)
            except ValueError:
                return 422, {"error": "Record invalid"}
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            now = datetime.now(UTC)
            if when <= now:
                when = None  # scheduled_in_the_past?: posted at once
            elif when <= now + MIN_SCHEDULE_OFFSET:
                return 422, {"error": "Validation failed: Scheduled at The scheduled date must "
                                      "be in the future"}
        if when is not None:
            entity: dict[str, Any] = {
                "id": str(len(self.scheduled) + 3221),
                "scheduled_at": when.astimezone(UTC).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "params": {"text": text, "media_ids": None, "sensitive": None,
                           "spoiler_text": spoiler or None, "visibility": visibility,
                           "scheduled_at": None, "poll": None, "idempotency": None,
                           "in_reply_to_id": reply_to, "language": language,
                           "application_id": 1, "with_rate_limit": False},
                "media_attachments": [],
            }
            with self._lock:
                self._scheduled_by[entity["id"]] = user.id
                self.scheduled.append(entity)  # no idempotency entry: mastodon#30039
            return 200, entity
        status_id = self._new_id()
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        content = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
        entity = {  # the Status entity
            "id": status_id, "created_at": now,
            "in_reply_to_id": reply_to,
            "in_reply_to_account_id": parent.entity["account"]["id"] if parent else None,
            "sensitive": False, "spoiler_text": spoiler, "visibility": visibility,
            "language": language, "uri": f"{self.url}/users/{user.username}/statuses/{status_id}",
            "url": f"{self.url}/@{user.username}/{status_id}", "replies_count": 0,
            "reblogs_count": 0, "favourites_count": 0, "edited_at": None, "favourited": False,
            "reblogged": False, "muted": False, "bookmarked": False, "pinned": False,
            "content": content, "reblog": None,
            "application": {"name": "Curator", "website": None},
            "account": self.account_entity(user), "media_attachments": [], "mentions": [],
            "tags": [], "emojis": [], "card": None, "poll": None,
        }
        with self._lock:
            self.statuses.append(Created(status_id, text, visibility, language, reply_to, key,
                                         token, entity))
            if key:
                self._idempotency[(user.id, key)] = (time.time(), status_id, False)
        return 200, entity

    def list_scheduled(self, user: _User, query: dict[str, str]
                       ) -> tuple[list[dict[str, Any]], str | None]:
        """(page, max_id of the next page or None): newest first, as the API pages."""
        try:
            limit = max(1, min(40, int(query.get("limit") or 20)))
        except ValueError:
            limit = 20
        with self._lock:
            mine = [e for e in self.scheduled if self._scheduled_by.get(e["id"]) == user.id]
        mine.sort(key=lambda e: int(e["id"]), reverse=True)
        if query.get("max_id", "").isdigit():
            mine = [e for e in mine if int(e["id"]) < int(query["max_id"])]
        page = mine[:limit]
        more = len(mine) > limit
        return page, (page[-1]["id"] if more and page else None)

    def register_app(self, fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name = _one(fields.get("client_name")) or ""
        redirect = _one(fields.get("redirect_uris")) or ""
        scopes = _one(fields.get("scopes")) or "read"
        if not name.strip():
            return 422, {"error": "Validation failed: Application name can't be blank"}
        parts = urlsplit(redirect)
        if redirect != "urn:ietf:wg:oauth:2.0:oob" and not (parts.scheme and parts.netloc):
            return 422, {"error": "Validation failed: Redirect URI must be an absolute URI."}
        if any(s not in SCOPES for s in scopes.split()):
            return 422, {"error": "Validation failed: Scopes must be a valid scope"}
        app: dict[str, Any] = {"id": str(len(self.apps) + 563419), "name": name,
               "website": _one(fields.get("website")) or None, "scopes": scopes.split(),
               "redirect_uri": redirect, "redirect_uris": [redirect],
               "client_id": _secrets.token_urlsafe(32),
               "client_secret": _secrets.token_urlsafe(32),
               "client_secret_expires_at": 0, "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2Ai"}
        with self._lock:
            self.apps.append(app)
        return 200, app


    def deny_next(self) -> None:
        """The next /oauth/authorize is declined by the user (``error=access_denied``)."""
        with self._lock:
            self._deny += 1

    def oauth_authorize(self, q: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        app = next((a for a in self.apps if a["client_id"] == q.get("client_id")), None)
        redirect = q.get("redirect_uri", "")
        if app is None:
            return 401, {}, {"error": "invalid_client", "error_description": "Client "
                             "authentication failed due to unknown client, no client "
                             "authentication included, or unsupported authentication method."}
        if redirect not in app["redirect_uris"]:
            return 400, {}, {"error": "invalid_redirect_uri", "error_description": "The "
                             "requested redirect uri is malformed or doesn't match client "
                             "redirect URI."}
        scopes = q.get("scope", "read").split()
        if (q.get("response_type") != "code" or not q.get("state")
                or any(s not in app["scopes"] for s in scopes)
                or (q.get("code_challenge") and q.get("code_challenge_method") != "S256")):
            return 400, {}, {"error": "invalid_request",
                             "error_description": "Missing or invalid parameter"}
        with self._lock:
            deny = self._deny > 0
            self._deny -= int(deny)
        if deny:
            params = {"error": "access_denied", "error_description": "The resource owner or "
                      "authorization server denied the request.", "state": q["state"]}
        else:
            code = _secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = {"client_id": app["client_id"], "redirect_uri": redirect,
                                     "challenge": q.get("code_challenge"),
                                     "scopes": " ".join(scopes)}
            params = {"code": code, "state": q["state"]}
        return 302, {"Location": redirect + "?" + urlencode(params)}, {}

    def oauth_token(self, form: dict[str, str], basic: tuple[str, str] | None
                    ) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(dict(form))
        cid, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        app = next((a for a in self.apps if a["client_id"] == cid
                    and a["client_secret"] == secret), None)
        if app is None:
            return 401, {"error": "invalid_client", "error_description": "Client "
                         "authentication failed due to unknown client, no client "
                         "authentication included, or unsupported authentication method."}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type", "error_description": "The "
                         "authorization grant type is not supported by the authorization "
                         "server."}
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # single use
        bad = {"error": "invalid_grant", "error_description": "The provided authorization "
               "grant is invalid, expired, revoked, does not match the redirection URI used "
               "in the authorization request, or was issued to another client."}
        if (code is None or code["client_id"] != cid
                or code["redirect_uri"] != form.get("redirect_uri")):
            return 400, bad
        if code["challenge"]:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code["challenge"]:
                return 400, bad
        token = self.add_token(username=self.sign_in_user, scopes=code["scopes"])
        return 200, {"access_token": token, "token_type": "Bearer", "scope": code["scopes"],
                     "created_at": int(time.time())}


def _one(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real instance behind nginx
    server_version = "Mastodon"
    mastodon: MastodonServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet tests
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _fields(self) -> tuple[dict[str, Any], str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/json":
            try:
                data = json.loads(raw.decode("utf-8") or "{}")
            except (UnicodeDecodeError, ValueError):
                data = {}
            return (data if isinstance(data, dict) else {}), ctype
        if ctype == "application/x-www-form-urlencoded":
            return parse_qs(raw.decode("utf-8"), keep_blank_values=True), ctype
        return {}, ctype

    def _serve(self, method: str) -> None:
        m = self.mastodon
        path = urlsplit(self.path).path
        fields, ctype = self._fields() if method == "POST" else ({}, "")
        m.requests.append(Seen(method, path, dict(self.headers.items()), fields, ctype))
        fault = m._take_fault()
        if fault == "reset":
            self._reset()
            return
        if fault == "500":
            self._send(500, {"error": "Internal Server Error"}, {})
            return
        if fault == "503":
            self._send(503, {"error": "There was a temporary problem serving your request, "
                                      "please try again"}, {})
            return
        if fault == "delay":
            m._stopping.wait(m.delay_seconds)

        if path in ("/oauth/authorize", "/oauth/token"):
            self._serve_oauth(method, path, fields)
            return
        public = path in ("/api/v1/instance", "/api/v2/instance", "/api/v1/apps") or (
            method == "GET" and path.startswith("/api/v1/statuses/"))
        token = None
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Bearer ") and auth[7:] in m._users:
            token = auth[7:]
        # A token that is sent must be valid even where none is needed (Doorkeeper checks it).
        if token is None and (not public or (auth and path.startswith("/api/v1/statuses/"))):
            self._send(401, {"error": "The access token is invalid"},
                       {"WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token",'
                                            ' error_description="The access token is invalid"'})
            return
        allowed, rate_headers = m._rate(token or self.client_address[0])
        if not allowed:
            self._send(429, {"error": "Too many requests"}, rate_headers)
            return

        if method == "GET" and path == "/api/v1/scheduled_statuses":
            user = m._users[token] if token else None
            assert user is not None
            if not user.scopes & {"read", "read:statuses"}:
                self._send(403, {"error": "This action is outside the authorized scopes"},
                           rate_headers)
                return
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            page, next_max = m.list_scheduled(user, query)
            headers = dict(rate_headers)
            if next_max is not None:
                headers["Link"] = (f'<{m.url}{path}?max_id={next_max}'
                                   f'&limit={query.get("limit", "20")}>; rel="next"')
            self._send_raw(200, json.dumps(page, ensure_ascii=False).encode("utf-8"), headers)
            return
        status, body = self._route(method, path, token, fields)
        if fault == "create_then_reset":
            self._reset()
            return
        if fault == "garbage" and status == 200:
            self._send_raw(200, b'{"id": "1100', rate_headers)
            return
        self._send(status, body, rate_headers)

    def _route(self, method: str, path: str, token: str | None,
               fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        m = self.mastodon
        user = m._users.get(token) if token else None
        if method == "GET" and path == "/api/v2/instance":
            return 200, m.instance_v2()
        if method == "GET" and path == "/api/v1/instance":
            return 200, m.instance_v1()
        if method == "POST" and path == "/api/v1/apps":
            return m.register_app(fields)
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            assert user is not None
            if not user.scopes & {"read", "read:accounts", "profile"}:
                return 403, {"error": "This action is outside the authorized scopes"}
            return 200, m.account_entity(user)
        if method == "GET" and path.startswith("/api/v1/statuses/"):
            # authorize_if_got_token! :read, :'read:statuses'
            if user is not None and not user.scopes & {"read", "read:statuses"}:
                return 403, {"error": "This action is outside the authorized scopes"}
            status_id = path.removeprefix("/api/v1/statuses/")
            found = next((s for s in m.statuses if s.id == status_id), None)
            if found is None or (user is None and found.visibility != "public"):
                return 404, {"error": "Record not found"}
            return 200, found.entity
        if method == "POST" and path == "/api/v1/statuses":
            assert user is not None and token is not None
            if not user.scopes & {"write", "write:statuses"}:
                return 403, {"error": "This action is outside the authorized scopes"}
            return m.create_status(token, fields, self.headers.get("Idempotency-Key"))
        return 404, {"error": "Record not found"}

    def _serve_oauth(self, method: str, path: str, fields: dict[str, Any]) -> None:
        m = self.mastodon
        if method == "GET" and path == "/oauth/authorize":
            q = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            status, headers, body = m.oauth_authorize(q)
            self._send(status, body, headers)
            return
        if method == "POST" and path == "/oauth/token":
            basic = None
            auth = self.headers.get("Authorization") or ""
            if auth.startswith("Basic "):
                try:
                    user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                    basic = (user, pw)
                except (ValueError, UnicodeDecodeError):
                    basic = ("", "")
            form = {k: _one(v) or "" for k, v in fields.items()}
            status, body = m.oauth_token(form, basic)
            self._send(status, body, {})
            return
        self._send(404, {"error": "Record not found"}, {})

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        self._send_raw(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), headers)

    def _send_raw(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client gave up (a "delay" fault)

    def _reset(self) -> None:
        """Drop the connection with a TCP RST, as a crashing proxy would."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
