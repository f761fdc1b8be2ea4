"""The sources tree: Qt's model checks, structure, counts, tooltips, queries, the window."""

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from uihelpers import GOLDEN_ITEMS, open_window, source_index

from curator import ItemQuery
from curator.types import Feed, Role
from ui.models import format_local
from ui.sources import ALL_KEY, KeyRole, SourceTreeModel, load_sources

NOW = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
ROOT = QModelIndex()


def feed(id, title, *, folder=None, role=Role.THIRD_PARTY, unread=0, **kwargs):
    fields = dict(
        id=id,
        url=f"https://example.com/{id}.xml",
        title=title,
        site_url=None,
        role=role,
        folder=folder,
        added_at=NOW,
        last_fetched_at=None,
        last_success_at=None,
        last_error=None,
        error_count=0,
        next_retry_at=None,
        disabled=False,
        unread=unread,
        total=unread,
    )
    fields.update(kwargs)
    return Feed(**fields)


FEEDS = [
    feed(1, "Planet Python", folder="Tech/Python", unread=3),
    feed(2, "Rust Blog", folder="Tech", unread=2, role=Role.COMPETITOR),
    feed(3, "Our news", role=Role.OWN, unread=0),
    feed(4, "Cooking", folder="Life", unread=1),
    feed(5, "Loose", unread=4),
]
COUNTS = {"unread": 10, "starred": 2}


def children(model, parent=ROOT):
    return [model.index(row, 0, parent) for row in range(model.rowCount(parent))]


def texts(model, parent=ROOT):
    return [index.data() for index in children(model, parent)]


@pytest.fixture
def model():
    model = SourceTreeModel()
    model.set_data(FEEDS, COUNTS)
    return model


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.parametrize("force_py", [False, True], ids=["cpp", "py"])
def test_source_tree_model_passes_qtmodeltester(qtmodeltester, force_py):
    model = SourceTreeModel()
    qtmodeltester.check(model, force_py=force_py)
    model.set_data(FEEDS, COUNTS)
    qtmodeltester.check(model, force_py=force_py)
    # A tester watching a fresh model through an in-place update (counts only), then a
    # reshaping one (a model is checked once: a second check would double its handlers).
    other = SourceTreeModel()
    other.set_data(FEEDS, COUNTS)
    qtmodeltester.check(other, force_py=force_py)
    other.set_data([feed(1, "Planet Python", folder="Tech/Python", unread=0), *FEEDS[1:]],
                   {"unread": 7, "starred": 1})
    other.set_data(FEEDS[:2], {"unread": 5, "starred": 0})


def test_a_reload_that_only_changes_counts_updates_rows_in_place(model):
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda first, last, roles: changed.append(first.parent()))
    python = model.index_for_key(("folder", "Tech/Python"))
    persistent = QPersistentModelIndex(model.index_for_key(("feed", 1)))
    model.set_data([feed(1, "Planet Python", folder="Tech/Python", unread=1), *FEEDS[1:]],
                   {"unread": 8, "starred": 2})
    assert resets == [] and changed
    assert python.data() == "Python (1)" and persistent.data() == "Planet Python (1)"
    assert model.index_for_key(ALL_KEY).data() == "All items (8)"

    model.set_data([*FEEDS, feed(6, "New one", unread=1)], COUNTS)  # a row appears: reset
    assert resets == [1]
    assert "New one (1)" in texts(model)


def test_structure_roles_folders_then_loose_feeds(model):
    assert texts(model) == [
        "All items (10)",
        "Unread (10)",
        "Starred (2)",
        "Roles",
        "Life (1)",
        "Tech (5)",
        "Our news",
        "Loose (4)",  # feeds in the order the core lists them
    ]
    roles = model.index_for_key(("group", "roles"))
    assert texts(model, roles) == ["Third-party (8)", "Competitors (2)", "Own"]
    tech = model.index_for_key(("folder", "Tech"))
    assert texts(model, tech) == ["Python (3)", "Rust Blog (2)"]  # subfolders first
    python = model.index_for_key(("folder", "Tech/Python"))
    assert python.parent() == tech
    assert texts(model, python) == ["Planet Python (3)"]
    assert model.index_for_key(("feed", 1)).parent() == python
    assert texts(model, model.index_for_key(("folder", "Life"))) == ["Cooking (1)"]


def test_nodes_with_unread_are_bold(model):
    def bold(key):
        font = model.index_for_key(key).data(Qt.ItemDataRole.FontRole)
        return font is not None and font.bold()

    assert bold(ALL_KEY) and bold(("folder", "Tech")) and bold(("feed", 5))
    assert bold(("role", "competitor"))
    assert not bold(("feed", 3)) and not bold(("role", "own"))
    assert not bold(("special", "starred"))  # starred counts starred items, not unread ones


