"""A webhook receiver on 127.0.0.1 for the publishing tests, with faults on demand.

It checks what curator/connectors/webhook.py promises: a JSON body, the Idempotency-Key
header, and `X-Curator-Signature: sha256=<hex HMAC-SHA256 of the raw body>` when the server
has a secret (a missing or wrong signature gets 401). Every request is kept in `deliveries`;
posts are kept once per idempotency key in `posts` (a repeated key gets the first answer
again, as an idempotent receiver does), so a test can count on the server what went out.

Faults are scripted per request, in order (`server.fail("429", retry_after="7")`):
  "429" (+ Retry-After), "500", "503", "401", "400" (JSON {"message": ...}), "garbage" (200
  with a body that is not JSON), "slow" (answers after `delay` seconds), "reset" (closes the
  connection without an answer), "reset_after" (records the post, then resets), "hold"
  (records the post, then waits for `release()` before answering).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    kind: str
    retry_after: str | None = None
    message: str = "El texto no es válido."
    delay: float = 2.0


@dataclass
class Delivery:
    key: str | None
    payload: dict[str, Any] | None
    signature: str | None
    signature_ok: bool
    fault: str | None
    headers: dict[str, str] = field(default_factory=dict)


class WebhookServer:
    def __init__(self, secret: str | None = None):
        self.secret = secret
        self.deliveries: list[Delivery] = []
        self.posts: dict[str, dict[str, Any]] = {}  # idempotency key -> first payload + id
        self.received = threading.Event()  # set on every recorded post (for "hold")
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # ---- control ------------------------------------------------------------------------

    def start(self) -> WebhookServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def fail(self, kind: str, *, times: int = 1, **options: Any) -> None:
        with self._lock:
            for _ in range(times):
                self._faults.append(Fault(kind, **options))

    def release(self) -> None:
        self._release.set()

    def count(self, key: str) -> int:
        """How many requests carried this idempotency key."""
        return sum(1 for d in self.deliveries if d.key == key)

    # ---- handling -------------------------------------------------------------------------

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _record(self, key: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if key not in self.posts:
                n = len(self.posts) + 1
                base = self.url.rsplit("/", 1)[0]
                self.posts[key] = {"id": f"wh-{n}", "url": f"{base}/p/{n}", "payload": payload}
            self.received.set()
            return self.posts[key]


def _handler(state: WebhookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(data, ensure_ascii=False).encode(), headers)

        def _reset(self) -> None:
            # SO_LINGER 0: close() sends RST, the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            key = self.headers.get("Idempotency-Key")
            signature = self.headers.get("X-Curator-Signature")
            ok = True
            if state.secret is not None:
                expected = "sha256=" + hmac.new(state.secret.encode(), raw,
                                                hashlib.sha256).hexdigest()
                ok = signature is not None and hmac.compare_digest(expected, signature)
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            fault = state._next_fault()
            state.deliveries.append(Delivery(key, payload, signature, ok,
                                             fault.kind if fault else None,
                                             dict(self.headers.items())))
            if not ok:
                return self._json(401, {"message": "Firma no válida."})
            if not isinstance(payload, dict) or not key or payload.get("idempotency_key") != key:
                return self._json(400, {"message": "Falta la clave de idempotencia."})
            kind = fault.kind if fault else None
            if kind == "429":
                headers = {"Retry-After": fault.retry_after} if fault and fault.retry_after \
                    else {}
                return self._json(429, {"message": "Demasiadas peticiones."}, headers)
            if kind in ("500", "503"):
                return self._send(int(kind), b"<html><body>Error interno</body></html>",
                                  content_type="text/html")
            if kind == "401":
                return self._json(401, {"error": "Token caducado."})
            if kind == "400" and fault:
                return self._json(400, {"message": fault.message})
            if kind == "reset":
                return self._reset()
            if kind == "slow" and fault:
                time.sleep(fault.delay)
            post = state._record(key, payload)
            if kind == "reset_after":
                return self._reset()
            if kind == "hold":
                state._release.wait(30)
            if kind == "garbage":
                return self._send(200, b"ok", content_type="text/plain")
            self._json(200, {"id": post["id"], "url": post["url"]})

    return Handler
