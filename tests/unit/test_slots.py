"""curator.slots, pure time arithmetic: a slot keeps its local time across DST changes in two
zones, the spring gap moves to the next valid minute, the autumn fold takes the first
occurrence, leap days, slots that fall on another UTC day, and reading slot specs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curator.errors import CuratorError
from curator.slots import (
    DEFAULT_SLOTS,
    account_zone,
    check_timezone,
    free_times,
    local_to_utc,
    parse_slot_spec,
    parse_time,
    slot_times,
)
from curator.types import Account, Network

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = [(d, "09:00") for d in range(7)]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ---- a slot keeps its local time across DST --------------------------------------------------


@pytest.mark.parametrize(("zone", "start", "before", "after"), [
    # Madrid: CET (+1) until 2024-03-31, CEST (+2) until 2024-10-27, then CET again.
    (MADRID, date(2024, 3, 29), utc(2024, 3, 30, 8), utc(2024, 3, 31, 7)),
    (MADRID, date(2024, 10, 25), utc(2024, 10, 26, 7), utc(2024, 10, 27, 8)),
    # New York: EST (-5) until 2024-03-10, EDT (-4) until 2024-11-03.
    (NEW_YORK, date(2024, 3, 8), utc(2024, 3, 9, 14), utc(2024, 3, 10, 13)),
    (NEW_YORK, date(2024, 11, 1), utc(2024, 11, 2, 13), utc(2024, 11, 3, 14)),
])
def test_a_nine_oclock_slot_stays_nine_local_across_the_change(
        zone: ZoneInfo, start: date, before: datetime, after: datetime) -> None:
    begin = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    times = slot_times(EVERY_DAY, zone, begin, begin + timedelta(days=4))
    assert len(times) == 4
    assert before in times and after in times
    assert {t.astimezone(zone).strftime("%H:%M") for t in times} == {"09:00"}
    assert all(t.tzinfo is UTC for t in times)  # stored as UTC


def test_madrid_summer_and_winter_differ_by_one_hour_in_utc() -> None:
    assert local_to_utc(date(2024, 7, 2), "09:00", MADRID) == utc(2024, 7, 2, 7)
    assert local_to_utc(date(2024, 12, 3), "09:00", MADRID) == utc(2024, 12, 3, 8)


# ---- the spring gap and the autumn fold -------------------------------------------------------


@pytest.mark.parametrize(("zone", "day", "hhmm", "expected"), [
    # Madrid jumps from 02:00 to 03:00 on 2024-03-31: 02:00-02:59 do not exist.
    (MADRID, date(2024, 3, 31), "02:00", utc(2024, 3, 31, 1)),
    (MADRID, date(2024, 3, 31), "02:30", utc(2024, 3, 31, 1)),
    (MADRID, date(2024, 3, 31), "02:59", utc(2024, 3, 31, 1)),
    (MADRID, date(2024, 3, 31), "03:00", utc(2024, 3, 31, 1)),
    (MADRID, date(2024, 3, 31), "03:01", utc(2024, 3, 31, 1, 1)),
    (MADRID, date(2024, 3, 31), "01:59", utc(2024, 3, 31, 0, 59)),
    # New York jumps from 02:00 to 03:00 on 2024-03-10.
    (NEW_YORK, date(2024, 3, 10), "02:30", utc(2024, 3, 10, 7)),
    (NEW_YORK, date(2024, 3, 10), "03:00", utc(2024, 3, 10, 7)),
])
def test_a_nonexistent_local_time_moves_to_the_next_valid_minute(
        zone: ZoneInfo, day: date, hhmm: str, expected: datetime) -> None:
    at = local_to_utc(day, hhmm, zone)
    assert at == expected
    assert at.astimezone(zone).strftime("%H:%M") >= hhmm or hhmm < "02:00"


@pytest.mark.parametrize(("zone", "day", "hhmm", "expected", "offset"), [
    # Madrid: 02:00-02:59 happen twice on 2024-10-27, first in CEST (+2).
    (MADRID, date(2024, 10, 27), "02:30", utc(2024, 10, 27, 0, 30), timedelta(hours=2)),
    (MADRID, date(2024, 10, 27), "02:00", utc(2024, 10, 27, 0, 0), timedelta(hours=2)),
    # New York: 01:00-01:59 happen twice on 2024-11-03, first in EDT (-4).
    (NEW_YORK, date(2024, 11, 3), "01:30", utc(2024, 11, 3, 5, 30), timedelta(hours=-4)),
])
def test_an_ambiguous_local_time_takes_the_first_occurrence(
        zone: ZoneInfo, day: date, hhmm: str, expected: datetime, offset: timedelta) -> None:
    at = local_to_utc(day, hhmm, zone)
    assert at == expected
    assert at.astimezone(zone).utcoffset() == offset
    assert at.astimezone(zone).strftime("%H:%M") == hhmm


def test_slots_in_the_gap_become_one_time_not_two() -> None:
    sunday = datetime(2024, 3, 31, tzinfo=MADRID)
    times = slot_times([(6, "02:15"), (6, "02:45"), (6, "03:00")], MADRID, sunday,
                       sunday + timedelta(days=1))
    assert times == [utc(2024, 3, 31, 1)]


@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
       minute=st.integers(min_value=0, max_value=24 * 60 - 1),
       zone=st.sampled_from([MADRID, NEW_YORK, ZoneInfo("Australia/Lord_Howe")]))
def test_any_local_time_lands_on_itself_or_just_after_a_gap(
        day: date, minute: int, zone: ZoneInfo) -> None:
    hhmm = f"{minute // 60:02d}:{minute % 60:02d}"
    at = local_to_utc(day, hhmm, zone)
    local = at.astimezone(zone)
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    assert local.replace(tzinfo=None) >= wall
    assert local.replace(tzinfo=None) - wall < timedelta(hours=1)  # gaps are at most 1 h here
    if local.replace(tzinfo=None) != wall:  # moved: only because the time does not exist
        one_minute_before = at - timedelta(minutes=1)
        assert one_minute_before.astimezone(zone).replace(tzinfo=None) < wall


# ---- leap days and midnight --------------------------------------------------------------------


def test_a_thursday_slot_falls_on_the_leap_day() -> None:
    week = datetime(2024, 2, 26, tzinfo=MADRID)
    [thursday] = slot_times([(3, "09:00")], MADRID, week, week + timedelta(days=7))
    assert thursday == utc(2024, 2, 29, 8)
    assert local_to_utc(date(2024, 2, 29), "23:30", NEW_YORK) == utc(2024, 3, 1, 4, 30)
    # 2023 had no 29 February: the Thursday of that week is 2 March.
    [thursday_2023] = slot_times([(3, "09:00")], MADRID, datetime(2023, 2, 27, tzinfo=MADRID),
                                 datetime(2023, 3, 6, tzinfo=MADRID))
    assert thursday_2023 == utc(2023, 3, 2, 8)


def test_every_day_slot_covers_a_leap_february() -> None:
    times = slot_times(EVERY_DAY, MADRID, utc(2024, 2, 1), utc(2024, 3, 1))
    assert len(times) == 29
    assert times[-1] == utc(2024, 2, 29, 8)


def test_a_late_evening_slot_is_the_next_day_in_utc() -> None:
    # Monday 23:30 in New York (EDT, -4) is Tuesday 03:30 UTC.
    tuesday_utc = (utc(2024, 6, 4), utc(2024, 6, 5))
    monday_utc = (utc(2024, 6, 3), utc(2024, 6, 4))
    assert slot_times([(0, "23:30")], NEW_YORK, *tuesday_utc) == [utc(2024, 6, 4, 3, 30)]
    assert slot_times([(0, "23:30")], NEW_YORK, *monday_utc) == []
    # And an early one east of UTC is the day before: Monday 00:30 Madrid is Sunday 22:30 UTC.
    assert slot_times([(0, "00:30")], MADRID, utc(2024, 6, 2), utc(2024, 6, 3)) == \
        [utc(2024, 6, 2, 22, 30)]
    assert local_to_utc(date(2024, 12, 31), "23:30", NEW_YORK) == utc(2025, 1, 1, 4, 30)


def test_the_window_is_half_open_and_sorted() -> None:
    start = utc(2024, 6, 3, 7)  # Monday 09:00 in Madrid
    times = slot_times(DEFAULT_SLOTS, MADRID, start, start + timedelta(days=7))
    assert times[0] == start
    assert start + timedelta(days=7) not in times
    assert times == sorted(times) and len(times) == 10


# ---- defaults, specs, zones --------------------------------------------------------------------


def test_default_slots_are_weekdays_at_nine_and_half_past_five() -> None:
    assert sorted(DEFAULT_SLOTS) == [(d, t) for d in range(5) for t in ("09:00", "17:30")]


@pytest.mark.parametrize(("spec", "expected"), [
    ("Tue 09:00", [(1, "09:00")]),
    ("Mon-Fri 17:30", [(d, "17:30") for d in range(5)]),
    ("mon,thu 9:00", [(0, "09:00"), (3, "09:00")]),
    ("lun-vie 8h15", [(d, "08:15") for d in range(5)]),
    ("miércoles 12.00", [(2, "12:00")]),
    ("weekend 10:00", [(5, "10:00"), (6, "10:00")]),
    ("Fri-Mon 07:00", [(0, "07:00"), (4, "07:00"), (5, "07:00"), (6, "07:00")]),
    ("daily 23:30", [(d, "23:30") for d in range(7)]),
])
def test_slot_specs(spec: str, expected: list[tuple[int, str]]) -> None:
    assert parse_slot_spec(spec) == expected


@pytest.mark.parametrize("spec", ["Tue", "Tue 25:00", "Tue 9", "Funday 09:00", "Tue 09:00 x"])
def test_bad_slot_specs_say_what_is_wrong(spec: str) -> None:
    with pytest.raises(CuratorError) as e:
        parse_slot_spec(spec)
    assert str(e.value).endswith(".")


def test_parse_time() -> None:
    assert parse_time("9:05") == "09:05"
    with pytest.raises(CuratorError):
        parse_time("09:60")


def test_time_zones_are_checked_and_an_account_without_one_uses_the_local_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_timezone(" Europe/Madrid ") == "Europe/Madrid"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime"):
        with pytest.raises(CuratorError, match="not a time zone"):
            check_timezone(bad)
    account = Account(1, "Equipo", Network.WEBHOOK, None, None, None, "", False, None, None,
                      None, [], [], None, utc(2024, 1, 1), timezone="America/New_York")
    assert account_zone(account) == NEW_YORK
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    from dataclasses import replace

    assert account_zone(replace(account, timezone=None)) == ZoneInfo("Asia/Tokyo")


def test_free_times_leave_out_slots_with_a_post_within_a_minute() -> None:
    slots = [utc(2024, 6, 3, 7), utc(2024, 6, 3, 15, 30), utc(2024, 6, 4, 7)]
    taken = [utc(2024, 6, 3, 7, 1), utc(2024, 6, 4, 7, 2)]
    assert free_times(slots, taken) == [utc(2024, 6, 3, 15, 30), utc(2024, 6, 4, 7)]
