"""Fill my week: place starred and annotated items in free posting slots with a healthy mix.

Pure decisions, no storage and no Qt: the core (Curator.propose_week) gathers the candidates,
the free slots and the posts already on each account's timeline, and calls `propose`.

The mix rules, per account, over its whole timeline (posts already there and new ones):
- at most `max_own_share` of own-company posts: with 1/3, at most one own post in any three
  consecutive posts (the share is read as a fraction k/n: at most k own posts in any n);
- never the same source (feed) twice in a row;
- competitors and third parties spread out: a slot prefers a role its neighbours do not have.
Starred and annotated items go first, then the others, newest first within each group; the
earliest slot gets the best item that fits. Ties are broken by item id, or by `rng` when one
is given, so a proposal is the same for the same inputs and seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from itertools import pairwise
from typing import Any

from .errors import CuratorError
from .types import Role

DEFAULT_MAX_OWN_SHARE = 1 / 3
MAX_WINDOW = 10  # a share is read as k/n with n <= this (0.3 -> 3/10, 0.33 -> 1/3)


class ProposalError(CuratorError):
    """Some rows of a proposal cannot be queued; nothing was queued.

    `problems` holds (row index, one sentence) for each of them."""

    def __init__(self, problems: Sequence[tuple[int, str]]):
        self.problems = list(problems)
        count = len(self.problems)
        first = self.problems[0][1] if self.problems else ""
        rows = "1 post" if count == 1 else f"{count} posts"
        super().__init__(f"{rows} of the proposal cannot be queued, so none was: {first}")


@dataclass(frozen=True)
class Candidate:
    """An item that may be shared: starred or annotated, not yet shared."""

    item_id: int
    title: str | None
    link: str | None
    feed_id: int | None
    source: str | None  # the feed's title
    role: Role
    date: datetime
    starred: bool
    annotated: bool  # it has a commentary or a note
    text: str  # what the post says: the commentary, else the title and link

    @property
    def best(self) -> bool:
        """Starred and annotated: the user both chose it and wrote about it."""
        return self.starred and self.annotated


@dataclass(frozen=True)
class Booked:
    """A post already on an account's timeline (queued or published): the rules count it."""

    account_id: int
    at: datetime
    role: Role | None  # None: a post about no item (the user's own words), never "own"
    feed_id: int | None


@dataclass(frozen=True)
class FreeSlot:
    account_id: int
    account: str  # its name, for showing
    at: datetime  # UTC


@dataclass(frozen=True)
class Placement:
    """One row of a proposal: this item, on this account, at this time, with this text."""

    account_id: int
    account: str
    at: datetime  # UTC
    item_id: int
    title: str | None
    link: str | None
    source: str | None
    feed_id: int | None
    role: Role
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id, "account": self.account,
            "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "item_id": self.item_id, "title": self.title, "link": self.link,
            "source": self.source, "feed_id": self.feed_id, "role": self.role.value,
            "text": self.text,
        }


def post_text(commentary: str | None, title: str | None, link: str | None) -> str:
    """What a proposal posts for an item: the user's commentary, else its title and link."""
    if commentary and commentary.strip():
        return commentary.strip()
    return "\n\n".join(part.strip() for part in (title, link) if part and part.strip())


def own_rule(max_own_share: float) -> tuple[int, int]:
    """(k, n): at most k own posts in any n consecutive ones, for a share in [0, 1].

    Raises:
        CuratorError: the share is not a number between 0 and 1.
    """
    try:
        share = float(max_own_share)
    except (TypeError, ValueError):
        raise CuratorError(
            f"The own-content share must be a number between 0 and 1, not {max_own_share!r}."
        ) from None
    if not 0 <= share <= 1:
        raise CuratorError(
            f"The own-content share must be between 0 and 1 (1/3: one post in three), "
            f"not {share:g}.")
    fraction = Fraction(share).limit_denominator(MAX_WINDOW)
    if fraction == 0:
        return 0, 1
    return fraction.numerator, fraction.denominator


def order_candidates(
    candidates: Iterable[Candidate], rng: random.Random | None = None
) -> list[Candidate]:
    """Starred and annotated first, then the rest; newest first; ties by id (or rng)."""
    by_id = sorted(candidates, key=lambda c: c.item_id)
    # One draw per candidate in id order: the same seed gives the same order whatever
    # order the candidates came in.
    tie = {c.item_id: (rng.random() if rng else -c.item_id) for c in by_id}
    return sorted(by_id, key=lambda c: (not c.best, -c.date.timestamp(), tie[c.item_id]))


@dataclass
class _Entry:
    at: datetime
    role: Role | None
    feed_id: int | None


