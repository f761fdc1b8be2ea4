"""Refreshing in the background: progress, arrivals, summary, auto refresh, offline."""

import time

import pytest
from PySide6.QtCore import QSettings, QTimer
from uihelpers import FEEDS, GOLDEN, GOLDEN_ITEMS, open_window, serve_golden

from ui import settings as settings_module
from ui.network import NetworkStatus
from ui.preferences import PreferencesDialog
from ui.refreshing import FAILED_LINK, FailedFeedsDialog
from ui.settings import DEFAULT_REFRESH_INTERVAL, REFRESH_INTERVAL_KEY, Settings

NEW_ITEMS = b"""
    <item><title>Primera novedad</title><guid>tag:example.com,2024:new/1</guid>
      <pubDate>Fri, 08 Mar 2024 10:00:00 GMT</pubDate><description>Uno.</description></item>
    <item><title>Segunda novedad</title><guid>tag:example.com,2024:new/2</guid>
      <pubDate>Fri, 08 Mar 2024 11:00:00 GMT</pubDate><description>Dos.</description></item>
"""


@pytest.fixture(autouse=True)
def settings_file(tmp_path, monkeypatch):
    """Every Settings made in these tests reads and writes a file of the test's own."""
    path = str(tmp_path / "settings.ini")
    monkeypatch.setattr(
        settings_module, "default_store", lambda: QSettings(path, QSettings.Format.IniFormat)
    )
    return path


@pytest.fixture
def win(qtbot, core):
    from ui import tasks

    window = open_window(qtbot, core)
    window.refresher.network.set_online_for_test(True)  # whatever this machine's network says
    yield window
    window.cancel_refresh()
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=15_000)


def serve_with_new_items(feed_server, **kwargs):
    body = (FEEDS / "rss20.xml").read_bytes().replace(b"<item>", NEW_ITEMS + b"<item>", 1)
    return feed_server.add("/feeds/rss20.xml", body, **kwargs)


def feed_id(core, name):
    return next(f.id for f in core.list_feeds() if f.url.endswith(f"/feeds/{name}"))


def test_progress_bar_counts_feeds_and_hides_at_the_end(win, feed_server, qtbot):
    for name in GOLDEN:
        serve_golden(feed_server, name, delay=0.2)
    refresher = win.refresher
    seen = []
    refresher.progressed.connect(lambda done, total: seen.append(refresher.progress_bar.text()))
    win.refresh_action.trigger()
    assert refresher.progress_bar.isVisible()
    assert refresher.stop_button.isVisible()
    assert win.statusBar().currentMessage() == "Refreshing…"
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        pass
    assert seen == ["1 of 3 feeds", "2 of 3 feeds", "3 of 3 feeds"]
    assert not refresher.progress_bar.isVisible()
    assert not refresher.stop_button.isVisible()
    assert win.refresh_action.isEnabled()


def test_the_event_loop_keeps_turning_during_a_slow_refresh(win, feed_server, qtbot):
    for name in GOLDEN:
        serve_golden(feed_server, name, delay=1.0)
    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    started = time.monotonic()
    win.refresh()
    with qtbot.waitSignal(win.refresher.finished, timeout=15_000):
        pass
    timer.stop()
    assert time.monotonic() - started >= 1.0  # the refresh really was slow
    during = [t for t in ticks if t - started < 1.0]
    # A blocked event loop would tick once or not at all; a free one about 50 times.
    assert len(during) >= 15


def test_new_items_appear_while_the_selection_stays_on_its_item(win, core, feed_server, qtbot):
    refresher = win.refresher
    refresher.arrivals_timer.setInterval(100)
    serve_with_new_items(feed_server)  # fast: its items arrive while another still loads
    # The core stores in batches, closed by the next feed that must be written (not a 304).
    serve_golden(feed_server, "atom10.xml", delay=0.5, etag=False, last_modified=False)
    serve_golden(feed_server, "jsonfeed11.json", delay=3.0)
    model = win.item_model
    win.items.selectRow(3)
    selected = model.item_at(3).id
    resets = []
    model.modelReset.connect(lambda: resets.append(1))

    win.refresh()
    qtbot.waitUntil(lambda: model.rowCount() == GOLDEN_ITEMS + 2, timeout=10_000)
    assert refresher.running  # the slow feeds are still being fetched
    assert model.item_at(0).title == "Segunda novedad"
    rows = win.items.selectionModel().selectedRows()
    assert [model.item_at(index.row()).id for index in rows] == [selected]
    assert model.item_at(win.items.currentIndex().row()).id == selected
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        pass
    assert resets == []
    assert model.item_at(win.items.currentIndex().row()).id == selected


