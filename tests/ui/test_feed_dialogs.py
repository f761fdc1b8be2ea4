"""Managing subscriptions in the window: add (autodiscovery), edit, move, remove and undo."""

from urllib.parse import urlsplit

import pytest
import shiboken6
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from uihelpers import FEEDS, GOLDEN_ITEMS, serve_golden, source_index, source_texts

from curator import ItemQuery
from curator.types import Role
from ui import feeddialogs
from ui.feeddialogs import AddFeedDialog

DIARIO = "Diario JSON: campaña y Größe"  # tests/data/feeds/jsonfeed10.json, 3 items


def page(*links):
    """An HTML page whose head links to these (href, title) feeds."""
    tags = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{href}">'
        for href, title in links
    )
    return f"<!DOCTYPE html><html><head><title>Site</title>{tags}</head><body>Hi</body></html>"


def serve_page(feed_server, path, *links):
    return feed_server.add(path, page(*links), content_type="text/html; charset=utf-8")


def open_add_dialog(window, qtbot) -> AddFeedDialog:
    window.add_feed_action.trigger()
    dialog = window.feed_actions.add_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.folder_combo.loaded)
    return dialog


def closed(dialog):
    # A dialog deletes itself once closed and idle.
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def feed_named(core, title):
    return next(f for f in core.list_feeds() if f.title == title)


def select_feed(window, qtbot, feed_id):
    qtbot.waitUntil(lambda: source_index(window, ("feed", feed_id)).isValid())
    window.sources.setCurrentIndex(source_index(window, ("feed", feed_id)))


def current_key(window):
    return window.source_model.key_for(window.sources.currentIndex())


@pytest.fixture(autouse=True)
def _empty_clipboard():
    QGuiApplication.clipboard().setText("")


# ---- add -----------------------------------------------------------------------------------


def test_add_by_page_url_autodiscovers_and_selects_the_feed(window, core, feed_server, qtbot):
    feed_url = serve_golden(feed_server, "jsonfeed10.json")
    site = serve_page(feed_server, "/site/", (feed_url, "Posts"))
    dialog = open_add_dialog(window, qtbot)
    dialog.url_edit.setText(site)
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(Role.COMPETITOR))
    dialog.folder_combo.setEditText("Research/Rivals")
    dialog.title_edit.setText("Rival news")

    click(qtbot, dialog.add_button)
    assert dialog.is_working()  # in the background: the window is not blocked
    assert not dialog.url_edit.isEnabled()

    qtbot.waitUntil(lambda: closed(dialog))
    feed = feed_named(core, "Rival news")
    assert (feed.url, feed.role, feed.folder, feed.total) == (
        feed_url,
        Role.COMPETITOR,
        "Research/Rivals",
        3,
    )
    assert feed_server.hits("/site/") == 1
    assert window.statusBar().currentMessage() == "Subscribed to Rival news: 3 new items"
    qtbot.waitUntil(lambda: current_key(window) == ("feed", feed.id))
    assert "Rival news (3)" in source_texts(window)
    qtbot.waitUntil(lambda: window.item_model.rowCount() == 3)


def test_a_page_with_several_feeds_lets_the_user_choose(window, core, feed_server, qtbot):
    taken = next(f for f in core.list_feeds() if f.url.endswith("rss20.xml"))
    wanted = serve_golden(feed_server, "jsonfeed10.json")
    comments = feed_server.add("/comments.xml", (FEEDS / "atom10.xml").read_bytes())
    site = serve_page(
        feed_server, "/blog/", (taken.url, "Posts"), (wanted, "Diario"), (comments, "Comments Feed")
    )
    dialog = open_add_dialog(window, qtbot)
    dialog.url_edit.setText(site)
    click(qtbot, dialog.add_button)

    qtbot.waitUntil(lambda: dialog.choices.isVisible())
    rows = [dialog.choices.item(r) for r in range(dialog.choices.count())]
    assert [r.data(Qt.ItemDataRole.UserRole) for r in rows] == [taken.url, wanted, comments]
    assert "already subscribed" in rows[0].text()
    assert not rows[0].flags() & Qt.ItemFlag.ItemIsEnabled
    assert dialog.chosen_url() == wanted  # the first one not subscribed yet
    assert len(core.list_feeds()) == 3  # nothing subscribed before the user chose

    dialog.choices.setCurrentRow(2)
    click(qtbot, dialog.add_button)
    qtbot.waitUntil(lambda: closed(dialog))
    assert comments in [f.url for f in core.list_feeds()]
    assert wanted not in [f.url for f in core.list_feeds()]
    assert feed_server.hits("/blog/") == 1  # the page was not fetched again


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://example.com/x", "is not an http or https URL"),
        ("/gone.xml", "404"),
        ("/plain.html", "links to no feed"),
    ],
)
def test_errors_show_inline_and_keep_the_input(
    window, core, feed_server, shown_errors, qtbot, url, expected
):
    feed_server.status("/gone.xml", 404)
    feed_server.add("/plain.html", page(), content_type="text/html")
    typed = url if url.startswith("ftp") else feed_server.url(url)
    dialog = open_add_dialog(window, qtbot)
    dialog.url_edit.setText(typed)
    dialog.folder_combo.setEditText("Kept")
    click(qtbot, dialog.add_button)

    qtbot.waitUntil(lambda: dialog.status.error_text() != "")
    assert expected in dialog.status.error_text()
    assert dialog.isVisible() and not dialog.is_working()
    assert dialog.url_edit.text() == typed and dialog.folder_combo.folder() == "Kept"
    assert dialog.add_button.isEnabled()
    assert shown_errors == []  # no message box on top of the dialog
    assert len(core.list_feeds()) == 3
    dialog.reject()


