"""The main window against a real core: sources, items, reader, search, refresh, errors."""

import time

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QFileDialog
from uihelpers import FEEDS, GOLDEN_ITEMS, open_window, serve_golden, source_index, source_texts

from curator import ItemQuery
from curator.errors import CuratorError
from ui import errors
from ui.models import IdRole, ItemListModel


def titles(window):
    model = window.item_model
    return [model.item_at(row).title for row in range(model.rowCount())]


def test_window_shows_feeds_and_items(window, core):
    assert window.windowTitle() == "Curator"
    texts = source_texts(window)
    assert texts[0] == f"All items ({GOLDEN_ITEMS})"
    assert texts[1:7] == [
        f"Unread ({GOLDEN_ITEMS})",
        "Starred",
        "Roles",
        f"Third-party ({GOLDEN_ITEMS})",
        "Competitors",
        "Own",
    ]
    assert set(texts[7:]) == {
        "Cuaderno de campaña (4)",
        "Bitácora: campaña, Größe y 日本 (3)",
        "日本とスペインの便り (4)",
    }
    expected = [i.title for i in core.list_items(limit=100).items]
    assert titles(window) == expected  # newest first, as the core orders them
    assert window.items.model().headerData(0, window.items.horizontalHeader().orientation()) == (
        "Title"
    )


def test_unread_items_are_bold(window):
    model = window.item_model
    index = model.index(0, ItemListModel.TITLE)
    assert index.data(Qt.ItemDataRole.FontRole).bold()
    model.set_read(model.item_at(0).id, True)
    assert index.data(Qt.ItemDataRole.FontRole) is None


def test_selecting_an_item_shows_it_and_marks_it_read(window, core, qtbot):
    item = window.item_model.item_at(2)
    assert not item.read
    window.items.selectRow(2)
    qtbot.waitUntil(lambda: item.title in window.reader.toPlainText())
    assert item.feed_title in window.reader.toPlainText()
    qtbot.waitUntil(lambda: window.item_model.item_at(2).read)
    assert core.get_item(item.id).read
    qtbot.waitUntil(lambda: source_texts(window)[0] == f"All items ({GOLDEN_ITEMS - 1})")


def test_selecting_a_feed_lists_only_its_items(window, core, qtbot):
    feed = next(f for f in core.list_feeds() if f.title == "Cuaderno de campaña")
    window.sources.setCurrentIndex(source_index(window, ("feed", feed.id)))
    qtbot.waitUntil(
        lambda: window.item_model.rowCount() == 4 and not window.item_model.is_loading()
    )
    items = [window.item_model.item_at(r) for r in range(4)]
    assert {i.feed_id for i in items} == {feed.id}
    window.sources.setCurrentIndex(source_index(window, ("special", "all")))
    qtbot.waitUntil(lambda: window.item_model.rowCount() == GOLDEN_ITEMS)


def test_unread_and_starred_toggles_narrow_the_shown_source(window, core, qtbot):
    feed = next(f for f in core.list_feeds() if f.title == "Cuaderno de campaña")
    ids = [i.id for i in core.list_items(ItemQuery(feed_id=feed.id)).items]
    core.mark_items(ids[:1], read=True)
    core.mark_items(ids[1:3], starred=True)
    window.sources.setCurrentIndex(source_index(window, ("feed", feed.id)))

    def shown():
        model = window.item_model
        return not model.is_loading() and {model.item_at(r).id for r in range(model.rowCount())}

    qtbot.waitUntil(lambda: shown() == set(ids))
    window.unread_filter.click()
    qtbot.waitUntil(lambda: shown() == set(ids[1:]))
    window.starred_filter.click()  # both: unread AND starred
    qtbot.waitUntil(lambda: shown() == set(ids[1:3]))
    window.unread_filter.click()
    qtbot.waitUntil(lambda: shown() == set(ids[1:3]))
    assert window.item_model.query == ItemQuery(feed_id=feed.id, starred=True)
    window.starred_filter.click()
    qtbot.waitUntil(lambda: shown() == set(ids))


