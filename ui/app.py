"""Start the desktop app: resolve the data folder, open the core, show the main window."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QApplication, QWidget

from curator import Curator, logs, paths
from curator.errors import CuratorError

from . import crash, desktop, errors, single, tasks, welcome
from .i18n import install_translations
from .mainwindow import MainWindow
from .overdue import OverduePrompt
from .tray import Tray

EXIT_WAIT_MS = 30_000  # a refresh in flight at exit ends within the fetch timeouts


def _parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="curator-gui",
        description="Curator: read feeds offline, share them in your own voice.",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the database lives (default: $CURATOR_DATA_DIR or the "
        "platform's user data folder)",
    )
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add Curator to the desktop's application menu ($XDG_DATA_HOME) and exit",
    )
    # Anything else (-platform, -style...) is for Qt.
    return parser.parse_known_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the GUI until its window closes; returns the process exit code."""
    args, qt_args = _parse(sys.argv[1:] if argv is None else argv)
    if args.install_desktop_entry:  # no window: write the files, say which, exit
        return desktop.run_install(args.data_dir)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "curator-gui", *qt_args])
    app.setApplicationName("Curator")
    app.setOrganizationName("Curator")
    app.setWindowIcon(desktop.app_icon())
    translators = install_translations(app)  # noqa: F841 (kept alive for the whole run)

    # A second launch on the same data folder brings the first window to the front, then exits.
    instance = single.claim(paths.data_dir(args.data_dir))
    if instance is None:
        return 0
    logs.setup_logging(paths.data_dir(args.data_dir))  # rotating, in the data folder, no secrets
    try:  # after QApplication exists: the error is a dialog
        core = Curator(paths.data_dir(args.data_dir))
    except (CuratorError, OSError) as exc:
        errors.show_error(None, exc)
        return 1

    window = MainWindow(core)
    window.remember_state()  # the last session's layout and selection; saved again on close
    window.favicons.start_fetching()  # icons the cache lacks, once, in the background
    window.publishing.scheduler.start()  # due posts go out while the app is open
    tray = Tray(window)  # counts, Open/Refresh/Pause/Quit; may keep Curator running when closed
    instance.raise_requested.connect(tray.show_window)
    # Deleted drafts stay undoable for a month, then go.
    tasks.run_in_background(core.purge_deleted_drafts, on_error=lambda _exc: None)
    window.show()
    # Posts missed while the app was closed (or the computer slept): asked, never a burst.
    overdue = OverduePrompt(window)
    window.publishing.scheduler.held.connect(lambda posts: overdue.show_posts(posts))
    overdue.check()
    welcome.install_welcome(window).show_if_first_run()  # Help → Welcome…; once on a new data dir
    # Accounts that need the user (reconnect, LinkedIn expiry): one notice, in the background.
    window.post_actions.warn_about_accounts(window.publishing.notifier)
    previous_hook = sys.excepthook
    sys.excepthook = _crash_handler(window)
    try:
        return app.exec()
    finally:
        sys.excepthook = previous_hook
        window.hide()
        window.cancel_refresh()  # quitting must not wait for every feed to download
        tasks.wait_for_done(EXIT_WAIT_MS)  # the core must outlive the calls still running
        core.close()
        window.deleteLater()


def _crash_handler(window: QWidget) -> Callable[..., None]:
    """A sys.excepthook: a bug in a slot gets one dialog instead of a line on a hidden console."""
    return crash.install(window)  # the traceback goes to the log; one dialog, however many
