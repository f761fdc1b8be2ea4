"""The first-run welcome: shown once on a new data dir, starter feeds by field, OPML import."""

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from uihelpers import open_window

from ui import tasks
from ui.welcome import WELCOME_SHOWN_KEY, install_welcome, starter_fields


@pytest.fixture
def empty_core(tmp_path):
    from curator import Curator

    curator = Curator(tmp_path / "nuevo")
    yield curator
    tasks.wait_for_done(15_000)
    curator.close()


@pytest.fixture
def settings_file(tmp_path):
    return str(tmp_path / "ajustes.ini")


def _settings(path):
    return QSettings(path, QSettings.Format.IniFormat)


@pytest.fixture
def new_window(qtbot, empty_core, monkeypatch):
    window = open_window(qtbot, empty_core)
    window.refresher.network.set_online_for_test(False)  # nothing may leave for the internet
    window.refreshes = []
    monkeypatch.setattr(window, "refresh", lambda: window.refreshes.append(True))
    yield window
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=15_000)


def _closed(dialog):
    # The dialog deletes itself on close: gone, or at least hidden.
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _settled(qtbot):
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=15_000)


def test_shown_on_a_new_data_dir_and_only_once(qtbot, new_window, settings_file):
    welcome = install_welcome(new_window, _settings(settings_file))
    welcome.show_if_first_run()
    qtbot.waitUntil(lambda: welcome.dialog is not None and welcome.dialog.isVisible())
    dialog = welcome.dialog
    assert dialog.windowTitle() == "Welcome to Curator"
    counts = {field: len(feeds) for field, feeds in starter_fields().items()}
    assert dialog.checkboxes["Health"].text() == f"Health ({counts['Health']} feeds)"
    assert _settings(settings_file).value(WELCOME_SHOWN_KEY, False, type=bool)
    dialog.reject()

    again = install_welcome(new_window, _settings(settings_file))  # the next start
    again.show_if_first_run()
    _settled(qtbot)
    assert again.dialog is None


def test_not_shown_when_the_data_dir_has_feeds(qtbot, window, settings_file):
    welcome = install_welcome(window, _settings(settings_file))
    welcome.show_if_first_run()
    _settled(qtbot)
    assert welcome.dialog is None


def test_two_fields_subscribe_their_feeds_into_folders_without_fetching(
    qtbot, new_window, settings_file
):
    welcome = install_welcome(new_window, _settings(settings_file))
    dialog = welcome.show()
    dialog.checkboxes["Sales"].setChecked(True)
    dialog.checkboxes["Health"].setChecked(True)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: _closed(dialog))
    _settled(qtbot)

    fields = starter_fields()
    expected = {(o.url, field) for field in ("Sales", "Health") for o in fields[field]}
    feeds = new_window.core.list_feeds()
    assert {(feed.url, feed.folder) for feed in feeds} == expected
    assert all(feed.last_fetched_at is None for feed in feeds)  # subscribed, never fetched
    assert new_window.refreshes == []  # offline: no refresh yet

    new_window.refresher.network.set_online_for_test(True)  # the normal refresh fetches them
    assert new_window.refreshes == [True]
    new_window.refresher.network.set_online_for_test(False)
    new_window.refresher.network.set_online_for_test(True)
    assert new_window.refreshes == [True]  # once, not on every reconnection


def test_start_with_nothing_chosen_subscribes_nothing(qtbot, new_window, settings_file):
    dialog = install_welcome(new_window, _settings(settings_file)).show()
    dialog.start_button.click()
    qtbot.waitUntil(lambda: _closed(dialog))
    _settled(qtbot)
    assert new_window.core.list_feeds() == []


def test_import_opml_from_a_local_file(qtbot, new_window, settings_file, tmp_path, monkeypatch):
    opml = tmp_path / "suscripciones.opml"
    opml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><body>'
        '<outline text="Noticias">'
        '<outline text="El Periódico de Prueba" xmlUrl="http://127.0.0.1:9/periodico.xml"/>'
        '<outline text="Economía al día" xmlUrl="http://127.0.0.1:9/economia.xml"/>'
        "</outline></body></opml>",
        encoding="utf-8",
    )
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(opml), ""))
    dialog = install_welcome(new_window, _settings(settings_file)).show()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.status.text() == "2 feeds imported")
    feeds = new_window.core.list_feeds()
    assert sorted((f.title, f.folder) for f in feeds) == [
        ("Economía al día", "Noticias"),
        ("El Periódico de Prueba", "Noticias"),
    ]
    assert all(feed.last_fetched_at is None for feed in feeds)
    assert dialog.isVisible()  # the user may still pick fields or connect an account


def test_a_broken_opml_file_is_one_error(qtbot, new_window, settings_file, tmp_path,
                                         monkeypatch, shown_errors):
    broken = tmp_path / "roto.opml"
    broken.write_bytes(b"esto no es OPML")
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    dialog = install_welcome(new_window, _settings(settings_file)).show()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: len(shown_errors) == 1)
    assert dialog.import_button.isEnabled()
    assert new_window.core.list_feeds() == []


def test_help_welcome_reopens_it(qtbot, new_window, settings_file):
    settings = _settings(settings_file)
    settings.setValue(WELCOME_SHOWN_KEY, True)
    welcome = install_welcome(new_window, settings)
    welcome.show_if_first_run()
    _settled(qtbot)
    assert welcome.dialog is None  # already welcomed

    help_menu = next(
        a.menu() for a in new_window.menuBar().actions() if a.text() == "&Help"
    )
    action = next(a for a in help_menu.actions() if a.text() == "&Welcome…")
    action.trigger()
    assert welcome.dialog is not None and welcome.dialog.isVisible()
    welcome.dialog.reject()


def test_connect_an_account_opens_the_accounts_dialog(qtbot, new_window, settings_file):
    dialog = install_welcome(new_window, _settings(settings_file)).show()
    dialog.account_button.click()
    accounts = new_window.post_actions.accounts_dialog
    assert accounts is not None and accounts.isVisible()
    accounts.close()
