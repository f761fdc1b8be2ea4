"""curator.analytics, the pure arithmetic: every number here is worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from curator import analytics
from curator.analytics import PostFacts
from curator.errors import CuratorError
from curator.types import DEFAULT_VALUES, MetricsSnapshot, PostOutcome, Role

PUBLISHED = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
D = timedelta(days=1)
VALUES = {k: float(v) for k, v in DEFAULT_VALUES.items()}


def snap(post_id: int = 1, likes: int | None = 0, reposts: int | None = 0,
         replies: int | None = 0, quotes: int | None = None, impressions: int | None = None,
         unavailable: str | None = None) -> MetricsSnapshot:
    return MetricsSnapshot(post_id, PUBLISHED, likes, reposts, replies, quotes, impressions,
                           unavailable)


def outcome(kind: str, value: float | None = None, post_id: int = 1) -> PostOutcome:
    return PostOutcome(0, post_id, kind, "", value, PUBLISHED, PUBLISHED)


# ---- metrics_due: 1 h, 24 h, 7 d ------------------------------------------------------------


@pytest.mark.parametrize(("age", "fetched_ages", "due"), [
    (59 * timedelta(minutes=1), [], False),  # before the first point: nothing due
    (H, [], True),  # the 1 h point has just passed, never fetched
    (2 * H, [90 * timedelta(minutes=1)], False),  # fetched after the 1 h point
    (2 * H, [30 * timedelta(minutes=1)], True),  # fetched before it: does not count
    (23 * H, [H], False),  # between 1 h and 24 h, the 1 h fetch is enough
    (24 * H, [H], True),  # the 24 h point passed since the last fetch
    (3 * D, [H, 25 * H], False),
    (7 * D, [H, 25 * H], True),  # the 7 d point
    (8 * D, [H, 25 * H, 7 * D], False),  # fetched at exactly the point: counts
    (40 * D, [H, 25 * H, 7 * D + H], False),  # all three done: never due again
    (10 * D, [], True),  # the computer was off: one fetch catches up ...
    (10 * D, [10 * D], False),  # ... and only one
])
def test_metrics_due_at_one_hour_one_day_and_one_week(
        age: timedelta, fetched_ages: list[timedelta], due: bool) -> None:
    now = PUBLISHED + age
    fetched = [PUBLISHED + a for a in fetched_ages]
    assert analytics.metrics_due(PUBLISHED, fetched, now) is due


def test_next_refresh_is_the_first_point_without_a_fetch_after_it() -> None:
    assert analytics.next_refresh(PUBLISHED, []) == PUBLISHED + H
    assert analytics.next_refresh(PUBLISHED, [PUBLISHED + 2 * H]) == PUBLISHED + 24 * H
    assert analytics.next_refresh(PUBLISHED, [PUBLISHED + 8 * D]) is None


# ---- value ----------------------------------------------------------------------------------


def test_value_of_three_likes_a_repost_and_a_lead_is_106() -> None:
    # 3 likes x 1 + 1 repost x 3 + 1 lead x 100 = 3 + 3 + 100 = 106
    m = snap(likes=3, reposts=1, replies=0)
    assert analytics.post_value(m, [outcome("lead")], VALUES) == 106


def test_value_counts_replies_and_quotes() -> None:
    # 2 likes x 1 + 0 reposts + 4 replies x 5 + 2 quotes x 3 = 2 + 20 + 6 = 28
    assert analytics.post_value(snap(likes=2, replies=4, quotes=2), [], VALUES) == 28


def test_an_outcomes_own_value_overrides_its_kinds() -> None:
    # 1 like x 1 + a meeting worth 80 instead of 50 + a referral at its default 40 = 121
    outcomes = [outcome("meeting", 80), outcome("referral")]
    assert analytics.post_value(snap(likes=1), outcomes, VALUES) == 121
    # an outcome valued 0 on purpose is worth 0, not the kind's 50
    assert analytics.post_value(None, [outcome("meeting", 0)], VALUES) == 0


def test_changed_values_are_used() -> None:
    # like=2, lead=150: 3 x 2 + 1 x 150 = 156 (repost stays 3: 1 x 3 -> 159)
    values = {**VALUES, "like": 2.0, "lead": 150.0}
    assert analytics.post_value(snap(likes=3, reposts=1), [outcome("lead")], values) == 159


def test_unavailable_counts_are_worth_nothing_but_outcomes_still_count() -> None:
    m = snap(likes=None, reposts=None, replies=None,
             unavailable="LinkedIn no da las reacciones a esta cuenta.")
    assert m.engagement is None
    # only the prospect reply: 20
    assert analytics.post_value(m, [outcome("prospect_reply")], VALUES) == 20
    assert analytics.post_value(None, [], VALUES) == 0


def test_a_missing_count_is_not_a_zero_but_the_others_count() -> None:
    # LinkedIn-like: 7 likes, reposts unknown, 2 comments: engagement 9, value 7 + 10 = 17
    m = snap(likes=7, reposts=None, replies=2)
    assert m.engagement == 9
    assert analytics.post_value(m, [], VALUES) == 17


def test_merge_values_ignores_a_badly_edited_setting() -> None:
    merged = analytics.merge_values({"like": 2, "lead": "mucho", "meeting": -5, "raro": 3})
    assert merged["like"] == 2 and merged["lead"] == 100 and merged["meeting"] == 50
    assert "raro" not in merged
    assert analytics.merge_values(None) == VALUES


def test_check_values_and_kinds_refuse_bad_input() -> None:
    with pytest.raises(CuratorError, match="Unknown kind 'cena'"):
        analytics.check_values({"cena": 5})
    with pytest.raises(CuratorError, match="0 or more"):
        analytics.check_values({"like": -1})
    with pytest.raises(CuratorError, match="0 or more"):
        analytics.check_values({"like": float("nan")})
    assert analytics.check_values({"lead": 150, "like": None}) == {"lead": 150.0, "like": None}
    assert analytics.check_kind("Prospect reply") == "prospect_reply"
    with pytest.raises(CuratorError, match="Unknown outcome"):
        analytics.check_kind("like")


# ---- content mix ----------------------------------------------------------------------------


def test_mix_shares_of_ten_posts() -> None:
    # 2 own, 5 third-party, 1 competitor, 2 about no item: 20% / 50% / 10% / 0% / 20%
    roles = [Role.OWN] * 2 + [Role.THIRD_PARTY] * 5 + [Role.COMPETITOR] + [None] * 2
    shares = analytics.mix_shares(roles)
    assert shares == {"own": 0.2, "third-party": 0.5, "competitor": 0.1, "approved": 0.0,
                      "none": 0.2}
    assert sum(shares.values()) == pytest.approx(1)
    assert analytics.mix_counts(roles)["third-party"] == 5


def test_mix_shares_read_stored_role_names_and_approved() -> None:
    # "approved" (green-lit content, issue 8) is its own key; an unknown name is "none"
    shares = analytics.mix_shares(["approved", "own", "third-party", "rara"])
    assert shares == {"own": 0.25, "third-party": 0.25, "competitor": 0.0, "approved": 0.25,
                      "none": 0.25}


def test_mix_of_no_posts_is_all_zero() -> None:
    assert set(analytics.mix_shares([]).values()) == {0.0}


def test_too_promotional_when_own_share_is_over_the_target() -> None:
    target = analytics.DEFAULT_MIX_TARGET  # own 0.2
    # 1 own in 5 = 20%: exactly the target, fine; 2 in 5 = 40%: too promotional
    assert not analytics.too_promotional(
        analytics.mix_shares([Role.OWN] + [Role.THIRD_PARTY] * 4), target)
    assert analytics.too_promotional(
        analytics.mix_shares([Role.OWN] * 2 + [Role.THIRD_PARTY] * 3), target)
    assert not analytics.too_promotional(analytics.mix_shares([]), target)


def test_mix_target_is_checked() -> None:
    assert analytics.check_mix_target({"own": 0.33, "third-party": 0.33, "competitor": 0.34}) \
        == {"own": 0.33, "third-party": 0.33, "competitor": 0.34, "approved": 0.0}
    with pytest.raises(CuratorError, match="add up to 90%"):
        analytics.check_mix_target({"own": 0.3, "third-party": 0.6})
    with pytest.raises(CuratorError, match="from 0 to 1"):
        analytics.check_mix_target({"own": 1.5})
    with pytest.raises(CuratorError, match="Unknown share 'propio'"):
        analytics.check_mix_target({"propio": 1})


# ---- reach ----------------------------------------------------------------------------------


def test_what_if_for_a_team() -> None:
    # 10 people x 500 contacts x 2 networks = 10 000; 2% clicks = 200; 5% engage = 500
    got = analytics.what_if(10, 500, 2, 0.02, 0.05)
    assert got.reach == 10_000
    assert got.clicks == pytest.approx(200)
    assert got.engagements == pytest.approx(500)
    # one person, 1 200 contacts, 3 networks, 1.5% clicks: 3 600 reached, 54 clicks
    one = analytics.what_if(1, 1200, 3, 0.015, 0)
    assert (one.reach, one.clicks, one.engagements) == (3600, pytest.approx(54), 0)


def test_what_if_refuses_bad_numbers() -> None:
    with pytest.raises(CuratorError, match="people"):
        analytics.what_if(-1, 10, 1, 0.1, 0.1)
    with pytest.raises(CuratorError, match="2% is 0.02"):
        analytics.what_if(1, 10, 1, 2, 0.1)


def test_reach_estimate_prefers_impressions_then_followers() -> None:
    assert analytics.reach_estimate(1500, 4200) == 4200
    assert analytics.reach_estimate(1500, None) == 1500
    assert analytics.reach_estimate(None, None) is None
    assert analytics.reach_estimate(None, 0) == 0


# ---- totals per week, month, account, feed, role ----------------------------------------------


def facts() -> list[PostFacts]:
    return [
        # week of 3 June: 3 likes + 1 repost + a lead = 106; 2 replies = 10 -> 116
        PostFacts(1, PUBLISHED, "Lucía", "Blog de Ana", "third-party",
                  snap(1, likes=3, reposts=1), (outcome("lead", post_id=1),)),
        PostFacts(2, PUBLISHED + 2 * D, "Equipo", "Nuestra empresa", "own",
                  snap(2, likes=0, replies=2)),
        # week of 10 June: unavailable (a meeting still counts: 50), and one not fetched yet
        PostFacts(3, PUBLISHED + 7 * D, "Lucía", "Nuestra empresa", "own",
                  snap(3, None, None, None, unavailable="No disponible."),
                  (outcome("meeting", post_id=3),)),
        PostFacts(4, PUBLISHED + 8 * D, "Lucía", "", "none", None),
        # week of 24 June (17 June is empty), and in July: 4 likes + 1 quote x 3 = 7
        PostFacts(5, datetime(2024, 7, 1, 8, 0, tzinfo=UTC), "Equipo", "Competidor", "competitor",
                  snap(5, likes=4, reposts=0, replies=0, quotes=1, impressions=900)),
    ]


def test_totals_exclude_unavailable_counts_but_report_them() -> None:
    total = analytics.totals(facts(), VALUES)
    assert (total.posts, total.likes, total.reposts, total.replies, total.quotes) == \
        (5, 7, 1, 2, 1)
    assert total.engagement == 11  # 3 + 1 + 2 + 4 + 1
    assert total.impressions == 900
    assert total.outcomes == 2
    assert total.value == 116 + 50 + 7  # 173
    assert (total.unavailable, total.unmeasured) == (1, 1)


def test_weeks_have_no_gaps() -> None:
    weeks = analytics.periods(facts(), VALUES)
    assert [w.week_start for w in weeks] == [date(2024, 6, 3), date(2024, 6, 10),
                                            date(2024, 6, 17), date(2024, 6, 24),
                                            date(2024, 7, 1)]
    first, second, empty, _, july = weeks
    assert (first.posts, first.likes, first.replies, first.engagement, first.value) == \
        (2, 3, 2, 6, 116)
    assert (second.posts, second.value, second.unavailable, second.unmeasured) == (2, 50, 1, 1)
    assert (empty.posts, empty.value) == (0, 0)
    assert (july.posts, july.quotes, july.value) == (1, 1, 7)


def test_weeks_follow_start_and_end_and_the_zone() -> None:
    weeks = analytics.periods(facts()[:1], VALUES, start=PUBLISHED - 7 * D,
                              end=PUBLISHED + 14 * D)
    # the week before, the post's week, and the next one; `end` (a Monday 09:00) is in
    # the week of 17 June, which therefore shows
    assert [w.week_start for w in weeks] == [date(2024, 5, 27), date(2024, 6, 3),
                                            date(2024, 6, 10), date(2024, 6, 17)]
    # Sunday 23:30 UTC is already Monday in Madrid
    late = datetime(2024, 6, 9, 23, 30, tzinfo=UTC)
    assert analytics.week_of(late) == date(2024, 6, 3)
    assert analytics.week_of(late, ZoneInfo("Europe/Madrid")) == date(2024, 6, 10)


def test_months() -> None:
    months = analytics.periods(facts(), VALUES, monthly=True)
    assert [(m.week_start, m.posts, m.value) for m in months] == [
        (date(2024, 6, 1), 4, 166), (date(2024, 7, 1), 1, 7)]
    # December rolls over into January
    dec = PostFacts(9, datetime(2023, 12, 31, tzinfo=UTC), "Lucía", "", "none", None)
    jan = PostFacts(10, datetime(2024, 1, 2, tzinfo=UTC), "Lucía", "", "none", None)
    assert [m.week_start for m in analytics.periods([dec, jan], VALUES, monthly=True)] == \
        [date(2023, 12, 1), date(2024, 1, 1)]


def test_per_account_feed_and_role() -> None:
    per_account = analytics.group_totals(facts(), VALUES, "account")
    assert list(per_account) == ["Equipo", "Lucía"]
    assert (per_account["Lucía"].posts, per_account["Lucía"].value) == (3, 156)  # 106 + 50 + 0
    assert (per_account["Equipo"].posts, per_account["Equipo"].value) == (2, 17)  # 10 + 7
    per_feed = analytics.group_totals(facts(), VALUES, "feed")
    assert per_feed["Nuestra empresa"].value == 60  # 10 + the meeting's 50
    assert per_feed[""].posts == 1
    per_role = analytics.role_totals(facts(), VALUES)
    assert list(per_role) == ["own", "third-party", "competitor", "approved", "none"]
    assert (per_role["own"].posts, per_role["own"].value) == (2, 60)
    assert (per_role["third-party"].value, per_role["competitor"].value) == (106, 7)
    assert per_role["approved"].posts == 0


# ---- CSV ------------------------------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_are_made_text() -> None:
    data = analytics.csv_bytes([
        ["text", "n"],
        ["=HYPERLINK(\"http://malo.example\",\"clic\")", 3],
        ["+34 600 000 000", -2],
        ["-resta", 1.5],
        ["@SUM(A1)", 0],
        ["\tTab", None],
        ["Campaña de otoño, «bien»", 7],
    ])
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel looks for
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["'=HYPERLINK(\"http://malo.example\",\"clic\")", "3"]
    assert rows[2] == ["'+34 600 000 000", "-2"]  # numbers stay numbers
    assert rows[3][0] == "'-resta" and rows[4][0] == "'@SUM(A1)" and rows[5][0] == "'\tTab"
    assert rows[6] == ["Campaña de otoño, «bien»", "7"]
