"""What the user chose when queuing reaches the network: an optional disclaimer left out, a
long post split into a thread, the link card's summary and picture, each account's network
options (language, Mastodon visibility and server scheduling, LinkedIn-Version)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from corehelp import T0, Clock
from mastodonserver import MastodonServer

from curator import Curator
from curator import _schema as schema
from curator.connectors import connector_for
from curator.counting import mastodon_length, split_thread
from curator.errors import CuratorError
from curator.types import PostState

TOKEN = "token-de-lucía-123"
LONG = " ".join(f"Frase número {n} sobre la campaña de otoño en Madrid." for n in range(20))


class Secrets:
    """Stands in for the keyring (tests/e2e use the real one)."""

    def __init__(self, values: dict[tuple[int, str], str] | None = None):
        self.values = values or {}

    def get(self, account_id: int, kind: str) -> str | None:
        return self.values.get((account_id, kind))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cur(tmp_path: Path, clock: Clock) -> Iterator[Curator]:
    with Curator(tmp_path / "data", now=clock) as c:
        yield c


@pytest.fixture
def mastodon() -> Iterator[MastodonServer]:
    server = MastodonServer().start()
    server.add_token(TOKEN, username="lucia")
    try:
        yield server
    finally:
        server.stop()


def _row(cur: Curator, post_id: int) -> sqlite3.Row:
    row = cur.storage.db.conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
    assert row is not None
    return row


# ---- disclaimer -----------------------------------------------------------------------------


def test_an_optional_disclaimer_can_be_left_out_but_a_mandatory_one_cannot(cur: Curator) -> None:
    cur.add_account("webhook", name="Equipo", api_base="http://127.0.0.1:9/hook",
                    disclaimer="Opiniones personales.")
    draft = cur.new_draft(text="Mi lectura de hoy")
    kept = cur.queue_post(draft.id, "Equipo", T0)
    left_out = cur.queue_post(draft.id, "Equipo", T0, disclaimer=False)
    assert kept.text == "Mi lectura de hoy\n\nOpiniones personales."
    assert left_out.text == "Mi lectura de hoy"
    cur.update_account("Equipo", disclaimer_mandatory=True)
    forced = cur.queue_post(draft.id, "Equipo", T0, disclaimer=False)
    assert forced.text.endswith("Opiniones personales.")


# ---- threads --------------------------------------------------------------------------------


def test_a_long_post_is_queued_as_the_composers_thread(cur: Curator) -> None:
    cur.add_account("x", name="Mi X")
    draft = cur.new_draft(text=LONG)
    with pytest.raises(CuratorError, match="split it into a thread"):
        cur.queue_post(draft.id, "Mi X", T0)
    post = cur.queue_post(draft.id, "Mi X", T0, thread=True)
    parts = split_thread("x", LONG)
    assert len(parts) >= 3
    assert [post.text, *post.thread] == parts
    assert cur.get_post(post.id).thread == parts[1:]  # stored, not only returned


def test_a_post_that_fits_is_never_split(cur: Curator) -> None:
    cur.add_account("bluesky", name="Cielo")
    draft = cur.new_draft(text="Corto y claro.")
    post = cur.queue_post(draft.id, "Cielo", T0, thread=True)
    assert post.text == "Corto y claro." and post.thread == []


def test_linkedin_has_no_threads(cur: Curator) -> None:
    cur.add_account("linkedin", name="Perfil")
    draft = cur.new_draft(text="x " * 1600)
    with pytest.raises(CuratorError, match="over its limit of 3000") as caught:
        cur.queue_post(draft.id, "Perfil", T0, thread=True)
    assert "thread" not in str(caught.value)


def test_a_thread_goes_out_as_chained_replies_in_the_accounts_language(
        cur: Curator, clock: Clock, mastodon: MastodonServer) -> None:
    account = cur.add_account("mastodon", name="Lucía", api_base=mastodon.url, language="es",
                              visibility="unlisted")
    draft = cur.new_draft(text=LONG)
    post = cur.queue_post(draft.id, "Lucía", T0, thread=True)
    outcomes = cur.publish_due(T0 + timedelta(seconds=1),
                               secrets=Secrets({(account.id, "access_token"): TOKEN}))
    assert [o.state for o in outcomes] == [PostState.PUBLISHED]
    made = mastodon.statuses
    assert [s.text for s in made] == [post.text, *post.thread]
    assert all(mastodon_length(s.text) <= 500 for s in made)
    assert made[0].in_reply_to_id is None
    assert [s.in_reply_to_id for s in made[1:]] == [s.id for s in made[:-1]]
    assert {s.language for s in made} == {"es"}
    assert {s.visibility for s in made} == {"unlisted"}
    assert cur.get_post(post.id).remote_id == made[0].id


# ---- link cards -----------------------------------------------------------------------------

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Blog de marketing</title><link>http://example.es/</link>
<item><title>Tendencias de otoño</title><link>https://example.es/tendencias</link>
<guid>t1</guid>
<description><![CDATA[<p>Las <b>cinco</b> tendencias que &amp; marcarán el trimestre.</p>
<p><img src="https://cdn.example.es/portada.jpg" alt=""></p>]]></description>
</item>
<item><title>Sin resumen</title><link>https://example.es/nada</link><guid>t2</guid></item>
</channel></rss>"""


