"""Fill my week, the pure part: the mix rules on hand-made cases (curator.planning)."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from curator.errors import CuratorError
from curator.planning import (
    Booked,
    Candidate,
    FreeSlot,
    Placement,
    mix_problems,
    order_candidates,
    own_rule,
    post_text,
    propose,
)
from curator.types import Role

MONDAY = datetime(2024, 6, 3, 7, 0, tzinfo=UTC)


def cand(n: int, role: Role = Role.THIRD_PARTY, *, feed: int | None = None, age_h: int = 0,
         starred: bool = True, annotated: bool = False) -> Candidate:
    return Candidate(
        item_id=n, title=f"Artículo {n}", link=f"https://ejemplo.es/{n}",
        feed_id=n if feed is None else feed, source=f"Fuente {feed or n}", role=role,
        date=MONDAY - timedelta(hours=age_h), starred=starred, annotated=annotated,
        text=f"Mi comentario sobre el artículo {n}")


def slots(count: int, account: int = 1, name: str = "Ana en X", *, every_h: int = 4,
          start: datetime = MONDAY) -> list[FreeSlot]:
    return [FreeSlot(account, name, start + timedelta(hours=every_h * i)) for i in range(count)]


def roles_of(placed: list[Placement], account: int = 1) -> list[Role]:
    return [p.role for p in sorted(placed, key=lambda p: p.at) if p.account_id == account]


def own_windows_ok(roles: list[Role | None], k: int = 1, n: int = 3) -> bool:
    return all(sum(1 for r in roles[s:s + n] if r is Role.OWN) <= k
               for s in range(max(1, len(roles) - n + 1)))


# ---- own share --------------------------------------------------------------------------------


def test_own_posts_never_more_than_one_in_three_even_when_they_are_the_best():
    # The six newest, starred and annotated items are all the company's own.
    own = [cand(i, Role.OWN, age_h=i, annotated=True) for i in range(1, 7)]
    others = [cand(10 + i, Role.THIRD_PARTY, age_h=20 + i) for i in range(6)]
    placed = propose(own + others, slots(9))
    roles = roles_of(placed)
    assert len(placed) == 9
    assert own_windows_ok(roles)
    assert roles.count(Role.OWN) == 3  # as many as the rule allows: 1 in every 3
    assert not mix_problems(placed)


def test_own_only_leaves_slots_free_rather_than_break_the_rule():
    # Windows count posts, not slots: two own posts with empty slots between them would
    # still be two in a row.
    placed = propose([cand(i, Role.OWN, age_h=i) for i in range(1, 6)], slots(6))
    assert [(p.item_id, p.at) for p in placed] == [(1, MONDAY)]


@pytest.mark.parametrize("share,k,n", [(1 / 3, 1, 3), (0.5, 1, 2), (0.4, 2, 5), (0, 0, 1),
                                       (1, 1, 1), (0.33, 1, 3)])
def test_share_is_read_as_k_in_n(share, k, n):
    assert own_rule(share) == (k, n)


@pytest.mark.parametrize("bad", [-0.1, 1.5, "mucho", None])
def test_a_share_outside_0_1_is_one_clear_error(bad):
    with pytest.raises(CuratorError, match="between 0 and 1"):
        own_rule(bad)


def test_share_zero_places_no_own_post_and_share_one_no_limit():
    items = [cand(i, Role.OWN, age_h=i) for i in range(1, 4)]
    assert propose(items, slots(3), max_own_share=0) == []
    assert roles_of(propose(items, slots(3), max_own_share=1)) == [Role.OWN] * 3


def test_posts_already_booked_count_in_the_own_window():
    # An own post is already queued just before the week's first free slot.
    booked = [Booked(1, MONDAY - timedelta(hours=1), Role.OWN, 99)]
    items = [cand(1, Role.OWN, age_h=1), cand(2, Role.THIRD_PARTY, age_h=5),
             cand(3, Role.COMPETITOR, age_h=6)]
    placed = propose(items, slots(3), booked=booked)
    assert roles_of(placed) == [Role.THIRD_PARTY, Role.COMPETITOR, Role.OWN]
    timeline = [Role.OWN] + roles_of(placed)
    assert own_windows_ok(timeline)


def test_each_account_has_its_own_window():
    items = [cand(i, Role.OWN, age_h=i) for i in range(1, 5)]
    both = slots(2, 1, "Ana en X") + slots(2, 2, "Ana en LinkedIn")
    placed = propose(items, both)
    assert sorted(p.account_id for p in placed) == [1, 2]  # one own post on each


# ---- sources and roles ------------------------------------------------------------------------


def test_never_the_same_source_twice_in_a_row_on_one_account():
    # Four items from one feed (the newest), two from others.
    same = [cand(i, feed=7, age_h=i) for i in range(1, 5)]
    other = [cand(10, feed=8, age_h=30), cand(11, feed=9, age_h=31)]
    placed = propose(same + other, slots(6))
    feeds = [p.feed_id for p in placed]
    assert all(a != b for a, b in pairwise(feeds))
    assert feeds == [7, 8, 7, 9, 7]  # the sixth slot: only feed 7 is left, next to feed 7


def test_same_source_allowed_on_two_different_accounts_at_once():
    items = [cand(1, feed=7), cand(2, feed=7, age_h=1)]
    placed = propose(items, slots(1, 1) + slots(1, 2, "Ana en Mastodon"))
    assert [p.feed_id for p in placed] == [7, 7]


def test_booked_post_from_the_same_source_is_a_neighbour_too():
    booked = [Booked(1, MONDAY + timedelta(hours=1), Role.THIRD_PARTY, 7)]
    placed = propose([cand(1, feed=7), cand(2, feed=8, age_h=3)], slots(1), booked=booked)
    assert [p.feed_id for p in placed] == [8]


def test_competitors_and_third_parties_spread_out():
    # The competitors are the newest: a plain newest-first order would bunch them together.
    competitors = [cand(i, Role.COMPETITOR, age_h=i) for i in range(1, 4)]
    third = [cand(10 + i, Role.THIRD_PARTY, age_h=10 + i) for i in range(3)]
    placed = propose(competitors + third, slots(6))
    roles = roles_of(placed)
    assert sorted(roles) == sorted([Role.COMPETITOR] * 3 + [Role.THIRD_PARTY] * 3)
    assert all(a != b for a, b in pairwise(roles))


def test_a_role_repeats_only_when_nothing_else_is_left():
    items = [cand(1, Role.COMPETITOR), cand(2, Role.THIRD_PARTY, age_h=1),
             cand(3, Role.THIRD_PARTY, age_h=2)]
    assert roles_of(propose(items, slots(3))) == [
        Role.COMPETITOR, Role.THIRD_PARTY, Role.THIRD_PARTY]


# ---- order and determinism ------------------------------------------------------------------


def test_starred_and_annotated_first_then_newest_first():
    items = [
        cand(1, age_h=1, starred=True, annotated=False),
        cand(2, age_h=50, starred=True, annotated=True),
        cand(3, age_h=2, starred=False, annotated=True),
        cand(4, age_h=40, starred=True, annotated=True),
    ]
    assert [c.item_id for c in order_candidates(items)] == [4, 2, 1, 3]
    placed = propose(items, slots(4))
    assert [p.item_id for p in placed] == [4, 2, 1, 3]


def test_more_candidates_than_slots_keeps_the_best():
    items = [cand(i, age_h=i) for i in range(1, 10)]
    assert [p.item_id for p in propose(items, slots(3))] == [1, 2, 3]


def test_slots_across_accounts_are_filled_by_time_and_each_item_once():
    items = [cand(i, age_h=i) for i in range(1, 5)]
    x = slots(2, 1, "Ana en X", start=MONDAY + timedelta(hours=1))
    li = slots(2, 2, "Ana en LinkedIn")
    placed = propose(items, x + li)
    assert [(p.account, p.item_id) for p in placed] == [
        ("Ana en LinkedIn", 1), ("Ana en X", 2), ("Ana en LinkedIn", 3), ("Ana en X", 4)]
    assert placed == sorted(placed, key=lambda p: p.at)


def test_same_seed_same_proposal_whatever_the_input_order():
    # Equal dates: only the tie-break decides.
    items = [cand(i, feed=i) for i in range(1, 9)]
    one = propose(items, slots(5), rng=random.Random(42))
    two = propose(list(reversed(items)), slots(5), rng=random.Random(42))
    assert one == two
    assert [p.item_id for p in propose(items, slots(5))] == [8, 7, 6, 5, 4]  # no rng: by id


def test_nothing_to_place_or_nowhere_to_place():
    assert propose([], slots(3)) == []
    assert propose([cand(1)], []) == []


def test_an_item_with_nothing_to_say_is_not_placed():
    mute = dataclasses.replace(cand(1), text="", title=None, link=None)
    assert [p.item_id for p in propose([mute, cand(2, age_h=5)], slots(2))] == [2]


# ---- texts and the checker for edited proposals --------------------------------------------


def test_post_text_is_the_commentary_else_title_and_link():
    assert post_text("  Muy recomendable.  ", "Título", "https://x.es/a") == "Muy recomendable."
    assert post_text("", "Título", "https://x.es/a") == "Título\n\nhttps://x.es/a"
    assert post_text(None, None, "https://x.es/a") == "https://x.es/a"


def test_mix_problems_names_the_account_and_the_rule():
    def row(n: int, role: Role, feed: int, hours: int) -> Placement:
        return Placement(1, "Ana en X", MONDAY + timedelta(hours=hours), n, "t", None,
                         "Blog de la empresa", feed, role, "texto")

    edited = [row(1, Role.OWN, 1, 0), row(2, Role.OWN, 1, 4), row(3, Role.THIRD_PARTY, 2, 8)]
    problems = mix_problems(edited)
    assert problems == ["Ana en X: more than 1 own-company post in 3 in a row.",
                        "Ana en X: the same source (Blog de la empresa) twice in a row."]
    fine = [row(1, Role.OWN, 1, 0), row(2, Role.THIRD_PARTY, 2, 4), row(3, Role.OWN, 3, 12)]
    assert mix_problems(fine, max_own_share=0.5) == []
    assert mix_problems(fine) != []  # 2 in 3 is too many at 1/3
    # A booked own post right before counts.
    assert mix_problems([row(1, Role.OWN, 1, 0)],
                        booked=[Booked(1, MONDAY - timedelta(hours=1), Role.OWN, 5)])


def test_placement_json_has_utc_time_and_role():
    placed = propose([cand(1, Role.COMPETITOR)], slots(1))
    data = placed[0].to_json()
    assert data["at"] == "2024-06-03T07:00:00Z"
    assert data["role"] == "competitor"
    assert data["text"] == "Mi comentario sobre el artículo 1"


# ---- the core: candidates, proposal, accept (Curator) ----------------------------------------

# Saturday 1 June 2024, 12:00 UTC: the coming week's default slots are Mon–Fri 09:00, 17:30.
from corehelp import T0, Clock, add, entry, store  # noqa: E402

from curator import Curator, ItemQuery  # noqa: E402
from curator.planning import ProposalError  # noqa: E402
from curator.types import PostState  # noqa: E402

MADRID = "Europe/Madrid"


@pytest.fixture
def cur(tmp_path):
    with Curator(tmp_path / "data", now=Clock(T0)) as c:
        yield c


def _items(cur: Curator, name: str, role: Role, count: int, hours: int = 0) -> list[int]:
    feed = add(cur, name, role=role)
    store(cur, feed, [entry(f"{name}-{n}", title=f"{name.capitalize()}: noticia {n}",
                            published=T0 - timedelta(hours=hours + n))
                      for n in range(count)])
    page = cur.list_items(ItemQuery(feed_id=feed), limit=100)
    return [i.id for i in page.items]  # newest first


def _star(cur: Curator, ids: list[int]) -> None:
    cur.mark_items(ids, starred=True)


def test_candidates_are_starred_or_annotated_and_not_yet_shared(cur: Curator) -> None:
    ids = _items(cur, "blog", Role.THIRD_PARTY, 6)
    _star(cur, ids[:2])
    cur.annotate(ids[2], note="Leer con calma")  # a note is an annotation too
    cur.annotate(ids[3], commentary="Muy buen resumen de la campaña.")
    cur.add_account("mastodon", name="Ana", api_base="https://m.example", timezone=MADRID)
    # ids[0]: a post on its way -> shared. ids[1]: a post cancelled -> not shared.
    # ids[3]: a draft only -> not shared.
    for item_id in (ids[0], ids[1], ids[3]):
        draft = cur.new_draft(item_id=item_id, text="Texto")
        if item_id != ids[3]:
            post = cur.queue_post(draft.id, "Ana", T0 + timedelta(days=3))
            if item_id == ids[1]:
                cur.cancel_post(post.id)
    found = {c.item_id: c for c in cur.fill_week_candidates()}
    assert set(found) == {ids[1], ids[2], ids[3]}  # ids[4], ids[5]: neither starred nor noted
    assert found[ids[3]].text == "Muy buen resumen de la campaña."
    assert found[ids[3]].annotated and not found[ids[3]].starred
    assert found[ids[1]].text == "Blog: noticia 1\n\nhttps://example.com/blog-1"
    assert found[ids[2]].annotated and found[ids[2]].role is Role.THIRD_PARTY


def test_a_published_post_makes_its_item_shared(cur: Curator) -> None:
    ids = _items(cur, "blog", Role.THIRD_PARTY, 2)
    _star(cur, ids)
    cur.add_account("mastodon", name="Ana", api_base="https://m.example", timezone=MADRID)
    post = cur.queue_post(cur.new_draft(item_id=ids[0], text="Hecho").id, "Ana",
                          T0 + timedelta(hours=1))
    cur.cancel_post(post.id)
    assert {c.item_id for c in cur.fill_week_candidates()} == set(ids)
    with cur.storage.db.transaction() as db:  # as publish_due leaves it
        db.execute("UPDATE posts SET state = 'published' WHERE id = ?", (post.id,))
    assert {c.item_id for c in cur.fill_week_candidates()} == {ids[1]}


def test_propose_week_fills_free_slots_with_the_mix(cur: Curator) -> None:
    own = _items(cur, "empresa", Role.OWN, 4)  # the newest
    third = _items(cur, "prensa", Role.THIRD_PARTY, 3, hours=10)
    rival = _items(cur, "rival", Role.COMPETITOR, 3, hours=20)
    _star(cur, own + third + rival)
    ana = cur.add_account("mastodon", name="Ana", api_base="https://m.example",
                          timezone=MADRID)
    cur.set_slots("Ana", ["Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00",
                          "Mon-Fri 17:30"])
    # Tuesday 09:00 Madrid is taken already, by an own-company post.
    taken = datetime(2024, 6, 4, 7, 0, tzinfo=UTC)
    cur.queue_post(cur.new_draft(item_id=own[3], text="Ya en cola").id, "Ana", taken)
    placed = cur.propose_week([ana.id], T0, T0 + timedelta(days=7))
    times = [p.at for p in placed]
    free = cur.free_slots("Ana", T0, T0 + timedelta(days=7))
    assert taken not in times and set(times) <= set(free)
    assert times == sorted(times) and len(placed) == len(free) == 8
    assert own[3] not in {p.item_id for p in placed}  # shared already
    own_feed = cur.get_item(own[3]).feed_id
    timeline = sorted([(taken, Role.OWN, own_feed)] + [(p.at, p.role, p.feed_id) for p in placed])
    assert own_windows_ok([r for _, r, _ in timeline])
    assert all(a[2] != b[2] for a, b in pairwise(timeline))
    assert placed[0].at == datetime(2024, 6, 3, 15, 30, tzinfo=UTC)  # Mon 17:30 Madrid


def test_the_share_setting_is_the_default_and_an_argument_overrides_it(cur: Curator) -> None:
    own = [i for n in range(3) for i in _items(cur, f"empresa{n}", Role.OWN, 1)]
    _star(cur, own)
    cur.add_account("x", name="Ana en X", timezone=MADRID)
    week = (T0, T0 + timedelta(days=7))
    assert len(cur.propose_week(["Ana en X"], *week)) == 1  # 1/3 by default
    cur.set_setting("mix_max_own_share", 0)
    assert cur.propose_week(["Ana en X"], *week) == []
    assert len(cur.propose_week(["Ana en X"], *week, max_own_share=1)) == 3


def test_propose_week_refuses_bad_input_in_one_sentence(cur: Curator) -> None:
    cur.add_account("x", name="Ana en X")
    with pytest.raises(CuratorError, match="at least one account"):
        cur.propose_week([], T0, T0 + timedelta(days=7))
    with pytest.raises(CuratorError, match="time zone"):
        cur.propose_week(["Ana en X"], datetime(2024, 6, 3), datetime(2024, 6, 9))
    with pytest.raises(CuratorError, match="between 0 and 1"):
        cur.propose_week(["Ana en X"], T0, T0 + timedelta(days=7), max_own_share=2)


def test_accept_creates_drafts_and_posts_at_the_proposed_times(cur: Curator) -> None:
    ids = _items(cur, "prensa", Role.THIRD_PARTY, 2) + _items(cur, "rival", Role.COMPETITOR, 2)
    _star(cur, ids)
    cur.annotate(ids[0], commentary="Interesante giro del sector, ¿qué opináis?")
    cur.add_account("x", name="Ana en X", timezone=MADRID)
    cur.add_account("mastodon", name="Ana", api_base="https://m.example", timezone=MADRID)
    placed = cur.propose_week(["Ana en X", "Ana"], T0, T0 + timedelta(days=7))
    assert len(placed) == 4
    edited = [placed[0], placed[1], dataclasses.replace(placed[2], text="Mi propio texto")]
    posts = cur.accept_proposal(edited)
    assert [(p.account_id, p.scheduled_at, p.state) for p in posts] == [
        (e.account_id, e.at, PostState.SCHEDULED) for e in edited]
    for post, row in zip(posts, edited, strict=True):
        draft = cur.get_draft(post.draft_id)
        assert draft.item_id == row.item_id and draft.text == row.text
        assert post.text.startswith(row.text.split("\n")[0])
    by_item = {e.item_id: p for e, p in zip(edited, posts, strict=True)}
    assert placed[0].item_id == ids[0]  # starred and annotated: first
    assert by_item[ids[0]].text.startswith("Interesante giro del sector, ¿qué opináis?")
    # Shared now: only the row left out is proposed again.
    again = cur.propose_week(["Ana en X", "Ana"], T0, T0 + timedelta(days=7))
    assert [p.item_id for p in again] == [placed[3].item_id]


def test_accept_is_all_or_nothing_unless_the_user_says_so(cur: Curator) -> None:
    ids = [i for n in range(3) for i in _items(cur, f"prensa{n}", Role.THIRD_PARTY, 1)]
    _star(cur, ids)
    cur.add_account("mastodon", name="Ana", api_base="https://m.example", char_limit=60,
                    timezone=MADRID)
    placed = cur.propose_week(["Ana"], T0, T0 + timedelta(days=7))[:3]
    rows = [placed[0], dataclasses.replace(placed[1], text="Demasiado largo. " * 10),
            dataclasses.replace(placed[2], at=T0 - timedelta(hours=2))]
    drafts_before = len(cur.list_drafts())
    with pytest.raises(ProposalError) as caught:
        cur.accept_proposal(rows)
    problems = dict(caught.value.problems)
    assert set(problems) == {1, 2}
    assert "over its limit" in problems[1] and "passed" in problems[2]
    assert "none was" in str(caught.value)
    assert cur.list_queue() == [] and len(cur.list_drafts()) == drafts_before
    posts = cur.accept_proposal(rows, skip_failing=True)
    assert [p.scheduled_at for p in posts] == [placed[0].at]
    with pytest.raises(ProposalError, match="already shared"):
        cur.accept_proposal([placed[0]])  # twice: refused, nothing doubled
    assert len(cur.list_queue()) == 1


def test_an_item_twice_in_one_proposal_is_refused(cur: Curator) -> None:
    ids = _items(cur, "prensa", Role.THIRD_PARTY, 1)
    _star(cur, ids)
    cur.add_account("x", name="Ana en X", timezone=MADRID)
    row = cur.propose_week(["Ana en X"], T0, T0 + timedelta(days=7))[0]
    later = dataclasses.replace(row, at=row.at + timedelta(days=1))
    with pytest.raises(ProposalError, match="twice"):
        cur.accept_proposal([row, later])
    assert cur.list_queue() == []


def test_cli_plan_week_prints_then_accepts(tmp_path, capsys) -> None:
    import json

    from curator.cli import main

    data = tmp_path / "datos"
    with Curator(data) as c:
        ids = [i for n in range(3) for i in _items(c, f"prensa{n}", Role.THIRD_PARTY, 1)]
        _star(c, ids)
        c.annotate(ids[1], commentary="Lectura obligada para el equipo de ventas.")
        c.add_account("x", name="Ana en X", timezone=MADRID)
        c.set_slots("Ana en X", ["Mon 09:00", "Wed 09:00"])
    week = ["--data-dir", str(data), "plan", "week", "--start", "2030-06-03T00:00+02:00"]
    assert main([*week, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["at"] for r in rows] == ["2030-06-03T07:00:00Z", "2030-06-05T07:00:00Z"]
    assert rows[0]["text"] == "Lectura obligada para el equipo de ventas."
    assert main(week) == 0
    out = capsys.readouterr().out
    assert "Ana en X" in out and "      Lectura obligada para el equipo de ventas." in out
    assert main([*week, "--accept"]) == 0
    assert "Queued 2 posts." in capsys.readouterr().out
    with Curator(data) as c:
        assert [p.scheduled_at.isoformat() for p in c.list_queue()] == [
            "2030-06-03T07:00:00+00:00", "2030-06-05T07:00:00+00:00"]
    assert main([*week, "--accept"]) == 1  # the slots are taken now: nothing to queue
    assert "Nothing to queue" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "plan", "week", "--account", "Nadie"]) == 1
    assert "Nadie" in capsys.readouterr().err


def test_mix_problems_counts_booked_posts_but_blames_only_the_proposal():
    def row(n: int, role: Role, feed: int, hours: int) -> Placement:
        return Placement(1, "Ana en X", MONDAY + timedelta(hours=hours), n, "t", None,
                         "Blog", feed, role, "texto")

    # Two own rows alone break 1-in-3; two booked third-party posts between them do not.
    rows = [row(1, Role.OWN, 1, 0), row(2, Role.OWN, 2, 72)]
    between = [Booked(1, MONDAY + timedelta(hours=h), Role.THIRD_PARTY, 9) for h in (24, 48)]
    assert mix_problems(rows) == ["Ana en X: more than 1 own-company post in 3 in a row."]
    assert mix_problems(rows, booked=between) == []  # same source twice: booked, not ours
    # A row next to a booked post of its own source is the proposal's doing.
    assert mix_problems([row(3, Role.THIRD_PARTY, 9, 30)], booked=between) == \
        ["Ana en X: the same source (Blog) twice in a row."]
