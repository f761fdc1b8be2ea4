"""Curation: annotations (searchable), accounts, templates, drafts and their variants."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from corehelp import Clock, add, entry, open_curator, store

from curator import Curator, ItemQuery
from curator.errors import (
    AccountExistsError,
    AccountNotFoundError,
    CuratorError,
    DraftNotFoundError,
    ItemNotFoundError,
    TemplateError,
    TemplateExistsError,
    TemplateNotFoundError,
)
from curator.types import Network, Role


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cur(tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    with open_curator(tmp_path / "datos", clock) as c:
        yield c


@pytest.fixture
def items(cur: Curator) -> dict[str, int]:
    """Three items whose own text says nothing about campaigns."""
    prensa = add(cur, "prensa", role=Role.COMPETITOR)
    store(cur, prensa, [
        entry(1, title="Resultados del trimestre", summary="<p>Cifras y más cifras.</p>",
              author="Íñigo Pérez"),
        entry(2, title="¿Qué es la señal?", summary="Un artículo sobre antenas."),
        entry(3, title="Notas de la mañana", summary="Café, lluvia y trenes."),
    ])
    page = cur.list_items(ItemQuery(feed_id=prensa), limit=10)
    return {it.title or "": it.id for it in page.items}


def search(cur: Curator, text: str, **filters: object) -> list[str | None]:
    page = cur.list_items(ItemQuery(search=text, **filters), limit=50)  # type: ignore[arg-type]
    return [it.title for it in page.items]


# ---- annotations ----------------------------------------------------------------------------


def test_annotate_writes_updates_and_deletes(cur: Curator, items: dict[str, int],
                                             clock: Clock) -> None:
    item = items["Resultados del trimestre"]
    assert cur.annotation(item) is None

    first = cur.annotate(item, note="Preguntar a Begoña", commentary="¡Buen trimestre!")
    assert (first.note, first.commentary) == ("Preguntar a Begoña", "¡Buen trimestre!")
    assert cur.annotation(item) == first

    clock.advance(minutes=1)
    second = cur.annotate(item, commentary="Otra opinión")  # the note stays as it was
    assert (second.note, second.commentary) == ("Preguntar a Begoña", "Otra opinión")
    assert second.updated_at == clock.now

    cur.annotate(item, note="", commentary="  ")
    assert cur.annotation(item) is None
    assert search(cur, "Begoña") == []


def test_annotate_an_unknown_item_is_refused(cur: Curator) -> None:
    with pytest.raises(ItemNotFoundError):
        cur.annotate(999, note="¿dónde está?")


def test_items_with_commentary_are_marked_and_filterable(cur: Curator,
                                                        items: dict[str, int]) -> None:
    commented = items["¿Qué es la señal?"]
    noted = items["Notas de la mañana"]
    cur.annotate(commented, commentary="Muy útil para el equipo de campaña")
    cur.annotate(noted, note="solo para mí")

    marks = {it.title: it.has_commentary for it in cur.list_items(limit=10).items}
    assert marks == {"Resultados del trimestre": False, "¿Qué es la señal?": True,
                     "Notas de la mañana": False}
    assert cur.get_item(commented).has_commentary
    assert not cur.get_item(noted).has_commentary
    assert cur.get_item(commented).to_json()["has_commentary"] is True

    annotated = cur.list_items(ItemQuery(annotated=True), limit=10).items
    assert sorted(it.title or "" for it in annotated) == ["Notas de la mañana",
                                                          "¿Qué es la señal?"]
    assert cur.count_items(ItemQuery(annotated=True)) == 2


def test_search_finds_items_by_commentary_ignoring_accents(cur: Curator,
                                                          items: dict[str, int]) -> None:
    cur.annotate(items["¿Qué es la señal?"], commentary="Ideal para la campaña de otoño")
    cur.annotate(items["Notas de la mañana"], note="Recordar la reunión con Núñez")

    assert search(cur, "campana") == ["¿Qué es la señal?"]
    assert search(cur, "campaña otoño") == ["¿Qué es la señal?"]
    assert search(cur, "nunez") == ["Notas de la mañana"]
    assert search(cur, "campana", unread=True) == ["¿Qué es la señal?"]
    assert search(cur, "campana", starred=True) == []  # filters still apply
    assert cur.count_items(ItemQuery(search="campana")) == 1
    # A term limited to an item field is about the item's own text only.
    assert search(cur, "title:campana") == []
    assert search(cur, "title:señal") == ["¿Qué es la señal?"]

    assert cur.mark_all_read(ItemQuery(search="campana")) == 1
    assert cur.get_item(items["¿Qué es la señal?"]).read

    cur.annotate(items["¿Qué es la señal?"], commentary="Otra cosa")
    assert search(cur, "campana") == []  # the search index follows the edit


def test_search_lists_each_item_once_across_pages(cur: Curator, items: dict[str, int]) -> None:
    # "cifras" is in item 1's text and in item 3's commentary; item 1's commentary too.
    cur.annotate(items["Notas de la mañana"], commentary="Sin cifras hoy")
    cur.annotate(items["Resultados del trimestre"], commentary="Las cifras cuadran")
    assert sorted(t or "" for t in search(cur, "cifras")) == ["Notas de la mañana",
                                                             "Resultados del trimestre"]
    seen: list[str | None] = []
    cursor = None
    while True:
        page = cur.list_items(ItemQuery(search="cifras"), limit=1, cursor=cursor)
        seen += [it.title for it in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(t or "" for t in seen) == ["Notas de la mañana", "Resultados del trimestre"]


def test_removing_a_feed_removes_its_annotations_and_undo_brings_them_back(
    cur: Curator, items: dict[str, int]
) -> None:
    item = items["¿Qué es la señal?"]
    cur.annotate(item, note="nota privada", commentary="Comentario sobre la campaña")
    feed_id = cur.get_item(item).feed_id

    removed = cur.remove_feed_undoable(feed_id)
    assert cur.annotation(item) is None
    assert search(cur, "campana") == []
    fts = cur.storage.db.conn.execute("SELECT count(*) FROM annotations_fts").fetchone()[0]
    assert fts == 0

    cur.restore_feed(removed)
    back = cur.annotation(item)
    assert back is not None
    assert (back.note, back.commentary) == ("nota privada", "Comentario sobre la campaña")
    assert search(cur, "campana") == ["¿Qué es la señal?"]
    assert cur.get_item(item).has_commentary


def test_undo_keeps_annotations_on_their_items_when_ids_were_taken(
    cur: Curator, items: dict[str, int]
) -> None:
    item = items["Notas de la mañana"]
    cur.annotate(item, commentary="Lluvia en Logroño")
    feed_id = cur.get_item(item).feed_id
    removed = cur.remove_feed_undoable(feed_id)
    other = add(cur, "otro")
    store(cur, other, [entry(f"n{i}", title=f"Nuevo {i}") for i in range(3)])  # takes the ids

    cur.restore_feed(removed)
    found = cur.list_items(ItemQuery(search="logrono"), limit=5).items
    assert [it.title for it in found] == ["Notas de la mañana"]
    assert found[0].id != item
    assert cur.annotation(found[0].id).commentary == "Lluvia en Logroño"  # type: ignore[union-attr]


def test_plain_remove_leaves_no_search_rows(cur: Curator, items: dict[str, int]) -> None:
    item = items["Notas de la mañana"]
    cur.annotate(item, commentary="Lluvia en Logroño")
    cur.remove_feed(cur.get_item(item).feed_id)
    conn = cur.storage.db.conn
    assert conn.execute("SELECT count(*) FROM annotations").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM annotations_fts").fetchone()[0] == 0


# ---- accounts -------------------------------------------------------------------------------


def test_accounts_store_their_posting_profile(cur: Curator) -> None:
    acc = cur.add_account(
        "mastodon", name="  Mi   Mastodon ", handle="@ana@mastodon.social",
        api_base="mastodon.social/", char_limit=500, disclaimer="Opiniones personales.",
        disclaimer_mandatory=True, utm_source="mastodon", utm_medium="social",
        utm_campaign="{source}-otoño", utm_skip_domains=["https://www.Ejemplo.ES/blog", "*.mía.es"],
        hashtags=["#campaña", "Ventas", "ventas", " "],
    )
    assert acc.name == "Mi Mastodon"
    assert acc.network is Network.MASTODON
    assert acc.api_base == "https://mastodon.social"
    assert acc.utm_skip_domains == ["www.ejemplo.es", "mía.es"]
    assert acc.hashtags == ["campaña", "Ventas"]
    assert acc.disclaimer_mandatory and acc.char_limit == 500
    assert cur.get_account("Mi Mastodon") == acc
    assert cur.get_account(acc.id) == acc
    assert acc.to_json()["network"] == "mastodon"

    with pytest.raises(AccountExistsError):
        cur.add_account(Network.X, name="Mi Mastodon")
    with pytest.raises(CuratorError, match="Unknown network"):
        cur.add_account("myspace", name="Viejo")
    with pytest.raises(CuratorError, match="hashtag"):
        cur.add_account("x", name="Equis", hashtags=["dos palabras"])
    with pytest.raises(CuratorError, match="character limit"):
        cur.add_account("x", name="Equis", char_limit=-3)


def test_update_account_changes_only_what_is_given(cur: Curator) -> None:
    acc = cur.add_account("bluesky", name="Cielo", handle="ana.bsky.social",
                          disclaimer="Aviso legal", hashtags=["ñandú"])
    changed = cur.update_account("Cielo", disclaimer_mandatory=True, char_limit=280)
    assert changed.disclaimer == "Aviso legal" and changed.hashtags == ["ñandú"]
    assert changed.disclaimer_mandatory and changed.char_limit == 280

    cleared = cur.update_account(acc.id, handle="", char_limit=0, hashtags=[], name="Cielo azul")
    assert cleared.handle is None and cleared.char_limit is None and cleared.hashtags == []
    assert cleared.name == "Cielo azul"

    cur.add_account("x", name="Pájaro")
    with pytest.raises(AccountExistsError):
        cur.update_account(acc.id, name="Pájaro")
    with pytest.raises(AccountNotFoundError):
        cur.update_account("Nadie", handle="x")


def test_accounts_are_listed_by_name_and_removed(cur: Curator) -> None:
    for name in ("Zoe", "álvaro", "Beatriz"):
        cur.add_account("linkedin", name=name)
    assert [a.name for a in cur.list_accounts()] == ["álvaro", "Beatriz", "Zoe"]
    removed = cur.remove_account("Zoe", keep_secrets=True)  # no secret; any keyring
    assert removed.name == "Zoe"
    assert [a.name for a in cur.list_accounts()] == ["álvaro", "Beatriz"]
    with pytest.raises(AccountNotFoundError):
        cur.remove_account("Zoe", keep_secrets=True)


def test_default_template_must_exist_and_is_cleared_with_it(cur: Curator) -> None:
    with pytest.raises(TemplateNotFoundError):
        cur.add_account("x", name="Equis", default_template_id=42)
    tpl = cur.add_template("Breve", "{commentary} {url}")
    acc = cur.add_account("x", name="Equis", default_template_id=tpl.id)
    assert acc.default_template_id == tpl.id
    cur.remove_template(tpl.id)
    assert cur.get_account(acc.id).default_template_id is None


# ---- templates ------------------------------------------------------------------------------


def test_a_draft_records_the_template_picked_later(cur: Curator) -> None:
    template = cur.add_template("Para ingenieros", "{commentary} — {url}", segment="Ingeniería")
    draft = cur.new_draft(text="¿Qué os parece?")
    cur.set_draft_template(draft.id, template.id)
    assert cur.get_draft(draft.id).template_id == template.id
    assert cur.get_draft(draft.id).text == "¿Qué os parece?"  # the text is the user's
    cur.set_draft_template(draft.id, None)
    assert cur.get_draft(draft.id).template_id is None
    with pytest.raises(DraftNotFoundError):
        cur.set_draft_template(9999, template.id)


def test_templates_refuse_unknown_placeholders_naming_them(cur: Curator) -> None:
    with pytest.raises(TemplateError, match=r"\{titulo\}"):
        cur.add_template("Mala", "{titulo}: {url}")
    with pytest.raises(TemplateError):
        cur.add_template("Rota", "Llave sin cerrar { aquí")
    assert cur.list_templates() == []

    ok = cur.add_template("Llaves", "{{literal}} {title} — {source} {hashtags}", segment="CFOs")
    assert ok.body == "{{literal}} {title} — {source} {hashtags}"
    with pytest.raises(TemplateError, match=r"\{cita\}"):
        cur.update_template(ok.id, body="{cita}")
    assert cur.get_template(ok.id).body == ok.body


def test_templates_are_grouped_by_segment_then_name(cur: Curator) -> None:
    cur.add_template("Zeta", "{url}", segment="ingenieros")
    cur.add_template("alfa", "{url}", segment="ingenieros")
    cur.add_template("General", "{commentary}")
    cur.add_template("Ñu", "{title}", segment="CFOs")
    cur.add_template("Árbol", "{title}", segment="CFOs")
    listed = [(t.segment, t.name) for t in cur.list_templates()]
    assert listed == [("", "General"), ("CFOs", "Árbol"), ("CFOs", "Ñu"),
                      ("ingenieros", "alfa"), ("ingenieros", "Zeta")]
    assert [t.name for t in cur.list_templates("ingenieros")] == ["alfa", "Zeta"]


def test_template_names_are_unique_per_segment(cur: Curator) -> None:
    a = cur.add_template("Breve", "{url}", segment="CFOs")
    cur.add_template("Breve", "{title} {url}", segment="ingenieros")
    with pytest.raises(TemplateExistsError):
        cur.add_template("Breve", "{url}", segment="CFOs")
    with pytest.raises(TemplateNotFoundError, match="Several templates"):
        cur.get_template("Breve")
    moved = cur.update_template(a.id, name="Breve CFO", segment="directivos")
    assert (moved.name, moved.segment, moved.body) == ("Breve CFO", "directivos", "{url}")
    assert cur.get_template("Breve").segment == "ingenieros"
    with pytest.raises(TemplateExistsError):
        cur.update_template(moved.id, name="Breve", segment="ingenieros")


# ---- drafts and variants --------------------------------------------------------------------


def test_a_draft_from_an_item_carries_its_link_title_source_and_role(
    cur: Curator, items: dict[str, int]
) -> None:
    item = cur.get_item(items["Resultados del trimestre"])
    draft = cur.new_draft(item_id=item.id, text="Mi opinión: ¡cifras sólidas!")
    assert (draft.item_link, draft.item_title, draft.item_source, draft.item_author) == (
        item.link, item.title, item.feed_title, "Íñigo Pérez")
    assert draft.item_role is Role.COMPETITOR
    assert draft.text == "Mi opinión: ¡cifras sólidas!"

    cur.update_feed(item.feed_id, role="own")  # the role when drafted is what counts
    assert cur.get_draft(draft.id).item_role is Role.COMPETITOR

    cur.remove_feed(item.feed_id)  # the draft keeps what it showed
    kept = cur.get_draft(draft.id)
    assert kept.item_id is None
    assert kept.item_title == "Resultados del trimestre" and kept.item_link == item.link


def test_blank_drafts_and_refusals(cur: Curator) -> None:
    blank = cur.new_draft()
    assert blank.item_id is None and blank.item_role is None and blank.text == ""
    with pytest.raises(ItemNotFoundError):
        cur.new_draft(item_id=12345)
    with pytest.raises(TemplateNotFoundError):
        cur.new_draft(template_id=77)
    with pytest.raises(DraftNotFoundError):
        cur.save_draft_text(999, "nada")
    with pytest.raises(DraftNotFoundError):
        cur.get_draft(999)
    tpl = cur.add_template("Breve", "{commentary} {url}")
    assert cur.new_draft(template_id=tpl.id).template_id == tpl.id


def test_synced_variants_follow_the_draft_and_edited_ones_do_not(cur: Curator,
                                                                  clock: Clock) -> None:
    x = cur.add_account("x", name="Equis")
    masto = cur.add_account("mastodon", name="Mastodon")
    draft = cur.new_draft(text="Primera versión")
    vx = cur.add_variant(draft.id, "Equis")
    vm = cur.add_variant(draft.id, masto.id)
    assert vx.synced and vx.text == "Primera versión"

    clock.advance(seconds=2)
    cur.save_draft_text(draft.id, "Segunda versión, más larga")
    texts = {v.account_id: (v.text, v.synced) for v in cur.get_draft(draft.id).variants}
    assert texts == {x.id: ("Segunda versión, más larga", True),
                     masto.id: ("Segunda versión, más larga", True)}

    edited = cur.set_variant(draft.id, x.id, text="Versión corta para X #campaña")
    assert not edited.synced
    cur.save_draft_text(draft.id, "Tercera versión")
    got = {v.account_id: v.text for v in cur.get_draft(draft.id).variants}
    assert got == {x.id: "Versión corta para X #campaña", masto.id: "Tercera versión"}

    resynced = cur.set_variant(draft.id, "Equis", synced=True)
    assert resynced.synced and resynced.text == "Tercera versión"

    unsynced = cur.set_variant(draft.id, masto.id, synced=False)
    cur.save_draft_text(draft.id, "Cuarta")
    assert not unsynced.synced
    assert {v.account_id: v.text for v in cur.get_draft(draft.id).variants}[masto.id] == \
        "Tercera versión"

    # Adding a variant again leaves it alone; one with its own text starts unsynced.
    assert cur.add_variant(draft.id, masto.id).text == "Tercera versión"
    cur.remove_variant(draft.id, masto.id)
    own = cur.add_variant(draft.id, masto.id, text="Texto propio")
    assert not own.synced and own.text == "Texto propio"
    assert vm.account_id == masto.id


def test_variant_errors_and_account_removal(cur: Curator) -> None:
    cur.add_account("x", name="Equis")
    draft = cur.new_draft(text="Hola")
    with pytest.raises(DraftNotFoundError):
        cur.set_variant(draft.id, "Equis", text="sin variante")
    with pytest.raises(AccountNotFoundError):
        cur.add_variant(draft.id, "Nadie")
    with pytest.raises(DraftNotFoundError):
        cur.add_variant(999, "Equis")
    cur.add_variant(draft.id, "Equis")
    cur.remove_account("Equis", keep_secrets=True)
    assert cur.get_draft(draft.id).variants == []


def test_list_duplicate_delete_undelete_purge(cur: Curator, clock: Clock) -> None:
    cur.add_account("linkedin", name="LinkedIn")
    old = cur.new_draft(text="Borrador antiguo")
    cur.add_variant(old.id, "LinkedIn", text="Para LinkedIn, con más detalle")
    clock.advance(minutes=5)
    new = cur.new_draft(text="Borrador nuevo")
    assert [d.id for d in cur.list_drafts()] == [new.id, old.id]

    clock.advance(minutes=5)
    cur.save_draft_text(old.id, "Borrador antiguo, retocado")  # edited: first again
    assert [d.id for d in cur.list_drafts()] == [old.id, new.id]

    clock.advance(minutes=1)
    copy = cur.duplicate_draft(old.id)
    assert copy.id not in (old.id, new.id)
    assert copy.text == "Borrador antiguo, retocado"
    assert [(v.text, v.synced) for v in copy.variants] == [("Para LinkedIn, con más detalle",
                                                           False)]
    assert copy.created_at == clock.now
    cur.save_draft_text(copy.id, "Solo la copia cambia")
    assert cur.get_draft(old.id).text == "Borrador antiguo, retocado"

    deleted = cur.delete_draft(old.id)
    assert deleted.deleted_at == clock.now
    assert old.id not in [d.id for d in cur.list_drafts()]
    back = cur.undelete_draft(old.id)
    assert back.deleted_at is None and back.variants == deleted.variants
    assert old.id in [d.id for d in cur.list_drafts()]

    cur.delete_draft(new.id)
    clock.advance(days=10)
    assert cur.purge_deleted_drafts(timedelta(days=30)) == 0
    clock.advance(days=21)
    assert cur.purge_deleted_drafts(timedelta(days=30)) == 1
    with pytest.raises(DraftNotFoundError):
        cur.get_draft(new.id)
    assert cur.get_draft(old.id).text == "Borrador antiguo, retocado"
    with pytest.raises(DraftNotFoundError):
        cur.delete_draft(new.id)


def test_draft_json_has_id_text_and_variants(cur: Curator, items: dict[str, int]) -> None:
    cur.add_account("x", name="Equis")
    draft = cur.new_draft(item_id=items["¿Qué es la señal?"], text="¿Lo habéis leído?")
    cur.add_variant(draft.id, "Equis")
    data = cur.get_draft(draft.id).to_json()
    assert data["id"] == draft.id and data["text"] == "¿Lo habéis leído?"
    assert data["item_role"] == "competitor"
    assert data["variants"][0]["text"] == "¿Lo habéis leído?"
    assert data["created_at"].endswith("Z")


def test_draft_writes_sync_to_disk_at_commit(cur: Curator) -> None:
    """WAL with synchronous=NORMAL can lose the last commits to a power cut: typed text is
    written with synchronous=FULL, then the connection goes back to NORMAL."""
    draft = cur.new_draft(text="a")
    conn = cur.storage.db.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        cur.save_draft_text(draft.id, "ab")
    finally:
        conn.set_trace_callback(None)
    flat = [s.strip().upper() for s in statements]
    full = flat.index("PRAGMA SYNCHRONOUS = FULL")
    commit = flat.index("COMMIT")
    assert full < flat.index("BEGIN IMMEDIATE") < commit
    assert flat.index("PRAGMA SYNCHRONOUS = NORMAL") > commit
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL for other writes