def test_failing_feeds_have_an_icon_and_a_tooltip_with_the_next_retry():
    retry = datetime(2024, 3, 6, 14, 30, tzinfo=UTC)
    model = SourceTreeModel()
    model.set_data(
        [
            feed(1, "Fine"),
            feed(2, "Broken", last_error="HTTP 500", error_count=2, next_retry_at=retry),
            feed(3, "Dead", last_error="HTTP 404", error_count=9, disabled=True),
        ],
        {},
    )
    fine = model.index_for_key(("feed", 1))
    assert fine.data(Qt.ItemDataRole.DecorationRole) is None
    assert fine.data(Qt.ItemDataRole.ToolTipRole) == "https://example.com/1.xml"
    broken = model.index_for_key(("feed", 2))
    assert not broken.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert broken.data(Qt.ItemDataRole.ToolTipRole) == (
        f"HTTP 500\nNext retry: {format_local(retry)}"
    )
    dead = model.index_for_key(("feed", 3))
    assert not dead.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert dead.data(Qt.ItemDataRole.ToolTipRole) == "HTTP 404\nDisabled"


def test_every_node_maps_to_a_query(model):
    def query(key):
        return model.query_for(model.index_for_key(key))

    assert query(ALL_KEY) == ItemQuery()
    assert query(("special", "unread")) == ItemQuery(unread=True)
    assert query(("special", "starred")) == ItemQuery(starred=True)
    assert query(("role", "third-party")) == ItemQuery(role=Role.THIRD_PARTY)
    assert query(("role", "competitor")) == ItemQuery(role=Role.COMPETITOR)
    assert query(("role", "own")) == ItemQuery(role=Role.OWN)
    assert query(("folder", "Tech")) == ItemQuery(folder="Tech")
    assert query(("folder", "Tech/Python")) == ItemQuery(folder="Tech/Python")
    assert query(("feed", 4)) == ItemQuery(feed_id=4)
    assert model.query_for(QModelIndex()) == ItemQuery()


def test_keys_are_stable_across_reloads(model):
    index = model.index_for_key(("folder", "Tech/Python"))
    assert index.data(KeyRole) == ("folder", "Tech/Python")
    assert model.key_for(index) == ("folder", "Tech/Python")
    # Another feed appears before it and the counts change: the key still finds the node.
    model.set_data([feed(9, "Another", folder="A"), *FEEDS], {"unread": 11, "starred": 0})
    again = model.index_for_key(("folder", "Tech/Python"))
    assert again.isValid() and again.data() == "Python (3)"
    model.set_data(FEEDS[1:], COUNTS)
    assert not model.index_for_key(("folder", "Tech/Python")).isValid()  # gone
    assert model.key_for(QModelIndex()) == ALL_KEY


def test_load_sources_counts_unread_and_starred(core):
    item = core.list_items(limit=1).items[0]
    core.mark_items([item.id], read=True, starred=True)
    feeds, counts = load_sources(core)
    assert len(feeds) == 3
    assert counts == {"unread": GOLDEN_ITEMS - 1, "starred": 1}


def test_window_keeps_the_selected_node_across_reloads(qtbot, core):
    feed_id = core.list_feeds()[0].id
    core.update_feed(feed_id, folder="News/Local")
    window = open_window(qtbot, core)
    window.sources.setCurrentIndex(source_index(window, ("folder", "News/Local")))
    qtbot.waitUntil(lambda: window.item_model.query == ItemQuery(folder="News/Local"))
    assert window.sources.isExpanded(source_index(window, ("folder", "News")))
    window.reload_sources()
    qtbot.waitUntil(lambda: not window._loading_sources)
    current = window.sources.currentIndex()
    assert window.source_model.key_for(current) == ("folder", "News/Local")
    assert window.item_model.query == ItemQuery(folder="News/Local")


