"""Watch lists in the window: the editor (bad terms named inline), the Watch node and its
counts, the ◉ mark, and one summarised notification per refresh."""

import pytest
from PySide6.QtCore import Qt
from uihelpers import FEEDS, source_texts

from curator import ItemQuery
from ui.sources import WATCH_KEY
from ui.watch import WatchListsDialog, mentions_text, parse_terms

NEW_ITEMS = b"""
    <item><title>Acme compra Telefonica</title><guid>tag:example.com,2024:acme/1</guid>
      <pubDate>Fri, 08 Mar 2024 10:00:00 GMT</pubDate><description>Uno.</description></item>
    <item><title>Acme, otra vez</title><guid>tag:example.com,2024:acme/2</guid>
      <pubDate>Fri, 08 Mar 2024 11:00:00 GMT</pubDate><description>Dos.</description></item>
    <item><title>Nada que ver</title><guid>tag:example.com,2024:otro/1</guid>
      <pubDate>Fri, 08 Mar 2024 12:00:00 GMT</pubDate><description>Tres.</description></item>
"""
MORE_ITEMS = """
    <item><title>Acme presenta resultados</title><guid>tag:example.com,2024:acme/3</guid>
      <pubDate>Sat, 09 Mar 2024 10:00:00 GMT</pubDate><description>Cuatro.</description></item>
    <item><title>Telefónica responde</title><guid>tag:example.com,2024:acme/4</guid>
      <pubDate>Sat, 09 Mar 2024 11:00:00 GMT</pubDate><description>Cinco.</description></item>
    <item><title>Acmeist no cuenta</title><guid>tag:example.com,2024:acme/5</guid>
      <pubDate>Sat, 09 Mar 2024 12:00:00 GMT</pubDate><description>Seis.</description></item>
""".encode()


def serve_rss_with(feed_server, *extra: bytes):
    body = (FEEDS / "rss20.xml").read_bytes()
    for chunk in extra:
        body = body.replace(b"<item>", chunk + b"<item>", 1)
    return feed_server.add("/feeds/rss20.xml", body)


def open_editor(qtbot, window) -> WatchListsDialog:
    dialog = window.watch.show_editor()
    qtbot.waitUntil(lambda: dialog.loaded)
    return dialog


def test_parse_terms_and_summary():
    assert parse_terms("  Acme \n\nTelefónica\nAcme\n/acme\\s+cloud/\n") == [
        "Acme", "Telefónica", "/acme\\s+cloud/"]
    assert mentions_text({"Acme": 5}) == "5 new mentions of Acme"
    assert mentions_text({"Clientes": 0}) == ""
    # The busiest lists first (ties by name), three of them, then how many more.
    text = mentions_text({"E": 2, "A": 2, "B": 4, "C": 2, "D": 3})
    assert text == ("4 new mentions of B; 3 new mentions of D; 2 new mentions of A; "
                    "and 2 more lists")
    # Singular forms ("1 new mention") come from ui/translations/curator_en.ts.


def test_editor_names_a_bad_regex_inline_and_saves_nothing(qtbot, window, core):
    dialog = open_editor(qtbot, window)
    assert dialog.list_names() == []
    dialog.name_edit.setText("Competidores")
    dialog.terms_edit.setPlainText("Telefónica\n/acme(/")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(dialog.error_text()))
    assert "/acme(/" in dialog.error_text() and "regular expression" in dialog.error_text()
    assert core.list_watch_lists() == []

    dialog.terms_edit.setPlainText("Telefónica\n/acme\\s*(cloud)?/\nBanco Santander")
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.list_names() == ["Competidores"])
    (saved,) = core.list_watch_lists()
    assert saved.terms == ["Telefónica", "/acme\\s*(cloud)?/", "Banco Santander"]
    assert not dialog.error_text()

    # Editing renames the same list; an empty name is refused in the dialog.
    dialog.name_edit.setText("")
    dialog.save_button.click()
    assert dialog.error_text() == "Give the list a name."
    dialog.name_edit.setText("Competencia")
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.list_names() == ["Competencia"])
    assert [w.name for w in core.list_watch_lists()] == ["Competencia"]
    dialog.close()


def test_watch_node_counts_and_lists_the_matching_items(qtbot, window, core):
    assert "Watch" not in source_texts(window)  # no list yet: no node
    watch = core.add_watch_list("Campaña", ["campaña"])
    unread = core.watch_counts()[watch.id]
    total = core.count_items(ItemQuery(watch_list_id=watch.id))
    assert unread > 0 and total > 0
    window.reload_sources()
    qtbot.waitUntil(lambda: f"Watch ({unread})" in source_texts(window))
    assert f"Campaña ({unread})" in source_texts(window)
    node = window.source_model.index_for_key(("watch", watch.id))
    assert node.parent() == window.source_model.index_for_key(WATCH_KEY)

    window.sources.setCurrentIndex(node)
    model = window.item_model
    qtbot.waitUntil(lambda: model.rowCount() == total)
    for row in range(total):
        assert model.index(row, model.TITLE).data().startswith("◉ ")
        tip = model.index(row, model.TITLE).data(Qt.ItemDataRole.ToolTipRole)
        assert "Matches a watch list" in tip

    # Reading one of them lowers the count.
    window.items.selectRow(0)
    qtbot.waitUntil(lambda: f"Campaña ({unread - 1})" in source_texts(window), timeout=5000)


@pytest.fixture
def win(window):
    window.refresher.network.set_online_for_test(True)
    notifier = window.publishing.notifier
    notifier.tray_available = lambda: False  # the window's banner (offscreen has no tray)
    yield window
    window.cancel_refresh()


def test_one_summarised_notification_per_refresh(qtbot, win, core, feed_server):
    core.add_watch_list("Acme", ["acme", "Telefónica"])
    notifier = win.publishing.notifier
    refresher = win.refresher
    serve_rss_with(feed_server, NEW_ITEMS)
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        win.refresh()
    assert refresher.last_result.mentions == {"Acme": 2}
    assert [(n.title, n.text) for n in notifier.shown] == [
        ("Watch lists", "2 new mentions of Acme")]
    assert "2 new mentions of Acme" in notifier.banner.text()

    # The next refresh with new mentions: one more notification, not one per item.
    serve_rss_with(feed_server, MORE_ITEMS, NEW_ITEMS)
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        refresher.start(force=True)
    assert refresher.last_result.mentions == {"Acme": 2}
    assert [n.text for n in notifier.shown] == ["2 new mentions of Acme",
                                                "2 new mentions of Acme"]

    # A refresh with nothing new says nothing.
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        refresher.start(force=True)
    assert len(notifier.shown) == 2