def _insert(timeline: list[_Entry], entry: _Entry) -> int:
    index = len(timeline)
    while index > 0 and timeline[index - 1].at > entry.at:
        index -= 1
    timeline.insert(index, entry)
    return index


def _fits(timeline: list[_Entry], entry: _Entry, rule: tuple[int, int]) -> bool:
    """Would `entry` keep the account's timeline within the hard rules?"""
    seq = list(timeline)
    i = _insert(seq, entry)
    if entry.feed_id is not None:
        for j in (i - 1, i + 1):
            if 0 <= j < len(seq) and seq[j].feed_id == entry.feed_id:
                return False
    if entry.role is Role.OWN:
        k, n = rule
        for start in range(i - n + 1, i + 1):
            window = seq[max(start, 0): start + n]
            if sum(1 for e in window if e.role is Role.OWN) > k:
                return False
    return True


def _neighbour_roles(timeline: list[_Entry], at: datetime) -> set[Role | None]:
    before = [e for e in timeline if e.at <= at]
    after = [e for e in timeline if e.at > at]
    return {e.role for e in (before[-1:] + after[:1])}


def propose(
    candidates: Iterable[Candidate],
    slots: Iterable[FreeSlot],
    *,
    booked: Iterable[Booked] = (),
    max_own_share: float = DEFAULT_MAX_OWN_SHARE,
    rng: random.Random | None = None,
) -> list[Placement]:
    """Place candidates in free slots, earliest slot first, each item once.

    A slot takes the best-ranked candidate that keeps its account within the hard rules (own
    share, no same source twice in a row), preferring one whose role differs from the
    posts next to it; a slot nothing fits stays free. Returns the placements by time.

    Raises:
        CuratorError: max_own_share is not between 0 and 1.
    """
    rule = own_rule(max_own_share)
    # An item with no commentary, title or link has nothing to say: it cannot be posted.
    waiting = order_candidates((c for c in candidates if c.text.strip()), rng)
    timelines: dict[int, list[_Entry]] = {}
    for b in booked:
        _insert(timelines.setdefault(b.account_id, []), _Entry(b.at, b.role, b.feed_id))
    placed: list[Placement] = []
    for slot in sorted(slots, key=lambda s: s.at):  # stable: accounts keep their given order
        timeline = timelines.setdefault(slot.account_id, [])
        fitting = [c for c in waiting
                   if _fits(timeline, _Entry(slot.at, c.role, c.feed_id), rule)]
        if not fitting:
            continue
        nearby = _neighbour_roles(timeline, slot.at)
        chosen = next((c for c in fitting if c.role not in nearby), fitting[0])
        waiting.remove(chosen)
        _insert(timeline, _Entry(slot.at, chosen.role, chosen.feed_id))
        placed.append(Placement(
            account_id=slot.account_id, account=slot.account, at=slot.at,
            item_id=chosen.item_id, title=chosen.title, link=chosen.link,
            source=chosen.source, feed_id=chosen.feed_id, role=chosen.role,
            text=chosen.text))
    return placed


def mix_problems(
    placements: Iterable[Placement],
    *,
    booked: Iterable[Booked] = (),
    max_own_share: float = DEFAULT_MAX_OWN_SHARE,
) -> list[str]:
    """One sentence per broken rule in the accounts' timelines with these placements (for a
    proposal the user edited): too many own posts in a row of n, the same source twice."""
    k, n = own_rule(max_own_share)
    # (time, role, feed, source, placed): only breaks that involve a placement count, the
    # booked posts' own history is not this proposal's doing.
    timelines: dict[int, list[tuple[datetime, Role | None, int | None, str, bool]]] = {}
    names: dict[int, str] = {}
    for b in booked:
        timelines.setdefault(b.account_id, []).append((b.at, b.role, b.feed_id, "", False))
    for p in placements:
        names[p.account_id] = p.account
        timelines.setdefault(p.account_id, []).append(
            (p.at, p.role, p.feed_id, p.source or "", True))
    problems: list[str] = []
    for account_id, entries in timelines.items():
        if account_id not in names:
            continue  # only booked posts: not this proposal's doing
        name = names[account_id]
        entries.sort(key=lambda e: e[0])
        windows = (entries[s:s + n] for s in range(max(1, len(entries) - n + 1)))
        if any(sum(1 for e in w if e[1] is Role.OWN) > k and any(e[4] for e in w)
               for w in windows):
            problems.append(
                f"{name}: more than {k} own-company post{'s' if k != 1 else ''} in {n} "
                f"in a row.")
        repeated = [b for a, b in pairwise(entries)
                    if a[2] is not None and a[2] == b[2] and (a[4] or b[4])]
        if repeated:
            source = repeated[0][3]
            problems.append(f"{name}: the same source{f' ({source})' if source else ''} "
                            f"twice in a row.")
    return problems
