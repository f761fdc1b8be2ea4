"""Item categories (RSS <category>, Atom <category term>, JSON Feed tags), stored on refresh."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from corehelp import Clock, open_curator

from curator import Curator, ItemQuery
from curator._parser import MAX_CATEGORIES, _fast_path_ok, parse_fast, parse_lenient
from curator.compose import suggest_hashtags
from curator.types import Item

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Diario de la campaña</title><link>https://ejemplo.es/</link>
<item><title>Arranca la campaña</title><link>https://ejemplo.es/1</link><guid>n1</guid>
  <category>Política</category>
  <category domain="https://ejemplo.es/tags">  Elecciones   generales </category>
  <category>política</category>
  <category>   </category>
  <dc:subject>Economía</dc:subject>
</item>
<item><title>Sin categorías</title><link>https://ejemplo.es/2</link><guid>n2</guid></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Notas de ventas</title>
<id>urn:notas</id><updated>2024-06-01T10:00:00Z</updated>
<entry><title>¿Cómo vender más?</title><id>urn:e1</id>
  <link href="https://ejemplo.es/ventas"/><updated>2024-06-01T10:00:00Z</updated>
  <category term="Ventas B2B" label="Ventas a empresas" scheme="https://ejemplo.es/cat"/>
  <category term="Año nuevo"/>
  <category label="sin término"/>
</entry></feed>"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Boletín",
    "items": [
        {"id": "j1", "url": "https://ejemplo.es/j1", "title": "Uno",
         "tags": ["Tecnología", 7, None, "  inteligencia artificial ", "TECNOLOGÍA"]},
        {"id": "j2", "url": "https://ejemplo.es/j2", "title": "Dos", "tags": "no es lista"},
    ],
}


@pytest.fixture
def cur(tmp_path: Path) -> Iterator[Curator]:
    with open_curator(tmp_path, Clock()) as c:
        yield c


def items_of(cur: Curator, feed_id: int) -> dict[str, Item]:
    page = cur.list_items(ItemQuery(feed_id=feed_id), limit=50)
    return {it.title or "": it for it in page.items}


def subscribe(cur: Curator, feed_server, path: str, body: str, content_type: str) -> int:  # type: ignore[no-untyped-def]
    url = feed_server.add(path, body, content_type=content_type)
    return cur.add_feed(url).feed.id


def test_rss_categories_and_dc_subject_are_stored(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    assert _fast_path_ok(RSS.encode())  # this one takes the fast parser
    feed_id = subscribe(cur, feed_server, "/rss.xml", RSS, "application/rss+xml")
    items = items_of(cur, feed_id)
    assert items["Arranca la campaña"].categories == ["Política", "Elecciones generales",
                                                      "Economía"]
    assert items["Sin categorías"].categories == []
    stored = cur.get_item(items["Arranca la campaña"].id)
    assert stored.categories == ["Política", "Elecciones generales", "Economía"]
    assert stored.to_json()["categories"] == ["Política", "Elecciones generales", "Economía"]


def test_malformed_rss_goes_through_feedparser_with_its_categories(  # type: ignore[no-untyped-def]
    cur: Curator, feed_server
) -> None:
    broken = RSS.replace("Arranca la campaña", "Arranca la campaña & más")  # bare "&"
    assert not _fast_path_ok(broken.encode())
    feed_id = subscribe(cur, feed_server, "/roto.xml", broken, "application/rss+xml")
    item = items_of(cur, feed_id)["Arranca la campaña & más"]
    assert item.categories == ["Política", "Elecciones generales", "Economía"]


def test_both_parsers_read_the_same_categories() -> None:
    body = RSS.encode()
    fast = [e.categories for e in parse_fast(body, "https://ejemplo.es/rss").entries]
    lenient = [e.categories for e in parse_lenient(body, "https://ejemplo.es/rss").entries]
    assert fast == lenient == [("Política", "Elecciones generales", "Economía"), ()]
    atom = ATOM.encode()
    fast = [e.categories for e in parse_fast(atom, "https://ejemplo.es/atom").entries]
    lenient = [e.categories for e in parse_lenient(atom, "https://ejemplo.es/atom").entries]
    assert fast == lenient == [("Ventas B2B", "Año nuevo")]


def test_atom_category_terms_are_stored(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    feed_id = subscribe(cur, feed_server, "/atom.xml", ATOM, "application/atom+xml")
    item = items_of(cur, feed_id)["¿Cómo vender más?"]
    assert item.categories == ["Ventas B2B", "Año nuevo"]  # the term; a label alone is no term
    assert suggest_hashtags(item.categories, "", []) == ["VentasB2B", "AñoNuevo"]


def test_json_feed_tags_are_stored(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(JSON_FEED, ensure_ascii=False)
    feed_id = subscribe(cur, feed_server, "/feed.json", body, "application/feed+json")
    items = items_of(cur, feed_id)
    assert items["Uno"].categories == ["Tecnología", "inteligencia artificial"]
    assert items["Dos"].categories == []  # "tags" that is not a list is ignored


def test_changed_categories_update_the_item_on_refresh(cur: Curator, feed_server) -> None:  # type: ignore[no-untyped-def]
    feed_id = subscribe(cur, feed_server, "/rss.xml", RSS, "application/rss+xml")
    first = items_of(cur, feed_id)["Arranca la campaña"]
    cur.mark_items([first.id], read=True)
    feed_server.add("/rss.xml", RSS.replace("<dc:subject>Economía</dc:subject>",
                                            "<category>Campaña electoral</category>"),
                    content_type="application/rss+xml")
    result = cur.refresh(force=True)
    assert result.feeds[0].updated_items == 1
    again = cur.get_item(first.id)
    assert again.categories == ["Política", "Elecciones generales", "Campaña electoral"]
    assert again.read  # the reader's state survives the update
    # Same categories, another order (or the other parser): not a change.
    assert cur.refresh(force=True).feeds[0].updated_items == 0


def test_categories_are_capped_and_junk_dropped() -> None:
    many = "".join(f"<category>tema {n}</category>" for n in range(60))
    junk = "<category>" + "x" * 500 + "</category><category>con\u0007control</category>"
    body = RSS.replace("<category>Política</category>", junk + many).encode()
    for parse in (parse_fast, parse_lenient):
        cats = parse(body, "https://ejemplo.es/rss").entries[0].categories
        assert len(cats) == MAX_CATEGORIES
        assert cats[0] == "concontrol" and cats[1] == "tema 0"
        assert all(len(c) <= 100 for c in cats)
