"""Webhook connector: POST each post as JSON to a URL of the user's own (Slack, Teams, Zapier,
Make, n8n, or any HTTP endpoint).

The request (one per post, threads included in the body):

    POST <account.api_base>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: <the post's key: the same on every retry>
    X-Curator-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>

    {"text": ..., "link": ..., "title": ..., "account": ..., "handle": ...,
     "scheduled_at": "2024-06-01T09:00:00Z", "post_id": 7, "idempotency_key": ...,
     "thread": [...]}

The signature follows the common "sha256=<hex digest of the raw body>" scheme (GitHub's
X-Hub-Signature-256, and most webhook senders): a receiver recomputes the HMAC over the
exact bytes it received with the shared secret (keyring kind "webhook_secret") and compares
in constant time. A webhook account with no secret sends no signature header. A "text" key
at the top level makes Slack incoming webhooks accept the body as it is.

Answers: 2xx is published (the remote id is the JSON body's "id", else the idempotency key;
the URL is its "url"; any other body, such as Slack's "ok", is fine). 408, 409 (the same key
still being processed), 425, 429 and 5xx, timeouts and connection errors are retryable,
honouring Retry-After (seconds or an HTTP date, RFC 9110 section 10.2.3). 401 and 403 need
the account reconnected (a new secret); any other answer is permanent, with the receiver's
message. Redirects are not followed: requests would turn a redirected POST into a GET.

Receivers get the idempotency key, so re-sending after a crash is safe (`idempotent`): a
receiver that records keys sees the post once. verify() makes no request, since any POST
would run the receiver's automation (a Zap would post a test message): it checks the URL
and returns its host.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from ..types import Account
from .base import Failure, OutgoingPost, PostMetrics, Published, PublishError

SIGNATURE_HEADER = "X-Curator-Signature"
SECRET_KIND = "webhook_secret"
TIMEOUT: tuple[float, float] = (10.0, 30.0)  # connect, read (seconds); tests shorten it
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
_MESSAGE_KEYS = ("message", "error_description", "error", "detail", "msg")


def sign(body: bytes, secret: str) -> str:
    """The X-Curator-Signature value for body: "sha256=" + hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP date (None when
    absent or unreadable; a date in the past gives 0)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _message(status: int, body: bytes, reason: str | None) -> str:
    """The receiver's own message: a JSON "message"/"error"... field, else its text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in _MESSAGE_KEYS:
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value.strip():
                return value.strip()
    if text and not text.lstrip().startswith("<"):  # an HTML error page says nothing useful
        return text if len(text) <= 300 else text[:299] + "…"
    return f"The webhook answered HTTP {status}{' ' + reason if reason else ''}."


class WebhookConnector:
    """Posts to one webhook URL (the account's api_base)."""

    idempotent = True

    def __init__(self, account: Account, secret: str | None, session: Any = None):
        self.account = account
        self._secret = secret
        self._session = session

    def __repr__(self) -> str:  # never the secret
        return f"WebhookConnector({self.account.name!r}, signed={self._secret is not None})"

    @property
    def url(self) -> str:
        url = (self.account.api_base or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PublishError(
                f"The webhook account {self.account.name!r} needs an http(s) URL "
                "(--api-base).", Failure.PERMANENT)
        return url

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def verify(self) -> str:
        """The URL's host; no request is made (see the module docstring)."""
        return urlsplit(self.url).hostname or ""

    def find_published(self, post: OutgoingPost) -> Published | None:
        return None  # a webhook cannot be asked; re-sending with the same key is safe

    def metrics(self, remote_id: str, url: str | None = None) -> PostMetrics:
        """No request: a webhook receiver has no engagement to report."""
        return PostMetrics.not_available("A webhook cannot report engagement.")

    def followers(self) -> int | None:
        return None  # a webhook has no audience Curator can count

    def payload(self, post: OutgoingPost) -> bytes:
        data = {
            "text": post.text,
            "link": post.link,
            "title": post.title,
            "account": self.account.name,
            "handle": self.account.handle,
            "scheduled_at": post.scheduled_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if post.scheduled_at else None,
            "post_id": post.post_id,
            "idempotency_key": post.idempotency_key,
            "thread": list(post.thread),
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def publish(self, post: OutgoingPost) -> Published:
        import requests

        from .. import __version__

        url = self.url
        body = self.payload(post)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": f"Curator/{__version__}",
            "Idempotency-Key": post.idempotency_key,
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(body, self._secret)
        try:
            resp = self.session.post(url, data=body, headers=headers, timeout=TIMEOUT,
                                     allow_redirects=False)
            content = resp.content
        except requests.Timeout:
            raise PublishError(f"The webhook at {urlsplit(url).hostname} did not answer in "
                               "time.", Failure.RETRYABLE) from None
        except requests.RequestException as e:
            raise PublishError(f"Could not reach the webhook at {urlsplit(url).hostname}: "
                               f"{_reason(e)}.", Failure.RETRYABLE) from None
        status = resp.status_code
        if 200 <= status < 300:
            return _published(content, post.idempotency_key)
        message = _message(status, content, resp.reason)
        if status in RETRYABLE_STATUS or status >= 500:
            raise PublishError(message, Failure.RETRYABLE, status=status,
                               retry_after=parse_retry_after(resp.headers.get("Retry-After")))
        if status in (401, 403):
            raise PublishError(message, Failure.AUTH, status=status)
        if 300 <= status < 400:
            where = resp.headers.get("Location") or "another address"
            raise PublishError(f"The webhook moved to {where}: change the account's URL.",
                               Failure.PERMANENT, status=status)
        raise PublishError(message, Failure.PERMANENT, status=status)


def _reason(e: Exception) -> str:
    # requests nests urllib3's reason deep inside; the innermost words are the useful ones.
    text = str(e)
    for marker in ("Connection reset by peer", "Connection refused", "Connection aborted",
                   "Name or service not known", "RemoteDisconnected"):
        if marker in text:
            return marker.lower() if marker != "RemoteDisconnected" else "the connection closed"
    return "the connection failed"


def _published(content: bytes, key: str) -> Published:
    try:
        data = json.loads(content.decode("utf-8"))
    except ValueError:
        data = None  # "ok" (Slack), "Accepted", an empty body: published all the same
    remote_id, url = key, None
    if isinstance(data, dict):
        if isinstance(data.get("id"), (str, int)) and str(data["id"]).strip():
            remote_id = str(data["id"])
        if isinstance(data.get("url"), str) and data["url"].startswith(("http://", "https://")):
            url = data["url"]
    return Published(remote_id, url)


def make(account: Account, secrets: Any, *, session: Any = None) -> WebhookConnector:
    """The connector for a webhook account; its secret (if any) from the keyring.

    Raises:
        CuratorError: the keyring cannot be read (its own clear message).
    """
    secret = secrets.get(account.id, SECRET_KIND) if secrets is not None else None
    return WebhookConnector(account, secret or None, session)
