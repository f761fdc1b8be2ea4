"""Public data types: frozen dataclasses handed to the CLI and the UI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """Whose content a subscription carries: a healthy mix shares more than one's own."""

    THIRD_PARTY = "third-party"
    COMPETITOR = "competitor"
    OWN = "own"
    APPROVED = "approved"  # a content pack: green-lit items with approved wording

    @classmethod
    def parse(cls, value: str | None) -> Role:
        from .errors import CuratorError

        if value is None:
            return cls.THIRD_PARTY
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise CuratorError(f"Unknown role {value!r}; use one of {names}.") from None


class Outcome(StrEnum):
    """What one feed's refresh came to."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"
    SKIPPED = "skipped"  # backing off after errors, or disabled


def _iso(d: datetime | None) -> str | None:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ") if d else None


def _jsonable(obj: Any) -> dict[str, Any]:
    out = asdict(obj)
    for k, v in out.items():
        if isinstance(v, datetime):
            out[k] = _iso(v)
    return out


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    title: str | None
    site_url: str | None
    role: Role
    folder: str | None
    added_at: datetime
    last_fetched_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    error_count: int
    next_retry_at: datetime | None
    disabled: bool
    unread: int
    total: int
    remote_images: bool = False

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class Item:
    id: int
    feed_id: int
    feed_title: str | None
    title: str | None
    link: str | None
    author: str | None
    published: datetime | None  # None when the feed gave no date
    updated: datetime | None
    first_seen: datetime
    summary: str | None  # sanitized HTML
    content: str | None  # sanitized HTML (None when the feed gives only a summary)
    read: bool
    starred: bool
    hidden: bool
    guid: str | None = None
    has_commentary: bool = False  # the user wrote a commentary on it (Curator.annotate)
    # the feed's category terms for it (RSS/Atom <category>, JSON Feed tags): hashtag ideas
    categories: list[str] = field(default_factory=list)
    watched: bool = False  # it matches some watch list (Curator.watch_matches says which)

    @property
    def date(self) -> datetime:
        """The date to show and sort by: published, else when Curator first saw it."""
        return self.published or self.first_seen

    def to_json(self, with_content: bool = False) -> dict[str, Any]:
        out = _jsonable(self)
        if not with_content:
            out.pop("content")
        return out


@dataclass(frozen=True)
class WatchList:
    """A named list of watch words (curator.watch): words and phrases match case- and
    accent-insensitively on word boundaries; a term written /like this/ is a regular
    expression (always case-insensitive)."""

    id: int
    name: str
    terms: list[str]  # as the user wrote them
    regex: bool = False  # some term is a /regular expression/
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class WatchMatch:
    """One term of one watch list that an item matches (an item may match several)."""

    list_id: int
    list_name: str
    term: str

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class ItemPage:
    """One page of an item list; pass `next_cursor` back to get the next page."""

    items: list[Item]
    next_cursor: str | None
    # Where the list continues after this page's last item, even at the end of the list:
    # items stored later (newer, in an oldest-first list) are read from there.
    resume_cursor: str | None = None


@dataclass(frozen=True)
class FeedOutcome:
    feed_id: int
    url: str
    outcome: Outcome
    new_items: int = 0
    updated_items: int = 0
    error: str | None = None
    moved_to: str | None = None  # new URL after a permanent redirect
    next_retry_at: datetime | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class RefreshResult:
    feeds: list[FeedOutcome] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False  # stopped early: feeds not reached are not listed
    # watch-list name -> NEW items of this refresh matching it (one summarised notification)
    mentions: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.feeds if f.outcome is outcome)

    @property
    def new_items(self) -> int:
        return sum(f.new_items for f in self.feeds)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.count(Outcome.OK),
            "not_modified": self.count(Outcome.NOT_MODIFIED),
            "failed": self.count(Outcome.FAILED),
            "skipped": self.count(Outcome.SKIPPED),
            "new_items": self.new_items,
            "seconds": round(self.seconds, 3),
            "cancelled": self.cancelled,
            "mentions": dict(self.mentions),
            "feeds": [f.to_json() for f in self.feeds],
        }


@dataclass(frozen=True)
class AddFeedResult:
    feed: Feed
    discovered_from: str | None = None  # the page URL when the feed was autodiscovered
    new_items: int = 0
    warning: str | None = None  # e.g. subscribed but could not be fetched now (offline)


@dataclass(frozen=True)
class ImportResult:
    added: list[Feed]
    existing: list[str]  # URLs already subscribed
    skipped: list[str]  # one sentence per skipped outline

    def to_json(self) -> dict[str, Any]:
        return {
            "added": [f.to_json() for f in self.added],
            "existing": self.existing,
            "skipped": self.skipped,
        }


# ---- curation -------------------------------------------------------------------------------


class Network(StrEnum):
    """A social network an account posts to (webhook: any HTTP endpoint of the user's own)."""

    X = "x"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    LINKEDIN = "linkedin"
    WEBHOOK = "webhook"

    @classmethod
    def parse(cls, value: str) -> Network:
        from .errors import CuratorError

        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(n.value for n in cls)
            raise CuratorError(f"Unknown network {value!r}; use one of {names}.") from None


@dataclass(frozen=True)
class Annotation:
    """The user's own words about an item: a private note, and the commentary posts use."""

    item_id: int
    note: str
    commentary: str
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class Account:
    """One of the user's social accounts: its posting profile. Never holds a secret."""

    id: int
    name: str
    network: Network
    handle: str | None
    api_base: str | None  # Mastodon instance, Bluesky PDS service, or API base URL
    char_limit: int | None  # None: the network's own limit
    disclaimer: str
    disclaimer_mandatory: bool  # the disclaimer cannot be left out of this account's posts
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None  # may hold template placeholders
    utm_skip_domains: list[str]  # links to these domains (and subdomains) get no UTM tags
    hashtags: list[str]  # default hashtags, without "#"
    default_template_id: int | None
    created_at: datetime
    # Network options
    language: str | None = None  # BCP 47 tag of the posts ("es"): Mastodon language, Bluesky langs
    visibility: str | None = None  # Mastodon: public (None), unlisted, private or direct
    server_schedule: bool = False  # Mastodon: hand future posts to the server's scheduler
    api_version: str | None = None  # LinkedIn-Version (YYYYMM); None: Curator's default
    # Scheduling
    timezone: str | None = None  # IANA name ("Europe/Madrid"); None: this computer's zone
    paused: bool = False  # its queue is paused: nothing of it is published

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class Template:
    """An approved message with placeholders ({title}, {url}...), for one audience segment."""

    id: int
    name: str
    segment: str  # "" when the template is for everyone
    body: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class Variant:
    """A draft's text for one account. `synced`: it follows the draft's text as it changes.

    The text is the user's words only: the account's disclaimer, UTM tags and hashtags are
    applied when the post is composed (curator.compose), so they cannot be edited away."""

    draft_id: int
    account_id: int
    text: str
    synced: bool
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class Draft:
    """A post being written: its main text and one variant per target account.

    The item's link, title, source and author are copied when the draft is made, with the
    role of its feed then (own, third-party, competitor) for the content-mix analytics."""

    id: int
    item_id: int | None  # None for a blank draft, or when the item was deleted since
    item_role: Role | None
    item_link: str | None
    item_title: str | None
    item_source: str | None  # the feed's title
    item_author: str | None
    text: str
    template_id: int | None
    created_at: datetime
    updated_at: datetime
    variants: list[Variant] = field(default_factory=list)
    deleted_at: datetime | None = None  # set by delete_draft until undelete or purge

    def to_json(self) -> dict[str, Any]:
        out = _jsonable(self)
        out["variants"] = [v.to_json() for v in self.variants]
        return out


# ---- approved content packs (curator.packs) ------------------------------------------------


@dataclass(frozen=True)
class ApprovedContent:
    """The `_curator` extension of one item of an approved content pack: its suggested
    commentary per segment, where it may be shared, until when, and its mandatory disclaimer."""

    item_id: int
    commentary: list[tuple[str, str]]  # (segment or "", text), in the pack's order
    networks: list[str] | None  # None: every network
    expires_at: datetime | None
    disclaimer: str  # mandatory when not empty: composing adds it, queuing requires it
    hashtags: list[str]
    utm_campaign: str | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def allows(self, network: str) -> bool:
        return self.networks is None or network in self.networks

    def suggested(self, segment: str | None = None) -> str:
        """The segment's suggested commentary, else the first ("" when there is none)."""
        for seg, text in self.commentary:
            if segment and seg == segment and text.strip():
                return text
        return next((text for _, text in self.commentary if text.strip()), "")

    def to_json(self) -> dict[str, Any]:
        out = _jsonable(self)
        out["commentary"] = [{"segment": seg, "text": text} for seg, text in self.commentary]
        return out


@dataclass(frozen=True)
class PackInfo:
    """What a content pack holds: from Curator.validate_pack (feed_id None) or, for a
    subscribed pack, from Curator.list_packs."""

    title: str | None
    publisher: str | None
    version: int
    items: int  # items in the pack
    templates: int  # pack-level templates
    feed_id: int | None = None
    url: str | None = None
    expired: int = 0  # items whose expiry has passed (subscribed packs)

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class PackItemSpec:
    """One item to export into a pack (Curator.export_pack): a stored item, and what the
    pack says about it. commentary: (segment or "", text) pairs."""

    item_id: int
    commentary: list[tuple[str, str]] = field(default_factory=list)
    networks: list[str] | None = None  # None: every network
    expires_at: datetime | None = None
    disclaimer: str = ""
    hashtags: tuple[str, ...] = ()
    utm_campaign: str | None = None


# ---- scheduling -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One weekly posting slot of one account, in the account's own time zone."""

    account_id: int
    weekday: int  # 0 = Monday ... 6 = Sunday
    time: str  # "HH:MM", local time in the account's time zone

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


# ---- publishing -----------------------------------------------------------------------------


class PostState(StrEnum):
    """Where a queued post is: scheduled -> publishing -> published | failed |
    needs_attention; or cancelled by the user."""

    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"  # claimed by one process, on its way to the network
    PUBLISHED = "published"
    FAILED = "failed"  # refused by the service, or given up after the last retry
    NEEDS_ATTENTION = "needs_attention"  # reconnect the account, or check and retry
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Post:
    """One post queued for one account, with its text as it goes out."""

    id: int
    account: str  # the account's name (kept when the account is removed)
    account_id: int | None  # None when the account was removed since
    network: Network
    draft_id: int | None
    text: str
    link: str | None
    title: str | None
    scheduled_at: datetime
    state: PostState
    attempts: int  # times it was handed to the network
    next_attempt_at: datetime | None  # when publish_due tries it (scheduled posts)
    last_error: str | None  # the service's message, as it said it
    idempotency_key: str
    remote_id: str | None
    remote_url: str | None
    published_at: datetime | None
    created_at: datetime
    thread: list[str] = field(default_factory=list)
    # Handed to the network's own scheduler (Mastodon): it goes out at scheduled_at even with
    # this computer off; published_at is that time.
    server_scheduled: bool = False

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class PublishOutcome:
    """What one publish_due did with one post."""

    post_id: int
    account: str
    state: PostState  # after this run: published, scheduled (retry later), failed...
    error: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    next_attempt_at: datetime | None = None  # for a retry
    recovered: bool = False  # found in `publishing` after a crash

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


# ---- analytics ------------------------------------------------------------------------------

# What the user may log as having come of a post (besides the network's own counts).
OUTCOME_KINDS = ("prospect_reply", "meeting", "lead", "referral", "other")
# The value of each interaction and outcome; the user edits them (setting "values").
DEFAULT_VALUES: dict[str, float] = {
    "like": 1, "repost": 3, "reply": 5, "quote": 3,
    "prospect_reply": 20, "meeting": 50, "lead": 100, "referral": 40, "other": 10,
}
# Content-mix keys: the feed roles, "approved" (green-lit content) and "none" (a post about no
# item: the user's own words, never counted as own-company content).
MIX_KEYS = ("own", "third-party", "competitor", "approved")


@dataclass(frozen=True)
class MetricsSnapshot:
    """One fetch of a post's engagement counts. A count is None when the network does not
    give it to this account (never 0); `unavailable` says why when nothing is available."""

    post_id: int
    fetched_at: datetime
    likes: int | None = None
    reposts: int | None = None  # reblogs, retweets, reposts, shares
    replies: int | None = None
    quotes: int | None = None
    impressions: int | None = None
    unavailable: str | None = None

    @property
    def engagement(self) -> int | None:
        """likes + reposts + replies + quotes (the counts available); None when unavailable."""
        if self.unavailable is not None:
            return None
        counts = [c for c in (self.likes, self.reposts, self.replies, self.quotes)
                  if c is not None]
        return sum(counts) if counts else None

    def to_json(self) -> dict[str, Any]:
        return {**_jsonable(self), "engagement": self.engagement}


@dataclass(frozen=True)
class PostOutcome:
    """Something that came of a post, logged by the user (a lead, a meeting...).

    Named PostOutcome because `Outcome` is a refresh's outcome (above). `value` None: the
    kind's value from Curator.values()."""

    id: int
    post_id: int
    kind: str  # one of OUTCOME_KINDS
    note: str
    value: float | None
    happened_at: datetime
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class FollowerCount:
    """An account's follower count at one moment, from the network or entered by hand."""

    account_id: int
    counted_at: datetime
    count: int
    source: str  # "network" | "entered"

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class WhatIf:
    """The advocacy arithmetic: people x contacts x networks, and what share acts on it."""

    reach: int
    clicks: float
    engagements: float

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class Totals:
    """Sums over a set of published posts. Posts whose counts are unavailable (or not fetched
    yet) add nothing to the counts; they are counted in `unavailable` / `unmeasured`."""

    posts: int = 0
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    impressions: int = 0
    engagement: int = 0  # likes + reposts + replies + quotes
    outcomes: int = 0
    value: float = 0.0  # counts x values + outcomes
    unavailable: int = 0  # posts the network gives no counts for
    unmeasured: int = 0  # posts not fetched yet

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class WeekStats:
    """Totals of the posts published in one week (Monday) or month (its first day)."""

    week_start: date
    posts: int
    likes: int
    reposts: int
    replies: int
    quotes: int
    engagement: int
    value: float
    impressions: int = 0
    outcomes: int = 0
    unavailable: int = 0
    unmeasured: int = 0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["week_start"] = self.week_start.isoformat()
        return out


@dataclass(frozen=True)
class Stats:
    """Curator.stats: totals per week, per month, per account, per source feed and per role
    (keys of MIX_KEYS and "none"), and overall."""

    start: datetime | None
    end: datetime | None
    weeks: list[WeekStats]
    months: list[WeekStats]
    per_account: dict[str, Totals]
    per_feed: dict[str, Totals]  # by the feed's title; "" for posts about no item
    per_role: dict[str, Totals]
    total: Totals

    def to_json(self) -> dict[str, Any]:
        return {
            "start": _iso(self.start), "end": _iso(self.end),
            "weeks": [w.to_json() for w in self.weeks],
            "months": [m.to_json() for m in self.months],
            "per_account": {k: v.to_json() for k, v in self.per_account.items()},
            "per_feed": {k: v.to_json() for k, v in self.per_feed.items()},
            "per_role": {k: v.to_json() for k, v in self.per_role.items()},
            "total": self.total.to_json(),
        }


@dataclass(frozen=True)
class ContentMix:
    """Shares of own / third-party / competitor / approved / none posts over the last 30 days
    (published) and in the coming week's queue, against the user's target. too_promotional:
    the coming week's own share is over the target's own share."""

    last_30_days: dict[str, float]
    coming_week: dict[str, float]
    target: dict[str, float]
    too_promotional: bool
    last_30_days_counts: dict[str, int] = field(default_factory=dict)
    coming_week_counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SourceScore:
    """A feed, by what the posts made from its items brought in."""

    feed_id: int | None  # None when the feed was removed since (title from the drafts)
    title: str
    role: str | None
    posts: int
    engagement: int
    value: float

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)