def test_clicking_a_folder_lists_only_its_items(qtbot, core):
    feeds = core.list_feeds()
    core.update_feed(feeds[0].id, folder="Tech/Python")
    core.update_feed(feeds[1].id, folder="Tech")
    window = open_window(qtbot, core)
    python = source_index(window, ("folder", "Tech/Python"))
    expected = {i.id for i in core.list_items(ItemQuery(feed_id=feeds[0].id)).items}
    assert python.data() == f"Python ({len(expected)})"

    rect = window.sources.visualRect(python)
    qtbot.mouseClick(window.sources.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    model = window.item_model
    qtbot.waitUntil(lambda: model.query == ItemQuery(folder="Tech/Python"))
    qtbot.waitUntil(lambda: model.rowCount() == len(expected) and not model.is_loading())
    assert {model.item_at(r).id for r in range(model.rowCount())} == expected

    # The search box narrows the folder's list; it does not replace it.
    title = model.item_at(0).title
    window.search.setText(title)
    window.search.returnPressed.emit()
    assert model.query == ItemQuery(folder="Tech/Python", search=title)


def red_icon():
    from PySide6.QtGui import QColor, QIcon, QPixmap

    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor("red"))
    return QIcon(pixmap)


def test_favicons_decorate_feeds_but_the_error_badge_wins(qtbot):
    model = SourceTreeModel()
    model.set_data([feed(1, "Fine"), feed(2, "Broken", last_error="HTTP 500")], {})
    icon = red_icon()
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.set_icons({1: icon, 2: icon, 99: icon})  # 99: a feed not shown, ignored
    assert changed.args[0] == model.index_for_key(("feed", 1))
    fine = model.index_for_key(("feed", 1)).data(Qt.ItemDataRole.DecorationRole)
    assert fine.cacheKey() == icon.cacheKey()
    broken = model.index_for_key(("feed", 2)).data(Qt.ItemDataRole.DecorationRole)
    assert not broken.isNull() and broken.cacheKey() != icon.cacheKey()  # the warning
    model.set_data([feed(1, "Fine", unread=2)], {})  # a reload keeps the icons
    fine = model.index_for_key(("feed", 1)).data(Qt.ItemDataRole.DecorationRole)
    assert fine.cacheKey() == icon.cacheKey()
    assert model.index_for_key(ALL_KEY).data(Qt.ItemDataRole.DecorationRole) is None


PNG_FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>
<link>{site}</link><item><title>{title} item</title><guid>{title}-1</guid></item></channel></rss>"""


def png_bytes() -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    image.fill(QColor("blue"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def test_window_shows_favicons_fetched_once_in_the_background(qtbot, tmp_path, feed_server):
    from feedserver import FeedServer

    from curator import Curator
    from ui import tasks

    site = feed_server.add(
        "/site/",
        '<html><head><link rel="icon" href="icon.png"></head></html>',
        content_type="text/html",
    )
    feed_server.add("/site/icon.png", png_bytes(), content_type="image/png")
    iconless = FeedServer().start()  # another origin, with no icon at all
    core = Curator(tmp_path / "data")
    try:
        with_icon = core.add_feed(
            feed_server.add("/a.xml", PNG_FEED.format(title="A", site=site))
        ).feed.id
        without = core.add_feed(
            iconless.add("/b.xml", PNG_FEED.format(title="B", site=iconless.url("/")))
        ).feed.id
        feed_server.clear_log()
        iconless.clear_log()

        def decoration(window, feed_id):
            index = source_index(window, ("feed", feed_id))
            return index.data(Qt.ItemDataRole.DecorationRole)

        window = open_window(qtbot, core)
        qtbot.wait(100)
        assert feed_server.requests == [] and iconless.requests == []  # not started: no network
        assert decoration(window, with_icon) is None

        window.favicons.start_fetching()  # what the app does
        qtbot.waitUntil(lambda: decoration(window, with_icon) is not None, timeout=10_000)
        assert decoration(window, with_icon).pixmap(16, 16).toImage().pixelColor(8, 8).name() == (
            "#0000ff"
        )
        qtbot.waitUntil(lambda: iconless.hits("/favicon.ico") == 1)
        assert feed_server.hits("/site/") == 1 and feed_server.hits("/site/icon.png") == 1
        qtbot.waitUntil(lambda: tasks.pending() == 0)
        assert decoration(window, without) is None

        window.reload_sources()  # e.g. after a refresh: nothing is asked again
        qtbot.waitUntil(lambda: not window._loading_sources and tasks.pending() == 0)
        assert feed_server.hits("/site/") == 1 and iconless.hits("/") == 1

        # The next session: the icon comes from the cache; the iconless site is not asked.
        window.close()
        feed_server.clear_log()
        iconless.clear_log()
        again = open_window(qtbot, core)
        again.favicons.start_fetching()
        qtbot.waitUntil(lambda: decoration(again, with_icon) is not None)
        qtbot.waitUntil(lambda: tasks.pending() == 0)
        assert feed_server.requests == [] and iconless.requests == []
    finally:
        qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=15_000)
        core.close()
        iconless.stop()
