"""Analytics arithmetic: when to refresh counts, what a post is worth, mix, reach, totals.

Pure functions, no storage, no network and no Qt: the core (Curator.stats, content_mix,
fetch_metrics...) reads the database and calls these, so every number is checked by hand in
tests/unit/test_analytics.py.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from .errors import CuratorError
from .types import (
    DEFAULT_VALUES,
    MIX_KEYS,
    OUTCOME_KINDS,
    MetricsSnapshot,
    PostOutcome,
    Role,
    Totals,
    WeekStats,
    WhatIf,
)

# Counts are refreshed about 1 hour, 1 day and 1 week after publishing: most engagement
# comes early, and a week later it has settled.
REFRESH_AFTER = (timedelta(hours=1), timedelta(hours=24), timedelta(days=7))
# Posts published longer ago than this are refreshed only on demand: a fresh install (or a
# long time off) never fetches a whole history at once.
DUE_HORIZON = timedelta(days=60)
MIX_WINDOW_PAST = timedelta(days=30)
MIX_WINDOW_AHEAD = timedelta(days=7)
DEFAULT_MIX_TARGET: dict[str, float] = {
    "own": 0.2, "third-party": 0.6, "competitor": 0.1, "approved": 0.1}
NO_ROLE = "none"
# Interaction kinds a snapshot's counts are valued by, with the snapshot field they read.
COUNT_KINDS = (("like", "likes"), ("repost", "reposts"), ("reply", "replies"),
               ("quote", "quotes"))


# ---- refreshing counts ----------------------------------------------------------------------


def metrics_due(published_at: datetime, fetched: Sequence[datetime], now: datetime) -> bool:
    """True when a refresh point (1 h, 24 h, 7 d after publishing) has passed and no fetch
    was made since the latest of them. Before the first point nothing is due; a post whose
    counts were fetched after its 7-day point is never due again (ask explicitly for more).
    """
    passed = [published_at + after for after in REFRESH_AFTER if published_at + after <= now]
    if not passed:
        return False
    latest_point = passed[-1]
    return not any(at >= latest_point for at in fetched)


def next_refresh(published_at: datetime, fetched: Sequence[datetime]) -> datetime | None:
    """The next refresh point without a fetch after it (for a wake-up timer); None: done."""
    for after in REFRESH_AFTER:
        point = published_at + after
        if not any(at >= point for at in fetched):
            return point
    return None


# ---- value ----------------------------------------------------------------------------------


def check_values(changes: Mapping[str, float | None]) -> dict[str, float | None]:
    """The changes to the values table, checked: known kinds, finite numbers 0 or more.

    Raises:
        CuratorError
    """
    out: dict[str, float | None] = {}
    for kind, value in changes.items():
        if kind not in DEFAULT_VALUES:
            names = ", ".join(DEFAULT_VALUES)
            raise CuratorError(f"Unknown kind {kind!r}; use one of {names}.")
        if value is None:
            out[kind] = None
            continue
        out[kind] = check_amount(value, f"The value of {kind}")
    return out


def check_amount(value: object, what: str) -> float:
    """A value (of a kind or an outcome): a finite number, 0 or more.

    Raises:
        CuratorError
    """
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value < 0:
        raise CuratorError(f"{what} must be a number, 0 or more.")
    return float(value)


def check_kind(kind: str) -> str:
    """An outcome kind, normalized ("Prospect reply" -> "prospect_reply").

    Raises:
        CuratorError
    """
    key = kind.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in OUTCOME_KINDS:
        raise CuratorError(f"Unknown outcome {kind!r}; use one of {', '.join(OUTCOME_KINDS)}.")
    return key


def merge_values(stored: object) -> dict[str, float]:
    """DEFAULT_VALUES with the user's changes (the "values" setting); entries that are not
    a known kind with a number 0 or more (a setting edited badly by hand) are ignored."""
    values = {k: float(v) for k, v in DEFAULT_VALUES.items()}
    if isinstance(stored, dict):
        for kind, value in stored.items():
            if kind in values:
                try:
                    values[kind] = check_amount(value, "value")
                except CuratorError:
                    continue
    return values


def outcome_value(outcome: PostOutcome, values: Mapping[str, float]) -> float:
    """The outcome's own value when the user gave one, else its kind's."""
    if outcome.value is not None:
        return outcome.value
    return float(values.get(outcome.kind, 0.0))


def engagement_value(m: MetricsSnapshot | None, values: Mapping[str, float]) -> float:
    """likes x like + reposts x repost + replies x reply + quotes x quote; 0 when the counts
    are unavailable or not fetched (impressions are reach, not engagement: no value)."""
    if m is None or m.unavailable is not None:
        return 0.0
    total = 0.0
    for kind, attr in COUNT_KINDS:
        count = getattr(m, attr)
        if count is not None:
            total += count * float(values.get(kind, 0.0))
    return total


def post_value(m: MetricsSnapshot | None, outcomes: Iterable[PostOutcome],
               values: Mapping[str, float]) -> float:
    """What a post brought in: its latest counts times their values, plus its outcomes.

    3 likes x 1 + 1 repost x 3 + 1 lead x 100 = 106.
    """
    return engagement_value(m, values) + sum(outcome_value(o, values) for o in outcomes)


# ---- content mix ----------------------------------------------------------------------------


def role_key(role: Role | str | None) -> str:
    """The mix key of a post's role: own / third-party / competitor / approved, else "none"."""
    if role is None:
        return NO_ROLE
    value = role.value if isinstance(role, Role) else str(role)
    return value if value in MIX_KEYS else NO_ROLE