def test_the_link_card_gets_the_items_summary_and_picture(cur: Curator, feed_server) -> None:
    feed = cur.add_feed(feed_server.add("/blog.xml", FEED)).feed
    items = {i.title: i for i in cur.list_items().items if i.feed_id == feed.id}
    cur.add_account("bluesky", name="Cielo", language="pt-BR")
    with_card = cur.queue_post(cur.new_draft(item_id=items["Tendencias de otoño"].id,
                                             text="Muy útil").id, "Cielo", T0)
    row = _row(cur, with_card.id)
    assert row["description"] == "Las cinco tendencias que & marcarán el trimestre."
    assert row["thumbnail_url"] == "https://cdn.example.es/portada.jpg"
    assert row["language"] == "pt-BR"
    assert row["link"] == "https://example.es/tendencias"
    bare = cur.queue_post(cur.new_draft(item_id=items["Sin resumen"].id, text="Ojo").id,
                          "Cielo", T0)
    assert _row(cur, bare.id)["description"] is None
    assert _row(cur, bare.id)["thumbnail_url"] is None
    blank = cur.queue_post(cur.new_draft(text="Sin enlace").id, "Cielo", T0)
    assert (_row(cur, blank.id)["link"], _row(cur, blank.id)["description"]) == (None, None)


# ---- network options ------------------------------------------------------------------------


def test_network_options_are_kept_checked_and_given_to_the_connector(cur: Curator) -> None:
    m = cur.add_account("mastodon", name="Masto", api_base="https://social.example",
                        language="es", visibility="Private", server_schedule=True)
    assert (m.language, m.visibility, m.server_schedule) == ("es", "private", True)
    connector = connector_for(m, Secrets())
    assert connector.visibility == "private" and connector.server_schedule is True  # type: ignore[attr-defined]
    plain = cur.add_account("mastodon", name="Masto 2", api_base="https://social.example")
    assert connector_for(plain, Secrets()).visibility == "public"  # type: ignore[attr-defined]

    li = cur.add_account("linkedin", name="Perfil", api_version="202611")
    assert connector_for(li, Secrets()).version == "202611"  # type: ignore[attr-defined]
    li = cur.update_account("Perfil", api_version="")  # back to Curator's default
    from curator.connectors.linkedin import DEFAULT_LINKEDIN_VERSION
    assert li.api_version is None
    assert connector_for(li, Secrets()).version == DEFAULT_LINKEDIN_VERSION  # type: ignore[attr-defined]

    m = cur.update_account("Masto", server_schedule=False, language="")
    assert (m.server_schedule, m.language, m.visibility) == (False, None, "private")
    for bad, message in ((dict(language="español"), "not a language tag"),
                         (dict(visibility="amigos"), "not a Mastodon visibility"),
                         (dict(api_version="2026-11"), "not a LinkedIn API version"),
                         (dict(api_version="202613"), "not a LinkedIn API version")):
        with pytest.raises(CuratorError, match=message):
            cur.update_account("Masto", **bad)  # type: ignore[arg-type]
    assert cur.get_account("Masto").to_json()["visibility"] == "private"


