"""Local HTTP/1.1 feed server on 127.0.0.1 for end-to-end refresh tests (stdlib only)."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ENDLESS_MAX_SECONDS = 60.0
_LM_EPOCH = 1704067200  # 2024-01-01T00:00:00Z: Last-Modified values are deterministic


class _Headers(dict):
    """Request headers with lower-cased keys; lookups are case-insensitive."""

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __contains__(self, key):
        return super().__contains__(key.lower())

    def get(self, key, default=None):
        return super().get(key.lower(), default)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # request target as sent: path plus ?query
    headers: dict
    time: float  # time.time() when the request line was read


@dataclass
class _Resource:
    kind: str  # "static", "redirect", "loop" or "endless"
    body: bytes = b""
    gz: bytes | None = None
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    drip: float = 0.0
    chunked: bool = False
    truncate_after: int | None = None
    location: str = ""


def _accepts_gzip(value: str | None) -> bool:
    for part in (value or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().lower()
            try:
                return not (q.startswith("q=") and float(q[2:]) == 0)
            except ValueError:
                return False
    return False


def _etag_matches(header: str, etag: str | None) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 13.1.2).
    if header.strip() == "*":
        return True
    if etag is None:
        return False
    strip = lambda t: t.strip().removeprefix("W/")  # noqa: E731
    return any(strip(t) == strip(etag) for t in header.split(","))


def _not_modified_since(header: str, last_modified: str | None) -> bool:
    if last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(header)
        lm = email.utils.parsedate_to_datetime(last_modified)
        return since >= lm
    except (TypeError, ValueError, IndexError):
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # handler threads never outlive the test process
    # The default backlog of 5 overflowed when many workers connected at once on a busy
    # machine: the kernel dropped the SYN, the retry came after 1 s, past the test's
    # connect timeout, and a healthy feed "timed out".
    request_queue_size = 128
    block_on_close = False

    def __init__(self, owner: FeedServer):
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request, client_address):
        # Clients hanging up mid-response is the point of several tests; real bugs still print.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "curator-feedserver/1.0"
    sys_version = ""
    timeout = 30  # idle keep-alive connections and stuck writes give up eventually

    def setup(self):
        super().setup()
        # Nagle + delayed ACK would add ~40 ms stalls on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._track(self.connection, True)

    def finish(self):
        self.server.owner._track(self.connection, False)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self._respond(head=False)

    def do_HEAD(self):
        self._respond(head=True)

    # -- response building ------------------------------------------------
    def _respond(self, head: bool):
        owner = self.server.owner
        headers = _Headers((k.lower(), v) for k, v in self.headers.items())
        owner._log(RequestRecord(self.command, self.path, headers, time.time()))
        res = owner._lookup(self.path)
        if res is None:
            return self._send(404, b"not found\n", {"Content-Type": "text/plain"}, head)
        if res.delay and owner._stopping.wait(res.delay):
            self.close_connection = True
            return
        if res.kind == "redirect":
            return self._send(res.status, b"", {"Location": res.location}, head)
        if res.kind == "loop":
            query = urlsplit(self.path).query
            n = int(query) + 1 if query.isdigit() else 1
            loc = f"{urlsplit(self.path).path}?{n}"
            return self._send(302, b"", {"Location": loc}, head)
        if res.kind == "endless":
            return self._endless(head)

        validators = {}
        if res.etag:
            validators["ETag"] = res.etag
        if res.last_modified:
            validators["Last-Modified"] = res.last_modified
        extra = dict(validators)
        if res.gz is not None:
            extra["Vary"] = "Accept-Encoding"
        if res.status == 200:
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            # If-None-Match, when present, makes If-Modified-Since irrelevant (RFC 9110 13.2.2).
            if (inm is not None and _etag_matches(inm, res.etag)) or (
                inm is None and ims is not None and _not_modified_since(ims, res.last_modified)
            ):
                return self._send(304, b"", {**extra, **res.headers}, head)
        body = res.body
        if res.gz is not None and _accepts_gzip(self.headers.get("Accept-Encoding")):
            body = res.gz
            extra["Content-Encoding"] = "gzip"
        extra = {"Content-Type": res.content_type, **extra, **res.headers}
        self._send(res.status, body, extra, head, res=res)

    def _send(self, status, body, headers, head, res: _Resource | None = None):
        chunked = bool(res and res.chunked)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif status != 304:
            self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            if head or status == 304:
                return
            cut = res.truncate_after if res else None
            out = body if cut is None else body[:cut]
            drip = res.drip if res else 0.0
            if chunked:
                self._write_chunked(out, drip, final=cut is None)
            elif drip:
                self._drip(out, drip)
            else:
                self.wfile.write(out)
            if cut is not None:
                self.close_connection = True  # the client sees EOF before Content-Length
        except OSError:
            self.close_connection = True

    def _drip(self, data: bytes, drip: float):
        stopping = self.server.owner._stopping
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            if stopping.wait(drip):
                raise ConnectionAbortedError("server stopping")

    def _write_chunked(self, data: bytes, drip: float, final: bool):
        size = 1 if drip else 256  # small chunks so multi-byte characters get split
        stopping = self.server.owner._stopping
        for i in range(0, len(data), size):
            part = data[i : i + size]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            if drip and stopping.wait(drip):
                raise ConnectionAbortedError("server stopping")
        if final:
            self.wfile.write(b"0\r\n\r\n")

    def _endless(self, head: bool):
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.close_connection = True
        try:
            self.end_headers()
            if head:
                return
            start = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            self.wfile.write(b"%x\r\n%s\r\n" % (len(start), start))
            deadline = time.monotonic() + ENDLESS_MAX_SECONDS
            stopping = self.server.owner._stopping
            n = 0
            while time.monotonic() < deadline and not stopping.is_set():
                items = b"".join(
                    b"<item><title>Item %d</title><link>http://127.0.0.1/e/%d</link></item>\n"
                    % (n + i, n + i)
                    for i in range(100)
                )
                n += 100
                self.wfile.write(b"%x\r\n%s\r\n" % (len(items), items))
                time.sleep(0.001)  # keep the CPU usable for the client under test
        except OSError:
            pass


class FeedServer:
    """In-memory HTTP/1.1 server of feed resources; see add(), redirect(), status(), loop()."""

    def __init__(self):
        self._lock = threading.Lock()
        self._routes: dict[str, _Resource] = {}
        self._log_records: list[RequestRecord] = []
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._lm_counter = 0
        self._thread: threading.Thread | None = None
        self._httpd = _Server(self)  # bound now so add() can return URLs before start()
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- lifecycle --------------------------------------------------------
    def start(self) -> FeedServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # shutdown() waits for one poll
                name="FeedServer",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self):
        if self._stopping.is_set():
            return
        self._stopping.set()  # wakes delay/drip waits and ends endless bodies
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
        self._httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # unblock handlers waiting on idle keep-alive connections
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- resources --------------------------------------------------------
    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + ("" if path.startswith("/") else "/") + path

    def add(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        status: int = 200,
        headers: dict | None = None,
        etag: str | None | bool = True,
        last_modified: str | None | bool = True,
        gzip_ok: bool = True,
        delay: float = 0.0,
        drip: float = 0.0,
        chunked: bool = False,
        truncate_after: int | None = None,
    ) -> str:
        """Serve body at path (replacing any previous resource there); returns the full URL.

        etag: True = quoted strong hash of the body, a string = that tag (quoted if bare),
        False/None = no ETag. last_modified: True = a fixed date, later for every add(),
        a string = sent as is, False/None = none.
        """
        if isinstance(body, str):
            body = body.encode("utf-8")
        if etag is True:
            etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
        elif isinstance(etag, str) and not etag.startswith(('"', 'W/"')):
            etag = f'"{etag}"'
        with self._lock:
            if last_modified is True:
                # Replacing a resource must give a newer date even within the same second.
                self._lm_counter += 1
                last_modified = email.utils.formatdate(
                    _LM_EPOCH + 60 * self._lm_counter, usegmt=True
                )
            res = _Resource(
                kind="static",
                body=body,
                gz=gzip.compress(body, mtime=0) if gzip_ok else None,
                content_type=content_type,
                status=status,
                headers=dict(headers or {}),
                etag=etag or None,
                last_modified=last_modified or None,
                delay=delay,
                drip=drip,
                chunked=chunked,
                truncate_after=truncate_after,
            )
            self._routes[self._key(path)] = res
        return self.url(path)

    def redirect(self, path: str, to_path_or_url: str, status: int = 301) -> str:
        """Redirect path; Location is sent as given (a bare path is a valid relative reference)."""
        return self._put(path, _Resource(kind="redirect", status=status, location=to_path_or_url))

    def status(self, path: str, code: int, body: bytes | str = b"", headers=None) -> str:
        """Answer code (404, 410, 429 + Retry-After, 500...) with no validators and no gzip."""
        return self.add(
            path,
            body,
            content_type="text/html; charset=utf-8",
            status=code,
            headers=headers,
            etag=False,
            last_modified=False,
            gzip_ok=False,
        )

    def loop(self, path: str) -> str:
        """Endless redirect chain: path -> path?1 -> path?2 -> ... (302s)."""
        return self._put(path, _Resource(kind="loop"))

    def endless(self, path: str) -> str:
        """200 with a chunked RSS body that never ends (until the client hangs up, or 60 s)."""
        return self._put(path, _Resource(kind="endless"))

    def _put(self, path: str, res: _Resource) -> str:
        with self._lock:
            self._routes[self._key(path)] = res
        return self.url(path)

    @staticmethod
    def _key(path: str) -> str:
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            path = parts.path + ("?" + parts.query if parts.query else "")
        return path if path.startswith("/") else "/" + path

    def _lookup(self, target: str) -> _Resource | None:
        # Exact target first (a resource may be added with a query), then the bare path.
        with self._lock:
            res = self._routes.get(target)
            return res if res is not None else self._routes.get(urlsplit(target).path)

    # -- request log ------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """Snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._log_records)

    def hits(self, path: str) -> int:
        """Requests for path; without a query in path, any query on that path counts too."""
        path = self._key(path)
        with self._lock:
            if "?" in path:
                return sum(r.path == path for r in self._log_records)
            return sum(urlsplit(r.path).path == path for r in self._log_records)

    def clear_log(self):
        with self._lock:
            self._log_records.clear()

    def _log(self, rec: RequestRecord):
        with self._lock:
            self._log_records.append(rec)

    def _track(self, conn: socket.socket, add: bool):
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)
