"""Approved content packs (curator.packs): schema validation with good and bad packs,
subscribing over a local HTTP server and from a local file, expiry with an injected clock,
the disclaimer and the allowed networks enforced, and the export -> subscribe round trip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from corehelp import T0, Clock
from webhookserver import WebhookServer

from curator import Curator, packs
from curator.analytics import mix_counts
from curator.errors import CuratorError, FeedExistsError, InvalidFeedURLError, PackError
from curator.types import Outcome, PackItemSpec, PostState, Role

PACKS = Path(__file__).parent.parent / "data" / "packs"
GOOD = (PACKS / "good.json").read_bytes()
DISCLAIMER = "Comunicación aprobada por Cumplimiento. No es asesoramiento financiero."
EXPIRES = datetime(2024, 6, 30, 21, 59, tzinfo=UTC)
SECRET = "clave-de-firma-ñ"


class Secrets:
    def __init__(self, values: dict[tuple[int, str], str]):
        self.values = values

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
def hook() -> Iterator[WebhookServer]:
    s = WebhookServer(secret=SECRET).start()
    try:
        yield s
    finally:
        s.stop()


def item_id(cur: Curator, guid: str) -> int:
    return next(i.id for i in cur.list_items(limit=100).items if i.guid == guid)


def subscribed(cur: Curator, feed_server, body: bytes = GOOD) -> int:  # type: ignore[no-untyped-def]
    url = feed_server.add("/packs/otono.json", body, content_type="application/feed+json")
    return cur.subscribe_pack(url).feed.id


# ---- validation ---------------------------------------------------------------------------


def test_a_good_pack_validates() -> None:
    info = Curator.validate_pack(None, GOOD)  # type: ignore[arg-type]  # stores nothing
    assert (info.title, info.publisher, info.version) == (
        "Campaña de otoño — contenido aprobado", "Marketing Iberia", 1)
    assert (info.items, info.templates) == (3, 2)
    pack = packs.read_pack(GOOD)
    q4 = pack.items[0]
    assert q4.expires_at == EXPIRES
    assert q4.networks == ["x", "linkedin", "webhook"]
    assert q4.hashtags == ["Resultados", "Otoño"]
    assert pack.items[2].commentary == [] and pack.items[2].networks is None


@pytest.mark.parametrize(("name", "message"), [
    ("expires", 'item 1 (id "q4-report"): _curator.expires: not an RFC 3339 date'),
    ("network", 'item 2 (id "guia-seguridad"): _curator.networks[1]: must be one of x, '),
    ("empty-commentary", 'item 2 (id "guia-seguridad"): _curator.commentary: every text is '
                         "empty"),
    ("unknown-field", 'item 1 (id "q4-report"): _curator.disclaimr: unknown field'),
    ("missing-id", "item 3: id: missing"),
    ("duplicate-id", 'item 3 (id "q4-report"): id: the same id as item 1'),
    ("template", "the pack: _curator.templates[1].body: the template uses unknown "
                 "placeholders {comentario}"),
    ("no-curator", "the pack: _curator: missing"),
    ("version", "the pack: _curator.version: must be 1"),
    ("not-json", "The pack is not valid JSON (line 2, column 13"),
])
def test_a_bad_pack_names_the_item_and_the_field(name: str, message: str) -> None:
    with pytest.raises(PackError) as e:
        packs.read_pack((PACKS / f"bad-{name}.json").read_bytes())
    text = str(e.value)
    assert text.startswith(message), text
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text


def test_hostile_values_are_not_echoed() -> None:
    doc = json.loads(GOOD)
    doc["items"][0]["_curator"]["networks"] = ["<script>" + "x" * 5000]
    with pytest.raises(PackError) as e:
        packs.read_pack(json.dumps(doc).encode())
    assert "<script>" not in str(e.value) and len(str(e.value)) < 300


@pytest.mark.parametrize("value", ["2024-06-30", "2024-13-01T00:00:00Z",
                                   "2024-06-30T23:59:00", "mañana"])
def test_expiry_must_be_an_rfc3339_date_time(value: str) -> None:
    assert packs.parse_rfc3339(value) is None
    assert packs.parse_rfc3339("2024-06-30t23:59:00.5+02:00") == datetime(
        2024, 6, 30, 21, 59, 0, 500000, tzinfo=UTC)


# ---- subscribing ----------------------------------------------------------------------------


def test_subscribe_over_http_stores_the_approved_content(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    feed_id = subscribed(cur, feed_server)
    feed = cur.get_feed(feed_id)
    assert feed.role is Role.APPROVED and feed.title == "Campaña de otoño — contenido aprobado"
    assert feed.total == 3
    q4 = cur.approved_content(item_id(cur, "q4-report"))
    assert q4 is not None
    assert q4.commentary == [("", "Un trimestre récord gracias a nuestros clientes."),
                             ("CFOs", "Margen operativo al alza: los números del trimestre.")]
    assert q4.networks == ["x", "linkedin", "webhook"] and q4.expires_at == EXPIRES
    assert q4.disclaimer == DISCLAIMER and q4.utm_campaign == "otono-2024"
    assert not q4.expired(T0) and q4.expired(EXPIRES)
    plain = cur.approved_content(item_id(cur, "sin-extension"))
    assert plain is not None and plain.networks is None and plain.disclaimer == ""
    templates = {(t.segment, t.name): t.body for t in cur.list_templates()}
    assert templates == {("", "Lanzamiento"): "{commentary}\n\n{title} {url}\n\n{hashtags}",
                         ("CFOs", "Para directivos"): "{commentary} — {title} {url}"}
    [info] = cur.list_packs()
    assert (info.feed_id, info.publisher, info.items, info.templates, info.expired) == (
        feed_id, "Marketing Iberia", 3, 2, 0)
    with pytest.raises(FeedExistsError):
        subscribed(cur, feed_server)


def test_an_ordinary_items_approved_content_is_none(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    feed_id = subscribed(cur, feed_server)
    cur.update_feed(feed_id, role="own")  # no longer a pack: nothing is approved
    assert cur.approved_content(item_id(cur, "q4-report")) is None


@pytest.mark.parametrize("name", ["expires", "network", "template", "not-json"])
def test_a_bad_pack_stores_nothing(cur: Curator, feed_server, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PackError) as e:
        subscribed(cur, feed_server, (PACKS / f"bad-{name}.json").read_bytes())
    assert "is not a valid content pack: " in str(e.value)
    assert cur.list_feeds() == [] and cur.list_templates() == []
    assert cur.count_items() == 0


def test_add_feed_with_the_approved_role_subscribes_a_pack(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.add("/p.json", (PACKS / "bad-expires.json").read_bytes(),
                          content_type="application/feed+json")
    with pytest.raises(PackError):
        cur.add_feed(url, role="approved")
    assert cur.list_feeds() == []


def test_refresh_with_a_bad_version_keeps_the_old_items(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    feed_id = subscribed(cur, feed_server)
    feed_server.add("/packs/otono.json", (PACKS / "bad-expires.json").read_bytes(),
                    content_type="application/feed+json")
    result = cur.refresh(force=True)
    [outcome] = result.feeds
    assert outcome.outcome is Outcome.FAILED
    assert outcome.error is not None and outcome.error.startswith(
        'The content pack is not valid: item 1 (id "q4-report"): _curator.expires')
    assert cur.get_feed(feed_id).last_error == outcome.error
    q4 = cur.approved_content(item_id(cur, "q4-report"))
    assert q4 is not None and q4.expires_at == EXPIRES  # the old facts stay
    assert cur.get_feed(feed_id).total == 3


def test_refresh_with_a_good_version_updates_the_facts(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    subscribed(cur, feed_server)
    doc = json.loads(GOOD)
    doc["items"][0]["_curator"]["expires"] = "2024-07-31T23:59:00Z"
    doc["_curator"]["templates"] = doc["_curator"]["templates"][:1]  # one withdrawn
    doc["_curator"]["templates"][0]["body"] = "{commentary} {url}"
    feed_server.add("/packs/otono.json", json.dumps(doc).encode(),
                    content_type="application/feed+json")
    [outcome] = cur.refresh(force=True).feeds
    assert outcome.outcome is Outcome.OK, outcome.error
    q4 = cur.approved_content(item_id(cur, "q4-report"))
    assert q4 is not None and q4.expires_at == datetime(2024, 7, 31, 23, 59, tzinfo=UTC)
    assert [(t.name, t.body) for t in cur.list_templates()] == [
        ("Lanzamiento", "{commentary} {url}")]


def test_a_users_template_of_the_same_name_is_never_overwritten(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    cur.add_template("Lanzamiento", "Mi propia plantilla {url}")
    subscribed(cur, feed_server)
    names = {t.name: t.body for t in cur.list_templates(segment="")}
    assert names["Lanzamiento"] == "Mi propia plantilla {url}"
    assert names["Lanzamiento (Marketing Iberia)"].startswith("{commentary}")


def test_subscribe_from_a_local_path_and_a_file_url(cur: Curator, tmp_path: Path) -> None:
    shared = tmp_path / "carpeta compartida"
    shared.mkdir()
    path = shared / "otoño.json"
    path.write_bytes(GOOD)
    res = cur.subscribe_pack(str(path))
    assert res.feed.url == path.resolve().as_uri() and res.new_items == 3
    assert cur.get_feed(res.feed.id).role is Role.APPROVED
    assert cur.approved_content(item_id(cur, "q4-report")) is not None
    [outcome] = cur.refresh(force=True).feeds  # unchanged file: like a 304
    assert outcome.outcome is Outcome.NOT_MODIFIED
    doc = json.loads(GOOD)
    doc["items"].append({"id": "nuevo", "url": "https://www.example.com/nuevo",
                         "title": "Novedad", "_curator": {"disclaimer": "Aviso legal."}})
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    [outcome] = cur.refresh(force=True).feeds
    assert outcome.outcome is Outcome.OK and outcome.new_items == 1
    new = cur.approved_content(item_id(cur, "nuevo"))
    assert new is not None and new.disclaimer == "Aviso legal."

    other = tmp_path / "otro.json"
    other.write_bytes(GOOD.replace(b"q4-report", b"q4-informe"))
    assert cur.subscribe_pack(other.resolve().as_uri()).new_items == 3
    with pytest.raises(InvalidFeedURLError):
        cur.subscribe_pack(str(tmp_path / "no-existe.json"))


# ---- drafting and queuing -------------------------------------------------------------------


@pytest.fixture
def pack_cur(cur: Curator, feed_server, hook: WebhookServer) -> Curator:  # type: ignore[no-untyped-def]
    subscribed(cur, feed_server)
    cur.add_account("webhook", name="Equipo", api_base=hook.url)
    cur.add_account("mastodon", name="Mastodonte", api_base="https://social.example")
    return cur


def test_a_draft_starts_from_the_suggested_commentary(pack_cur: Curator) -> None:
    q4 = item_id(pack_cur, "q4-report")
    draft = pack_cur.new_draft(item_id=q4)
    assert draft.text == "Un trimestre récord gracias a nuestros clientes."
    assert draft.item_role is Role.APPROVED
    assert mix_counts([draft.item_role])["approved"] == 1
    cfo = pack_cur.new_draft(item_id=q4, segment="CFOs")
    assert cfo.text == "Margen operativo al alza: los números del trimestre."
    assert pack_cur.new_draft(item_id=q4, segment="Ingenieros").text == draft.text
    assert pack_cur.new_draft(item_id=q4, text="Mis palabras").text == "Mis palabras"


def test_the_accounts_segment_picks_the_commentary(pack_cur: Curator) -> None:
    cfo_template = pack_cur.get_template("Para directivos")
    pack_cur.update_account("Equipo", default_template_id=cfo_template.id)
    draft = pack_cur.new_draft(item_id=item_id(pack_cur, "q4-report"), account="Equipo")
    assert draft.text == "Margen operativo al alza: los números del trimestre."


def test_fill_my_week_checks_the_packs_rules(pack_cur: Curator) -> None:
    from curator.planning import Placement

    q4 = pack_cur.get_item(item_id(pack_cur, "q4-report"))
    account = pack_cur.get_account("Mastodonte")
    placed = Placement(account.id, account.name, T0 + timedelta(hours=1), q4.id, q4.title,
                       q4.link, q4.feed_title, q4.feed_id, Role.APPROVED, "Récord.")
    [(row, problem)] = pack_cur.check_proposal([placed])
    assert row == 0 and problem.startswith("This approved content may only be shared on X")


def test_queue_adds_the_mandatory_disclaimer(pack_cur: Curator) -> None:
    draft = pack_cur.new_draft(item_id=item_id(pack_cur, "q4-report"))
    post = pack_cur.queue_post(draft.id, "Equipo", T0 + timedelta(hours=1), disclaimer=False)
    assert post.text.endswith(DISCLAIMER)  # disclaimer=False cannot drop it
    assert "#Resultados #Otoño" in post.text
    assert post.link is not None and "utm_campaign=otono-2024" in post.link


def test_queue_refuses_a_network_the_pack_does_not_allow(pack_cur: Curator) -> None:
    draft = pack_cur.new_draft(item_id=item_id(pack_cur, "q4-report"))
    with pytest.raises(CuratorError) as e:
        pack_cur.queue_post(draft.id, "Mastodonte", T0 + timedelta(hours=1))
    assert str(e.value) == ("This approved content may only be shared on X, LinkedIn, "
                            "Webhook, not on Mastodon (Mastodonte).")
    assert pack_cur.list_queue() == []
    with pytest.raises(CuratorError):  # all or nothing
        pack_cur.queue_for_accounts(draft.id, ["Equipo", "Mastodonte"],
                                    at=T0 + timedelta(hours=1))
    assert pack_cur.list_queue() == []


def test_an_expired_item_cannot_be_scheduled(pack_cur: Curator, clock: Clock) -> None:
    draft = pack_cur.new_draft(item_id=item_id(pack_cur, "q4-report"))
    with pytest.raises(CuratorError, match="expires on 2024-06-30 21:59 UTC"):
        pack_cur.queue_post(draft.id, "Equipo", EXPIRES + timedelta(minutes=1))
    clock.now = EXPIRES + timedelta(days=1)
    with pytest.raises(CuratorError, match="The approved content expired on 2024-06-30 21:59"):
        pack_cur.queue_post(draft.id, "Equipo", clock.now + timedelta(hours=1))
    assert pack_cur.list_queue() == []
    [info] = pack_cur.list_packs()
    assert info.expired == 1


def test_a_scheduled_post_whose_item_expired_is_held(pack_cur: Curator, hook: WebhookServer
                                                     ) -> None:
    account = pack_cur.get_account("Equipo")
    secrets = Secrets({(account.id, "webhook_secret"): SECRET})
    draft = pack_cur.new_draft(item_id=item_id(pack_cur, "q4-report"))
    post = pack_cur.queue_post(draft.id, "Equipo", EXPIRES - timedelta(hours=1))
    free = pack_cur.new_draft(text="Sin contenido aprobado")
    other = pack_cur.queue_post(free.id, "Equipo", EXPIRES - timedelta(hours=1))
    outcomes = pack_cur.publish_due(EXPIRES + timedelta(minutes=5), secrets=secrets,
                                    overdue="publish")
    held = pack_cur.get_post(post.id)
    assert held.state is PostState.NEEDS_ATTENTION
    assert held.last_error is not None and held.last_error.startswith(
        "The approved content expired on 2024-06-30 21:59 UTC")
    assert {o.post_id: o.state for o in outcomes} == {
        post.id: PostState.NEEDS_ATTENTION, other.id: PostState.PUBLISHED}
    assert len(hook.posts) == 1  # only the other post went out
    pack_cur.retry_post(post.id)  # retrying does not get round the expiry
    pack_cur.publish_due(EXPIRES + timedelta(minutes=6), secrets=secrets, overdue="publish")
    assert pack_cur.get_post(post.id).state is PostState.NEEDS_ATTENTION
    assert len(hook.posts) == 1


def test_held_even_when_the_pack_is_removed(pack_cur: Curator) -> None:
    draft = pack_cur.new_draft(item_id=item_id(pack_cur, "q4-report"))
    post = pack_cur.queue_post(draft.id, "Equipo", EXPIRES - timedelta(hours=1))
    pack_cur.remove_feed(pack_cur.list_packs()[0].feed_id)  # type: ignore[arg-type]
    pack_cur.publish_due(EXPIRES + timedelta(minutes=5), secrets=Secrets({}))
    assert pack_cur.get_post(post.id).state is PostState.NEEDS_ATTENTION


# ---- export ---------------------------------------------------------------------------------


def test_export_then_subscribe_round_trips(pack_cur: Curator, tmp_path: Path, clock: Clock
                                           ) -> None:
    q4, guide = item_id(pack_cur, "q4-report"), item_id(pack_cur, "guia-seguridad")
    templates = pack_cur.list_templates()
    out = tmp_path / "salida"
    out.mkdir()
    specs = [
        PackItemSpec(q4, commentary=[("", "Récord trimestral."), ("CFOs", "Margen al alza.")],
                     networks=["linkedin", "x"], expires_at=EXPIRES, disclaimer=DISCLAIMER,
                     hashtags=("Resultados",), utm_campaign="otono-2024"),
        PackItemSpec(guide, commentary=[("", "Diez consejos.")]),
    ]
    n = pack_cur.export_pack(specs, out, title="Paquete de prueba", publisher="Legal",
                             templates=templates)
    assert n == 2
    [written] = list(out.iterdir())
    assert written.name == "Paquete-de-prueba.json"
    assert pack_cur.validate_pack(written.read_bytes()).items == 2

    with Curator(tmp_path / "otro", now=clock) as reader:
        res = reader.subscribe_pack(str(written))
        assert res.new_items == 2
        by_guid = {i.guid: i for i in reader.list_items().items}
        original = pack_cur.get_item(q4)
        copy = by_guid["q4-report"]
        assert (copy.title, copy.link) == (original.title, original.link)
        got = reader.approved_content(copy.id)
        assert got is not None
        assert got.commentary == [("", "Récord trimestral."), ("CFOs", "Margen al alza.")]
        assert got.networks == ["x", "linkedin"] and got.expires_at == EXPIRES
        assert got.disclaimer == DISCLAIMER and got.hashtags == ["Resultados"]
        assert got.utm_campaign == "otono-2024"
        guide_copy = reader.approved_content(by_guid["guia-seguridad"].id)
        assert guide_copy is not None and guide_copy.networks is None
        assert {(t.segment, t.name, t.body) for t in reader.list_templates()} == {
            (t.segment, t.name, t.body) for t in templates}
        [info] = reader.list_packs()
        assert info.publisher == "Legal" and info.title == "Paquete de prueba"


def test_export_refuses_what_the_pack_would_break(pack_cur: Curator, tmp_path: Path) -> None:
    q4 = item_id(pack_cur, "q4-report")
    target = tmp_path / "p.json"
    with pytest.raises(PackError, match=r"_curator\.hashtags\[0\]: not a usable hashtag"):
        pack_cur.export_pack([PackItemSpec(q4, hashtags=("2024",))], target, title="P")
    with pytest.raises(PackError, match="needs a time zone"):
        pack_cur.export_pack([PackItemSpec(q4, expires_at=datetime(2024, 7, 1))], target,
                             title="P")
    with pytest.raises(CuratorError, match="Unknown network 'myspace'"):
        pack_cur.export_pack([PackItemSpec(q4, networks=["myspace"])], target, title="P")
    assert not target.exists()


def test_the_profile_puts_the_packs_disclaimer_first(pack_cur: Curator) -> None:
    account = pack_cur.update_account("Equipo", disclaimer="Opiniones personales.",
                                      hashtags=["Equipo"])
    approved = pack_cur.approved_content(item_id(pack_cur, "q4-report"))
    assert approved is not None
    profile = packs.approved_profile(approved, account)
    assert profile.disclaimer == DISCLAIMER + "\n\nOpiniones personales."
    assert profile.disclaimer_mandatory and profile.utm_campaign == "otono-2024"
    assert profile.hashtags == ["Equipo", "Resultados", "Otoño"]
    assert packs.approved_profile(approved, account, disclaimer=False).disclaimer == DISCLAIMER
