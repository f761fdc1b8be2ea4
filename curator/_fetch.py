"""Bounded HTTP retrieval: conditional GET, gzip, size cap, deadline, redirect and host limits."""

from __future__ import annotations

import email.utils
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from . import __version__
from .errors import FetchError

USER_AGENT = f"Curator/{__version__} (feed reader; +https://github.com/curator-app/curator)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1"
)
PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
RETRYABLE_STATUS = (408, 425, 429, 500, 502, 503, 504)


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 45.0  # whole feed, redirects included
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    workers: int = 24
    per_host: int = 16


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, status: int, retry_after: str | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # the raw header: read against the caller's clock


@dataclass(frozen=True)
class Fetched:
    status: int  # 200 or 304
    body: bytes | None
    url: str  # where the body came from, after redirects
    permanent_url: str | None  # target of a chain of permanent redirects, if any
    etag: str | None
    last_modified: str | None
    content_type: str | None


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        try:
            return datetime.fromtimestamp(now.timestamp() + int(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None  # absurdly far away: ignore it
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_url(url: str) -> str:
    from .errors import InvalidFeedURLError

    url = url.strip()
    if url.startswith("feed://"):
        url = "http://" + url[len("feed://") :]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidFeedURLError(f"{url!r} is not an http or https URL.")
    return url


def fetch_file(url: str, etag: str | None, max_bytes: int) -> Fetched:
    """A local file:// URL (content packs on a shared folder), with the file's modification
    time and size as its ETag, so an unchanged file is "not modified" like a 304."""
    import os
    from urllib.request import url2pathname

    path = url2pathname(urlsplit(url).path)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            tag = f'"{st.st_mtime_ns}-{st.st_size}"'
            if etag == tag:
                return Fetched(304, None, url, None, tag, None, None)
            if st.st_size > max_bytes:
                raise FetchError(f"The file is bigger than {max_bytes // (1024 * 1024)} MB.")
            body = f.read(max_bytes + 1)
    except OSError as e:
        raise FetchError(f"Cannot read the file {path}: {e.strerror or e}.") from e
    if len(body) > max_bytes:
        raise FetchError(f"The file is bigger than {max_bytes // (1024 * 1024)} MB.")
    return Fetched(200, body, url, None, tag, None, "application/feed+json"
                   if path.lower().endswith(".json") else None)


class Fetcher:
    """One requests.Session shared by all workers (connection pooling), a semaphore per host."""

    def __init__(self, settings: FetchSettings | None = None):
        self.settings = settings or FetchSettings()
        self.session = requests.Session()
        self.session.headers.update(
            {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
        )
        # Tests and the benchmark run on loopback: never send 127.0.0.1 through a proxy.
        self.session.trust_env = True
        adapter = HTTPAdapter(
            pool_connections=max(10, self.settings.workers),
            pool_maxsize=max(self.settings.per_host, 1),
            max_retries=0,
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    @contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).netloc.lower()
        with self._hosts_lock:
            sem = self._hosts.get(host)
            if sem is None:
                sem = self._hosts[host] = threading.BoundedSemaphore(self.settings.per_host)
        with sem:
            yield

    def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        """GET url, conditionally; follow at most max_redirects; stop at the size cap/deadline.

        Raises:
            FetchError: network failure, timeout, too big, too many redirects.
            HTTPStatusError: 4xx/5xx answers (with Retry-After when given).
        """
        if url.startswith("file:"):
            return fetch_file(url, etag, self.settings.max_bytes)
        s = self.settings
        started = time.monotonic()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        permanent: str | None = None
        all_permanent = True
        seen = {url}
        for _hop in range(s.max_redirects + 1):
            remaining = s.deadline - (time.monotonic() - started)
            if remaining <= 0:
                raise FetchError(f"Gave up after {s.deadline:g} s (the feed is too slow).")
            with self._host_slot(current):
                resp = self._get(current, headers, remaining)
                broken = False
                try:
                    if resp.status_code in REDIRECTS and "Location" in resp.headers:
                        target = urljoin(current, resp.headers["Location"])
                        if urlsplit(target).scheme not in ("http", "https"):
                            raise FetchError(f"Redirected to an unsupported URL {target!r}.")
                        if resp.status_code in PERMANENT and all_permanent:
                            permanent = target
                        else:
                            all_permanent = False
                        if target in seen:
                            raise FetchError("The feed redirects in a loop.")
                        seen.add(target)
                        current = target
                        continue
                    return self._finish(resp, current, permanent, started)
                except BaseException as e:
                    broken = not isinstance(e, HTTPStatusError)
                    raise
                finally:
                    # Stopped mid-body (too slow, too big): close, since draining the rest
                    # could outlast the deadline.
                    if broken:
                        resp.close()
                    else:
                        _release(resp)
        raise FetchError(f"Too many redirects (more than {s.max_redirects}).")

    def _get(self, url: str, headers: dict[str, str], remaining: float) -> requests.Response:
        s = self.settings
        try:
            return self.session.get(
                url,
                headers=headers,
                timeout=(min(s.connect_timeout, remaining), min(s.read_timeout, remaining)),
                allow_redirects=False,
                stream=True,
            )
        except requests.exceptions.ConnectTimeout as e:
            raise FetchError("Could not connect (timed out).") from e
        except requests.exceptions.ReadTimeout as e:
            raise FetchError("The server did not answer in time.") from e
        except requests.exceptions.SSLError as e:
            raise FetchError(f"Secure connection failed: {_reason(e)}.") from e
        except requests.exceptions.ConnectionError as e:
            raise FetchError(f"Could not connect: {_reason(e)}.") from e
        except requests.exceptions.RequestException as e:
            raise FetchError(f"Request failed: {_reason(e)}.") from e

    def _finish(
        self, resp: requests.Response, url: str, permanent: str | None, started: float
    ) -> Fetched:
        s = self.settings
        status = resp.status_code
        etag = resp.headers.get("ETag")
        last_modified = resp.headers.get("Last-Modified")
        ctype = resp.headers.get("Content-Type")
        if status == 304:
            return Fetched(304, None, url, permanent, etag, last_modified, ctype)
        if status >= 400 or status < 200 or status in (204, 205):
            raise _status_error(resp)
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > s.max_bytes and "gzip" not in (
            resp.headers.get("Content-Encoding") or ""
        ):
            raise FetchError(f"The feed is too large ({_size(int(declared))}).")
        chunks: list[bytes] = []
        size = wire = 0
        raw = resp.raw
        # Decoded here, not by urllib3: its read1 keeps reading until the decoder yields
        # something, so a gzip stream that decodes to nothing escaped the deadline and cap.
        decode = _decoder(resp.headers.get("Content-Encoding"))
        try:
            while True:
                # read1 returns what has arrived, so the deadline is checked even on a drip.
                data = raw.read1(65536, decode_content=False)
                if not data:
                    break
                wire += len(data)
                # max_length bounds what one chunk may inflate to (a zip bomb stops here).
                chunk = decode(data, s.max_bytes - size + 1) if decode else data
                size += len(chunk)
                if size > s.max_bytes or wire > s.max_bytes:
                    raise FetchError(f"The feed is larger than the {_size(s.max_bytes)} limit.")
                if time.monotonic() - started > s.deadline:
                    raise FetchError(f"Gave up after {s.deadline:g} s (the feed is too slow).")
                chunks.append(chunk)
        except FetchError:
            raise
        except Exception as e:  # urllib3 protocol/decode/timeout errors while streaming
            raise FetchError(f"The download broke off: {_reason(e)}.") from e
        return Fetched(status, b"".join(chunks), url, permanent, etag, last_modified, ctype)


def _release(resp: requests.Response) -> None:
    """Hand the connection back to the pool when the body was read to the end (keep-alive
    saves a TCP handshake per feed); otherwise close it, since it is mid-body."""
    raw = resp.raw
    try:
        if _drained(raw):
            raw.release_conn()
            return
    except Exception:  # any doubt: do not reuse the connection
        pass
    resp.close()


def _drained(raw) -> bool:  # type: ignore[no-untyped-def]
    # Small error/redirect bodies are read out so the connection can be reused. Reading up
    # to the end (even of an empty or 304 body) also closes http.client's response: handed
    # back open, the next request on that connection fails ("ResponseNotReady").
    try:
        if raw.length_remaining is None or raw.length_remaining > 16384:
            return False
        raw.read(16384, decode_content=False)
        return raw.read(1, decode_content=False) == b"" and raw.closed
    except Exception:
        return False


def _decoder(encoding: str | None) -> Callable[[bytes, int], bytes] | None:
    """A gzip/deflate decoder taking (data, max_length), or None for an identity body."""
    name = (encoding or "").strip().lower()
    if name in ("gzip", "x-gzip"):
        z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif name == "deflate":
        z = zlib.decompressobj(zlib.MAX_WBITS)  # zlib-wrapped, as RFC 9110 says
    else:
        return None
    started = False

    def decode(data: bytes, max_length: int) -> bytes:
        nonlocal z, started
        try:
            out = z.decompress(data, max_length)
        except zlib.error as e:
            if name != "deflate" or started:
                raise FetchError("The server sent damaged compressed data.") from e
            started = True
            z = zlib.decompressobj(-zlib.MAX_WBITS)  # some servers send raw deflate
            return decode(data, max_length)
        started = True
        return out

    return decode


def _size(n: int) -> str:
    return f"{n / 1_000_000:.3g} MB" if n >= 1_000_000 else f"{n / 1000:.3g} kB"


def _status_error(resp: requests.Response) -> HTTPStatusError:
    status = resp.status_code
    reason = resp.reason or ""
    retry_after = resp.headers.get("Retry-After")
    if status == 404:
        msg = "Not found (HTTP 404)."
    elif status == 410:
        msg = "The feed is gone for good (HTTP 410); it will not be fetched again."
    elif status in (401, 403):
        msg = f"Access denied (HTTP {status})."
    elif status == 429:
        msg = "Too many requests (HTTP 429); the server asked to slow down."
    else:
        msg = f"The server answered HTTP {status}{' ' + reason if reason else ''}."
    return HTTPStatusError(msg, status, retry_after)


def _reason(e: BaseException) -> str:
    """The innermost useful message of a requests/urllib3 exception, without repr noise."""
    inner: BaseException = e
    while True:
        nxt = inner.__context__ or inner.__cause__
        if nxt is None or nxt is inner:
            break
        inner = nxt
    for candidate in (inner, e):
        text = str(candidate)
        if "Connection refused" in text:
            return "connection refused"
        if "Name or service not known" in text or "nodename nor servname" in text:
            return "unknown host"
        if "timed out" in text:
            return "timed out"
        if "reset by peer" in text:
            return "connection reset"
        if "IncompleteRead" in text:
            return "the server closed the connection before the end of the feed"
    text = str(inner) or type(inner).__name__
    return text.split(": ", 1)[-1][:200].rstrip(".")
