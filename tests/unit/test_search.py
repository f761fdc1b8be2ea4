"""Full-text search: ranking, phrases, prefixes, accents, filters, and hostile query text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from corehelp import Clock, add, entry, open_curator, store

from curator import Curator, ItemQuery
from curator._search import to_fts_query
from curator.errors import InvalidSearchError
from curator.types import Role


@pytest.fixture
def cur(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open_curator(tmp_path, Clock()) as c:
        yield c


def titles(cur: Curator, text: str, **filters: object) -> list[str | None]:
    page = cur.list_items(ItemQuery(search=text, **filters), limit=100)  # type: ignore[arg-type]
    return [it.title for it in page.items]


@pytest.fixture
def corpus(cur: Curator) -> dict[str, int]:
    own = add(cur, "own", role="own", folder="Work/Sales")
    rival = add(cur, "rival", role="competitor", folder="Work")
    news = add(cur, "news", folder="News")
    store(cur, own, [
        entry(1, title="Quarterly numbers", summary="<p>Our <b>campaña</b> went well.</p>"),
        entry(2, title="Campaña de primavera", summary="Spring launch notes."),
        entry(3, title="Database tips", content="<p>SQLite full text search with FTS5.</p>"),
    ])
    store(cur, rival, [
        entry(4, title="Their campaign", summary="A competitor campaign about databases."),
        entry(5, title="Campaigning hard", summary="Words that start alike."),
    ])
    store(cur, news, [
        entry(6, title="Größe matters", summary="Die Größe von Datenbanken."),
        entry(7, title="la nueva campana", summary="<p>Sin acento, la campana suena.</p>"),
        entry(8, title="Notes", summary="the quick brown fox jumps", author="José Núñez"),
        entry(9, title="More notes", summary="brown quick fox, not a phrase"),
    ])
    return {"own": own, "rival": rival, "news": news}


def test_title_match_ranks_above_body_match(cur: Curator, corpus: dict[str, int]) -> None:
    found = titles(cur, "campaña")
    assert found[:2] == ["Campaña de primavera", "la nueva campana"]
    assert set(found) == {"Campaña de primavera", "la nueva campana", "Quarterly numbers"}


def test_accents_are_ignored_both_ways(cur: Curator, corpus: dict[str, int]) -> None:
    with_accent = set(titles(cur, "campaña"))
    without = set(titles(cur, "campana"))
    assert with_accent == without
    assert "Campaña de primavera" in without and "la nueva campana" in with_accent
    assert titles(cur, "nunez") == titles(cur, "Núñez") == ["Notes"]  # author is searched too


def test_phrase_query_needs_adjacent_words(cur: Curator, corpus: dict[str, int]) -> None:
    assert titles(cur, '"quick brown fox"') == ["Notes"]
    assert set(titles(cur, "quick brown fox")) == {"Notes", "More notes"}


def test_prefix_query(cur: Curator, corpus: dict[str, int]) -> None:
    assert set(titles(cur, "campaign*")) == {"Their campaign", "Campaigning hard"}
    assert titles(cur, "campaign") == ["Their campaign"]
    assert set(titles(cur, "datab*")) == {"Database tips", "Their campaign"}
    assert titles(cur, "daten*") == ["Größe matters"]


def test_exclusion_or_and_field_queries(cur: Curator, corpus: dict[str, int]) -> None:
    assert titles(cur, "campaign -competitor") == []
    assert titles(cur, "campaign* -competitor") == ["Campaigning hard"]
    assert set(titles(cur, "fox -phrase")) == {"Notes"}
    assert set(titles(cur, "primavera OR Größe")) == {"Campaña de primavera", "Größe matters"}
    assert set(titles(cur, "title:campana")) == {"la nueva campana", "Campaña de primavera"}
    assert "Quarterly numbers" not in titles(cur, "title:campaña")


def test_search_sees_text_not_markup(cur: Curator, corpus: dict[str, int]) -> None:
    assert titles(cur, "fts5") == ["Database tips"]  # content is searched
    assert titles(cur, "href") == [] and titles(cur, "<p>") == []


def test_search_combines_with_filters(cur: Curator, corpus: dict[str, int]) -> None:
    assert set(titles(cur, "campaña", feed_id=corpus["own"])) == {
        "Campaña de primavera", "Quarterly numbers"}
    assert titles(cur, "campaña", folder="News") == ["la nueva campana"]
    assert set(titles(cur, "campa*", folder="Work")) == {
        "Campaña de primavera", "Quarterly numbers", "Their campaign", "Campaigning hard"}
    assert set(titles(cur, "campa*", role=Role.COMPETITOR)) == {"Their campaign",
                                                               "Campaigning hard"}
    spring = cur.list_items(ItemQuery(search="primavera")).items[0].id
    cur.mark_items([spring], read=True, starred=True)
    assert "Campaña de primavera" not in titles(cur, "campaña", unread=True)
    assert titles(cur, "campaña", starred=True) == ["Campaña de primavera"]
    cur.mark_items([spring], hidden=True)
    assert "Campaña de primavera" not in titles(cur, "campaña")
    assert titles(cur, "campaña", hidden_only=True) == ["Campaña de primavera"]


def test_search_pages_are_disjoint_and_complete(cur: Curator) -> None:
    feed = add(cur, "many")
    store(cur, feed, [entry(i, title=f"widget {i}") for i in range(25)])
    seen, cursor = [], None
    while True:
        page = cur.list_items(ItemQuery(search="widget"), limit=10, cursor=cursor)
        seen += [it.id for it in page.items]
        if not (cursor := page.next_cursor):
            break
    assert len(seen) == len(set(seen)) == 25


def test_bad_search_cursor_is_a_clear_error(cur: Curator, corpus: dict[str, int]) -> None:
    with pytest.raises(InvalidSearchError):
        cur.list_items(ItemQuery(search="campaña"), limit=1, cursor="o:not-a-number")


def test_updated_item_is_found_by_new_words_only(cur: Curator) -> None:
    feed = add(cur, "upd")
    store(cur, feed, [entry(1, summary="original wording")])
    assert store(cur, feed, [entry(1, summary="revised text")]) == (0, 1)
    assert titles(cur, "revised") == ["Item 1"]
    assert titles(cur, "original") == []


NASTY = [
    "", " ", "\t\n", '"', '""', '"""', "'", "(", ")", "()", "((a", "a)", "NEAR", "NEAR(a b)",
    "NEAR(", "NEAR/2", "a NEAR b", "*", "**", "a*", "*a", "-", "--", "-a", "a -", "-*", ":", "a:",
    ":a", "title:", 'title:""', "foo:bar", "title:*", "-title:a", "title:(a b)",
    'title:"a b"*', "AND", "OR", "NOT", "a OR", "OR a", "OR OR OR", "a AND OR b", "a NOT b",
    "a OR -b", "-a OR b", '"" OR ""', "^a", "a^", "+a", "{a}", "[a]", "a|b", "|", "&&",
    "a && b", '"unterminated', 'col:"x', 'a"b', "\\", "%", "_", "a.b", "http://x.y/z?q=1",
    "10:30", "c++", "c#", '"*"', "日本", "🙂", "🙂*", "\u200b", "\ufeff", "é", "e\u0301", "ß",
    "İ", "ﬁ", "a\x00b", "\x00", "\x01\x02", "x\udcffy", "\udcff", "a" * 2000, "x " * 300,
    "title:a OR author:b", "(a OR b) AND c", "summary:campana*", 'content:""*', "- - -",
]