def link_colour_follows_the_palette(label, qtbot):
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    def has_colour(colour: QColor) -> bool:
        image = label.grab().toImage()
        return any(
            image.pixelColor(x, y) == colour
            for x in range(image.width())
            for y in range(image.height())
        )

    app = QApplication.instance()
    original = app.palette()
    odd = QPalette(original)
    odd.setColor(QPalette.ColorRole.Link, QColor(0, 200, 120))  # a colour nothing else uses
    try:
        assert not has_colour(QColor(0, 200, 120))
        app.setPalette(odd)
        qtbot.waitUntil(lambda: has_colour(QColor(0, 200, 120)))
    finally:
        app.setPalette(original)


def test_summary_links_to_the_failed_feeds_and_retries_them(win, core, feed_server, qtbot):
    refresher = win.refresher
    serve_with_new_items(feed_server)
    feed_server.status("/feeds/atom10.xml", 500)
    feed_server.status("/feeds/jsonfeed11.json", 404)
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        win.refresh()
    assert refresher.summary == "2 new items, 2 feeds failed"
    assert refresher.summary_label.isVisible()
    assert FAILED_LINK in refresher.summary_label.text()

    link_colour_follows_the_palette(refresher.summary_label, qtbot)

    refresher.summary_label.linkActivated.emit(FAILED_LINK)  # the user clicks the link
    (dialog,) = win.findChildren(FailedFeedsDialog)
    failing = {feed_id(core, "atom10.xml"), feed_id(core, "jsonfeed11.json")}
    assert set(dialog.feed_ids) == failing
    rows = dialog.rows()
    expected = {
        (core.get_feed(i).title or core.get_feed(i).url, core.get_feed(i).last_error)
        for i in failing
    }
    assert {(title, error) for title, error, _next in rows} == expected
    assert all(error and next_try for _title, error, next_try in rows)

    serve_golden(feed_server, "atom10.xml")  # the server is back
    serve_golden(feed_server, "jsonfeed11.json")
    rss_hits = feed_server.hits("/feeds/rss20.xml")
    atom_hits = feed_server.hits("/feeds/atom10.xml")
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        dialog.retry_button.click()
    assert refresher.summary == "No new items"
    assert FAILED_LINK not in refresher.summary_label.text()
    assert feed_server.hits("/feeds/atom10.xml") == atom_hits + 1
    assert feed_server.hits("/feeds/rss20.xml") == rss_hits  # only the failed ones
    assert all(core.get_feed(i).last_error is None for i in failing)


def test_stop_ends_the_refresh_early(win, core, feed_server, qtbot):
    for i in range(30):
        core.add_feed(
            feed_server.add(f"/slow{i}.xml", (FEEDS / "rss20.xml").read_bytes(), delay=1.0),
            fetch=False,
        )
    refresher = win.refresher
    win.refresh()
    qtbot.wait(200)
    with qtbot.waitSignal(refresher.finished, timeout=15_000) as done:
        refresher.stop_button.click()
    assert done.args[0].cancelled
    assert refresher.summary.startswith("Refresh stopped: ")
    assert sum(feed_server.hits(f"/slow{i}.xml") for i in range(30)) < 30