def test_the_address_comes_from_the_clipboard_when_it_is_a_url(window, qtbot):
    QGuiApplication.clipboard().setText("  https://example.com/blog/ ")
    dialog = open_add_dialog(window, qtbot)
    assert dialog.url_edit.text() == "https://example.com/blog/"
    dialog.reject()
    QGuiApplication.clipboard().setText("just some words https://example.com")
    dialog = open_add_dialog(window, qtbot)
    assert dialog.url_edit.text() == ""
    assert not dialog.add_button.isEnabled()
    dialog.reject()


def test_the_folder_list_offers_existing_folders(window, core, qtbot):
    core.update_feed(core.list_feeds()[0].id, folder="Tech/Python")
    dialog = open_add_dialog(window, qtbot)
    combo = dialog.folder_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["", "Tech/Python"]
    dialog.reject()


def test_cancel_while_subscribing_adds_nothing(window, core, feed_server, qtbot):
    from ui import tasks

    slow = serve_golden(feed_server, "jsonfeed10.json", delay=0.5)
    dialog = open_add_dialog(window, qtbot)
    dialog.url_edit.setText(slow)
    click(qtbot, dialog.add_button)
    assert dialog.is_working()
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Cancel))
    assert not dialog.isVisible()

    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=10_000)
    assert feed_server.hits("/feeds/jsonfeed10.json") >= 1  # the core did subscribe…
    assert slow not in [f.url for f in core.list_feeds()]  # …and cancelling undid it


# ---- the Feed menu -------------------------------------------------------------------------


def test_feed_actions_follow_the_selection(window, core, qtbot):
    actions = window.feed_actions
    feed_actions = [
        actions.edit_action,
        actions.move_action,
        actions.refresh_feed_action,
        actions.remove_action,
    ]
    assert not any(a.isEnabled() for a in feed_actions)  # "All items" is selected
    assert window.add_feed_action.isEnabled()
    feed = core.list_feeds()[0]
    select_feed(window, qtbot, feed.id)
    assert all(a.isEnabled() for a in feed_actions)
    menu = actions.context_menu(source_index(window, ("feed", feed.id)))
    assert [a.text() for a in menu.actions() if a.text()] == [
        "&Edit feed…",
        "&Move to folder…",
        "Re&fresh this feed",
        "Re&move feed…",
    ]
    menu = actions.context_menu(QModelIndex())  # below the tree: no feed is meant
    assert [a.text() for a in menu.actions()] == ["&Add feed…"]
    menu = actions.context_menu(source_index(window, ("special", "starred")))
    assert not any(a.isEnabled() for a in feed_actions)
    assert [a.text() for a in menu.actions()] == ["&Add feed…"]
    menu_titles = [a.text() for a in window.menuBar().actions()]
    assert menu_titles[0] == "&File" and "Fee&d" in menu_titles


def test_refresh_this_feed_fetches_only_it(window, core, feed_server, qtbot):
    feed = next(f for f in core.list_feeds() if f.url.endswith("/atom10.xml"))
    select_feed(window, qtbot, feed.id)
    feed_server.clear_log()
    window.feed_actions.refresh_feed_action.trigger()
    qtbot.waitUntil(lambda: feed_server.hits("/feeds/atom10.xml") == 1)
    qtbot.waitUntil(lambda: not window.refresher.running)
    assert [urlsplit(r.path).path for r in feed_server.requests] == ["/feeds/atom10.xml"]


