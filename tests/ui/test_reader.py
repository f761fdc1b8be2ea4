"""The reader: hostile HTML stays inert, remote images load only when allowed, links go to the
system browser (http/https/mailto only), search terms are marked, the palette is followed."""

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QSettings, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QImage, QPalette, QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication

from curator import Curator, ItemQuery
from curator.types import Item
from ui.models import ItemListModel
from ui.reader import REMOTE_IMAGES_KEY, ReaderView, muted_colour

IMAGE = QTextDocument.ResourceType.ImageResource


def png(width=40, height=30) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def hostile_feed(server) -> dict:
    urls = {
        name: server.url(path)
        for name, path in {
            "image": "/img/tracker.png",
            "frame": "/frame.html",
            "form": "/form-target",
            "style": "/style.css",
            "background": "/bg.png",
            "script": "/evil.js",
            "object": "/object.swf",
        }.items()
    }
    server.add("/img/tracker.png", png(40, 200), content_type="image/png")
    body = f"""<p>Hello <b>reader</b>.</p>
<script>document.title = "pwned"; alert("script ran")</script>
<script src="{urls["script"]}"></script>
<iframe src="{urls["frame"]}">framed text</iframe>
<form action="{urls["form"]}"><input name="q" value="typed"><button>Send form</button></form>
<img src="{urls["image"]}" onerror="alert('onerror ran')" alt="tracker">
<a href="javascript:alert('link ran')">javascript link</a>
<p style="background: url({urls["background"]})" onclick="alert(1)">styled paragraph</p>
<link rel="stylesheet" href="{urls["style"]}"><object data="{urls["object"]}"></object>"""
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title>
<link>{server.url("/")}</link>
<item><title>Hostile item</title><guid>hostile-1</guid><link>{server.url("/post")}</link>
<pubDate>Fri, 08 Mar 2024 10:00:00 GMT</pubDate>
<description><![CDATA[{body}]]></description></item></channel></rss>"""
    urls["feed"] = server.add("/hostile.xml", feed)
    return urls


@pytest.fixture
def settings(tmp_path):
    """A settings file of the test's own: the user's real settings are never read."""
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield store
    store.sync()


@pytest.fixture
def hostile(tmp_path, feed_server):
    """(core, feed id, urls): the hostile feed subscribed to and refreshed through the core."""
    from ui import tasks

    core = Curator(tmp_path / "data")
    urls = hostile_feed(feed_server)
    feed_id = core.add_feed(urls["feed"], fetch=False).feed.id
    result = core.refresh()
    assert result.new_items == 1
    yield core, feed_id, urls
    tasks.wait_for_done(15_000)
    core.close()


def make_reader(qtbot, core, settings) -> ReaderView:
    reader = ReaderView(core, settings=settings)
    qtbot.addWidget(reader)
    reader.resize(600, 500)
    reader.show()
    return reader


def hostile_item(core) -> Item:
    (listed,) = core.list_items(ItemQuery(search="hostile")).items
    return core.get_item(listed.id)


def test_hostile_html_renders_inert_and_fetches_nothing(qtbot, hostile, feed_server, settings):
    core, _feed_id, urls = hostile
    feed_server.clear_log()
    reader = make_reader(qtbot, core, settings)
    title = reader.windowTitle()
    reader.show_item(hostile_item(core))
    qtbot.waitUntil(reader.images_bar.isVisible)  # the feed was asked: images not allowed
    qtbot.wait(100)  # let a layout or paint have every chance to ask for resources

    text = reader.toPlainText()
    assert "Hello reader." in text and "styled paragraph" in text
    for ran in ("script ran", "pwned", "onerror ran", "link ran", "framed text", "Send form"):
        assert ran not in text
    assert reader.windowTitle() == title
    document_html = reader.toHtml()
    for attack in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<form", "<input"):
        assert attack not in document_html
    assert feed_server.requests == []  # no image, frame, form, style, script: nothing at all
    assert reader.remote_image_urls() == [urls["image"]]
    assert QUrl(urls["image"]) in reader.blocked  # Qt asked; the reader refused


def test_load_images_fetches_exactly_the_images_once(qtbot, hostile, feed_server, settings):
    core, feed_id, urls = hostile
    reader = make_reader(qtbot, core, settings)
    reader.show_item(hostile_item(core))
    qtbot.waitUntil(reader.images_bar.isVisible)
    assert reader.viewportMargins().top() > 0  # the bar sits above the text
    feed_server.clear_log()
    height = reader.document().size().height()

    with qtbot.waitSignal(reader.images_loaded, timeout=10_000) as loaded:
        qtbot.mouseClick(reader.images_bar.load_button, Qt.MouseButton.LeftButton)
    assert loaded.args == [1]
    assert [r.path for r in feed_server.requests] == ["/img/tracker.png"]
    assert not reader.images_bar.isVisible() and reader.viewportMargins().top() == 0
    image = reader.document().resource(IMAGE, QUrl(urls["image"]))
    assert isinstance(image, QImage) and image.size().width() == 40
    assert reader.document().size().height() >= height + 150  # laid out with the image
    assert not core.get_feed(feed_id).remote_images  # this item only

    # Search highlighting re-renders the item: the loaded image stays, with no new request.
    reader.set_search("reader")
    assert reader.document().resource(IMAGE, QUrl(urls["image"])).width() == 40
    assert feed_server.hits("/img/tracker.png") == 1


def test_a_wide_image_is_shrunk_to_the_pane_and_refit_on_resize(
    qtbot, hostile, feed_server, settings
):
    core, _feed_id, urls = hostile
    feed_server.add("/img/tracker.png", png(3000, 1000), content_type="image/png")
    reader = make_reader(qtbot, core, settings)
    reader.show_item(hostile_item(core))
    qtbot.waitUntil(reader.images_bar.isVisible)
    with qtbot.waitSignal(reader.images_loaded, timeout=10_000):
        reader.load_images()

    def shown_width() -> int:
        return reader.document().resource(IMAGE, QUrl(urls["image"])).width()

    assert 300 < shown_width() <= reader.viewport().width()
    assert reader.horizontalScrollBar().maximum() == 0  # no sideways scrolling
    reader.resize(900, 500)
    qtbot.waitUntil(lambda: shown_width() > 600)
    assert shown_width() <= reader.viewport().width()
    assert feed_server.hits("/img/tracker.png") == 1  # refit from memory, not fetched again


def test_always_for_this_feed_remembers_and_loads(qtbot, hostile, feed_server, settings):
    core, feed_id, _urls = hostile
    reader = make_reader(qtbot, core, settings)
    item = hostile_item(core)
    reader.show_item(item)
    qtbot.waitUntil(reader.images_bar.isVisible)
    with qtbot.waitSignal(reader.images_loaded, timeout=10_000):
        qtbot.mouseClick(reader.images_bar.always_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: core.get_feed(feed_id).remote_images)

    # Shown again (any item of that feed): images load at once, no bar.
    feed_server.clear_log()
    with qtbot.waitSignal(reader.images_loaded, timeout=10_000):
        reader.show_item(item)
    assert feed_server.hits("/img/tracker.png") == 1
    assert not reader.images_bar.isVisible()


def test_feed_allowance_loads_images_automatically(qtbot, hostile, feed_server, settings):
    core, feed_id, _urls = hostile
    core.update_feed(feed_id, remote_images=True)
    reader = make_reader(qtbot, core, settings)
    feed_server.clear_log()
    with qtbot.waitSignal(reader.images_loaded, timeout=10_000):
        reader.show_item(hostile_item(core))
    assert [r.path for r in feed_server.requests] == ["/img/tracker.png"]
    assert not reader.images_bar.isVisible()


def test_global_setting_loads_images_in_every_feed(qtbot, hostile, feed_server, settings):
    core, feed_id, _urls = hostile
    reader = make_reader(qtbot, core, settings)
    assert not reader.remote_images_action.isChecked()
    reader.show_item(hostile_item(core))
    qtbot.waitUntil(reader.images_bar.isVisible)
    assert feed_server.hits("/img/tracker.png") == 0

    with qtbot.waitSignal(reader.images_loaded, timeout=10_000):
        reader.remote_images_action.trigger()  # View > Load remote images in all feeds
    assert QSettings(settings.fileName(), QSettings.Format.IniFormat).value(
        REMOTE_IMAGES_KEY, type=bool
    )
    assert not core.get_feed(feed_id).remote_images  # the feed itself is unchanged

    other = make_reader(qtbot, core, settings)  # e.g. the next start of the app
    assert other.remote_images_action.isChecked()
    feed_server.clear_log()
    with qtbot.waitSignal(other.images_loaded, timeout=10_000):
        other.show_item(hostile_item(core))
    assert feed_server.hits("/img/tracker.png") == 1
    assert not other.images_bar.isVisible()


def test_the_window_has_the_global_switch_in_its_view_menu(window):
    menus = {a.text(): a.menu() for a in window.menuBar().actions() if a.menu()}
    assert window.reader.remote_images_action in menus["&View"].actions()


def item_with(content: str, title: str = "Links", **fields) -> Item:
    base = dict(
        id=1,
        feed_id=1,
        feed_title="Feed",
        title=title,
        link=None,
        author=None,
        published=datetime(2024, 3, 8, 10, 0, tzinfo=UTC),
        updated=None,
        first_seen=datetime(2024, 3, 8, 10, 0, tzinfo=UTC),
        summary=None,
        content=content,
        read=False,
        starred=False,
        hidden=False,
    )
    base.update(fields)
    return Item(**base)


def click_text(qtbot, reader: ReaderView, text: str) -> None:
    cursor = reader.document().find(text)
    assert not cursor.isNull(), text
    middle = QTextCursor(reader.document())
    middle.setPosition((cursor.selectionStart() + cursor.selectionEnd()) // 2)
    rect = reader.cursorRect(middle)
    qtbot.mouseClick(
        reader.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.x() + 1, rect.center().y())
    )


def test_only_http_https_and_mailto_links_reach_the_system(qtbot, settings, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    reader = make_reader(qtbot, None, settings)
    # Unsanitized on purpose: the reader must hold even if a bad link got through.
    reader.show_item(
        item_with(
            '<p><a href="javascript:alert(1)">javascript link here</a></p>'
            '<p><a href="file:///etc/passwd">local file link</a></p>'
            '<p><a href="data:text/html,hi">data link here</a></p>'
            '<p><a href="https://example.com/ok">web link here</a></p>'
            '<p><a href="mailto:someone@example.com">mail link here</a></p>'
        )
    )
    for text in ("javascript link here", "local file link", "data link here"):
        click_text(qtbot, reader, text)
    assert opened == []
    click_text(qtbot, reader, "web link here")
    click_text(qtbot, reader, "mail link here")
    assert opened == ["https://example.com/ok", "mailto:someone@example.com"]
    assert "javascript link here" in reader.toPlainText()  # never navigated away


def marked_texts(reader: ReaderView) -> list[str]:
    out = []
    for start, end in reader.highlights:
        cursor = QTextCursor(reader.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        out.append(cursor.selectedText())
    return out


def background_at(reader: ReaderView, position: int) -> QColor:
    cursor = QTextCursor(reader.document())
    cursor.setPosition(position + 1)  # the format of the character before the cursor
    return cursor.charFormat().background().color()


def test_search_terms_are_highlighted_in_the_reader(qtbot, settings):
    reader = make_reader(qtbot, None, settings)
    reader.show_item(
        item_with("<p>La campana suena 🎉 en la Campaña.</p><p>campanario</p>", title="🎉 Campaña")
    )
    assert reader.highlights == []
    reader.set_search("campana -campanario")
    assert marked_texts(reader) == ["Campaña", "campana", "Campaña"]
    highlight = reader.palette().color(QPalette.ColorRole.Highlight)
    start, _end = reader.highlights[-1]
    assert background_at(reader, start) == highlight
    assert background_at(reader, start - 2) != highlight  # only the word
    source = reader.toHtml()
    assert "Campaña" in source and "campanario" in reader.toPlainText()

    reader.set_search(None)
    assert reader.highlights == []
    assert background_at(reader, start) != highlight


def test_the_reader_follows_the_palette(qtbot, settings):
    app = QApplication.instance()
    light = QPalette(app.palette())
    reader = make_reader(qtbot, None, settings)
    reader.show_item(item_with("<p>Body</p>", author="Ana"))
    meta = reader.document().find("Ana")
    light_muted = meta.charFormat().foreground().color()
    assert light_muted == muted_colour(light)
    assert light_muted.name() not in (QColor("black").name(), QColor("white").name())

    dark = QPalette(light)
    colours = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.Base: "#1b1b1d",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Link: "#8ab4f8",
    }
    for role, name in colours.items():
        dark.setColor(role, QColor(name))
    try:
        app.setPalette(dark)
        qtbot.waitUntil(lambda: "#9aa0a6" in reader.document().defaultStyleSheet())
        assert "#8ab4f8" in reader.document().defaultStyleSheet()
        assert "Ana" in reader.toPlainText()  # the item is still shown, re-rendered
        meta = reader.document().find("Ana")
        assert meta.charFormat().foreground().color() == QColor("#9aa0a6")
    finally:
        app.setPalette(light)
    qtbot.waitUntil(lambda: "#9aa0a6" not in reader.document().defaultStyleSheet())


def test_the_window_marks_the_search_in_titles_and_reader(window, qtbot):
    window.search.setText("campana")
    window.search.returnPressed.emit()
    model = window.item_model
    qtbot.waitUntil(lambda: model.query.search == "campana" and not model.is_loading())
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    titles = [model.item_at(r).title for r in range(model.rowCount())]
    row = titles.index("La campaña, en cifras")
    delegate = window.items.itemDelegateForColumn(ItemListModel.TITLE)
    index = model.index(row, ItemListModel.TITLE)
    assert [index.data()[a:b] for a, b in delegate.spans_for(index)] == ["campaña"]

    # Painted: the title cell shows the highlight colour, and only while searching.
    palette = window.items.palette()
    marker = QColor(255, 0, 255)
    palette.setColor(QPalette.ColorRole.Highlight, marker)
    window.items.setPalette(palette)
    window.items.clearSelection()

    def marker_pixels() -> int:
        rect = window.items.visualRect(index)
        image = window.items.viewport().grab(rect).toImage()
        return sum(
            image.pixelColor(x, y) == marker
            for x in range(image.width())
            for y in range(image.height())
        )

    assert marker_pixels() > 20

    window.items.selectRow(row)
    qtbot.waitUntil(lambda: "La campaña, en cifras" in window.reader.toPlainText())
    assert "campaña" in marked_texts(window.reader)

    window.search.clear()
    window.search.returnPressed.emit()
    qtbot.waitUntil(lambda: model.query.search is None and not model.is_loading())
    qtbot.waitUntil(lambda: model.rowCount() > row)
    assert window.reader.highlights == []
    index = model.index(row, ItemListModel.TITLE)
    window.items.clearSelection()
    assert marker_pixels() == 0
