"""What every network connector is: one shape, so the publishing engine treats all alike.

A connector turns one outgoing post into one remote post (or a thread of them) through the
network's published API, and says how a failure should be treated: retried later, given up
with the service's own message, or sent back to the user to reconnect the account.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..errors import CuratorError
from ..types import Account


class Failure(enum.Enum):
    RETRYABLE = "retryable"  # connection errors, timeouts, 429, 5xx: try again later
    PERMANENT = "permanent"  # the service refused the post (4xx validation): show why
    AUTH = "auth"  # 401 / expired or revoked token: the account needs reconnecting


class PublishError(CuratorError):
    """A publish or verify call failed. `str(error)` is the service's message as it said it
    (or one clear sentence for network faults)."""

    def __init__(self, message: str, failure: Failure, *, retry_after: float | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.failure = failure
        self.retry_after = retry_after  # seconds, from Retry-After or a rate-limit reset
        self.status = status


@dataclass(frozen=True)
class OutgoingPost:
    """One post as the engine hands it to a connector."""

    post_id: int
    text: str  # the final text, as counted by curator.counting for this network
    idempotency_key: str  # stable for this post across retries and crashes
    link: str | None = None  # the item's link (already UTM-tagged in text where it appears)
    title: str | None = None  # for link cards
    description: str | None = None
    thumbnail_url: str | None = None
    language: str | None = None  # BCP 47, e.g. "es"
    scheduled_at: datetime | None = None  # UTC
    thread: list[str] = field(default_factory=list)  # parts after the first, posted as replies


@dataclass(frozen=True)
class PostMetrics:
    """Engagement counts of one published post, as its network reports them now.

    A count is None when the network does not give it to this token or plan (shown as "not
    available", never as 0). ``unavailable`` is one sentence when nothing at all is available
    (then every count is None).
    """

    likes: int | None  # favourites / likes / reactions
    reposts: int | None  # reblogs / retweets / reposts / shares
    replies: int | None  # replies / comments
    quotes: int | None = None
    impressions: int | None = None
    unavailable: str | None = None

    @classmethod
    def not_available(cls, why: str) -> PostMetrics:
        """No counts at all, and why (one sentence)."""
        return cls(None, None, None, unavailable=why)


def post_gone(network: str, status: int | None = None) -> PublishError:
    """The PERMANENT error for a post the network no longer has (deleted, or never there)."""
    return PublishError(f"The post is no longer on {network}.", Failure.PERMANENT,
                        status=status)


@dataclass(frozen=True)
class Published:
    remote_id: str  # the network's id (status id, at:// URI, URN, tweet id)
    url: str | None  # where a person sees it, when the network gives one
    # The network's own scheduler took it, to post at OutgoingPost.scheduled_at (Mastodon)
    server_scheduled: bool = False


class Connector(Protocol):
    """One account on one network. Secrets come from the OS keyring (curator.secrets)."""

    account: Account
    # True when publishing again with the same OutgoingPost.idempotency_key can never make
    # a second remote post (Mastodon's Idempotency-Key header, a webhook receiver that
    # dedups by key): after a crash the engine re-sends instead of asking the user.
    idempotent: bool

    def verify(self) -> str:
        """Check the credentials; return the account's handle as the network knows it.

        Raises:
            PublishError
        """
        ...

    def publish(self, post: OutgoingPost) -> Published:
        """Send the post (and its thread). Raises PublishError."""
        ...

    def find_published(self, post: OutgoingPost) -> Published | None:
        """After a crash between sending and recording: the remote post if the network can
        tell (None when it cannot say, or it was not published). Raises PublishError."""
        ...

    def metrics(self, remote_id: str, url: str | None = None) -> PostMetrics:
        """The engagement counts of a published post (``Published.remote_id`` / ``.url``).

        Missing permissions or a plan without reads give ``PostMetrics(unavailable=...)``,
        never zeros.

        Raises:
            PublishError: like publish() (RETRYABLE, AUTH); a post deleted on the network is
                PERMANENT "The post is no longer on <network>."
        """
        ...

    def followers(self) -> int | None:
        """The account's follower count; None when the network does not say.

        Raises:
            PublishError: like publish().
        """
        ...
