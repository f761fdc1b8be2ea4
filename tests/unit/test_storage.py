"""Storage: schema and migrations, feeds, item state, filters and keyset pagination."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from corehelp import T0, Clock, add, entry, open_curator, store

from curator import Curator, ItemQuery, _schema
from curator._sqlite import Database, migrate
from curator.errors import (
    FeedExistsError,
    FeedNotFoundError,
    InvalidSearchError,
    ItemNotFoundError,
    StorageError,
)
from curator.types import Role


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cur(tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    with open_curator(tmp_path / "data", clock) as c:
        yield c


def ids(cur: Curator, query: ItemQuery | None = None, limit: int = 1000) -> list[int]:
    return [it.id for it in cur.list_items(query, limit=limit).items]


# ---- schema ---------------------------------------------------------------------------------


def test_new_database_is_versioned_wal_with_foreign_keys(cur: Curator) -> None:
    conn = cur.storage.db.conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == _schema.VERSION >= 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"feeds", "items", "items_fts"} <= tables


def test_every_thread_connection_has_foreign_keys(cur: Curator) -> None:
    import threading

    seen = []
    t = threading.Thread(
        target=lambda: seen.append(cur.storage.db.conn.execute("PRAGMA foreign_keys").fetchone()[0])
    )
    t.start()
    t.join()
    assert seen == [1]


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    with open_curator(tmp_path) as c:
        feed_id = add(c, "a")
        store(c, feed_id, [entry(1)])
    with open_curator(tmp_path) as c:
        assert [f.url for f in c.list_feeds()] == ["https://a.example.com/feed"]
        assert c.count_items() == 1
    assert not list(tmp_path.glob("*.bak"))


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with open_curator(tmp_path) as c:
        c.storage.db.conn.execute(f"PRAGMA user_version = {_schema.VERSION + 1}")
    with pytest.raises(StorageError, match="newer"):
        Curator(tmp_path)


def test_forward_migration_backs_up_and_bumps_version(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    db = Database(path)
    migrate(db, 1, "CREATE TABLE t (a INTEGER);", {})
    db.conn.execute("INSERT INTO t VALUES (7)")

    def add_column(c: sqlite3.Connection) -> None:
        c.execute("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'")

    migrate(db, 2, "unused", {1: add_column})
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert [tuple(r) for r in db.conn.execute("SELECT a, b FROM t")] == [(7, "x")]
    backup = sqlite3.connect(tmp_path / "m.db.v1.bak")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert backup.execute("SELECT * FROM t").fetchall() == [(7,)]
    backup.close()
    db.close()


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    db = Database(tmp_path / "m.db")
    migrate(db, 1, "CREATE TABLE t (a INTEGER);", {})

    def broken(c: sqlite3.Connection) -> None:
        c.execute("ALTER TABLE t ADD COLUMN b TEXT")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        migrate(db, 2, "unused", {1: broken})
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert [r[1] for r in db.conn.execute("PRAGMA table_info(t)")] == ["a"]
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "curator.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError):
        Curator(tmp_path)


# ---- feeds ----------------------------------------------------------------------------------


def test_feed_crud(cur: Curator) -> None:
    a = add(cur, "a", folder=" Tech / Python ", role="competitor")
    feed = cur.get_feed(a)
    assert (feed.folder, feed.role, feed.unread, feed.total) == (
        "Tech/Python", Role.COMPETITOR, 0, 0)
    assert cur.get_feed(feed.url).id == a
    with pytest.raises(FeedExistsError):
        cur.add_feed(feed.url, fetch=False)
    updated = cur.update_feed(a, title="Mine", folder="", role="own")
    assert (updated.title, updated.folder, updated.role) == ("Mine", None, Role.OWN)
    b = add(cur, "b")
    with pytest.raises(FeedExistsError):
        cur.update_feed(b, url=feed.url)
    with pytest.raises(FeedNotFoundError):
        cur.get_feed(999)
    with pytest.raises(FeedNotFoundError):
        cur.get_feed("https://nowhere.example/feed")
    with pytest.raises(FeedNotFoundError):
        cur.remove_feed(999)


def test_feed_unread_counts(cur: Curator) -> None:
    a = add(cur, "a")
    store(cur, a, [entry(i) for i in range(5)])
    first = cur.list_items().items[0].id
    cur.mark_items([first], read=True)
    second = cur.list_items().items[1].id
    cur.mark_items([second], hidden=True)
    feed = cur.get_feed(a)
    assert (feed.unread, feed.total) == (3, 5)


def test_removing_a_feed_removes_its_items_and_search_rows(cur: Curator) -> None:
    a, b = add(cur, "a"), add(cur, "b")
    store(cur, a, [entry(i, title=f"zebra {i}") for i in range(3)])
    store(cur, b, [entry(i, title=f"zebra other {i}") for i in range(2)])
    gone = ids(cur, ItemQuery(feed_id=a))
    removed = cur.remove_feed(a)
    assert removed.total == 3
    conn = cur.storage.db.conn
    assert conn.execute("SELECT count(*) FROM items WHERE feed_id = ?", (a,)).fetchone()[0] == 0
    marks = ",".join("?" * len(gone))
    assert conn.execute(f"SELECT count(*) FROM items_fts WHERE rowid IN ({marks})",
                        gone).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM items_fts").fetchone()[0] == 2
    assert len(ids(cur, ItemQuery(search="zebra"))) == 2
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO items_fts(items_fts) VALUES('integrity-check')")  # raises if not


# ---- item state -----------------------------------------------------------------------------


def test_mark_read_unread_star_hide(cur: Curator) -> None:
    a = add(cur, "a")
    store(cur, a, [entry(i) for i in range(4)])
    i0, i1, i2, i3 = ids(cur)
    assert cur.mark_items([i0, i1], read=True) == 2
    assert set(ids(cur, ItemQuery(unread=True))) == {i2, i3}
    cur.mark_items([i1], read=False)
    assert set(ids(cur, ItemQuery(unread=True))) == {i1, i2, i3}
    cur.mark_items([i2], starred=True)
    assert ids(cur, ItemQuery(starred=True)) == [i2]
    cur.mark_items([i3], hidden=True)
    assert i3 not in ids(cur)  # hidden items are excluded by default
    assert ids(cur, ItemQuery(hidden_only=True)) == [i3]
    assert set(ids(cur, ItemQuery(include_hidden=True))) == {i0, i1, i2, i3}
    assert cur.count_items() == 3
    item = cur.get_item(i2)
    assert (item.read, item.starred, item.hidden) == (False, True, False)
    cur.mark_items([i2], starred=False, read=True)
    item = cur.get_item(i2)
    assert (item.read, item.starred) == (True, False)


def test_mark_unknown_item_changes_nothing(cur: Curator) -> None:
    a = add(cur, "a")
    store(cur, a, [entry(1)])
    (i,) = ids(cur)
    with pytest.raises(ItemNotFoundError):
        cur.mark_items([i, 12345], read=True)
    assert not cur.get_item(i).read
    with pytest.raises(ItemNotFoundError):
        cur.get_item(12345)


def test_mark_all_read_respects_filters(cur: Curator) -> None:
    a, b = add(cur, "a"), add(cur, "b")
    store(cur, a, [entry(i) for i in range(3)])
    store(cur, b, [entry(i) for i in range(2)])
    assert cur.mark_all_read(ItemQuery(feed_id=a)) == 3
    assert cur.count_items(ItemQuery(unread=True)) == 2
    assert cur.mark_all_read(ItemQuery(feed_id=a)) == 0
    assert cur.mark_all_read() == 2


# ---- filters --------------------------------------------------------------------------------


def test_folder_filter_includes_subfolders_only(cur: Curator) -> None:
    feeds = {
        "tech": add(cur, "tech", folder="Tech"),
        "py": add(cur, "py", folder="Tech/Python"),
        "deep": add(cur, "deep", folder="Tech/Python/Async"),
        "techno": add(cur, "techno", folder="Technology"),
        "under": add(cur, "under", folder="a_b"),
        "under2": add(cur, "under2", folder="axb/c"),
        "none": add(cur, "none"),
    }
    for name, feed_id in feeds.items():
        store(cur, feed_id, [entry(name)])

    def feeds_in(folder: str) -> set[int]:
        return {it.feed_id for it in cur.list_items(ItemQuery(folder=folder)).items}

    assert feeds_in("Tech") == {feeds["tech"], feeds["py"], feeds["deep"]}
    assert feeds_in("Tech/Python") == {feeds["py"], feeds["deep"]}
    assert feeds_in("a_b") == {feeds["under"]}  # "_" is not a LIKE wildcard here
    assert feeds_in("Nope") == set()
    assert cur.folders() == sorted(
        ["Tech", "Tech/Python", "Tech/Python/Async", "Technology", "a_b", "axb/c"])


def test_role_and_feed_filters(cur: Curator) -> None:
    own = add(cur, "own", role="own")
    comp = add(cur, "comp", role="competitor")
    store(cur, own, [entry(1), entry(2)])
    store(cur, comp, [entry(3)])
    assert {cur.get_item(i).feed_id for i in ids(cur, ItemQuery(role=Role.OWN))} == {own}
    assert len(ids(cur, ItemQuery(role=Role.COMPETITOR))) == 1
    assert len(ids(cur, ItemQuery(role=Role.THIRD_PARTY))) == 0
    assert len(ids(cur, ItemQuery(feed_id=own))) == 2


# ---- keyset pagination ----------------------------------------------------------------------


def _fill(cur: Curator, clock: Clock, n: int) -> None:
    a, b = add(cur, "a"), add(cur, "b")
    # Many equal dates (ties broken by id), some undated (sorted by first seen).
    store(cur, a, [entry(i, published=T0 - timedelta(hours=i // 3)) for i in range(n // 2)])
    store(cur, b, [entry(f"b{i}", published=None if i % 4 == 0 else T0 - timedelta(hours=i))
                   for i in range(n - n // 2)])


def _sort_key(cur: Curator, item_id: int) -> tuple[str, int]:
    row = cur.storage.db.conn.execute("SELECT sort_date FROM items WHERE id = ?",
                                      (item_id,)).fetchone()
    return row[0], item_id


def test_keyset_pages_are_disjoint_complete_and_ordered(cur: Curator, clock: Clock) -> None:
    _fill(cur, clock, 40)
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = cur.list_items(limit=7, cursor=cursor)
        pages.append([it.id for it in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [len(p) for p in pages] == [7, 7, 7, 7, 7, 5]
    flat = [i for p in pages for i in p]
    assert len(flat) == len(set(flat)) == 40
    assert flat == ids(cur)
    keys = [_sort_key(cur, i) for i in flat]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("unread", [False, True])
def test_oldest_first_pages_are_the_newest_first_order_reversed(
    cur: Curator, clock: Clock, unread: bool
) -> None:
    _fill(cur, clock, 40)
    query = ItemQuery(unread=unread)
    newest = ids(cur, query)
    flat: list[int] = []
    cursor = None
    while True:
        page = cur.list_items(replace(query, oldest_first=True), limit=6, cursor=cursor)
        flat += [it.id for it in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert flat == newest[::-1] and len(flat) == 40
    # The end of an oldest-first list reads on from its last row when newer items arrive.
    last = cur.list_items(replace(query, oldest_first=True), limit=100)
    assert last.next_cursor is None and last.resume_cursor is not None
    c = add(cur, f"c{unread}")
    store(cur, c, [entry("later", published=T0 + timedelta(days=2))])
    (later,) = cur.list_items(replace(query, oldest_first=True), cursor=last.resume_cursor).items
    assert later.title == "Item later"
    one_feed = cur.list_items(ItemQuery(feed_id=cur.list_feeds()[0].id, oldest_first=True))
    dates = [_sort_key(cur, it.id) for it in one_feed.items]
    assert dates == sorted(dates) and len(dates) == 20


def test_exact_page_has_no_next_cursor(cur: Curator, clock: Clock) -> None:
    _fill(cur, clock, 10)
    page = cur.list_items(limit=10)
    assert len(page.items) == 10 and page.next_cursor is None
    assert cur.list_items(limit=9).next_cursor is not None


def test_keyset_pages_stable_when_items_arrive(cur: Curator, clock: Clock) -> None:
    _fill(cur, clock, 30)
    before = ids(cur)
    first = cur.list_items(limit=10)
    # New items arrive between pages: newer ones, and an old one dated inside page 1's range.
    c = add(cur, "c")
    clock.advance(minutes=5)
    store(cur, c, [entry("new1", published=T0 + timedelta(days=1)), entry("new2", published=None),
                   entry("old", published=T0 - timedelta(days=30))])
    seen = [it.id for it in first.items]
    cursor = first.next_cursor
    while cursor:
        page = cur.list_items(limit=10, cursor=cursor)
        seen += [it.id for it in page.items]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen))  # nothing twice
    assert set(before) <= set(seen)  # nothing skipped
    assert seen[:30] == before  # the old pages did not shift


def test_filtered_pagination(cur: Curator, clock: Clock) -> None:
    _fill(cur, clock, 40)
    unread = ids(cur, ItemQuery(unread=True))
    cur.mark_items(unread[::2], read=True)
    want = ids(cur, ItemQuery(unread=True))
    got, cursor = [], None
    while True:
        page = cur.list_items(ItemQuery(unread=True), limit=3, cursor=cursor)
        got += [it.id for it in page.items]
        if not (cursor := page.next_cursor):
            break
    assert got == want and len(want) == 20


@pytest.mark.parametrize("bad", ["garbage", "2024|x", "|", "o:12"])
def test_bad_cursor_is_a_clear_error(cur: Curator, clock: Clock, bad: str) -> None:
    _fill(cur, clock, 4)
    with pytest.raises(InvalidSearchError):
        cur.list_items(limit=2, cursor=bad)


def test_undated_items_sort_by_first_seen(cur: Curator, clock: Clock) -> None:
    a = add(cur, "a")
    store(cur, a, [entry("old", published=T0 - timedelta(days=1))])
    clock.advance(hours=1)
    store(cur, a, [entry("undated", published=None)])
    newest = cur.list_items().items[0]
    assert newest.title == "Item undated"
    assert newest.published is None
    assert newest.date == newest.first_seen == clock.now


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('feeds', 'items')")]
    return {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}


def test_version_1_database_is_migrated(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    v1 = (Path(__file__).parent.parent / "data" / "schema" / "v1.sql").read_text()
    conn = sqlite3.connect(old / "curator.db")
    conn.executescript(v1 + "\nPRAGMA user_version = 1;")
    conn.execute("INSERT INTO feeds (url, added_at) VALUES ('https://old.example/f', "
                 "'2024-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    with open_curator(old) as c:
        assert c.storage.db.conn.execute("PRAGMA user_version").fetchone()[0] == _schema.VERSION
        assert [f.url for f in c.list_feeds()] == ["https://old.example/f"]
        assert c.storage.feeds_for_update()[0].url == "https://old.example/f"
        migrated = _columns(c.storage.db.conn), _indexes(c.storage.db.conn)
    assert (old / "curator.db.v1.bak").exists()
    assert (old / "curator.db.v2.bak").exists()
    assert (old / "curator.db.v3.bak").exists()
    assert (old / "curator.db.v4.bak").exists()
    with open_curator(tmp_path / "fresh") as c:
        assert migrated == (_columns(c.storage.db.conn), _indexes(c.storage.db.conn))


def _indexes(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")}


# ---- query plans ----------------------------------------------------------------------------


def _plans(cur: Curator, call) -> list[str]:  # type: ignore[no-untyped-def]
    """The query plan of every SELECT the call runs (no ANALYZE statistics, as in a new
    database: the planner's worst case)."""
    conn = cur.storage.db.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            plans.append(" | ".join(r[3] for r in rows))
    return plans


@pytest.mark.parametrize("query", [
    ItemQuery(feed_id=1, unread=True),
    ItemQuery(folder="Small", unread=True),
    ItemQuery(role=Role.OWN, unread=True),
    ItemQuery(folder="Small"),
])
def test_narrow_lists_go_through_the_feed_index(cur: Curator, query: ItemQuery) -> None:
    """A feed, folder or role view must not walk every item (or every unread item)."""
    small = add(cur, "small", folder="Small", role="own")
    big = add(cur, "big")
    store(cur, small, [entry(f"s{i}") for i in range(3)])
    store(cur, big, [entry(f"b{i}") for i in range(300)])
    query = ItemQuery(**{**query.__dict__, "feed_id": small if query.feed_id else None})
    plans = _plans(cur, lambda: cur.list_items(query))
    assert plans and all("items_by_feed_date" in p for p in plans), plans
    assert len(cur.list_items(query).items) == 3


def test_feed_list_counts_items_in_one_pass(cur: Curator) -> None:
    for name in ("a", "b", "c"):
        store(cur, add(cur, name), [entry(f"{name}{i}") for i in range(5)])
    plans = _plans(cur, cur.list_feeds)
    assert plans and not any("CORRELATED" in p for p in plans), plans
    assert [f.unread for f in cur.list_feeds()] == [5, 5, 5]


def test_folder_filter_accepts_the_spellings_folders_are_stored_under(cur: Curator) -> None:
    store(cur, add(cur, "py", folder="Tech/Python"), [entry("p")])
    for spelling in ("Tech", "Tech/", " Tech / Python ", "Tech\\Python"):
        assert len(ids(cur, ItemQuery(folder=spelling))) == 1, spelling
    assert ids(cur, ItemQuery(folder="Te")) == []
