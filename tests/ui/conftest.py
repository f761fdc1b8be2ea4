"""UI test fixtures: a core holding items fetched from the local feed server, a main window."""

import keyring
import pytest
from uihelpers import GOLDEN, open_window, serve_golden


@pytest.fixture(autouse=True)
def _no_task_outlives_its_test(qtbot):
    # A callback delivered during the next test would act on this test's (closed) objects.
    yield
    from ui import tasks

    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=15_000)


@pytest.fixture(scope="session", autouse=True)
def _translations(qapp):
    # As the app does: English plural forms ("1 feed failed"), no other language.
    from PySide6.QtCore import QLocale

    from ui.i18n import install_translations

    translators = install_translations(qapp, QLocale(QLocale.Language.English))
    yield
    for translator in translators:
        qapp.removeTranslator(translator)


@pytest.fixture(autouse=True)
def _private_settings(tmp_path_factory):
    # Every QSettings a test creates lives in its own folder: never the user's file, and
    # no window layout or preference leaks from one test into the next.
    from PySide6.QtCore import QSettings

    folder = str(tmp_path_factory.mktemp("settings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, folder)
    yield folder


@pytest.fixture
def shown_errors(monkeypatch):
    """Every error the UI would show, instead of a modal dialog."""
    from ui import errors

    calls = []
    monkeypatch.setattr(errors, "show_error", lambda parent, exc: calls.append((parent, exc)))
    return calls


@pytest.fixture
def core(tmp_path, feed_server):
    """A Curator on a temp data dir, subscribed to three golden feeds (11 unread items)."""
    from curator import Curator
    from ui import tasks

    curator = Curator(tmp_path / "data")
    for name in GOLDEN:
        curator.add_feed(serve_golden(feed_server, name))
    yield curator
    tasks.wait_for_done(15_000)
    curator.close()


@pytest.fixture
def window(qtbot, core):
    from ui import tasks

    win = open_window(qtbot, core)
    yield win
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=15_000)  # before the core closes


@pytest.fixture
def memory_keyring(core):
    """An in-memory keyring for this test (the core's secret store looks again)."""
    from uihelpers import MemoryKeyring

    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    core._secrets = None  # the store picks its backend once: let it look again
    try:
        yield memory
    finally:
        keyring.set_keyring(previous)
        core._secrets = None