def test_a_version_5_database_gains_the_options_with_its_accounts_intact(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "curator.db")
    v5 = schema.SCHEMA[: schema.SCHEMA.index("-- ---- network options (v6)")]
    conn.executescript(v5 + "\nPRAGMA user_version = 5;")
    conn.execute("INSERT INTO accounts (name, network, disclaimer, created_at) "
                 "VALUES ('Antigua', 'mastodon', 'Aviso', '2024-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    with Curator(data) as c:
        old = c.get_account("Antigua")
        assert (old.disclaimer, old.language, old.visibility, old.server_schedule,
                old.api_version) == ("Aviso", None, None, False, None)
        assert c.update_account("Antigua", language="ca").language == "ca"
    assert (data / "curator.db.v5.bak").exists()


# ---- what the user is told ------------------------------------------------------------------


def test_account_warning_names_reconnect_needed(cur: Curator) -> None:
    account = cur.add_account("x", name="Mi X")
    assert cur.account_warning("Mi X") is None
    cur.publisher.set_account_state(account.id, "reconnect_needed")
    warning = cur.account_warning("Mi X")
    assert warning is not None and "X refused the sign-in of Mi X" in warning
    cur.mark_account_reconnected("Mi X")
    assert cur.account_warning("Mi X") is None


# ---- Mastodon's own scheduler ---------------------------------------------------------------


@pytest.fixture
def real_time(tmp_path: Path) -> Iterator[Curator]:
    with Curator(tmp_path / "real") as c:  # the server checks scheduled_at against its clock
        yield c


def test_a_later_mastodon_post_is_handed_to_the_server_at_once(
        real_time: Curator, mastodon: MastodonServer) -> None:
    from datetime import UTC, datetime

    cur = real_time
    account = cur.add_account("mastodon", name="Lucía", api_base=mastodon.url,
                              server_schedule=True)
    secrets = Secrets({(account.id, "access_token"): TOKEN})
    now = datetime.now(UTC).replace(microsecond=0)
    later = cur.queue_post(cur.new_draft(text="Sale el martes").id, "Lucía",
                           now + timedelta(hours=20))
    soon = cur.queue_post(cur.new_draft(text="Sale en un momento").id, "Lucía",
                          now + timedelta(minutes=3))
    thread = cur.queue_post(cur.new_draft(text=LONG).id, "Lucía", now + timedelta(hours=20),
                            thread=True)
    assert later.next_attempt_at == now  # due now: the hand-over
    assert soon.next_attempt_at == soon.scheduled_at  # too close: sent by Curator itself
    outcomes = cur.publish_due(now, secrets=secrets)
    assert [o.post_id for o in outcomes] == [later.id]
    handed = cur.get_post(later.id)
    assert handed.state is PostState.PUBLISHED and handed.server_scheduled
    assert handed.published_at == handed.scheduled_at
    assert handed.remote_id and handed.remote_id.startswith("scheduled:")
    assert [e["params"]["text"] for e in mastodon.scheduled] == ["Sale el martes"]
    assert mastodon.statuses == []  # nothing public yet
    assert cur.get_post(thread.id).state is PostState.SCHEDULED  # threads cannot be handed over
    assert cur.publish_due(now + timedelta(minutes=1), secrets=secrets) == []


def test_a_failed_hand_over_never_publishes_early(
        real_time: Curator, mastodon: MastodonServer) -> None:
    from datetime import UTC, datetime

    cur = real_time
    account = cur.add_account("mastodon", name="Lucía", api_base=mastodon.url,
                              server_schedule=True)
    secrets = Secrets({(account.id, "access_token"): TOKEN})
    now = datetime.now(UTC).replace(microsecond=0)
    post = cur.queue_post(cur.new_draft(text="Sale pronto").id, "Lucía",
                          now + timedelta(minutes=10, seconds=20))
    mastodon.fail_next("503")
    [outcome] = cur.publish_due(now, secrets=secrets)
    assert outcome.state is PostState.SCHEDULED
    # The retry (30 s or more later) would come inside the last ten minutes: it waits for the
    # post's own time instead, and then Curator publishes it itself.
    assert cur.get_post(post.id).next_attempt_at == post.scheduled_at
    assert mastodon.statuses == [] and mastodon.scheduled == []