def test_edit_feed_saves_what_changed(window, core, qtbot):
    feed = feed_named(core, "Cuaderno de campaña")
    core.update_feed(feed.id, enabled=False)
    window.reload_sources()
    qtbot.waitUntil(
        lambda: (
            window.source_model.index_for_key(("feed", feed.id)).data(feeddialogs.ItemRole).disabled
        )
    )
    select_feed(window, qtbot, feed.id)
    dialog = window.feed_actions.edit_feed()
    qtbot.waitUntil(lambda: dialog.folder_combo.loaded)
    assert dialog.title_edit.text() == "Cuaderno de campaña"
    assert not dialog.enabled_check.isChecked()
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(Role.OWN))
    dialog.folder_combo.setEditText(" Mine / Blog ")
    dialog.images_check.setChecked(True)
    dialog.enabled_check.setChecked(True)
    assert set(dialog.changes()) == {"role", "folder", "remote_images", "enabled"}

    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Save))
    qtbot.waitUntil(lambda: core.get_feed(feed.id).role is Role.OWN)
    saved = core.get_feed(feed.id)
    assert (saved.folder, saved.remote_images, saved.disabled) == ("Mine/Blog", True, False)
    assert saved.title == "Cuaderno de campaña"  # untouched: no user title was written
    qtbot.waitUntil(lambda: "Blog" in [t.split(" (")[0] for t in source_texts(window)])
    assert window.statusBar().currentMessage() == "Saved “Cuaderno de campaña”."
    assert current_key(window) == ("feed", feed.id)


def test_edit_feed_error_shows_inline(window, core, shown_errors, qtbot):
    feeds = core.list_feeds()
    select_feed(window, qtbot, feeds[0].id)
    dialog = window.feed_actions.edit_feed()
    dialog.url_edit.setText(feeds[1].url)  # another subscription's address
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Save))
    qtbot.waitUntil(lambda: dialog.status.error_text() != "")
    assert "Another subscription already has" in dialog.status.error_text()
    assert dialog.isVisible() and shown_errors == []
    assert core.get_feed(feeds[0].id).url == feeds[0].url
    dialog.reject()


def test_move_to_folder_and_back_out(window, core, qtbot):
    feed = core.list_feeds()[0]
    select_feed(window, qtbot, feed.id)
    window.feed_actions.move_action.trigger()
    dialog = window.findChild(feeddialogs.FolderDialog)
    dialog.folder_combo.setEditText("Reading/Later")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    qtbot.waitUntil(lambda: core.get_feed(feed.id).folder == "Reading/Later")
    qtbot.waitUntil(lambda: source_index(window, ("folder", "Reading/Later")).isValid())
    assert current_key(window) == ("feed", feed.id)

    dialog = window.feed_actions.move_feed(core.get_feed(feed.id))
    qtbot.waitUntil(lambda: dialog.folder_combo.loaded)
    assert dialog.folder_combo.folder() == "Reading/Later"
    dialog.folder_combo.setEditText("")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    qtbot.waitUntil(lambda: core.get_feed(feed.id).folder is None)


def test_rename_and_remove_a_folder(window, core, qtbot):
    first, second = core.list_feeds()[:2]
    core.update_feed(first.id, folder="Old")
    core.update_feed(second.id, folder="Old/Sub")
    window.reload_sources()
    qtbot.waitUntil(lambda: source_index(window, ("folder", "Old/Sub")).isValid())
    window.sources.setCurrentIndex(source_index(window, ("folder", "Old")))
    dialog = window.feed_actions.rename_folder()
    dialog.folder_combo.setEditText("New")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    qtbot.waitUntil(lambda: core.get_feed(second.id).folder == "New/Sub")
    qtbot.waitUntil(lambda: current_key(window) == ("folder", "New"))

    window.feed_actions.remove_folder_action.trigger()
    qtbot.waitUntil(lambda: core.folders() == [])
    assert len(core.list_feeds()) == 3  # the feeds stay


# ---- remove and undo -----------------------------------------------------------------------


def confirm(box, qtbot, answer):
    button = next(b for b in box.buttons() if b.text().replace("&", "") == answer)
    click(qtbot, button)


def remove_current(window, qtbot, answer="Remove"):
    window.feed_actions.remove_action.trigger()
    box = window.feed_actions.confirm_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    text = f"{box.text()} {box.informativeText()}"
    confirm(box, qtbot, answer)
    return text


