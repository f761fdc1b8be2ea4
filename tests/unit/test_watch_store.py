"""Watch lists in the core: CRUD, rematch, counts, item filters with paging, and matching at
ingest through a real refresh against the local feed server."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from corehelp import T0, Clock, add, entry, open_curator, store

from curator import Curator, FetchSettings, ItemQuery
from curator.errors import WatchListExistsError, WatchListNotFoundError, WatchTermError
from curator.types import RefreshResult

FAST = FetchSettings(connect_timeout=2.0, read_timeout=2.0, deadline=5.0, workers=4, per_host=4)


@pytest.fixture
def cur(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open_curator(tmp_path, Clock()) as c:
        yield c


@pytest.fixture
def news(cur: Curator) -> int:
    feed = add(cur, "news")
    store(cur, feed, [
        entry(1, title="Telefónica gana clientes", summary="<p>Resultados del trimestre.</p>"),
        entry(2, title="Resultados", summary="<p>La <b>TELEFONICA</b> de siempre.</p>"),
        entry(3, title="Acmeist", summary="<p>Nada que ver con la empresa.</p>"),
        entry(4, title="Bancos", content="<p>El Banco\nSantander y <i>Acme</i>.</p>"),
        entry(5, title="Tiempo", summary="Lluvia en Madrid."),
    ])
    return feed


def titles(cur: Curator, query: ItemQuery) -> list[str | None]:
    return sorted(it.title for it in cur.list_items(query, limit=100).items)


def test_add_list_matches_stored_items_at_once(cur: Curator, news: int) -> None:
    lst = cur.add_watch_list("Competidores", ["telefonica", "Acme"])
    assert lst.name == "Competidores" and lst.terms == ["telefonica", "Acme"] and not lst.regex
    assert titles(cur, ItemQuery(watch_list_id=lst.id)) == [
        "Bancos", "Resultados", "Telefónica gana clientes"]
    assert cur.watch_counts() == {lst.id: 3}
    by_title = {it.title: it for it in cur.list_items(limit=100).items}
    assert by_title["Telefónica gana clientes"].watched
    assert not by_title["Acmeist"].watched and not by_title["Tiempo"].watched
    assert cur.get_item(by_title["Bancos"].id).watched
    matches = cur.watch_matches(by_title["Bancos"].id)
    assert [(m.list_name, m.term) for m in matches] == [("Competidores", "Acme")]
    assert cur.list_watch_lists() == [lst]
    assert cur.get_watch_list("competidores") == lst  # names ignore case


def test_editing_a_list_rematches_it(cur: Curator, news: int) -> None:
    lst = cur.add_watch_list("Bancos", ["Banco Santander"])
    assert titles(cur, ItemQuery(watch_list_id=lst.id)) == ["Bancos"]
    lst = cur.update_watch_list("Bancos", terms=["/lluvia|sol/", "Banco Santander"])
    assert lst.regex
    assert titles(cur, ItemQuery(watch_list_id=lst.id)) == ["Bancos", "Tiempo"]
    lst = cur.update_watch_list(lst.id, terms=["/lluvia|sol/"], name="Clima")
    assert lst.name == "Clima"
    assert titles(cur, ItemQuery(watch_list_id=lst.id)) == ["Tiempo"]
    bancos = next(it for it in cur.list_items(limit=100).items if it.title == "Bancos")
    assert not bancos.watched and cur.watch_matches(bancos.id) == []


def test_a_bad_term_changes_nothing(cur: Curator, news: int) -> None:
    lst = cur.add_watch_list("Competidores", ["Acme"])
    with pytest.raises(WatchTermError, match=r"'/acme\(/'"):
        cur.update_watch_list(lst.id, terms=["Acme", "/acme(/"])
    with pytest.raises(WatchTermError):
        cur.add_watch_list("Otra", ["/[/"])
    assert [w.name for w in cur.list_watch_lists()] == ["Competidores"]
    assert cur.get_watch_list(lst.id).terms == ["Acme"]


def test_names_are_unique_and_lookups_fail_clearly(cur: Curator) -> None:
    cur.add_watch_list("Clientes clave", ["Iberdrola"])
    with pytest.raises(WatchListExistsError, match="(?i)clientes clave"):
        cur.add_watch_list("CLIENTES CLAVE", ["Endesa"])
    with pytest.raises(WatchListNotFoundError, match="'Nadie'"):
        cur.get_watch_list("Nadie")
    with pytest.raises(WatchListNotFoundError, match="id 99"):
        cur.remove_watch_list(99)


def test_remove_list_drops_its_matches_only(cur: Curator, news: int) -> None:
    a = cur.add_watch_list("A", ["Acme"])
    b = cur.add_watch_list("B", ["Telefónica"])
    cur.remove_watch_list("A")
    assert set(cur.watch_counts()) == {b.id}
    assert titles(cur, ItemQuery(watched=True)) == ["Resultados", "Telefónica gana clientes"]
    assert cur.count_items(ItemQuery(watch_list_id=a.id)) == 0


def test_counts_are_unread_and_visible_matches(cur: Curator, news: int) -> None:
    lst = cur.add_watch_list("Competidores", ["Telefónica", "Acme", "Banco Santander"])
    ids = {it.title: it.id for it in cur.list_items(limit=100).items}
    assert cur.watch_counts() == {lst.id: 3}  # "Bancos" matches two terms, counted once
    cur.mark_items([ids["Bancos"]], read=True)
    cur.mark_items([ids["Resultados"]], hidden=True)
    assert cur.watch_counts() == {lst.id: 1}
    assert titles(cur, ItemQuery(watch_list_id=lst.id, unread=True)) == [
        "Telefónica gana clientes"]
    assert cur.mark_all_read(ItemQuery(watch_list_id=lst.id)) == 1
    assert cur.watch_counts() == {lst.id: 0}


@pytest.mark.parametrize("busy", [False, True], ids=["quiet list", "busy list"])
def test_watch_filters_page_with_the_keyset_cursor(cur: Curator, busy: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A busy list pages by walking dates, a quiet one from its matches: the same pages.
    monkeypatch.setattr("curator._storage.BUSY_LIST", 1 if busy else 10**9)
    feed = add(cur, "busy")
    store(cur, feed, [
        entry(n, title=f"Nota {n}" + (" sobre Iberdrola" if n % 3 == 0 else ""),
              published=T0 - timedelta(hours=n))
        for n in range(1, 61)
    ])
    lst = cur.add_watch_list("Energía", ["iberdrola"])
    other = cur.add_watch_list("Vacía", ["Nadie dice esto"])
    for query in (ItemQuery(watch_list_id=lst.id), ItemQuery(watched=True)):
        seen: list[str | None] = []
        cursor = None
        while True:
            page = cur.list_items(query, limit=7, cursor=cursor)
            seen += [it.title for it in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [f"Nota {n} sobre Iberdrola" for n in range(3, 61, 3)]  # newest first
    assert cur.count_items(ItemQuery(watch_list_id=lst.id)) == 20
    assert cur.list_items(ItemQuery(watch_list_id=other.id)).items == []
    # Combined with search and other filters.
    assert titles(cur, ItemQuery(watch_list_id=lst.id, search="30")) == ["Nota 30 sobre Iberdrola"]


def test_removing_and_restoring_a_feed_keeps_its_matches(cur: Curator, news: int) -> None:
    lst = cur.add_watch_list("Competidores", ["Acme", "Telefónica"])
    removed = cur.remove_feed_undoable(news)
    assert cur.watch_counts() == {lst.id: 0}
    cur.restore_feed(removed)
    assert cur.watch_counts() == {lst.id: 3}


# ---- ingest: a real refresh against the local feed server ----------------------------------


def rss(items: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"<item><title>{title}</title><link>https://e.com/{guid}</link><guid>urn:{guid}</guid>"
        f"<description><![CDATA[{html}]]></description>"
        f"<pubDate>Mon, 01 Apr 2024 10:00:00 GMT</pubDate></item>"
        for guid, title, html in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Noticias</title><link>https://e.com/</link>{body}</channel></rss>")


def test_refresh_matches_only_new_items_and_counts_mentions(tmp_path: Path,
                                                            feed_server) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    with Curator(tmp_path / "data", fetch=FAST, now=clock) as app:
        url = feed_server.add("/noticias.xml", rss([
            ("1", "Telefónica y Acme", "<p>Hoy.</p>"),
            ("2", "El tiempo", "<p>Sol.</p>"),
        ]))
        app.add_feed(url, fetch=False)
        rivals = app.add_watch_list("Competidores", ["telefonica", "Acme"])
        banks = app.add_watch_list("Bancos", ["Banco Santander"])
        first = app.refresh()
        assert first.mentions == {"Competidores": 1}  # one item, however many terms
        assert first.to_json()["mentions"] == {"Competidores": 1}
        # The same items again, plus new ones: only the new ones count.
        feed_server.add("/noticias.xml", rss([
            ("1", "Telefónica y Acme", "<p>Hoy.</p>"),
            ("2", "El tiempo", "<p>Sol.</p>"),
            ("3", "Mercados", "<p>El <b>BANCO</b>\nSANTANDER y TELEFÓNICA suben.</p>"),
            ("4", "Acmeist", "<p>No es la empresa.</p>"),
            ("5", "Más de ACME", "<p>&lt;script&gt;</p>"),
        ]))
        clock.advance(hours=1)
        second = app.refresh()
        assert isinstance(second, RefreshResult)
        assert second.mentions == {"Bancos": 1, "Competidores": 2}
        assert app.watch_counts() == {rivals.id: 3, banks.id: 1}
        assert titles(app, ItemQuery(watch_list_id=banks.id)) == ["Mercados"]
        # Nothing new: no mentions, even though matching items are stored.
        feed_server.add("/noticias.xml", rss([("1", "Telefónica y Acme", "<p>Hoy.</p>")]))
        clock.advance(hours=1)
        assert app.refresh().mentions == {}


def test_refresh_without_lists_reports_no_mentions(tmp_path: Path, feed_server) -> None:  # type: ignore[no-untyped-def]
    with Curator(tmp_path / "data", fetch=FAST, now=Clock()) as app:
        app.add_feed(feed_server.add("/a.xml", rss([("1", "Telefónica", "")])), fetch=False)
        result = app.refresh()
        assert result.new_items == 1 and result.mentions == {}


def test_subscribing_matches_the_first_items(tmp_path: Path, feed_server) -> None:  # type: ignore[no-untyped-def]
    with Curator(tmp_path / "data", fetch=FAST, now=Clock()) as app:
        lst = app.add_watch_list("Competidores", ["Acme"])
        app.add_feed(feed_server.add("/a.xml", rss([("1", "ACME crece", ""), ("2", "Otra", "")])))
        assert app.watch_counts() == {lst.id: 1}


def test_schema_v9_database_is_migrated(tmp_path: Path) -> None:
    with open_curator(tmp_path) as c:
        c.add_watch_list("A", ["Acme"])
    db = sqlite3.connect(tmp_path / "curator.db")
    db.executescript("DROP TABLE watch_matches; DROP TABLE watch_lists; PRAGMA user_version = 9;")
    db.close()
    with open_curator(tmp_path) as c:
        assert c.list_watch_lists() == []
        lst = c.add_watch_list("A", ["Acme"])
        assert c.watch_counts() == {lst.id: 0}
    assert (tmp_path / "curator.db.v9.bak").exists()