@pytest.mark.parametrize("text", NASTY)
def test_to_fts_query_is_always_valid_fts5(text: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, author, summary, content, "
               "tokenize = 'unicode61 remove_diacritics 2')")
    db.execute("INSERT INTO t VALUES ('a b c', 'x', 'campaña', '日本')")
    query = to_fts_query(text)
    if query is not None:
        db.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()
    db.close()


def test_nasty_searches_through_the_facade(cur: Curator, corpus: dict[str, int]) -> None:
    for text in NASTY:
        cur.list_items(ItemQuery(search=text), limit=5)  # never raises


def test_nothing_searchable_gives_no_query() -> None:
    for text in ("", "   ", '"', "()", "-", "*", "-a", ":", "AND", "\x00"):
        assert to_fts_query(text) is None, text


def test_punctuation_is_literal_text(cur: Curator) -> None:
    feed = add(cur, "punct")
    store(cur, feed, [entry(1, title="Meeting at 10:30 about c++"),
                      entry(2, title="NEAR the end")])
    assert titles(cur, "10:30") == ["Meeting at 10:30 about c++"]
    assert titles(cur, "NEAR") == ["NEAR the end"]


def test_count_and_mark_all_read_honour_search(cur: Curator, corpus: dict[str, int]) -> None:
    query = ItemQuery(search="campaña")
    assert cur.count_items(query) == 3
    assert cur.count_items(ItemQuery(search="campaña", folder="News")) == 1
    assert cur.count_items(ItemQuery(search="-only")) == 0
    assert cur.mark_all_read(query) == 3
    assert cur.count_items(ItemQuery(unread=True)) == 6  # only the matches were marked
    assert titles(cur, "campaña", unread=True) == []


def test_many_matches_rank_only_the_newest(cur: Curator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past RANK_CANDIDATES matches, the best title match among the newest ones wins, and an
    old perfect match is left out; a narrow filter still finds its items (ranked in full)."""
    import curator._storage as storage

    monkeypatch.setattr(storage, "RANK_CANDIDATES", 5)
    old = add(cur, "old")
    new = add(cur, "new")
    store(cur, old, [entry("o1", title="kernel kernel kernel", summary="kernel")])
    store(cur, new, [entry(f"n{i}", title=f"news {i}", summary="a kernel release")
                     for i in range(8)])
    store(cur, new, [entry("n9", title="kernel", summary="kernel notes")])
    found = titles(cur, "kernel")
    assert found[0] == "kernel"
    assert "kernel kernel kernel" not in found and len(found) == 5
    assert titles(cur, "kernel", feed_id=old) == ["kernel kernel kernel"]
    monkeypatch.setattr(storage, "RANK_CANDIDATES", 100)
    assert titles(cur, "kernel")[0] == "kernel kernel kernel"