def test_remove_asks_then_undo_brings_back_feed_and_flags(window, core, qtbot):
    feed = feed_named(core, "Cuaderno de campaña")
    core.update_feed(feed.id, role=Role.OWN, folder="Mine", remote_images=True)
    items = core.list_items(ItemQuery(feed_id=feed.id)).items
    core.mark_items([items[0].id], read=True, starred=True)
    core.mark_items([items[1].id], read=True)
    window.reload_sources()
    select_feed(window, qtbot, feed.id)

    assert remove_current(window, qtbot, "Cancel").startswith(
        "Remove the feed “Cuaderno de campaña”? Its 4 items go with it"
    )
    qtbot.wait(50)
    assert core.get_feed(feed.id).total == 4  # cancelled: nothing happened

    remove_current(window, qtbot)
    bar = window.feed_actions.undo_bar
    qtbot.waitUntil(bar.isVisible)
    assert [f.id for f in core.list_feeds() if f.id == feed.id] == []
    assert bar.label.text() == "Removed “Cuaderno de campaña”."
    assert bar.timer.isActive() and bar.timer.interval() == 60_000
    assert window.feed_actions.undo_action.isEnabled()
    qtbot.waitUntil(lambda: window.item_model.rowCount() == GOLDEN_ITEMS - 4)

    click(qtbot, bar.undo_button)
    assert not bar.isVisible()
    restored = "Restored “Cuaderno de campaña” with 4 items"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == restored)
    back = core.get_feed(feed.id)
    assert (back.role, back.folder, back.remote_images, back.total, back.unread) == (
        Role.OWN,
        "Mine",
        True,
        4,
        2,
    )
    flags = {i.id: (i.read, i.starred) for i in core.list_items(ItemQuery(feed_id=feed.id)).items}
    assert flags[items[0].id] == (True, True) and flags[items[1].id] == (True, False)
    qtbot.waitUntil(lambda: current_key(window) == ("feed", feed.id))
    assert not window.feed_actions.undo_action.isEnabled()


def test_delete_key_in_the_sources_tree_asks_to_remove(window, core, qtbot):
    feed = core.list_feeds()[0]
    select_feed(window, qtbot, feed.id)
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_Delete)  # typing: never removes a feed
    assert window.feed_actions.confirm_box is None
    window.sources.setFocus()
    qtbot.keyClick(window.sources, Qt.Key.Key_Delete)
    box = window.feed_actions.confirm_box
    assert box is not None and box.isVisible()
    confirm(box, qtbot, "Cancel")
    assert window.feed_actions.confirm_box is None


def test_undo_is_offered_for_one_minute_only(window, core, qtbot):
    feed = core.list_feeds()[0]
    select_feed(window, qtbot, feed.id)
    remove_current(window, qtbot)
    bar = window.feed_actions.undo_bar
    qtbot.waitUntil(bar.isVisible)
    assert bar.timer.remainingTime() > 55_000

    bar.timer.start(1)  # the minute is up (drives the real timer, no 60 s sleep)
    qtbot.waitUntil(lambda: not bar.isVisible())
    assert bar.removed is None
    assert not window.feed_actions.undo_action.isEnabled()
    window.feed_actions.undo_action.trigger()  # nothing left to undo
    qtbot.wait(50)
    assert feed.id not in [f.id for f in core.list_feeds()]


def test_undo_after_resubscribing_says_why_it_cannot(window, core, shown_errors, qtbot):
    feed = core.list_feeds()[0]
    select_feed(window, qtbot, feed.id)
    remove_current(window, qtbot)
    bar = window.feed_actions.undo_bar
    qtbot.waitUntil(bar.isVisible)
    core.add_feed(feed.url, fetch=False)
    window.feed_actions.undo_action.trigger()  # Ctrl+Z does the same
    qtbot.waitUntil(lambda: len(shown_errors) == 1)
    assert "subscribed again meanwhile" in str(shown_errors[0][1])


def test_a_content_packs_role_is_shown_but_cannot_be_changed(window, core, qtbot):
    feed = feed_named(core, "Cuaderno de campaña")
    core.update_feed(feed.id, role=Role.APPROVED)
    dialog = window.feed_actions.edit_feed(core.get_feed(feed.id))
    qtbot.waitUntil(lambda: dialog.folder_combo.loaded)
    assert dialog.role_combo.count() == 1 and not dialog.role_combo.isEnabled()
    assert dialog.role_combo.currentData() == Role.APPROVED
    assert "role" not in dialog.changes()