def mix_counts(roles: Iterable[Role | str | None]) -> dict[str, int]:
    counts = dict.fromkeys((*MIX_KEYS, NO_ROLE), 0)
    for role in roles:
        counts[role_key(role)] += 1
    return counts


def mix_shares(roles: Iterable[Role | str | None]) -> dict[str, float]:
    """Each key's share of the posts (own, third-party, competitor, approved, none), adding up
    to 1; all 0 when there are no posts."""
    counts = mix_counts(roles)
    total = sum(counts.values())
    return {k: (n / total if total else 0.0) for k, n in counts.items()}


def check_mix_target(target: Mapping[str, float]) -> dict[str, float]:
    """A mix target: shares 0..1 of own / third-party / competitor / approved (missing: 0)
    that add up to 1 (within 1%, for percentages such as 33/33/34).

    Raises:
        CuratorError
    """
    out = dict.fromkeys(MIX_KEYS, 0.0)
    for key, share in target.items():
        if key not in out:
            raise CuratorError(f"Unknown share {key!r}; use {', '.join(MIX_KEYS)}.")
        if isinstance(share, bool) or not isinstance(share, int | float) \
                or not math.isfinite(share) or not 0 <= share <= 1:
            raise CuratorError(f"The share of {key} must be a number from 0 to 1.")
        out[key] = float(share)
    total = sum(out.values())
    if abs(total - 1) > 0.01:
        raise CuratorError(f"The target shares add up to {total:.0%}; make them add up to "
                           "100%.")
    return out


def too_promotional(shares: Mapping[str, float], target: Mapping[str, float]) -> bool:
    """The own-company share is over the target's own share (and there is any own post)."""
    own = shares.get("own", 0.0)
    return own > 0 and own > target.get("own", 0.0) + 1e-9


# ---- reach ----------------------------------------------------------------------------------


def reach_estimate(followers: int | None, impressions: int | None) -> int | None:
    """How many people a post reached: the network's impressions when it counts them, else
    the account's followers (the audience it was shown to at most); None when neither is
    known."""
    if impressions is not None:
        return impressions
    return followers


