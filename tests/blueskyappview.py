"""A strict local Bluesky AppView on 127.0.0.1: the two reads Curator's metrics use.

The reference PDS the tests run (../shared/bluesky-pds) has no AppView behind it: it
answers ``app.bsky.*`` reads with 502 (its README: "there is no AppView, so app.bsky.*
reads (getPosts for like counts) answer 502"). The connector then reads from an AppView
directly, as it would from ``https://public.api.bsky.app``. This server stands in for that
one, following the lexicons (bluesky-social/atproto ``lexicons/app/bsky``):

- ``GET /xrpc/app.bsky.feed.getPosts?uris=...`` ("Gets post views for a specified list of
  posts (by AT-URI)."): ``uris`` is required, at most 25 (``maxLength: 25``), each an
  ``at-uri``; otherwise 400 ``{"error": "InvalidRequest", "message": ...}``. Output
  ``{"posts": [postView]}``: ``uri``, ``cid``, ``author`` (``did``, ``handle``),
  ``record``, ``likeCount``, ``repostCount``, ``replyCount``, ``quoteCount``,
  ``indexedAt``, ``labels``. A URI it does not know (never made, or deleted) is left out of
  ``posts``: no error.
- ``GET /xrpc/app.bsky.actor.getProfile?actor=...`` ("Get detailed profile view of an
  actor. Does not require auth"): ``actor`` is a handle or a DID; unknown -> 400
  ``{"error": "InvalidRequest", "message": "Profile not found"}``. Output
  ``profileViewDetailed``: ``did``, ``handle``, ``displayName``, ``followersCount``,
  ``followsCount``, ``postsCount``...
- Auth: a public AppView answers these without any token. A request that does carry an
  ``Authorization`` header must carry a service-auth JWT made for this AppView (``aud`` its
  DID, :data:`APPVIEW_DID`); anything else -- a PDS access token above all -- is 401
  ``{"error": "AuthenticationRequired", "message": "jwt audience does not match service
  did"}``. So a test sees at once if a PDS token leaks to a third party.
- Rate limits: ``rate_limit(times)`` makes the next requests 429 ``{"error":
  "RateLimitExceeded", "message": "Rate Limit Exceeded"}`` with ``ratelimit-limit``,
  ``ratelimit-remaining``, ``ratelimit-reset`` (epoch seconds) and ``ratelimit-policy``.

``server.requests`` records what came in; ``count(nsid)`` how many times.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APPVIEW_DID = "did:web:appview.localhost"
MAX_URIS = 25  # app.bsky.feed.getPosts: uris maxLength


@dataclass
class Seen:
    method: str
    nsid: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class _Post:
    uri: str
    cid: str
    text: str
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0


@dataclass
class _Profile:
    did: str
    handle: str
    display_name: str
    followers: int = 0
    follows: int = 0


@dataclass
class BlueskyAppView:
    """Start with ``BlueskyAppView().start()``; ``url`` is the AppView's base URL."""

    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: dict[str, _Post] = {}
        self._profiles: dict[str, _Profile] = {}
        self._limited = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- set-up -----------------------------------------------------------------------

    def add_profile(self, did: str, handle: str, *, display_name: str = "",
                    followers: int = 0, follows: int = 0) -> None:
        with self._lock:
            self._profiles[did] = _Profile(did, handle, display_name or handle, followers,
                                           follows)

    def add_post(self, uri: str, text: str, *, cid: str = "bafyreib2rxk3rh6kzwq",
                 likes: int = 0, reposts: int = 0, replies: int = 0, quotes: int = 0) -> None:
        """A post the AppView has indexed (the author's profile must be added too)."""
        if not uri.startswith("at://"):
            raise ValueError(f"not an at:// URI: {uri!r}")
        with self._lock:
            self._posts[uri] = _Post(uri, cid, text, likes, reposts, replies, quotes)

    def delete_post(self, uri: str) -> None:
        with self._lock:
            self._posts.pop(uri, None)

    def rate_limit(self, times: int = 1) -> None:
        with self._lock:
            self._limited += times

    def count(self, nsid: str) -> int:
        return sum(1 for r in self.requests if r.nsid == nsid)

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def start(self) -> BlueskyAppView:
        server = self

        class Handler(_Handler):
            appview = server

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,),
                                        name="blueskyappview", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BlueskyAppView:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- the API ----------------------------------------------------------------------

    def _profile_for(self, actor: str) -> _Profile | None:
        with self._lock:
            if actor.startswith("did:"):
                return self._profiles.get(actor)
            return next((p for p in self._profiles.values() if p.handle == actor), None)

    def get_posts(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        uris = query.get("uris", [])
        if not uris:
            return 400, _invalid('Error: Params must have the property "uris"')
        if len(uris) > MAX_URIS:
            return 400, _invalid(f"Error: uris must not have more than {MAX_URIS} elements")
        for n, uri in enumerate(uris):
            if not uri.startswith("at://") or len(uri.removeprefix("at://").split("/")) != 3:
                return 400, _invalid(f"Error: uris/{n} must be a valid at-uri")
        views = []
        for uri in uris:
            with self._lock:
                post = self._posts.get(uri)
            author = self._profile_for(uri.removeprefix("at://").split("/")[0])
            if post is None or author is None:
                continue  # deleted or unknown: left out, as the AppView does
            views.append({
                "uri": post.uri, "cid": post.cid,
                "author": {"did": author.did, "handle": author.handle,
                           "displayName": author.display_name, "labels": []},
                "record": {"$type": "app.bsky.feed.post", "text": post.text,
                           "createdAt": "2026-11-30T09:00:00.000Z", "langs": ["es"]},
                "replyCount": post.replies, "repostCount": post.reposts,
                "likeCount": post.likes, "quoteCount": post.quotes,
                "indexedAt": "2026-11-30T09:00:01.000Z", "labels": [],
            })
        return 200, {"posts": views}

    def get_profile(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        actor = (query.get("actor") or [""])[0]
        if not actor:
            return 400, _invalid('Error: Params must have the property "actor"')
        profile = self._profile_for(actor)
        if profile is None:
            return 400, _invalid("Profile not found")
        with self._lock:
            posts = sum(1 for uri in self._posts if uri.startswith(f"at://{profile.did}/"))
        return 200, {"did": profile.did, "handle": profile.handle,
                     "displayName": profile.display_name, "description": "",
                     "followersCount": profile.followers, "followsCount": profile.follows,
                     "postsCount": posts, "indexedAt": "2026-11-30T09:00:00.000Z",
                     "createdAt": "2024-02-01T10:00:00.000Z", "labels": []}


def _invalid(message: str) -> dict[str, Any]:
    return {"error": "InvalidRequest", "message": message}


def _service_jwt_for_us(authorization: str) -> bool:
    """A ``Bearer`` service-auth JWT whose ``aud`` is this AppView (signature not checked:
    nothing in the tests makes one; a PDS session token has the PDS as its audience)."""
    if not authorization.startswith("Bearer "):
        return False
    parts = authorization[7:].split(".")
    if len(parts) != 3:
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return False
    return isinstance(claims, dict) and claims.get("aud") == APPVIEW_DID


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bsky-appview"
    appview: BlueskyAppView

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        av = self.appview
        parts = urlsplit(self.path)
        nsid = parts.path.removeprefix("/xrpc/")
        query = parse_qs(parts.query)
        av.requests.append(Seen("GET", nsid, query, dict(self.headers.items())))
        auth = self.headers.get("Authorization")
        if auth is not None and not _service_jwt_for_us(auth):
            self._send(401, {"error": "AuthenticationRequired",
                             "message": "jwt audience does not match service did"})
            return
        with av._lock:
            limited = av._limited > 0
            av._limited -= int(limited)
        if limited:
            reset = int(time.time()) + 300
            self._send(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                       {"ratelimit-limit": "3000", "ratelimit-remaining": "0",
                        "ratelimit-reset": str(reset), "ratelimit-policy": "3000;w=300"})
            return
        if nsid == "app.bsky.feed.getPosts":
            self._send(*av.get_posts(query))
        elif nsid == "app.bsky.actor.getProfile":
            self._send(*av.get_profile(query))
        else:
            self._send(501, {"error": "MethodNotImplemented",
                             "message": "Method Not Implemented"})

    def do_POST(self) -> None:  # noqa: N802
        self._send(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})

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
