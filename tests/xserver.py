"""A strict local X API v2 (and its OAuth 2.0 server) on 127.0.0.1 for the connector's tests.

It follows X's published documentation (docs.x.com) as closely as a test needs:

- ``POST /2/tweets`` ("Create Post"): ``Authorization: Bearer <OAuth 2.0 user access
  token>`` (unknown, expired or revoked -> 401 ``{"title": "Unauthorized", "type":
  "about:blank", "status": 401, "detail": "Unauthorized"}``); ``Content-Type:
  application/json``; a JSON object with only the documented fields (``text``, ``reply``
  with ``in_reply_to_tweet_id``, ``quote_tweet_id``, ``media``, ``poll``,
  ``reply_settings``...; anything else -> 400 ``invalid-request`` problem with
  ``errors[].message``); ``text`` required. Length counted the twitter-text way
  (curator.counting.x_weighted_length) over 280 -> 403 problem; the same text as an
  earlier post of the user -> 403 "You are not allowed to create a Tweet with duplicate
  content."; a reply to an unknown post -> 403 "You attempted to reply to a Tweet that is
  deleted or not visible to you.". Answers 201 ``{"data": {"id": ..., "text": ...}}``.
- ``GET /2/users/me``: ``{"data": {"id", "name", "username"}}``.
- Every answer carries ``x-rate-limit-limit``, ``x-rate-limit-remaining`` and
  ``x-rate-limit-reset`` (Unix epoch seconds) for a 15-minute window per user and endpoint;
  when it is used up: 429 ``{"title": "Too Many Requests", "detail": "Too Many Requests",
  "type": "about:blank", "status": 429}``. ``POST /2/tweets`` also carries the per-user
  24-hour cap, ``x-user-limit-24hour-limit``, ``-remaining`` and ``-reset`` (epoch), which
  on the Free plan is 17 posts ("17 requests / 24 hours PER USER", docs.x.com rate-limits
  table, Free column); when it is used up, 429 as well. These 24-hour headers are not in
  X's docs but are what api.x.com sends (twapi-v2's header list). ``rate_limit_body =
  "legacy"`` answers a 429 with the body the rate-limits page shows instead,
  ``{"errors": [{"code": 88, "message": "Rate limit exceeded"}]}``.
- ``exhaust_usage_cap()``: every ``POST /2/tweets`` gets 429 with the ``usage-capped``
  Problem ("429 Too Many Requests: Rate limit or usage cap exceeded", "Response Codes &
  Errors"), as api.x.com sends it: ``{"title": "UsageCapExceeded", "detail": "Usage cap
  exceeded: Monthly product cap", "type": "https://api.twitter.com/2/problems/usage-capped",
  "period": "Monthly", "scope": "Product"}`` while ``x-rate-limit-remaining`` is not 0.
- ``GET /2/tweets/:id`` (scopes ``tweet.read`` and ``users.read``, else 403 "Forbidden"):
  ``{"data": {"id", "text", "edit_history_tweet_ids"}}``, plus ``public_metrics``
  (``retweet_count``, ``reply_count``, ``like_count``, ``quote_count``, ``bookmark_count``,
  ``impression_count``; set with ``set_metrics``) when ``tweet.fields`` asks for it. An
  unknown or deleted (``delete_tweet``) post is a 200 with only ``errors``, the
  ``resource-not-found`` problem ("Could not find tweet with id: [id]."). ``GET
  /2/users/me?user.fields=public_metrics`` adds ``public_metrics`` (``followers_count``
  from ``server.followers``). With ``read_access = False`` (a plan without reads) every
  read answers 403 with the ``client-forbidden`` problem X sends to an app whose plan lacks
  the endpoint ("reason": "client-not-enrolled", as integrators quote it in
  xdevplatform/samples#150). ``count(method, path)`` counts requests.
- OAuth 2.0 Authorization Code Flow with PKCE: ``GET /i/oauth2/authorize`` checks
  ``response_type=code``, the ``client_id``, the ``redirect_uri`` (registered; a loopback
  ``http://127.0.0.1:<any port>/path`` matches regardless of port, RFC 8252 §7.3), the
  ``scope`` names, ``state`` and ``code_challenge`` with ``code_challenge_method=S256``, then
  redirects (302) to ``redirect_uri`` with ``code`` and ``state`` (or ``error=access_denied``
  after ``deny_next()``). ``POST /2/oauth2/token`` (form data) with
  ``grant_type=authorization_code`` checks the code (once only), ``redirect_uri``,
  ``client_id`` and that BASE64URL(SHA256(``code_verifier``)) equals the challenge; with
  ``grant_type=refresh_token`` it rotates the refresh token (the old one stops working).
  Token answers: ``{"token_type": "bearer", "expires_in": 7200, "access_token", "scope",
  "refresh_token"}`` (a refresh token only with ``offline.access``); errors
  ``{"error": "invalid_request", "error_description": ...}`` with 400.
- Scriptable faults for the next requests: ``fail_next("500"|"503"|"delay", times=n)``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets as _secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from curator.counting import x_weighted_length

FAULTS = ("ok", "500", "503", "delay")
TWEET_FIELDS = frozenset({
    "text", "reply", "quote_tweet_id", "media", "poll", "reply_settings",
    "for_super_followers_only", "direct_message_deep_link", "geo", "nullcast",
    "card_uri", "community_id", "share_with_followers", "made_with_ai", "paid_partnership",
})
REPLY_FIELDS = frozenset({"in_reply_to_tweet_id", "exclude_reply_user_ids",
                          "auto_populate_reply_metadata"})
SCOPES = frozenset({
    "tweet.read", "tweet.write", "tweet.moderate.write", "users.read", "follows.read",
    "follows.write", "offline.access", "space.read", "mute.read", "mute.write", "like.read",
    "like.write", "list.read", "list.write", "block.read", "block.write", "bookmark.read",
    "bookmark.write", "media.write",
})
INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
CLIENT_FORBIDDEN = {
    "client_id": "27347717",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
              "and tokens from a Twitter developer App that is attached to a Project. You can "
              "create a project via the developer portal.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled", "type": "https://api.twitter.com/2/problems/client-forbidden",
}
METRIC_NAMES = ("retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count",
                "impression_count")
RATE_WINDOW = 900.0  # 15 minutes
DAY = 86400.0


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "type": "about:blank", "status": status, "detail": detail}


def _invalid(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}], "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST}


@dataclass
class Tweet:
    id: str
    text: str
    author: str  # user id
    in_reply_to: str | None
    public_metrics: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(METRIC_NAMES, 0))


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _Token:
    user_id: str
    scopes: frozenset[str]
    expires: float
    client_id: str


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scopes: frozenset[str]
    user_id: str
    expires: float


@dataclass
class XServer:
    """Start with ``XServer().start()``; ``url`` is the API base (``https://api.x.com``'s
    stand-in), ``authorize_url`` and ``token_url`` the OAuth endpoints."""

    client_ids: tuple[str, ...] = ("cliente-curator-123",)
    redirect_uris: tuple[str, ...] = ("http://127.0.0.1/callback",)
    token_lifetime: int = 7200
    rate_limit: int = 100  # per 15 minutes (user, endpoint)
    daily_cap: int = 17  # posts per user per 24 hours (free tier)
    tweets: list[Tweet] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    delay_seconds: float = 3.0
    rate_limit_body: str = "problem"  # or "legacy": the rate-limits page's example body
    usage_capped: bool = False
    read_access: bool = True  # False: the app's plan has no read endpoints (403)
    followers: dict[str, int] = field(default_factory=dict)  # user id -> followers_count

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, tuple[str, str]] = {}  # id -> (username, name)
        self._tokens: dict[str, _Token] = {}
        self._refresh: dict[str, _Token] = {}
        self._codes: dict[str, _Code] = {}
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._daily: dict[str, list[float]] = {}
        self._faults: list[str] = []
        self._deny = 0
        self._next_id = 1_790_000_000_000_000_000
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.token_requests: list[dict[str, str]] = []
        self.authorize_requests: list[dict[str, str]] = []
        self.sign_in_user = self.add_user("lucia_garcia", "Lucía García")

    # ---- set-up -----------------------------------------------------------------------

    def add_user(self, username: str, name: str) -> str:
        with self._lock:
            user_id = str(1_500_000_000 + len(self._users))
            self._users[user_id] = (username, name)
        return user_id

    def add_token(self, token: str | None = None, *, user_id: str | None = None,
                  scopes: str = "tweet.read tweet.write users.read offline.access",
                  expires_in: float | None = None, refresh_token: str | None = None,
                  client_id: str | None = None) -> str:
        """A valid access token (and, given ``refresh_token``, a refresh token for it)."""
        token = token or _secrets.token_urlsafe(32)
        entry = _Token(user_id or self.sign_in_user, frozenset(scopes.split()),
                       time.time() + (self.token_lifetime if expires_in is None
                                      else expires_in),
                       client_id or self.client_ids[0])
        with self._lock:
            self._tokens[token] = entry
            if refresh_token:
                self._refresh[refresh_token] = entry
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def set_metrics(self, tweet_id: str, **counts: int) -> None:
        """Set ``like_count=...`` etc. of a post's ``public_metrics``."""
        unknown = set(counts) - set(METRIC_NAMES)
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}")
        with self._lock:
            next(t for t in self.tweets if t.id == tweet_id).public_metrics.update(counts)

    def delete_tweet(self, tweet_id: str) -> None:
        with self._lock:
            self.tweets = [t for t in self.tweets if t.id != tweet_id]

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    def expire(self, token: str) -> None:
        with self._lock:
            self._tokens[token].expires = time.time() - 1

    def deny_next(self) -> None:
        """The next authorize request is declined by the user (``error=access_denied``)."""
        with self._lock:
            self._deny += 1

    def fail_next(self, kind: str, times: int = 1) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults += [kind] * times

    def exhaust_rate_limit(self, token: str, path: str = "/2/tweets") -> None:
        with self._lock:
            user = self._tokens[token].user_id
            self._windows[(user, path)] = (time.time(), self.rate_limit)

    def exhaust_daily_cap(self, token: str) -> None:
        with self._lock:
            user = self._tokens[token].user_id
            self._daily[user] = [time.time()] * self.daily_cap

    def exhaust_usage_cap(self) -> None:
        """The project's monthly usage cap is used up: posts get the usage-capped 429."""
        self.usage_capped = True

    def too_many(self) -> dict[str, Any]:
        if self.rate_limit_body == "legacy":
            return {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
        return _problem(429, "Too Many Requests", "Too Many Requests")

    def valid_token(self, token: str) -> bool:
        with self._lock:
            entry = self._tokens.get(token)
            return entry is not None and entry.expires > time.time()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_port}"

    @property
    def authorize_url(self) -> str:
        return self.url + "/i/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return self.url + "/2/oauth2/token"

    def start(self) -> XServer:
        server = self

        class Handler(_Handler):
            x = server

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,),
                                        name="xserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> XServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- rate limits ------------------------------------------------------------------

    def _rate(self, user: str, path: str) -> tuple[bool, dict[str, str]]:
        now = time.time()
        with self._lock:
            start, used = self._windows.get((user, path), (now, 0))
            if now >= start + RATE_WINDOW:
                start, used = now, 0
            allowed = used < self.rate_limit
            if allowed:
                used += 1
            self._windows[(user, path)] = (start, used)
            return allowed, {
                "x-rate-limit-limit": str(self.rate_limit),
                "x-rate-limit-remaining": str(max(0, self.rate_limit - used)),
                "x-rate-limit-reset": str(int(start + RATE_WINDOW)),
            }

    def _daily_headers(self, user: str, take: bool) -> tuple[bool, dict[str, str]]:
        now = time.time()
        with self._lock:
            posts = [t for t in self._daily.get(user, []) if t > now - DAY]
            allowed = len(posts) < self.daily_cap
            if allowed and take:
                posts.append(now)
            self._daily[user] = posts
            reset = (min(posts) + DAY) if posts else now + DAY
            return allowed, {
                "x-user-limit-24hour-limit": str(self.daily_cap),
                "x-user-limit-24hour-remaining": str(max(0, self.daily_cap - len(posts))),
                "x-user-limit-24hour-reset": str(int(reset)),
            }

    # ---- the API ----------------------------------------------------------------------

    def create_tweet(self, user: str, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 400, _invalid("$: must be an object")
        unknown = sorted(set(body) - TWEET_FIELDS)
        if unknown:
            return 400, _invalid(f"$.{unknown[0]}: is not defined in the schema and the "
                                 "schema does not allow additional properties")
        text = body.get("text")
        if "text" in body and not isinstance(text, str):
            return 400, _invalid(f"$.text: {type(text).__name__} found, string expected")
        if not text and not body.get("media"):
            return 400, _invalid("$.text: is missing but it is required")
        reply_to = None
        if "reply" in body:
            reply = body["reply"]
            if not isinstance(reply, dict):
                return 400, _invalid("$.reply: must be an object")
            extra = sorted(set(reply) - REPLY_FIELDS)
            if extra:
                return 400, _invalid(f"$.reply.{extra[0]}: is not defined in the schema and "
                                     "the schema does not allow additional properties")
            reply_to = reply.get("in_reply_to_tweet_id")
            if not isinstance(reply_to, str) or not reply_to.isdigit():
                return 400, _invalid("$.reply.in_reply_to_tweet_id: does not match the "
                                     "regex pattern ^[0-9]{1,19}$")
        text = text or ""
        if x_weighted_length(text) > 280:
            return 403, _problem(403, "Forbidden", "Your Tweet text is too long. For more "
                                 "information on how X determines text length see "
                                 "https://github.com/twitter/twitter-text.")
        with self._lock:
            if reply_to is not None and not any(t.id == reply_to for t in self.tweets):
                return 403, _problem(403, "Forbidden", "You attempted to reply to a Tweet "
                                     "that is deleted or not visible to you.")
            if any(t.author == user and t.text == text for t in self.tweets):
                return 403, _problem(403, "Forbidden", "You are not allowed to create a "
                                     "Tweet with duplicate content.")
            self._next_id += 1
            tweet = Tweet(str(self._next_id), text, user, reply_to)
            self.tweets.append(tweet)
        return 201, {"data": {"id": tweet.id, "text": text,
                              "edit_history_tweet_ids": [tweet.id]}}

    def me(self, user: str, fields: set[str] | None = None) -> dict[str, Any]:
        username, name = self._users[user]
        data: dict[str, Any] = {"id": user, "name": name, "username": username}
        if fields and "public_metrics" in fields:
            data["public_metrics"] = {
                "followers_count": self.followers.get(user, 0), "following_count": 0,
                "tweet_count": sum(1 for t in self.tweets if t.author == user),
                "listed_count": 0}
        return {"data": data}

    def lookup(self, tweet_id: str, fields: set[str]) -> dict[str, Any]:
        """``GET /2/tweets/:id``: always 200; a missing post is an ``errors`` body."""
        with self._lock:
            tweet = next((t for t in self.tweets if t.id == tweet_id), None)
            if tweet is None:
                return {"errors": [{
                    "value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].",
                    "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                    "resource_id": tweet_id, "type": NOT_FOUND}]}
            data: dict[str, Any] = {"id": tweet.id, "text": tweet.text,
                                    "edit_history_tweet_ids": [tweet.id]}
            if "public_metrics" in fields:
                data["public_metrics"] = dict(tweet.public_metrics)
        return {"data": data}

    # ---- OAuth 2.0 ----------------------------------------------------------------------

    def _redirect_ok(self, uri: str) -> bool:
        parts = urlsplit(uri)
        for registered in self.redirect_uris:
            r = urlsplit(registered)
            if uri == registered:
                return True
            # RFC 8252 §7.3: "MUST allow any port to be specified at the time of the
            # request for loopback IP redirect URIs".
            if (parts.scheme == "http" and parts.hostname == "127.0.0.1"
                    and r.hostname == "127.0.0.1" and parts.path == r.path
                    and not parts.query):
                return True
        return False

    def authorize(self, q: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        """(status, headers, body): a 302 to the redirect URI, or a 400 page as JSON."""
        self.authorize_requests.append(q)
        redirect = q.get("redirect_uri", "")
        if q.get("client_id") not in self.client_ids:
            return 400, {}, {"error": "invalid_request", "error_description":
                             "Something went wrong. You weren't able to give access to the "
                             "App."}
        if not self._redirect_ok(redirect):
            return 400, {}, {"error": "invalid_request",
                             "error_description": "redirect_uri is not registered"}
        scopes = frozenset(q.get("scope", "").split())
        if (q.get("response_type") != "code" or not q.get("state")
                or q.get("code_challenge_method") != "S256" or not q.get("code_challenge")
                or not scopes or not scopes <= SCOPES):
            return 400, {}, {"error": "invalid_request",
                             "error_description": "Missing or invalid parameter"}
        with self._lock:
            deny = self._deny > 0
            if deny:
                self._deny -= 1
        if deny:
            params = {"error": "access_denied", "state": q["state"]}
        else:
            code = _secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = _Code(q["client_id"], redirect, q["code_challenge"],
                                          scopes, self.sign_in_user, time.time() + 30)
            params = {"state": q["state"], "code": code}
        return 302, {"Location": redirect + "?" + urlencode(params)}, {}

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        bad = {"error": "invalid_request",
               "error_description": "Value passed for the token was invalid."}
        grant = form.get("grant_type")
        if form.get("client_id") not in self.client_ids:
            return 400, {"error": "invalid_request",
                         "error_description": "Missing required parameter [client_id]."}
        if grant == "authorization_code":
            with self._lock:
                code = self._codes.pop(form.get("code", ""), None)  # one use only
            if code is None or code.expires < time.time():
                return 400, bad
            if code.client_id != form["client_id"] or code.redirect_uri != form.get(
                    "redirect_uri"):
                return 400, bad
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code.challenge:
                return 400, {"error": "invalid_request",
                             "error_description": "Value passed for the code verifier "
                                                  "was invalid."}
            return 200, self._issue(code.user_id, code.scopes, code.client_id)
        if grant == "refresh_token":
            with self._lock:
                old = self._refresh.pop(form.get("refresh_token", ""), None)  # rotated
            if old is None or old.client_id != form["client_id"]:
                return 400, bad
            return 200, self._issue(old.user_id, old.scopes, old.client_id)
        return 400, {"error": "unsupported_grant_type",
                     "error_description": "grant_type is not supported"}

    def _issue(self, user: str, scopes: frozenset[str], client_id: str) -> dict[str, Any]:
        access = _secrets.token_urlsafe(32)
        entry = _Token(user, scopes, time.time() + self.token_lifetime, client_id)
        answer: dict[str, Any] = {"token_type": "bearer", "expires_in": self.token_lifetime,
                                  "access_token": access, "scope": " ".join(sorted(scopes))}
        with self._lock:
            self._tokens[access] = entry
            if "offline.access" in scopes:
                refresh = _secrets.token_urlsafe(32)
                self._refresh[refresh] = entry
                answer["refresh_token"] = refresh
        return answer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tsa_b"
    x: XServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        x = self.x
        parts = urlsplit(self.path)
        path = parts.path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        body: Any = None
        if method == "POST" and ctype == "application/json":
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = ValueError
        elif method == "POST" and ctype == "application/x-www-form-urlencoded":
            body = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
        x.requests.append(Seen(method, path, dict(self.headers.items()), body))
        with x._lock:
            fault = x._faults.pop(0) if x._faults else None
        if fault == "500":
            self._send(500, _problem(500, "Internal Server Error", "Internal Server Error"))
            return
        if fault == "503":
            self._send(503, _problem(503, "Service Unavailable", "Service Unavailable"))
            return
        if fault == "delay":
            x._stopping.wait(x.delay_seconds)

        if method == "GET" and path == "/i/oauth2/authorize":
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            status, headers, page = x.authorize(q)
            self._send(status, page, headers)
            return
        if method == "POST" and path == "/2/oauth2/token":
            if ctype != "application/x-www-form-urlencoded" or not isinstance(body, dict):
                self._send(400, {"error": "invalid_request",
                                 "error_description": "Missing required parameter "
                                                      "[grant_type]."})
                return
            status, answer = x.token(body)
            self._send(status, answer)
            return

        auth = self.headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if not x.valid_token(token):
            self._send(401, _problem(401, "Unauthorized", "Unauthorized"))
            return
        entry = x._tokens[token]
        is_lookup = method == "GET" and path.startswith("/2/tweets/") and path[10:].isdigit()
        allowed, headers = x._rate(entry.user_id, "/2/tweets/:id" if is_lookup else path)
        if not allowed:
            if path == "/2/tweets":
                headers.update(x._daily_headers(entry.user_id, take=False)[1])
            self._send(429, x.too_many(), headers)
            return
        query = parse_qs(parts.query)
        if method == "GET" and not x.read_access and (is_lookup or path == "/2/users/me"):
            self._send(403, CLIENT_FORBIDDEN, headers)
            return
        if method == "GET" and path == "/2/users/me":
            if "users.read" not in entry.scopes:
                self._send(403, _problem(403, "Forbidden", "Forbidden"), headers)
                return
            fields = set(",".join(query.get("user.fields", [])).split(","))
            self._send(200, x.me(entry.user_id, fields), headers)
            return
        if is_lookup:
            if not {"tweet.read", "users.read"} <= entry.scopes:
                self._send(403, _problem(403, "Forbidden", "Forbidden"), headers)
                return
            fields = set(",".join(query.get("tweet.fields", [])).split(","))
            self._send(200, x.lookup(path[10:], fields), headers)
            return
        if method == "POST" and path == "/2/tweets":
            if "tweet.write" not in entry.scopes:
                self._send(403, _problem(403, "Forbidden", "You are not permitted to perform "
                                         "this action."), headers)
                return
            if ctype != "application/json" or body is ValueError:
                self._send(400, _invalid("Request body must be JSON (application/json)."),
                           headers)
                return
            if x.usage_capped:
                self._send(429, {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: "
                                 "Monthly product cap", "type": "https://api.twitter.com/2/"
                                 "problems/usage-capped", "period": "Monthly",
                                 "scope": "Product"}, headers)
                return
            ok, daily = x._daily_headers(entry.user_id, take=False)
            if not ok:
                headers.update(daily)
                self._send(429, x.too_many(), headers)
                return
            status, answer = x.create_tweet(entry.user_id, body)
            headers.update(x._daily_headers(entry.user_id, take=status == 201)[1])
            self._send(status, answer, headers)
            return
        self._send(404, _problem(404, "Not Found Error", "Not Found"), headers)

    def _send(self, status: int, body: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True