def what_if(people: int, contacts_each: int, networks_each: int, click_rate: float,
            engagement_rate: float) -> WhatIf:
    """The network effect of a team sharing: reach = people x contacts x networks; clicks
    and engagements are that reach times their rates (0..1).

    10 people x 500 contacts x 2 networks = 10 000 reached; at 2% clicks 200, at 5% 500
    engagements.

    Raises:
        CuratorError: a negative count or a rate outside 0..1.
    """
    for name, n in (("people", people), ("contacts each", contacts_each),
                    ("networks each", networks_each)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise CuratorError(f"The number of {name} must be a whole number, 0 or more.")
    for name, rate in (("click rate", click_rate), ("engagement rate", engagement_rate)):
        if isinstance(rate, bool) or not isinstance(rate, int | float) \
                or not math.isfinite(rate) or not 0 <= rate <= 1:
            raise CuratorError(f"The {name} must be a share from 0 to 1 (2% is 0.02).")
    reach = people * contacts_each * networks_each
    return WhatIf(reach, reach * click_rate, reach * engagement_rate)


# ---- totals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostFacts:
    """What the totals need of one published post (gathered by the core)."""

    post_id: int
    published_at: datetime
    account: str
    feed: str  # the source feed's title; "" for a post about no item
    role: str  # a mix key or "none"
    metrics: MetricsSnapshot | None
    outcomes: Sequence[PostOutcome] = field(default_factory=tuple)


@dataclass
class _Sum:
    posts: int = 0
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    impressions: int = 0
    engagement: int = 0
    outcomes: int = 0
    value: float = 0.0
    unavailable: int = 0
    unmeasured: int = 0

    def add(self, post: PostFacts, values: Mapping[str, float]) -> None:
        self.posts += 1
        self.outcomes += len(post.outcomes)
        self.value += post_value(post.metrics, post.outcomes, values)
        m = post.metrics
        if m is None:
            self.unmeasured += 1
            return
        if m.unavailable is not None:
            self.unavailable += 1  # reported, never counted as zeros
            return
        self.likes += m.likes or 0
        self.reposts += m.reposts or 0
        self.replies += m.replies or 0
        self.quotes += m.quotes or 0
        self.impressions += m.impressions or 0
        self.engagement += m.engagement or 0

    def totals(self) -> Totals:
        return Totals(self.posts, self.likes, self.reposts, self.replies, self.quotes,
                      self.impressions, self.engagement, self.outcomes, self.value,
                      self.unavailable, self.unmeasured)

    def period(self, start: date) -> WeekStats:
        return WeekStats(start, self.posts, self.likes, self.reposts, self.replies,
                         self.quotes, self.engagement, self.value, self.impressions,
                         self.outcomes, self.unavailable, self.unmeasured)


def week_of(at: datetime, zone: tzinfo = UTC) -> date:
    """The Monday of the week `at` falls in, in `zone`."""
    day = at.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def month_of(at: datetime, zone: tzinfo = UTC) -> date:
    return at.astimezone(zone).date().replace(day=1)


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def totals(posts: Iterable[PostFacts], values: Mapping[str, float]) -> Totals:
    acc = _Sum()
    for post in posts:
        acc.add(post, values)
    return acc.totals()


def group_totals(posts: Iterable[PostFacts], values: Mapping[str, float], by: str
                 ) -> dict[str, Totals]:
    """Totals per account, feed or role (`by`: a PostFacts field), by name."""
    groups: dict[str, _Sum] = {}
    for post in posts:
        groups.setdefault(getattr(post, by), _Sum()).add(post, values)
    return {k: v.totals() for k, v in sorted(groups.items())}


def role_totals(posts: Iterable[PostFacts], values: Mapping[str, float]) -> dict[str, Totals]:
    """Totals per role, every mix key present (zeros where no post has it)."""
    found = group_totals(posts, values, "role")
    return {k: found.get(k, Totals()) for k in (*MIX_KEYS, NO_ROLE)}


def periods(posts: Iterable[PostFacts], values: Mapping[str, float], *, monthly: bool = False,
            start: datetime | None = None, end: datetime | None = None,
            zone: tzinfo = UTC) -> list[WeekStats]:
    """Totals per week (from Monday) or per month, oldest first, with no gaps: the weeks
    between the first and the last post (or `start` and `end`, when given) are all there,
    empty ones as zeros, so a chart's axis is even."""
    key = month_of if monthly else week_of
    groups: dict[date, _Sum] = {}
    for post in posts:
        groups.setdefault(key(post.published_at, zone), _Sum()).add(post, values)
    bounds = list(groups)
    if start is not None:
        bounds.append(key(start, zone))
    if end is not None:  # `end` is exclusive: its own week only when something of it is in
        bounds.append(key(end - timedelta(microseconds=1), zone))
    if not bounds:
        return []
    out = []
    at, last = min(bounds), max(bounds)
    while at <= last:
        out.append(groups.get(at, _Sum()).period(at))
        at = _next_month(at) if monthly else at + timedelta(days=7)
    return out


# ---- export ---------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "account", "network", "published_at", "url", "text", "item_title",
               "source", "role", "likes", "reposts", "replies", "quotes", "impressions",
               "unavailable", "outcomes", "outcome_value", "value")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): a post
# text or a feed title such as "=HYPERLINK(...)" must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula, prefixed with ' (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """The rows as CSV in UTF-8 with a byte-order mark (Excel then reads accents right),
    every text cell made safe (safe_cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")
