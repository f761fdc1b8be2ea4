"""Weekly posting slots as pure time arithmetic: local wall-clock times to UTC, across DST.

A slot is a weekday and a local time ("Tue 09:00") in the account's IANA time zone. It stays
09:00 local when the clocks change, so its UTC time moves with the season. Two local times
need a rule:

- a nonexistent one (the spring gap: 02:30 on the last Sunday of March in Madrid) moves to
  the next valid minute (03:00 CEST);
- an ambiguous one (the autumn fold: 02:30 twice on the last Sunday of October) takes the
  first occurrence (fold=0, still summer time).

No storage and no clock here: every function takes the times it works on.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import CuratorError
from .types import Account

# What an account with no slots of its own uses: Mon–Fri 09:00 and 17:30.
DEFAULT_SLOTS: tuple[tuple[int, str], ...] = tuple(
    (day, hhmm) for day in range(5) for hhmm in ("09:00", "17:30"))

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_DAYS = {
    **{name.lower(): n for n, name in enumerate(WEEKDAY_NAMES)},
    **{name: n for n, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    # Spanish, accents optional ("mié", "mie", "miércoles")
    **{name: n for n, name in enumerate(("lun", "mar", "mie", "jue", "vie", "sab", "dom"))},
    **{name: n for n, name in enumerate(
        ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"))},
}
_GROUPS = {"daily": range(7), "everyday": range(7), "weekdays": range(5),
           "weekend": range(5, 7), "weekends": range(5, 7)}
_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})")


def parse_time(text: str) -> str:
    """"9:00", "09.00" or "17h30" -> "HH:MM".

    Raises:
        CuratorError: not a time of day.
    """
    m = _TIME.fullmatch(text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise CuratorError(f"{text!r} is not a time of day: use HH:MM, for example 09:00.")
    return f"{int(m[1]):02d}:{m[2]}"


def _day(name: str) -> int:
    key = name.strip().lower().translate(str.maketrans("áéíóú", "aeiou"))
    if key.isdigit() and int(key) <= 6:
        return int(key)
    if key in _DAYS:
        return _DAYS[key]
    raise CuratorError(f"{name!r} is not a day of the week: use Mon, Tue... Sun.")


def parse_slot_spec(spec: str) -> list[tuple[int, str]]:
    """One slot, or several days at one time: "Tue 09:00", "Mon-Fri 17:30", "mon,thu 9:00",
    "weekdays 08:15", "daily 12:00" (Spanish day names work too: "lun-vie 09:00").

    Raises:
        CuratorError: the days or the time cannot be read.
    """
    parts = spec.split()
    if len(parts) != 2:
        raise CuratorError(f"{spec!r} is not a slot: write a day and a time, "
                           "for example \"Tue 09:00\" or \"Mon-Fri 17:30\".")
    days_text, hhmm = parts[0].lower(), parse_time(parts[1])
    days: list[int] = []
    for piece in days_text.split(","):
        if piece in _GROUPS:
            days.extend(_GROUPS[piece])
        elif "-" in piece:
            first, _, last = piece.partition("-")
            a, b = _day(first), _day(last)
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            days.append(_day(piece))
    return normalize_slots((d, hhmm) for d in days)


def normalize_slots(slots: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """Checked, deduplicated and sorted by weekday then time.

    Raises:
        CuratorError: a weekday outside 0-6 or a time that is not HH:MM.
    """
    out: set[tuple[int, str]] = set()
    for weekday, hhmm in slots:
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise CuratorError(f"{weekday!r} is not a weekday: use 0 (Monday) to 6 (Sunday).")
        out.add((weekday, parse_time(hhmm)))
    return sorted(out)


def format_slot(weekday: int, hhmm: str) -> str:
    return f"{WEEKDAY_NAMES[weekday]} {hhmm}"


def check_timezone(name: str) -> str:
    """An IANA time zone name as zoneinfo knows it ("Europe/Madrid").

    Raises:
        CuratorError: no such zone.
    """
    cleaned = name.strip()
    try:
        if not cleaned or cleaned.startswith(("/", ".")) or ".." in cleaned:
            raise ValueError(cleaned)
        ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise CuratorError(f"{name!r} is not a time zone: use an IANA name such as "
                           "Europe/Madrid or America/New_York.") from None
    return cleaned


def local_zone() -> ZoneInfo:
    """This computer's time zone as an IANA zone (tzlocal reads it on Linux, macOS and
    Windows); UTC when it cannot be told."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        try:
            return ZoneInfo(check_timezone(tz))
        except CuratorError:
            pass
    try:
        import tzlocal

        found = tzlocal.get_localzone()
        if isinstance(found, ZoneInfo):
            return found
        return ZoneInfo(tzlocal.get_localzone_name() or "UTC")
    except Exception:  # noqa: BLE001 - an odd system setup must not stop scheduling
        return ZoneInfo("UTC")


