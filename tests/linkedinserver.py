"""A strict local LinkedIn API on 127.0.0.1 for the connector's tests.

It follows LinkedIn's documentation (learn.microsoft.com/linkedin) and, where the docs are
silent, what the real API was seen to answer (quoted where it is used below):

- Error bodies ("Error Handling"): "Error responses have the following details: message - A
  description of the error. serviceErrorCode - A subcode that further classifies the error.
  status - The type of error (status code)." Newer ones add ``code``.
- Every call needs ``Authorization: Bearer <token>``: none -> 401 (the docs' own sample,
  ``{"message": "Empty oauth2_access_token", "serviceErrorCode": 401, "status": 401}``);
  unknown -> 401 ``INVALID_ACCESS_TOKEN`` "Invalid access token"; ``expire(token)`` (member
  tokens live 60 days) -> 401 ``EXPIRED_ACCESS_TOKEN``; ``revoke(token)`` -> 401
  ``REVOKED_ACCESS_TOKEN``.
- ``GET /v2/userinfo`` (OpenID Connect, not versioned): ``sub``, ``name``, ``given_name``,
  ``family_name``, ``email``, ``email_verified``, ``locale``, ``picture``.
- Every ``/rest/`` call: "Include a request header with the key "Linkedin-Version" and set the
  value to the version (format: YYYYMM)". Missing -> 400 ``VERSION_MISSING``; not in
  ``active_versions`` -> 426 ``NONEXISTENT_VERSION`` "Requested version 20240401 is not
  active" (LinkedIn names the month YYYYMM01). ``X-Restli-Protocol-Version: 2.0.0`` is
  required too (what LinkedIn answers without it is undocumented: here a 400).
- ``POST /rest/posts`` (JSON): ``author`` must be the token's member (``urn:li:person:<sub>``,
  else 403 ``ACCESS_DENIED``); missing or unknown fields and bad values -> 422 in the shape
  the Posts API answers (``{"message": "ERROR :: /author :: field is required but not found
  and has no default value\\n", "status": 422}``). ``commentary`` is parsed as little text
  (:func:`parse_little_text`, the grammar of the "little Text Format" page); the text it
  shows, counted in UTF-16 units, at most 3,000. Success: 201, empty body, header
  ``x-restli-id: urn:li:share:<n>``.
- Little text that does not parse (an unescaped reserved character, a malformed template, a
  lone ``#``) is not refused by LinkedIn: it answers 201 and the post silently ends where the
  parser gave up ("a 1447-character summary went out as its first 245 characters, cut
  before a '('", as integrators reported). This server does the same (``Created.cut_at``
  says where), or with ``little_text_errors="reject"`` answers 422 so a test fails loudly.
- ``GET /rest/posts?author=<urn>&q=author&count=n&sortBy=LAST_MODIFIED`` ("Find Posts by
  Authors"): only for tokens with ``r_member_social`` (else 403), newest first.
- ``GET /rest/socialActions/{encoded URN}`` ("Retrieve a Summary of Social Actions", Network
  Update Social Actions): the URN must be URL-encoded in the path (else 400); only for
  tokens with ``r_member_social`` ("Retrieve posts, comments, and likes on behalf of an
  authenticated member", restricted; else 403 ``ACCESS_DENIED`` "Not enough permissions to
  access: ..."); an unknown or deleted (``delete_post``) post -> 404. Answers the docs'
  sample shape: ``commentsSummary`` (``totalFirstLevelComments``,
  ``aggregatedTotalComments``), ``likesSummary`` (``likedByCurrentUser``, ``totalLikes``),
  ``target`` and ``$URN``; counts set with ``set_social``. ``count(method, path)`` counts
  requests.
- Rate limits: "Rate limited requests will receive a 429 response" and limits "reset at
  midnight UTC every day"; LinkedIn documents no Retry-After. ``rate_limit(times,
  retry_after=None, message=...)`` scripts them; ``fail_next("500"|"503"|"delay"|"reset"|
  "create_then_reset", times=n)`` scripts faults.

Created posts are kept in ``server.posts``; ``server.requests`` records what came in.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import regex

FAULTS = ("ok", "500", "503", "delay", "reset", "create_then_reset")
VISIBILITIES = ("PUBLIC", "CONNECTIONS", "LOGGED_IN")
FEED_DISTRIBUTIONS = ("MAIN_FEED", "NONE")
LIFECYCLE_STATES = ("PUBLISHED", "DRAFT")
POST_FIELDS = frozenset({
    "author", "commentary", "visibility", "distribution", "lifecycleState",
    "isReshareDisabledByAuthor", "content", "contentLandingPage", "contentCallToActionLabel",
    "container", "reshareContext", "adContext"})
REQUIRED_POST_FIELDS = ("author", "commentary", "visibility", "distribution", "lifecycleState")
MAX_COMMENTARY = 3000
# Versions LinkedIn serves on 2026-11-29. Its migrations table lists each monthly version
# with a sunset date about a year on ("202603 (March 2026) ... March 16, 2027 ... Active";
# 202511's was November 16, 2026), and it released none in December 2025 (the table goes
# from 202511 to 202601): so 202601 through the latest, 202611.
ACTIVE_VERSIONS = frozenset(f"2026{m:02d}" for m in range(1, 12))
# What LinkedIn answered to daily-limited calls (its docs: "Resource level throttle limit for
# calls to this resource is reached."); serviceErrorCode 101.
DAY_LIMIT_MESSAGE = ("Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls to "
                     "this resource is reached.")

# ---- little text -------------------------------------------------------------------------

# "All reserved characters need to be escaped with a backslash": | { } @ [ ] ( ) < > # \ * _ ~
LITTLE_RESERVED = "|{}@[]()<>#\\*_~"
_TEXT = r"(?:\\[|{}@\[\]()<>#\\*_~]|[^|{}@\[\]()<>#\\*_~])"
# HashtagTemplate: "Represents a hashtag, including the hashtag sign, which should be either
# '#' (U+0023) or '＃' (U+FF03). (String hashtagSign, String hashtagValue)", example
# ``{hashtag|#|mytag}``; clients send the sign escaped (``\#``) and LinkedIn takes it.
_HASHTAG_TEMPLATE = regex.compile(rf"\{{hashtag\|(\\#|#|＃)\|({_TEXT}+)\}}")
# HashtagElement ("Show a hashtag", ``#hashtag``): '#' SINGLE_WORD.
_HASHTAG_ELEMENT = regex.compile(r"#([\p{L}\p{M}\p{N}]+)")
# MentionElement ("URN representing the entity to be mentioned. Can be a Person or
# Organization URN"): ``@[Eddy](urn:li:person:1234)``; the docs' second example has a space
# before the parenthesis.
_MENTION = regex.compile(
    rf"@(?:\[({_TEXT}*)\])? ?\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)")


@dataclass(frozen=True)
class Element:
    """One little element: ``kind`` "text", "hashtag" (``value`` without its sign) or
    "mention" (``value`` the shown name, ``urn`` the entity)."""

    kind: Literal["text", "hashtag", "mention"]
    value: str
    sign: str = ""
    urn: str = ""

    @property
    def shown(self) -> str:
        if self.kind == "hashtag":
            return self.sign + self.value
        return self.value


@dataclass(frozen=True)
class LittleText:
    elements: tuple[Element, ...]
    cut_at: int | None  # index in the commentary where parsing stopped, None: all of it
    problem: str | None

    @property
    def shown(self) -> str:
        return "".join(e.shown for e in self.elements)


def _unescape(text: str) -> str:
    return regex.sub(r"\\(.)", r"\1", text)


def parse_little_text(commentary: str) -> LittleText:
    """The commentary's elements as LinkedIn reads them, up to the first thing that is not
    little text (then ``cut_at`` and ``problem`` say where and why)."""
    elements: list[Element] = []
    text: list[str] = []

    def element(e: Element) -> None:
        if text:
            elements.append(Element("text", "".join(text)))
            text.clear()
        elements.append(e)

    i, n = 0, len(commentary)
    problem: str | None = None
    while i < n:
        c = commentary[i]
        if c == "\\":
            if i + 1 < n and commentary[i + 1] in LITTLE_RESERVED:
                text.append(commentary[i + 1])
                i += 2
                continue
            problem = f"unescaped reserved character '\\' at {i}"
            break
        if c == "{":
            m = _HASHTAG_TEMPLATE.match(commentary, i)
            if m is None:
                problem = f"malformed template at {i}"
                break
            sign = "#" if m[1] == "\\#" else m[1]
            element(Element("hashtag", _unescape(m[2]), sign=sign))
            i = m.end()
            continue
        if c == "#":
            m = _HASHTAG_ELEMENT.match(commentary, i)
            if m is None:
                problem = f"'#' without a hashtag at {i}"
                break
            element(Element("hashtag", m[1], sign="#"))
            i = m.end()
            continue
        if c == "@":
            m = _MENTION.match(commentary, i)
            if m is None:
                problem = f"'@' without a mention at {i}"
                break
            element(Element("mention", _unescape(m[1] or m[2]), urn=m[2]))
            i = m.end()
            continue
        if c in LITTLE_RESERVED:
            problem = f"unescaped reserved character {c!r} at {i}"
            break
        text.append(c)
        i += 1
    if text:
        elements.append(Element("text", "".join(text)))
    return LittleText(tuple(elements), None if problem is None else i, problem)


# ---- the server --------------------------------------------------------------------------


@dataclass
class Created:
    """One post the server made. ``text`` is what LinkedIn shows (escapes undone, hashtags as
    ``#tag``), ``elements`` how it read the commentary, ``cut_at`` where the shown text was
    cut short (None: it was not)."""

    urn: str
    text: str
    commentary: str
    body: dict[str, Any]
    token: str
    created_at: int  # ms since the epoch, like the API's createdAt
    elements: tuple[Element, ...] = ()
    cut_at: int | None = None

    @property
    def hashtags(self) -> list[str]:
        return [e.value for e in self.elements if e.kind == "hashtag"]


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
    revoked: bool = False
    read_posts: bool = False  # r_member_social


@dataclass
class LinkedInServer:
    """Start with ``LinkedInServer().start()``; ``url`` is the API base URL."""

    active_versions: frozenset[str] = ACTIVE_VERSIONS
    little_text_errors: Literal["truncate", "reject"] = "truncate"
    posts: list[Created] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    delay_seconds: float = 3.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._members: dict[str, _Member] = {}
        self._faults: list[str] = []
        self._limited: list[tuple[str | None, str]] = []  # (Retry-After, message) per 429
        self._next = 7_100_000_000_000_000_000
        self._social: dict[str, tuple[int, int, int]] = {}  # urn -> likes, comments, first
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- set-up -----------------------------------------------------------------------

    def add_token(self, token: str, *, sub: str = "yQZ4p_Lm2r", name: str = "Lucía Pérez",
                  email: str = "lucia@ejemplo.es", read_posts: bool = False) -> str:
        with self._lock:
            self._members[token] = _Member(sub, name, email, read_posts=read_posts)
        return token

    def set_social(self, urn: str, *, likes: int = 0, comments: int = 0,
                   first_level_comments: int | None = None) -> None:
        """What members did with a post: its socialActions summary."""
        with self._lock:
            first = comments if first_level_comments is None else first_level_comments
            self._social[urn] = (likes, comments, first)

    def delete_post(self, urn: str) -> None:
        with self._lock:
            self.posts = [p for p in self.posts if p.urn != urn]

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    def expire(self, token: str) -> None:
        with self._lock:
            self._members[token].expired = True

    def revoke(self, token: str) -> None:
        with self._lock:
            self._members[token].revoked = True

    def rate_limit(self, times: int = 1, retry_after: int | None = None,
                   message: str = DAY_LIMIT_MESSAGE) -> None:
        """The next ``times`` authenticated requests answer 429 (a daily limit unless
        ``message`` says otherwise: "In rare cases, LinkedIn may also return a 429 response as
        part of infrastructure protection")."""
        with self._lock:
            self._limited += [(None if retry_after is None else str(retry_after), message)] * times

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

    def _take(self) -> tuple[str | None, tuple[str | None, str] | None]:
        """(fault, (Retry-After, message) when rate limited)."""
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            return fault, (self._limited.pop(0) if self._limited else None)

    def userinfo(self, member: _Member) -> dict[str, Any]:
        given, _, family = member.name.partition(" ")
        return {"sub": member.sub, "email_verified": True, "name": member.name,
                "locale": {"country": "ES", "language": "es"}, "given_name": given,
                "family_name": family, "email": member.email,
                "picture": "https://media.licdn.com/dms/image/foto.jpg"}

    def create_post(self, token: str, body: Any, version: str) -> tuple[
            int, dict[str, Any] | None, dict[str, str]]:
        member = self._members[token]
        errors: list[tuple[str, str]] = []
        for name in sorted(set(body) - POST_FIELDS):
            errors.append((f"/{name}", "unrecognized field found but not allowed"))
        for name in REQUIRED_POST_FIELDS:
            if name not in body:
                errors.append((f"/{name}", "field is required but not found and has no "
                                           "default value"))
        if errors:
            return _unprocessable(errors)
        if body["author"] != f"urn:li:person:{member.sub}":
            # The Posts API's answer to an author the token may not post as.
            return _err(403, 100, "ACCESS_DENIED", "Not enough permissions to access: "
                        f"partnerApiPostsExternal.CREATE.{version[:6]}01")
        commentary = body["commentary"]
        if not isinstance(commentary, str):
            return _unprocessable([("/commentary", "not a string")])
        little = parse_little_text(commentary)
        if little.problem is not None and self.little_text_errors == "reject":
            return _unprocessable([("/commentary", f"not little text: {little.problem}")])
        shown = little.shown
        units = len(shown.encode("utf-16-le")) // 2
        if units > MAX_COMMENTARY:
            # LinkedIn documents the 3,000 characters but not its answer: the Posts API's
            # 422 shape, counted on the text the post shows.
            return _unprocessable([("/commentary", f"length {units} exceeds the maximum "
                                                   f"of {MAX_COMMENTARY} characters")])
        if body["visibility"] not in VISIBILITIES:
            errors.append(("/visibility", f"{body['visibility']!r} is not a valid value"))
        distribution = body["distribution"]
        if (not isinstance(distribution, dict)
                or distribution.get("feedDistribution") not in FEED_DISTRIBUTIONS
                or not isinstance(distribution.get("targetEntities", []), list)
                or not isinstance(distribution.get("thirdPartyDistributionChannels", []),
                                  list)):
            errors.append(("/distribution", "not a valid distribution"))
        if body["lifecycleState"] not in LIFECYCLE_STATES:
            errors.append(("/lifecycleState", f"{body['lifecycleState']!r} is not a valid "
                                              "value"))
        if not isinstance(body.get("isReshareDisabledByAuthor", False), bool):
            errors.append(("/isReshareDisabledByAuthor", "not a boolean"))
        content = body.get("content")
        if content is not None:
            article = content.get("article") if isinstance(content, dict) else None
            if not isinstance(article, dict):
                errors.append(("/content", "unsupported content"))
            else:
                source = article.get("source")
                parts = urlsplit(source) if isinstance(source, str) else None
                if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                    errors.append(("/content/article/source", "not an http(s) URL"))
                title = article.get("title")
                if not isinstance(title, str) or not title.strip():
                    errors.append(("/content/article/title", "field is required but not "
                                                             "found and has no default value"))
                if "description" in article and not isinstance(article["description"], str):
                    errors.append(("/content/article/description", "not a string"))
        if errors:
            return _unprocessable(errors)
        with self._lock:
            self._next += 1
            urn = f"urn:li:share:{self._next}"
            self.posts.append(Created(urn, shown, commentary, body, token,
                                      int(time.time() * 1000), little.elements,
                                      little.cut_at))
        return 201, None, {"x-restli-id": urn}

    def find_by_author(self, token: str, query: dict[str, list[str]], version: str
                       ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        member = self._members[token]
        if query.get("q") != ["author"] or not query.get("author"):
            return _err(400, 100, "ILLEGAL_ARGUMENT", "q=author and author are required")
        if not member.read_posts:
            return _err(403, 100, "ACCESS_DENIED", "Not enough permissions to access: "
                        f"partnerApiPostsExternal.FINDER-author.{version[:6]}01")
        author = query["author"][0]
        count = int((query.get("count") or ["10"])[0])
        mine = [p for p in reversed(self.posts) if p.body.get("author") == author]
        elements = [dict(p.body, id=p.urn, createdAt=p.created_at, publishedAt=p.created_at,
                         lastModifiedAt=p.created_at) for p in mine[:count]]
        return 200, {"paging": {"start": 0, "count": count, "links": []},
                     "elements": elements}, {}


    def social_actions(self, token: str, raw_key: str, version: str
                       ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        member = self._members[token]
        if ":" in raw_key:  # Rest.li 2.0: a URN key in a path is URL-encoded
            return _err(400, 100, "ILLEGAL_ARGUMENT", f"Invalid key {raw_key!r}: the URN "
                        "must be URL-encoded")
        urn = urllib.parse.unquote(raw_key)
        if not member.read_posts:
            return _err(403, 100, "ACCESS_DENIED", "Not enough permissions to access: "
                        f"socialActions.GET.{version[:6]}01")
        with self._lock:
            post = next((p for p in self.posts if p.urn == urn), None)
            likes, comments, first = self._social.get(urn, (0, 0, 0))
        if post is None:
            return _err(404, 0, "NOT_FOUND", f"Entity {urn} not found")
        return 200, {"commentsSummary": {"totalFirstLevelComments": first,
                                         "aggregatedTotalComments": comments},
                     "$URN": f"urn:li:socialActions:{urn}", "target": urn,
                     "likesSummary": {"likedByCurrentUser": False, "totalLikes": likes}}, {}


def _err(status: int, service_code: int | None, code: str, message: str
         ) -> tuple[int, dict[str, Any], dict[str, str]]:
    body: dict[str, Any] = {"status": status}
    if service_code is not None:  # the /rest gateway's answers (400, 426) carry none
        body["serviceErrorCode"] = service_code
    body.update(code=code, message=message)
    return status, body, {}


def _unprocessable(errors: list[tuple[str, str]]
                   ) -> tuple[int, dict[str, Any], dict[str, str]]:
    # As the Posts API answered a body it could not take: {"message": "ERROR :: /author ::
    # field is required but not found and has no default value\n...", "status": 422}
    message = "".join(f"ERROR :: {path} :: {what}\n" for path, what in errors)
    return 422, {"message": message, "status": 422}, {}


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
        fault, limited = li._take()
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

        version = self.headers.get("LinkedIn-Version") or ""
        if parts.path.startswith("/rest/"):  # the versioned gateway answers before routing
            if not version:
                self._send(*_err(400, None, "VERSION_MISSING", "A version must be present. "
                                 "Please specify a version by adding the Linkedin-Version "
                                 "header."))
                return
            if version not in li.active_versions:
                self._send(*_err(426, None, "NONEXISTENT_VERSION",
                                 f"Requested version {version[:6]}01 is not active"))
                return
            if self.headers.get("X-Restli-Protocol-Version") != "2.0.0":
                self._send(*_err(400, 100, "ILLEGAL_ARGUMENT", "This API requires the header "
                                 "X-Restli-Protocol-Version: 2.0.0"))
                return

        auth = self.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth.startswith("Bearer ") else ""
        member = li._members.get(token)
        if not token:
            self._send(*_err(401, 401, "EMPTY_ACCESS_TOKEN", "Empty oauth2_access_token"))
            return
        if member is None:
            self._send(*_err(401, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token"))
            return
        if member.revoked:
            self._send(*_err(401, 65601, "REVOKED_ACCESS_TOKEN",
                             "The token used in the request has been revoked by the user"))
            return
        if member.expired:
            self._send(*_err(401, 65601, "EXPIRED_ACCESS_TOKEN",
                             "The token used in the request has expired"))
            return
        if limited is not None:
            retry_after, message = limited
            status, payload, _ = _err(429, 101, "TOO_MANY_REQUESTS", message)
            self._send(status, payload, {"Retry-After": retry_after} if retry_after else {})
            return

        if method == "GET" and parts.path == "/v2/userinfo":
            result: tuple[int, dict[str, Any] | None, dict[str, str]] = (
                200, li.userinfo(member), {})
        elif method == "POST" and parts.path == "/rest/posts":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/json" or not isinstance(body, dict):
                # What LinkedIn answered to a body it could not read as JSON.
                result = _err(400, None, "ILLEGAL_ARGUMENT",
                              "Request body could not be converted to data map")
            else:
                result = li.create_post(token, body, version)
        elif method == "GET" and parts.path == "/rest/posts":
            result = li.find_by_author(token, query, version)
        elif method == "GET" and parts.path.startswith("/rest/socialActions/"):
            result = li.social_actions(token, parts.path.removeprefix("/rest/socialActions/"),
                                       version)
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
