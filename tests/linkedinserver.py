"""A strict local LinkedIn API on 127.0.0.1 for the connector's tests.

It follows LinkedIn's documentation (learn.microsoft.com/linkedin) as closely as a test needs:

- Every call needs ``Authorization: Bearer <token>`` of a known token. Unknown: 401
  ``{"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid
  access token"}``; expired (``expire(token)``; member tokens live 60 days): 401 with
  ``EXPIRED_ACCESS_TOKEN``. Error bodies have the documented ``message``,
  ``serviceErrorCode`` and ``status``.
- ``GET /v2/userinfo`` (OpenID Connect, not versioned): ``sub``, ``name``, ``given_name``,
  ``family_name``, ``email``, ``email_verified``, ``locale``, ``picture``.
- Every ``/rest/`` call needs ``LinkedIn-Version`` (YYYYMM): missing -> 400
  ``VERSION_MISSING``; not in ``active_versions`` (too old, or not released) -> 426
  ``{"status":426,"code":"NONEXISTENT_VERSION","message":"Requested version 20240401 is not
  active"}`` (LinkedIn reports the month as YYYYMM01). And ``X-Restli-Protocol-Version:
  2.0.0`` ("All APIs require the request header"): otherwise 400.
- ``POST /rest/posts`` (JSON): ``author`` must be the token's member (``urn:li:person:<sub>``,
  else 403 ``ACCESS_DENIED``); ``commentary`` is little text: a reserved character
  (``| { } @ [ ] ( ) < > # \\ * _ ~``) not escaped with a backslash -> 422 (LinkedIn would
  read it as markup, or cut the post there); the unescaped text, counted like
  curator.counting.linkedin_length, at most 3,000 -> else 422; ``visibility``,
  ``distribution.feedDistribution``, ``lifecycleState`` and ``content.article`` (``source``
  an http(s) URL, ``title`` required) are checked. Success: 201, empty body, header
  ``x-restli-id: urn:li:share:<n>``.
- ``GET /rest/posts?author=<urn>&q=author&count=n&sortBy=LAST_MODIFIED`` ("Find Posts by
  Authors"): only for tokens with ``r_member_social`` (else 403), newest first.
- Scriptable: ``rate_limit(times, retry_after=None)`` (429 ``TOO_MANY_REQUESTS``; LinkedIn
  documents no Retry-After, a test may add one) and ``fail_next("500"|"503"|"delay"|"reset"|
  "create_then_reset", times=n)``.

Created posts are kept in ``server.posts``; ``server.requests`` records what came in.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from curator.counting import LINKEDIN_RESERVED, linkedin_length

FAULTS = ("ok", "500", "503", "delay", "reset", "create_then_reset")
VISIBILITIES = ("PUBLIC", "CONNECTIONS", "LOGGED_IN")
FEED_DISTRIBUTIONS = ("MAIN_FEED", "NONE")
LIFECYCLE_STATES = ("PUBLISHED", "DRAFT")
MAX_COMMENTARY = 3000
# Versions LinkedIn serves now (Marketing versions stay about a year).
ACTIVE_VERSIONS = frozenset(f"{y}{m:02d}" for y, m in
                            [(2025, 12)] + [(2026, m) for m in range(1, 12)])


@dataclass
class Created:
    """One post the server made: ``text`` is the commentary unescaped (what the user typed)."""

    urn: str
    text: str
    commentary: str
    body: dict[str, Any]
    token: str
    created_at: int  # ms since the epoch, like the API's createdAt


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class _Member:
    sub: str
    name: str
    email: str
    expired: bool = False
    read_posts: bool = False  # r_member_social


@dataclass
class LinkedInServer:
    """Start with ``LinkedInServer().start()``; ``url`` is the API base URL."""

    active_versions: frozenset[str] = ACTIVE_VERSIONS
    posts: list[Created] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    delay_seconds: float = 3.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._members: dict[str, _Member] = {}
        self._faults: list[str] = []
        self._limited: list[str | None] = []  # Retry-After per scripted 429
        self._next = 7_100_000_000_000_000_000
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- set-up -----------------------------------------------------------------------

    def add_token(self, token: str, *, sub: str = "yQZ4p_Lm2r", name: str = "Lucía Pérez",
                  email: str = "lucia@ejemplo.es", read_posts: bool = False) -> str:
        with self._lock:
            self._members[token] = _Member(sub, name, email, read_posts=read_posts)
        return token

    def expire(self, token: str) -> None:
        with self._lock:
            self._members[token].expired = True

    def rate_limit(self, times: int = 1, retry_after: int | None = None) -> None:
        """The next ``times`` authenticated requests answer 429."""
        with self._lock:
            self._limited += [None if retry_after is None else str(retry_after)] * times

    def fail_next(self, kind: str, times: int = 1) -> None:
        """The next ``times`` requests meet ``kind``: "ok" (none), "500", "503", "delay"
        (answer after ``delay_seconds``, the work done), "reset" (connection reset, nothing
        done), "create_then_reset" (the work done, then reset)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults += [kind] * times

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def start(self) -> LinkedInServer:
        server = self

        class Handler(_Handler):
            linkedin = server

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,),
                                        name="linkedinserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LinkedInServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- the API ----------------------------------------------------------------------

    def _take(self) -> tuple[str | None, bool, str | None]:
        """(fault, rate limited, its Retry-After)."""
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            if self._limited:
                return fault, True, self._limited.pop(0)
            return fault, False, None

    def userinfo(self, member: _Member) -> dict[str, Any]:
        given, _, family = member.name.partition(" ")
        return {"sub": member.sub, "email_verified": True, "name": member.name,
                "locale": {"country": "ES", "language": "es"}, "given_name": given,
                "family_name": family, "email": member.email,
                "picture": "https://media.licdn.com/dms/image/foto.jpg"}

    def create_post(self, token: str, body: Any) -> tuple[int, dict[str, Any] | None,
                                                          dict[str, str]]:
        member = self._members[token]
        if not isinstance(body, dict):
            return _err(400, 100, "ILLEGAL_ARGUMENT", "Request body must be a JSON object")
        if body.get("author") != f"urn:li:person:{member.sub}":
            return _err(403, 100, "ACCESS_DENIED", "Not enough permissions to access: "
                        "partnerApiPostsExternal.CREATE.20260701 (author is not the member)")
        commentary = body.get("commentary")
        if not isinstance(commentary, str):
            return _unprocessable("/commentary", "Field is required")
        problem = _unescaped(commentary)
        if problem is not None:
            return _unprocessable("/commentary", problem)
        text = _unescape(commentary)
        if linkedin_length(text) > MAX_COMMENTARY:
            return _unprocessable("/commentary", f"Commentary length {linkedin_length(text)} "
                                  f"exceeds the maximum of {MAX_COMMENTARY} characters")
        if body.get("visibility") not in VISIBILITIES:
            return _unprocessable("/visibility", "Invalid value")
        distribution = body.get("distribution")
        if (not isinstance(distribution, dict)
                or distribution.get("feedDistribution") not in FEED_DISTRIBUTIONS
                or not isinstance(distribution.get("targetEntities", []), list)
                or not isinstance(distribution.get("thirdPartyDistributionChannels", []),
                                  list)):
            return _unprocessable("/distribution", "Invalid distribution")
        if body.get("lifecycleState") not in LIFECYCLE_STATES:
            return _unprocessable("/lifecycleState", "Invalid value")
        if not isinstance(body.get("isReshareDisabledByAuthor", False), bool):
            return _unprocessable("/isReshareDisabledByAuthor", "Must be a boolean")
        content = body.get("content")
        if content is not None:
            article = content.get("article") if isinstance(content, dict) else None
            if not isinstance(article, dict):
                return _unprocessable("/content", "Unsupported content")
            source = article.get("source")
            parts = urlsplit(source) if isinstance(source, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                return _unprocessable("/content/article/source", "Must be an http(s) URL")
            if not isinstance(article.get("title"), str) or not article["title"].strip():
                return _unprocessable("/content/article/title", "Field is required")
            if "description" in article and not isinstance(article["description"], str):
                return _unprocessable("/content/article/description", "Must be a string")
        with self._lock:
            self._next += 1
            urn = f"urn:li:share:{self._next}"
            self.posts.append(Created(urn, text, commentary, body, token,
                                      int(time.time() * 1000)))
        return 201, None, {"x-restli-id": urn}

    def find_by_author(self, token: str, query: dict[str, list[str]]
                       ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        member = self._members[token]
        if query.get("q") != ["author"] or not query.get("author"):
            return _err(400, 100, "ILLEGAL_ARGUMENT", "q=author and author are required")
        if not member.read_posts:
            return _err(403, 100, "ACCESS_DENIED", "Not enough permissions to access: "
                        "partnerApiPostsExternal.FINDER-author.20260701")
        author = query["author"][0]
        count = int((query.get("count") or ["10"])[0])
        mine = [p for p in reversed(self.posts) if p.body.get("author") == author]
        elements = [dict(p.body, id=p.urn, createdAt=p.created_at, publishedAt=p.created_at,
                         lastModifiedAt=p.created_at) for p in mine[:count]]
        return 200, {"paging": {"start": 0, "count": count, "links": []},
                     "elements": elements}, {}


def _err(status: int, service_code: int, code: str, message: str
         ) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {"status": status, "serviceErrorCode": service_code, "code": code,
                    "message": message}, {}


def _unprocessable(path: str, description: str
                   ) -> tuple[int, dict[str, Any], dict[str, str]]:
    return 422, {"errorDetailType": "com.linkedin.common.error.BadRequest",
                 "message": f"{path} :: {description}",
                 "errorDetails": {"inputErrors": [{"description": description,
                                                   "input": {"inputPath": {"fieldPath": path}},
                                                   "code": "INVALID_VALUE"}]},
                 "status": 422}, {}


def _unescaped(commentary: str) -> str | None:
    """Where little text would read a reserved character as markup, or None."""
    i = 0
    while i < len(commentary):
        c = commentary[i]
        if c == "\\":
            if i + 1 < len(commentary) and commentary[i + 1] in LINKEDIN_RESERVED:
                i += 2
                continue
            return f"Unescaped reserved character '\\\\' at {i}"
        if c in LINKEDIN_RESERVED:
            return f"Unescaped reserved character {c!r} at {i}"
        i += 1
    return None


def _unescape(commentary: str) -> str:
    out, i = [], 0
    while i < len(commentary):
        if commentary[i] == "\\" and i + 1 < len(commentary):
            out.append(commentary[i + 1])
            i += 2
        else:
            out.append(commentary[i])
            i += 1
    return "".join(out)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LinkedIn"
    linkedin: LinkedInServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet tests
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        li = self.linkedin
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = ValueError
        li.requests.append(Seen(method, parts.path, query, dict(self.headers.items()), body))
        fault, limited, retry_after = li._take()
        if fault == "reset":
            self._reset()
            return
        if fault in ("500", "503"):
            self._send(*_err(int(fault), 0, "INTERNAL_SERVER_ERROR" if fault == "500"
                             else "SERVICE_UNAVAILABLE", "Internal Server Error"
                             if fault == "500" else "Service Unavailable"))
            return
        if fault == "delay":
            li._stopping.wait(li.delay_seconds)

        auth = self.headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else ""
        member = li._members.get(token)
        if member is None:
            self._send(*_err(401, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token"))
            return
        if member.expired:
            self._send(*_err(401, 65601, "EXPIRED_ACCESS_TOKEN",
                             "The token used in the request has expired"))
            return
        if limited:
            status, payload, headers = _err(
                429, 101, "TOO_MANY_REQUESTS",
                "Resource level throttle 1 DAY limit for calls to this resource is reached.")
            self._send(status, payload, {"Retry-After": retry_after} if retry_after else {})
            return

        if parts.path.startswith("/rest/"):
            version = self.headers.get("LinkedIn-Version")
            if not version:
                self._send(*_err(400, 0, "VERSION_MISSING", "A version must be present. "
                                 "Please specify a version by adding the LinkedIn-Version "
                                 "header."))
                return
            if version not in li.active_versions:
                self._send(426, {"status": 426, "code": "NONEXISTENT_VERSION",
                                 "message": f"Requested version {version[:6]}01 is not "
                                            "active"}, {})
                return
            if self.headers.get("X-Restli-Protocol-Version") != "2.0.0":
                self._send(*_err(400, 0, "ILLEGAL_ARGUMENT", "This API requires the header "
                                 "X-Restli-Protocol-Version: 2.0.0"))
                return

        if method == "GET" and parts.path == "/v2/userinfo":
            result: tuple[int, dict[str, Any] | None, dict[str, str]] = (
                200, li.userinfo(member), {})
        elif method == "POST" and parts.path == "/rest/posts":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/json" or body is ValueError:
                result = _err(400, 100, "ILLEGAL_ARGUMENT", "Request body must be JSON")
            else:
                result = li.create_post(token, body)
        elif method == "GET" and parts.path == "/rest/posts":
            result = li.find_by_author(token, query)
        else:
            result = _err(404, 0, "NOT_FOUND", f"No resource found for {parts.path}")
        if fault == "create_then_reset":
            self._reset()
            return
        self._send(*result)

    def _send(self, status: int, body: dict[str, Any] | None, headers: dict[str, str]) -> None:
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def _reset(self) -> None:
        """Drop the connection with a TCP RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