def test_refreshes_automatically_and_pauses_while_offline(win, feed_server, qtbot):
    refresher, network = win.refresher, win.refresher.network
    auto = refresher.auto
    assert auto.interval_ms == DEFAULT_REFRESH_INTERVAL * 60_000
    auto.set_interval_ms(300)
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        pass  # nobody asked: the timer did
    hits = feed_server.hits("/feeds/rss20.xml")
    assert hits >= 2  # subscribing fetched it once

    network.set_online_for_test(False)
    assert refresher.offline_label.isVisible()
    assert "network returns" in refresher.offline_label.toolTip()
    with qtbot.assertNotEmitted(refresher.started, wait=900):  # three intervals go by
        pass
    assert feed_server.hits("/feeds/rss20.xml") == hits

    with qtbot.waitSignal(refresher.started, timeout=500):  # overdue: at once
        network.set_online_for_test(True)
    assert not refresher.offline_label.isVisible()
    with qtbot.waitSignal(refresher.finished, timeout=15_000):
        pass
    assert feed_server.hits("/feeds/rss20.xml") == hits + 1

    auto.set_interval_ms(0)  # off
    with qtbot.assertNotEmitted(refresher.started, wait=600):
        pass


def test_refreshing_by_hand_while_offline_says_why_it_may_fail(win, qtbot):
    win.refresher.network.set_online_for_test(False)
    with qtbot.waitSignal(win.refresher.finished, timeout=15_000):
        win.refresh_action.trigger()  # still allowed: the machine may be wrong
        assert "offline" in win.statusBar().currentMessage()


def test_preferences_change_the_interval(win, qtbot, settings_file):
    dialog = win.refresher.show_preferences()
    assert dialog.refresh_interval.value() == DEFAULT_REFRESH_INTERVAL
    dialog.refresh_interval.setValue(5)
    dialog.accept()
    assert win.refresher.auto.interval_ms == 5 * 60_000
    stored = QSettings(settings_file, QSettings.Format.IniFormat)
    assert int(stored.value(REFRESH_INTERVAL_KEY)) == 5
    assert win.refresher.preferences_action in win.menuBar().actions()[1].menu().actions()


def test_settings_fall_back_to_the_default_on_a_mangled_value(settings_file, qtbot):
    store = QSettings(settings_file, QSettings.Format.IniFormat)
    store.setValue(REFRESH_INTERVAL_KEY, "soon")
    store.sync()
    settings = Settings()
    assert settings.refresh_interval_minutes == DEFAULT_REFRESH_INTERVAL
    with qtbot.waitSignal(settings.changed) as changed:
        settings.refresh_interval_minutes = 0
    assert changed.args == [REFRESH_INTERVAL_KEY]
    assert Settings().refresh_interval_minutes == 0
    with qtbot.assertNotEmitted(settings.changed):
        settings.refresh_interval_minutes = 0
    with pytest.raises(ValueError):
        settings.refresh_interval_minutes = -1
    PreferencesDialog(settings).deleteLater()  # builds with any stored value


def test_network_status_says_online_without_a_system_backend(qtbot):
    network = NetworkStatus(use_system=False)
    assert network.backend is None
    assert network.online is True
    assert network.property("online") is True
    with qtbot.waitSignal(network.online_changed) as changed:
        network.set_online_for_test(False)
    assert changed.args == [False]
    assert network.online is False
    with qtbot.assertNotEmitted(network.online_changed):
        network.set_online_for_test(False)


def test_a_search_list_reloads_once_at_the_end(win, feed_server, qtbot):
    model = win.item_model
    qtbot.keyClicks(win.search, "novedad")
    qtbot.waitUntil(lambda: model.query.search == "novedad" and not model.is_loading())
    assert model.rowCount() == 0
    serve_with_new_items(feed_server)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(win.refresher.finished, timeout=15_000):
        win.refresh()
    qtbot.waitUntil(lambda: model.rowCount() == 2 and not model.is_loading())
    assert resets == [1]


def test_a_refresh_that_raises_is_shown_and_ends(win, core, shown_errors, monkeypatch, qtbot):
    from curator.errors import StorageError

    def broken(*args, **kwargs):
        raise StorageError("The disk is full.")

    monkeypatch.setattr(core, "refresh", broken)
    with qtbot.waitSignal(win.refresher.finished, timeout=15_000) as done:
        win.refresh()
    assert done.args == [None]
    assert [str(exc) for _parent, exc in shown_errors] == ["The disk is full."]
    assert win.refresh_action.isEnabled()
    assert not win.refresher.progress_bar.isVisible()
