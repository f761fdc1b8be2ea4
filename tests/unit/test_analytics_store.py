"""Analytics in the core: metrics snapshots (due-ness, history, unavailable, failures),
outcomes, values, the content mix, stats, source ranking, followers, reach and the CSV
export, on a real database; counts from a stand-in connector, and from the local Mastodon
server (tests/mastodonserver.py) end to end."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from corehelp import Clock, add, entry, store
from mastodonserver import MastodonServer

from curator import Curator
from curator import _schema as schema
from curator._analytics import OutcomeNotFoundError
from curator.connectors.base import Failure, PostMetrics, Published, PublishError, post_gone
from curator.errors import AccountNotFoundError, CuratorError, PostNotFoundError, PostStateError
from curator.types import Account, MetricsSnapshot, Role

T = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
D = timedelta(days=1)


class FakeNetwork:
    """A connector that publishes at once and reports the counts the test sets."""

    idempotent = True

    def __init__(self) -> None:
        self.counts: dict[str, PostMetrics] = {}
        self.errors: dict[str, Exception] = {}
        self.asked: list[str] = []
        self.follower_count: int | None = 1234

    def publish(self, post: Any) -> Published:
        return Published(f"r{post.post_id}", f"https://red.example/@lucia/{post.post_id}")

    def find_published(self, post: Any) -> None:
        return None

    def metrics(self, remote_id: str, url: str | None = None) -> PostMetrics:
        self.asked.append(remote_id)
        if remote_id in self.errors:
            raise self.errors[remote_id]
        return self.counts.get(remote_id, PostMetrics(0, 0, 0))

    def followers(self) -> int | None:
        return self.follower_count


@pytest.fixture
def clock() -> Clock:
    return Clock(T)


@pytest.fixture
def cur(tmp_path: Path, clock: Clock) -> Iterator[Curator]:
    with Curator(tmp_path / "data", now=clock) as c:
        c.add_account("webhook", name="Lucía", api_base="http://127.0.0.1:9/hook")
        c.add_account("webhook", name="Equipo", api_base="http://127.0.0.1:9/hook")
        yield c


@pytest.fixture
def net() -> FakeNetwork:
    return FakeNetwork()


def publish(cur: Curator, net: FakeNetwork, at: datetime, text: str = "Lectura del lunes",
            account: str = "Lucía", item_id: int | None = None) -> int:
    """A post about the item (or none), queued for `at` and published then."""
    draft = cur.new_draft(item_id=item_id, text=text)
    post = cur.queue_post(draft.id, account, at)
    cur.publisher.publish_due(at, cur.curation.get_account, lambda a: net)
    assert cur.get_post(post.id).published_at == at
    return post.id


def fetch(cur: Curator, net: FakeNetwork, ids: list[int] | None = None,
          now: datetime | None = None) -> list[MetricsSnapshot]:
    return cur.fetch_metrics(ids, now=now, _connector_for=lambda a: net)


def items(cur: Curator) -> dict[str, int]:
    """One item in each of three feeds: own company, a third party, a competitor."""
    out = {}
    for name, role in (("empresa", Role.OWN), ("blog", Role.THIRD_PARTY),
                       ("rival", Role.COMPETITOR)):
        feed_id = add(cur, name, role=role)
        cur.update_feed(feed_id, title=f"Feed {name}")
        store(cur, feed_id, [entry(f"{name}-1", title=f"Artículo de {name}")])
        out[name] = _item_of(cur, feed_id)
    return out


def _item_of(cur: Curator, feed_id: int) -> int:
    from curator._storage import ItemQuery

    return cur.list_items(ItemQuery(feed_id=feed_id)).items[0].id


# ---- fetching counts ------------------------------------------------------------------------


def test_counts_are_fetched_at_one_hour_one_day_and_one_week_and_kept(
        cur: Curator, net: FakeNetwork) -> None:
    assert cur.next_metrics_due() is None
    post_id = publish(cur, net, T)
    assert cur.next_metrics_due() == T + H
    assert fetch(cur, net, now=T + 30 * timedelta(minutes=1)) == []
    net.counts[f"r{post_id}"] = PostMetrics(likes=2, reposts=0, replies=1)
    [first] = fetch(cur, net, now=T + H)
    assert (first.post_id, first.likes, first.replies, first.fetched_at) == \
        (post_id, 2, 1, T + H)
    assert fetch(cur, net, now=T + 2 * H) == []  # the 1 h point is done
    assert cur.next_metrics_due(T + 2 * H) == T + 24 * H
    net.counts[f"r{post_id}"] = PostMetrics(likes=9, reposts=3, replies=4, quotes=1)
    [second] = fetch(cur, net, now=T + 25 * H)
    assert second.likes == 9
    net.counts[f"r{post_id}"] = PostMetrics(likes=12, reposts=3, replies=4, quotes=1)
    assert len(fetch(cur, net, now=T + 8 * D)) == 1
    assert fetch(cur, net, now=T + 30 * D) == []  # all three done
    assert cur.next_metrics_due(T + 30 * D) is None
    history = cur.metrics_history(post_id)
    assert [m.likes for m in history] == [2, 9, 12]  # every fetch is a row
    assert [m.fetched_at for m in history] == [T + H, T + 25 * H, T + 8 * D]
    assert cur.latest_metrics()[post_id].likes == 12
    assert cur.latest_metrics([post_id])[post_id].engagement == 12 + 3 + 4 + 1


def test_named_posts_are_always_fetched(cur: Curator, net: FakeNetwork, clock: Clock) -> None:
    post_id = publish(cur, net, T)
    clock.now = T + 5 * timedelta(minutes=1)
    assert len(fetch(cur, net, [post_id])) == 1  # before any refresh point
    assert len(fetch(cur, net, [post_id])) == 1  # and again at once
    assert len(cur.metrics_history(post_id)) == 2
    waiting = cur.queue_post(cur.new_draft(text="Mañana").id, "Lucía", T + 5 * D)
    with pytest.raises(PostStateError, match=f"Post {waiting.id} is not published"):
        fetch(cur, net, [post_id, waiting.id])
    with pytest.raises(PostNotFoundError, match="no post with id 999"):
        fetch(cur, net, [999])
    with pytest.raises(PostNotFoundError):
        cur.metrics_history(999)
    assert len(cur.metrics_history(post_id)) == 2  # nothing fetched for a refused batch


def test_unavailable_counts_are_kept_as_unavailable_never_zero(
        cur: Curator, net: FakeNetwork) -> None:
    post_id = publish(cur, net, T)
    why = "LinkedIn no da las reacciones a esta cuenta: necesita r_member_social."
    net.counts[f"r{post_id}"] = PostMetrics.not_available(why)
    [m] = fetch(cur, net, now=T + H)
    assert (m.likes, m.reposts, m.replies, m.unavailable) == (None, None, None, why)
    [stored] = cur.metrics_history(post_id)
    assert stored.likes is None and stored.unavailable == why and stored.engagement is None
    cur.add_outcome(post_id, "lead")
    stats = cur.stats()
    assert (stats.total.posts, stats.total.likes, stats.total.unavailable) == (1, 0, 1)
    assert stats.total.value == 100  # the lead counts; the counts are not zeros, just absent


def test_one_posts_failure_is_a_value_and_passing_faults_are_not_stored(
        cur: Curator, net: FakeNetwork) -> None:
    down, gone, fine, buggy = (publish(cur, net, T, f"Publicación {n}") for n in range(4))
    net.errors[f"r{down}"] = PublishError("Mastodon is not answering (timeout).",
                                          Failure.RETRYABLE)
    net.errors[f"r{gone}"] = post_gone("Mastodon", 404)
    net.errors[f"r{buggy}"] = KeyError("favourites_count")
    net.counts[f"r{fine}"] = PostMetrics(likes=5, reposts=1, replies=0)
    got = {m.post_id: m for m in fetch(cur, net, now=T + H)}
    assert got[down].unavailable == "Mastodon is not answering (timeout)."
    assert got[gone].unavailable == "The post is no longer on Mastodon."
    assert got[buggy].unavailable == "KeyError: 'favourites_count'"
    assert got[fine].likes == 5
    # the deleted post and the good one are stored; the passing faults are tried again
    assert set(cur.latest_metrics()) == {gone, fine}
    del net.errors[f"r{down}"]
    again = fetch(cur, net, now=T + 2 * H)
    assert {m.post_id for m in again} == {down, buggy}
    assert cur.latest_metrics()[down].likes == 0


def test_a_network_without_a_connector_is_stored_as_unavailable(
        cur: Curator, net: FakeNetwork) -> None:
    post_id = publish(cur, net, T)

    def no_connector(account: Account) -> Any:
        raise PublishError("Publishing to webhook is not available yet.", Failure.PERMANENT)

    [m] = cur.fetch_metrics(now=T + H, _connector_for=no_connector)
    assert m.unavailable == "Publishing to webhook is not available yet."
    assert cur.latest_metrics()[post_id].unavailable == m.unavailable


def test_posts_of_a_removed_account_are_not_due(cur: Curator, net: FakeNetwork) -> None:
    post_id = publish(cur, net, T)
    cur.remove_account("Lucía", keep_secrets=True)
    assert fetch(cur, net, now=T + H) == []
    [m] = fetch(cur, net, [post_id], now=T + H)
    assert "account was removed" in (m.unavailable or "")
    assert cur.metrics_history(post_id) == []


def test_old_posts_are_refreshed_only_on_demand(cur: Curator, net: FakeNetwork) -> None:
    post_id = publish(cur, net, T)
    assert fetch(cur, net, now=T + 90 * D) == []  # past the horizon: no burst of old posts
    assert len(fetch(cur, net, [post_id], now=T + 90 * D)) == 1


# ---- outcomes and values --------------------------------------------------------------------


def test_outcomes_are_logged_listed_and_removed(cur: Curator, net: FakeNetwork) -> None:
    post_id = publish(cur, net, T)
    lead = cur.add_outcome(post_id, "lead", note="  Pidió una demo  ")
    meeting = cur.add_outcome(post_id, "Meeting", value=80,
                              happened_at=datetime(2024, 6, 4, 10, 0, tzinfo=UTC))
    assert (lead.kind, lead.note, lead.value, lead.happened_at) == ("lead", "Pidió una demo",
                                                                    None, T)
    assert (meeting.kind, meeting.value) == ("meeting", 80.0)
    assert [o.id for o in cur.list_outcomes(post_id)] == [lead.id, meeting.id]
    assert cur.list_outcomes(post_id + 1) == []
    assert len(cur.list_outcomes()) == 2
    # 1 lead x 100 + the meeting's own 80 = 180 (no counts fetched yet)
    assert cur.stats().total.value == 180
    assert cur.remove_outcome(lead.id).kind == "lead"
    assert [o.id for o in cur.list_outcomes()] == [meeting.id]
    with pytest.raises(OutcomeNotFoundError, match=f"no outcome with id {lead.id}"):
        cur.remove_outcome(lead.id)


def test_outcomes_refuse_bad_input(cur: Curator, net: FakeNetwork) -> None:
    post_id = publish(cur, net, T)
    with pytest.raises(CuratorError, match="Unknown outcome 'cena'"):
        cur.add_outcome(post_id, "cena")
    with pytest.raises(CuratorError, match="0 or more"):
        cur.add_outcome(post_id, "lead", value=-10)
    with pytest.raises(CuratorError, match="time zone"):
        cur.add_outcome(post_id, "lead", happened_at=datetime(2024, 6, 4))
    with pytest.raises(PostNotFoundError):
        cur.add_outcome(999, "lead")
    assert cur.list_outcomes() == []


def test_values_are_editable_and_reset(cur: Curator, net: FakeNetwork) -> None:
    assert cur.values()["lead"] == 100 and cur.values()["like"] == 1
    post_id = publish(cur, net, T)
    net.counts[f"r{post_id}"] = PostMetrics(likes=3, reposts=1, replies=0)
    fetch(cur, net, now=T + H)
    cur.add_outcome(post_id, "lead")
    assert cur.stats().total.value == 106  # 3 x 1 + 1 x 3 + 100
    assert cur.set_values({"like": 2, "lead": 150})["lead"] == 150
    assert cur.stats().total.value == 159  # 3 x 2 + 1 x 3 + 150
    assert cur.set_values({"lead": None})["lead"] == 100  # back to the default
    assert cur.values()["like"] == 2
    with pytest.raises(CuratorError, match="Unknown kind"):
        cur.set_values({"abrazo": 1})
    cur.set_setting("values", "roto")  # edited badly by hand: the defaults hold
    assert cur.values()["like"] == 1


# ---- content mix ----------------------------------------------------------------------------


def test_content_mix_last_30_days_and_coming_week(cur: Curator, net: FakeNetwork,
                                                  clock: Clock) -> None:
    found = items(cur)
    publish(cur, net, T - 40 * D, item_id=found["empresa"])  # too old: not counted
    publish(cur, net, T - 3 * D, item_id=found["empresa"])
    publish(cur, net, T - 2 * D, item_id=found["blog"])
    publish(cur, net, T - 1 * D, item_id=found["rival"])
    publish(cur, net, T - 1 * D, text="Mis propias palabras")
    clock.now = T
    for n, item in enumerate(("empresa", "empresa", "blog")):
        cur.queue_post(cur.new_draft(item_id=found[item], text=f"Próximo {n}").id, "Lucía",
                       T + (n + 1) * D)
    cur.queue_post(cur.new_draft(item_id=found["blog"], text="Lejos").id, "Lucía", T + 9 * D)
    mix = cur.content_mix()
    # last 30 days: 1 own, 1 third-party, 1 competitor, 1 about no item: 25% each
    assert mix.last_30_days == {"own": 0.25, "third-party": 0.25, "competitor": 0.25,
                                "approved": 0.0, "none": 0.25}
    assert mix.last_30_days_counts["own"] == 1
    # coming week: 2 own of 3 (the post in 9 days is outside it)
    assert mix.coming_week["own"] == pytest.approx(2 / 3)
    assert mix.coming_week_counts == {"own": 2, "third-party": 1, "competitor": 0,
                                      "approved": 0, "none": 0}
    assert mix.target == {"own": 0.2, "third-party": 0.6, "competitor": 0.1, "approved": 0.1}
    assert mix.too_promotional  # 67% own against a target of 20%
    cur.set_mix_target({"own": 0.7, "third-party": 0.3})
    assert not cur.content_mix().too_promotional
    assert cur.set_mix_target(None)["own"] == 0.2
    with pytest.raises(CuratorError, match="add up to 50%"):
        cur.set_mix_target({"own": 0.5})
    assert cur.mix_target()["own"] == 0.2
    assert cur.content_mix(T + 30 * D).coming_week_counts["own"] == 0


# ---- stats and sources ----------------------------------------------------------------------


def test_stats_per_week_account_feed_and_role(cur: Curator, net: FakeNetwork) -> None:
    found = items(cur)
    a = publish(cur, net, T, item_id=found["blog"])
    b = publish(cur, net, T + 2 * D, item_id=found["empresa"], account="Equipo")
    c = publish(cur, net, T + 14 * D, item_id=found["blog"])
    net.counts[f"r{a}"] = PostMetrics(likes=3, reposts=1, replies=0)
    net.counts[f"r{b}"] = PostMetrics(likes=0, reposts=0, replies=2)
    net.counts[f"r{c}"] = PostMetrics.not_available("No disponible para esta cuenta.")
    fetch(cur, net, [a, b, c], now=T + 20 * D)
    cur.add_outcome(a, "lead")
    cur.add_outcome(c, "meeting")
    stats = cur.stats()
    # a: 3 + 3 + 100 = 106; b: 2 x 5 = 10; c: unavailable, the meeting's 50
    assert stats.total.value == 166 and stats.total.unavailable == 1
    assert [(w.week_start, w.posts, w.value) for w in stats.weeks] == [
        (date(2024, 6, 3), 2, 116), (date(2024, 6, 10), 0, 0), (date(2024, 6, 17), 1, 50)]
    assert [(m.week_start, m.posts) for m in stats.months] == [(date(2024, 6, 1), 3)]
    assert stats.per_account["Lucía"].value == 156 and stats.per_account["Equipo"].value == 10
    assert stats.per_feed["Feed blog"].posts == 2 and stats.per_feed["Feed empresa"].value == 10
    assert stats.per_role["third-party"].value == 156 and stats.per_role["own"].replies == 2
    # a window ending at midnight on Monday 10 June (exclusive): only the first week
    first = cur.stats(T, datetime(2024, 6, 10, tzinfo=UTC))
    assert (first.total.posts, first.total.value) == (2, 116)
    assert [w.week_start for w in first.weeks] == [date(2024, 6, 3)]
    data = stats.to_json()
    assert data["weeks"][0]["week_start"] == "2024-06-03" and data["total"]["value"] == 166


def test_sources_are_ranked_by_value_then_engagement(cur: Curator, net: FakeNetwork) -> None:
    found = items(cur)
    a = publish(cur, net, T, item_id=found["rival"])
    b = publish(cur, net, T + H, item_id=found["blog"])
    c = publish(cur, net, T + 2 * H, item_id=found["empresa"])
    publish(cur, net, T + 3 * H, text="Sin artículo")  # about no item: no source
    net.counts[f"r{a}"] = PostMetrics(likes=10, reposts=0, replies=0)  # value 10, eng. 10
    net.counts[f"r{b}"] = PostMetrics(likes=0, reposts=0, replies=2)  # value 10, eng. 2
    net.counts[f"r{c}"] = PostMetrics(likes=1, reposts=0, replies=0)  # 1 + a referral 40
    fetch(cur, net, [a, b, c])
    cur.add_outcome(c, "referral")
    ranking = cur.source_ranking()
    assert [(s.title, s.posts, s.engagement, s.value) for s in ranking] == [
        ("Feed empresa", 1, 1, 41), ("Feed rival", 1, 10, 10), ("Feed blog", 1, 2, 10)]
    assert ranking[0].role == "own" and ranking[0].feed_id is not None


# ---- followers and reach --------------------------------------------------------------------


def test_followers_entered_and_fetched_with_history(cur: Curator, net: FakeNetwork,
                                                    clock: Clock) -> None:
    assert cur.followers("Lucía") is None
    cur.set_followers("Lucía", 800)
    clock.advance(days=1)
    assert cur.fetch_followers("Lucía", _connector_for=lambda a: net) == 1234
    assert cur.followers("Lucía") == 1234
    assert [(f.count, f.source) for f in cur.followers_history("Lucía")] == [
        (800, "entered"), (1234, "network")]
    net.follower_count = None  # the network does not say: nothing stored
    assert cur.fetch_followers("Lucía", _connector_for=lambda a: net) is None
    assert cur.followers("Lucía") == 1234
    with pytest.raises(CuratorError, match="whole number"):
        cur.set_followers("Lucía", -3)
    with pytest.raises(AccountNotFoundError):
        cur.set_followers("Nadie", 3)


def test_reach_estimate_of_a_post(cur: Curator, net: FakeNetwork) -> None:
    post_id = publish(cur, net, T)
    assert cur.post_reach(post_id) is None
    cur.set_followers("Lucía", 900)
    assert cur.post_reach(post_id) == 900
    net.counts[f"r{post_id}"] = PostMetrics(likes=1, reposts=0, replies=0, impressions=4321)
    fetch(cur, net, [post_id])
    assert cur.post_reach(post_id) == 4321
    assert cur.what_if(5, 300, 2, 0.01, 0.03).reach == 3000


# ---- CSV export -----------------------------------------------------------------------------


def test_csv_export_has_a_header_a_row_per_post_and_no_formulas(
        cur: Curator, net: FakeNetwork, tmp_path: Path) -> None:
    found = items(cur)
    a = publish(cur, net, T, text="=HYPERLINK(\"http://malo.example\")\nsegunda línea",
                item_id=found["blog"])
    b = publish(cur, net, T + D, text="Campaña de otoño, «lectura»")
    net.counts[f"r{a}"] = PostMetrics(likes=3, reposts=1, replies=0, impressions=None)
    net.counts[f"r{b}"] = PostMetrics.not_available("No disponible.")
    fetch(cur, net, [a, b])
    cur.add_outcome(a, "lead")
    cur.add_outcome(a, "meeting", value=70)
    queued = cur.queue_post(cur.new_draft(text="Todavía no").id, "Lucía", T + 9 * D)
    out = tmp_path / "informe.csv"
    assert cur.export_csv(out) == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["id", "account", "network", "published_at", "url", "text", "item_title",
                       "source", "role", "likes", "reposts", "replies", "quotes",
                       "impressions", "unavailable", "outcomes", "outcome_value", "value"]
    assert len(rows) == 3 and str(queued.id) not in [r[0] for r in rows[1:]]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["text"] == "'=HYPERLINK(\"http://malo.example\")"  # first line, defused
    assert (first["id"], first["account"], first["network"]) == (str(a), "Lucía", "webhook")
    assert first["published_at"] == "2024-06-03T09:00:00Z"
    assert first["url"] == f"https://red.example/@lucia/{a}"
    assert (first["item_title"], first["source"], first["role"]) == \
        ("Artículo de blog", "Feed blog", "third-party")
    assert (first["likes"], first["reposts"], first["quotes"], first["impressions"]) == \
        ("3", "1", "", "")
    # 3 x 1 + 1 x 3 + a lead 100 + a meeting valued 70 = 176
    assert (first["outcomes"], first["outcome_value"], first["value"]) == \
        ("2", "170.0", "176.0")
    second = dict(zip(rows[0], rows[2], strict=True))
    assert (second["likes"], second["unavailable"], second["role"]) == \
        ("", "No disponible.", "none")
    assert second["text"] == "Campaña de otoño, «lectura»"
    with pytest.raises(CuratorError, match="Cannot write"):
        cur.export_csv(tmp_path / "no-existe" / "informe.csv")


# ---- the real thing: a local Mastodon server ---------------------------------------------------


class Secrets:
    def __init__(self, values: dict[tuple[int, str], str]):
        self.values = values

    def get(self, account_id: int, kind: str) -> str | None:
        return self.values.get((account_id, kind))


@pytest.fixture
def mastodon() -> Iterator[MastodonServer]:
    server = MastodonServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_counts_and_followers_from_a_local_mastodon_server(
        cur: Curator, mastodon: MastodonServer) -> None:
    token = mastodon.add_token(username="lucia")
    mastodon.followers["lucia"] = 321
    account = cur.add_account("mastodon", name="Lucía en Mastodon", api_base=mastodon.url)
    secrets = Secrets({(account.id, "access_token"): token})
    draft = cur.new_draft(text="¿Qué opináis de esta lectura sobre energía?")
    post = cur.queue_post(draft.id, account.name, T)
    [sent] = cur.publish_due(T, secrets=secrets)
    assert sent.remote_id
    mastodon.set_counts(sent.remote_id, favourites=4, reblogs=2, replies=1)
    [m] = cur.fetch_metrics(now=T + H, secrets=secrets)
    assert (m.post_id, m.likes, m.reposts, m.replies, m.unavailable) == (post.id, 4, 2, 1, None)
    assert cur.fetch_followers(account.name, secrets=secrets) == 321
    mastodon.delete_status(sent.remote_id)
    [gone] = cur.fetch_metrics([post.id], now=T + 2 * H, secrets=secrets)
    assert gone.unavailable == "The post is no longer on Mastodon."
    assert [x.likes for x in cur.metrics_history(post.id)] == [4, None]
    assert token not in (gone.unavailable or "")


# ---- schema ---------------------------------------------------------------------------------


def test_a_version_7_database_gains_the_analytics_tables(tmp_path: Path) -> None:
    data = tmp_path / "viejo"
    data.mkdir()
    v7 = schema.SCHEMA[:schema.SCHEMA.index("-- ---- analytics (v8)")]
    conn = sqlite3.connect(data / "curator.db")
    conn.executescript(v7 + "\nPRAGMA user_version = 7;")
    conn.execute("INSERT INTO accounts (name, network, created_at) VALUES "
                 "('Señal', 'webhook', '2024-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    with Curator(data, now=Clock(T)) as c:
        assert c.storage.db.conn.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
        c.set_followers("Señal", 10)
        assert c.followers("Señal") == 10
        assert c.latest_metrics() == {} and c.list_outcomes() == []
    assert (data / "curator.db.v7.bak").exists()