def account_zone(account: Account) -> ZoneInfo:
    """The account's own zone, else the computer's."""
    if account.timezone:
        try:
            return ZoneInfo(account.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a zone removed from the tz database since: fall back to local time
    return local_zone()


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive local time `wall` happens at all in `zone` (not in a spring gap)."""
    back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == wall


def local_to_utc(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of local time `hhmm` on `day` in `zone`.

    A nonexistent local time (spring gap) moves to the next valid minute; an ambiguous one
    (autumn fold) is its first occurrence."""
    h, m = (int(x) for x in parse_time(hhmm).split(":"))
    wall = datetime.combine(day, time(h, m))
    if _exists(wall, zone):
        return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    # In a gap fold=1 reads the wall time with the offset after the change, an instant before
    # it; fold=0 with the offset before it, an instant after it. The change lies between:
    # its instant is the first valid minute (transitions fall on whole minutes).
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if low > high:
        low, high = high, low
    while (high - low) > timedelta(minutes=1):
        mid = low + timedelta(minutes=((high - low) // timedelta(minutes=1)) // 2)
        if mid.astimezone(zone).replace(tzinfo=None) >= wall:
            high = mid
        else:
            low = mid
    return high if low.astimezone(zone).replace(tzinfo=None) < wall else low


def slot_times(slots: Iterable[tuple[int, str]], zone: ZoneInfo, start: datetime,
               end: datetime) -> list[datetime]:
    """Every occurrence of the weekly slots in [start, end), in UTC, sorted, each once."""
    if start.tzinfo is None or end.tzinfo is None:
        raise CuratorError("Slot times need time zone-aware start and end times.")
    wanted: dict[int, list[str]] = {}
    for weekday, hhmm in normalize_slots(slots):
        wanted.setdefault(weekday, []).append(hhmm)
    if not wanted or end <= start:
        return []
    # One local day either side: a zone's day starts up to 14 hours away from UTC's.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    found: set[datetime] = set()
    while day <= last:
        for hhmm in wanted.get(day.weekday(), ()):
            at = local_to_utc(day, hhmm, zone)
            if start <= at < end:
                found.add(at)
        day += timedelta(days=1)
    return sorted(found)


def describe(slots: Sequence[tuple[int, str]]) -> str:
    """"Mon 09:00, Mon 17:30, ..." for messages."""
    return ", ".join(format_slot(d, t) for d, t in slots)


# A post less than this far from a slot's time takes the slot.
SLOT_TOLERANCE = timedelta(minutes=1)


def free_times(candidates: Iterable[datetime], taken: Iterable[datetime],
               tolerance: timedelta = SLOT_TOLERANCE) -> list[datetime]:
    """The candidate times with no taken time within `tolerance` (either side)."""
    busy = sorted(taken)
    out = []
    for at in sorted(candidates):
        i = bisect.bisect_left(busy, at - tolerance)  # the first taken time that may be near
        if i == len(busy) or busy[i] > at + tolerance:
            out.append(at)
    return out