def test_clicking_the_date_header_turns_the_list_around(window, core, qtbot):
    header = window.items.horizontalHeader()
    newest = [i.id for i in core.list_items(limit=100).items]

    def click(section):
        x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(x, header.height() // 2))

    def shown():
        model = window.item_model
        return not model.is_loading() and [model.item_at(r).id for r in range(model.rowCount())]

    click(ItemListModel.DATE)
    qtbot.waitUntil(lambda: shown() == newest[::-1])
    assert header.sortIndicatorSection() == ItemListModel.DATE
    click(ItemListModel.TITLE)  # titles do not sort: the arrow stays on Date, the order too
    assert header.sortIndicatorSection() == ItemListModel.DATE
    assert window.item_model.query.oldest_first
    click(ItemListModel.DATE)
    qtbot.waitUntil(lambda: shown() == newest)


def test_search_filters_the_list_after_a_pause(window, core, qtbot):
    qtbot.keyClicks(window.search, "primavera")
    assert window.item_model.query.search is None  # debounced: nothing ran yet
    qtbot.waitUntil(lambda: window.item_model.query == ItemQuery(search="primavera"))
    expected = [i.id for i in core.list_items(ItemQuery(search="primavera")).items]
    assert 0 < len(expected) < GOLDEN_ITEMS
    qtbot.waitUntil(lambda: window.item_model.rowCount() == len(expected))
    model = window.item_model
    assert [model.index(r, 0).data(IdRole) for r in range(model.rowCount())] == expected
    window.search.clear()
    qtbot.waitUntil(lambda: window.item_model.rowCount() == GOLDEN_ITEMS)


NEW_ITEMS = b"""
    <item><title>Primera novedad</title><guid>tag:example.com,2024:new/1</guid>
      <pubDate>Wed, 06 Mar 2024 10:00:00 GMT</pubDate><description>Uno.</description></item>
    <item><title>Segunda novedad</title><guid>tag:example.com,2024:new/2</guid>
      <pubDate>Wed, 06 Mar 2024 11:00:00 GMT</pubDate><description>Dos.</description></item>
"""


def test_refresh_runs_in_background(window, core, feed_server, qtbot):
    body = (FEEDS / "rss20.xml").read_bytes().replace(b"<item>", NEW_ITEMS + b"<item>", 1)
    feed_server.add("/feeds/rss20.xml", body, delay=0.5)  # slow: the UI must not wait on it
    feed_server.status("/feeds/atom10.xml", 500)

    started = time.monotonic()
    window.refresh_action.trigger()
    assert time.monotonic() - started < 0.4
    assert window.statusBar().currentMessage() == "Refreshing…"
    assert not window.refresh_action.isEnabled()

    qtbot.waitUntil(window.refresh_action.isEnabled, timeout=15_000)
    assert window.refresher.summary == "2 new items, 1 feed failed"
    qtbot.waitUntil(lambda: window.item_model.rowCount() == GOLDEN_ITEMS + 2)
    assert {"Primera novedad", "Segunda novedad"} <= set(titles(window))

    failing = next(f for f in core.list_feeds() if "atom10" in f.url)
    assert failing.last_error

    def marked():
        index = source_index(window, ("feed", failing.id))
        return index.data(Qt.ItemDataRole.ToolTipRole).startswith(failing.last_error)

    qtbot.waitUntil(marked)  # sources reload after the refresh
    index = source_index(window, ("feed", failing.id))
    assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()  # the warning icon


def test_quitting_cancels_a_running_refresh(window, core, feed_server, qtbot):
    for i in range(30):
        core.add_feed(feed_server.add(f"/slow{i}.xml", (FEEDS / "rss20.xml").read_bytes(),
                                      delay=1.0), fetch=False)
    window.refresh_action.trigger()
    qtbot.wait(200)
    window.cancel_refresh()
    qtbot.waitUntil(window.refresh_action.isEnabled, timeout=15_000)
    # Feeds still queued behind the pool's workers were never fetched.
    assert sum(feed_server.hits(f"/slow{i}.xml") for i in range(30)) < 30


def test_remote_images_are_not_loaded(qtbot, core, feed_server):
    tracker = feed_server.add("/pixel.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Tracked</title>
      <item><title>Pixel inside</title><guid>px-1</guid>
      <pubDate>Fri, 08 Mar 2024 10:00:00 GMT</pubDate>
      <description>&lt;p&gt;Hi&lt;img src="{tracker}" width="1"&gt;&lt;/p&gt;</description>
      </item></channel></rss>"""
    core.add_feed(feed_server.add("/tracked.xml", feed))
    feed_server.clear_log()
    window = open_window(qtbot, core)
    row = next(
        r
        for r in range(window.item_model.rowCount())
        if window.item_model.item_at(r).title == "Pixel inside"
    )
    window.items.selectRow(row)
    qtbot.waitUntil(lambda: "Pixel inside" in window.reader.toPlainText())
    assert QUrl(tracker) in window.reader.blocked
    assert feed_server.hits("/pixel.png") == 0

    reader = window.reader
    image = QTextDocument.ResourceType.ImageResource.value
    assert reader.loadResource(image, QUrl("http://example.com/a.png")) is None
    assert reader.loadResource(image, QUrl("https://example.com/a.png")) is None
    assert reader.loadResource(image, QUrl("file:///etc/passwd")) is None


def test_an_error_in_a_background_op_is_shown_not_raised(
    window, shown_errors, monkeypatch, qtbot, tmp_path
):
    unwritable = str(tmp_path / "no-such-folder" / "subs.opml")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (unwritable, ""))
    window.export_action.trigger()
    qtbot.waitUntil(lambda: len(shown_errors) > 0)
    parent, exc = shown_errors[0]
    assert parent is window
    assert isinstance(exc, CuratorError) and unwritable in str(exc)
    assert window.isVisible()
    assert window.statusBar().currentMessage() == ""


def test_add_feed_subscribes_in_background(window, feed_server, qtbot):
    url = serve_golden(feed_server, "jsonfeed10.json")
    window.add_feed_action.trigger()
    dialog = window.feed_actions.add_dialog
    dialog.url_edit.setText(f"  {url} ")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: len(window.source_model.feeds()) == 4)
    assert "Diario JSON: campaña y Größe (3)" in source_texts(window)
    assert window.statusBar().currentMessage().startswith("Subscribed to Diario JSON")
    qtbot.waitUntil(lambda: window.item_model.rowCount() == 3)  # the new feed is selected


def test_export_then_import_opml(window, core, feed_server, tmp_path, monkeypatch, qtbot):
    out = tmp_path / "subs.opml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.export_action.trigger()
    qtbot.waitUntil(lambda: "saved to" in window.statusBar().currentMessage())
    exported = out.read_text(encoding="utf-8")
    assert all(f.url in exported for f in core.list_feeds())

    url = serve_golden(feed_server, "rss091.xml")
    opml = tmp_path / "more.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline type="rss" text="Diario" '
        f'xmlUrl="{url}"/></body></opml>',
        encoding="utf-8",
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(opml), ""))
    window.import_action.trigger()
    qtbot.waitUntil(lambda: len(window.source_model.feeds()) == 4)
    # Importing only subscribes; the window then refreshes to fetch the new feed's items.
    qtbot.waitUntil(lambda: window.item_model.rowCount() == GOLDEN_ITEMS + 3, timeout=10_000)


def test_unreadable_opml_is_a_clear_error(window, shown_errors, tmp_path, monkeypatch, qtbot):
    missing = tmp_path / "nope.opml"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(missing), ""))
    window.import_action.trigger()
    qtbot.waitUntil(lambda: len(shown_errors) > 0)
    assert str(missing) in str(shown_errors[0][1])
    assert errors.describe(shown_errors[0][1])[1] is None  # a sentence, not "Unexpected error"
