"""Save README screenshots of the main window (light and dark), offscreen, with golden feeds."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the app, and tests/feedserver.py
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TZ", "Europe/Madrid")  # dates shown as a user in Spain would see them
if os.environ.get("LANG", "C").startswith(("C", "POSIX")):
    os.environ["LANG"] = "en_GB.UTF-8"  # Qt's "C" locale writes dates as "7 03 2024"
# The local feed server must never be reached through a proxy.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

FEEDS = ROOT / "tests" / "data" / "feeds"
# (file, folder, role): a couple of folders and roles, so the sources tree shows its shape.
SHOWN = (
    ("rss20.xml", "Marketing", "third-party"),
    ("atom10.xml", "Travel", "third-party"),
    ("jsonfeed10.json", "Marketing", "competitor"),
    ("rss092.xml", "Tech", "third-party"),
    ("jsonfeed11.json", None, "own"),
)
SIZE = (1200, 750)


def _isolate_settings(folder: str) -> None:
    """Point Qt's settings at a temp folder: the user's saved window state must not leak in."""
    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, folder)
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, folder)


def dark_palette():
    """The usual Fusion dark palette (what a user with a dark desktop theme sees)."""
    from PySide6.QtGui import QColor, QPalette

    role, group = QPalette.ColorRole, QPalette.ColorGroup
    palette = QPalette()
    colors = {
        role.Window: "#2b2b2b",
        role.WindowText: "#e6e6e6",
        role.Base: "#1f1f1f",
        role.AlternateBase: "#292929",
        role.ToolTipBase: "#2b2b2b",
        role.ToolTipText: "#e6e6e6",
        role.PlaceholderText: "#8c8c8c",
        role.Text: "#e6e6e6",
        role.Button: "#353535",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff5555",
        role.Link: "#6cb4ff",
        role.LinkVisited: "#b48cff",
        role.Highlight: "#2f6fb3",
        role.HighlightedText: "#ffffff",
        role.Light: "#454545",
        role.Midlight: "#3a3a3a",
        role.Mid: "#2f2f2f",
        role.Dark: "#161616",
        role.Shadow: "#000000",
    }
    for r, color in colors.items():
        palette.setColor(r, QColor(color))
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, r, QColor("#7a7a7a"))
    return palette


def _wait(app, done: Callable[[], bool], timeout: float = 15.0) -> None:
    from ui import tasks

    deadline = time.monotonic() + timeout
    while not (done() and tasks.pending() == 0):
        if time.monotonic() > deadline:
            raise SystemExit("screenshots: the window did not settle in time")
        app.processEvents()
        time.sleep(0.01)


def _check_fonts(app) -> None:
    from PySide6.QtGui import QFontDatabase

    if not QFontDatabase.families():
        raise SystemExit("screenshots: no fonts installed (apt-get install fonts-dejavu-core)")
    if not QFontDatabase.families(QFontDatabase.WritingSystem.Japanese):
        print(
            "screenshots: no Japanese font (e.g. fonts-wqy-microhei): 日本 shows as boxes",
            file=sys.stderr,
        )


def _save(window, path: Path) -> None:
    window.repaint()
    if not window.grab().save(str(path)):
        raise SystemExit(f"screenshots: cannot write {path}")
    print(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)

    from feedserver import FeedServer
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    from curator import Curator
    from ui import tasks
    from ui.i18n import install_translations
    from ui.mainwindow import MainWindow

    settings_dir = tempfile.TemporaryDirectory()
    _isolate_settings(settings_dir.name)
    app = QApplication([sys.argv[0]])
    app.setApplicationName("Curator")
    app.setOrganizationName("Curator")
    translators = install_translations(app, QLocale(QLocale.Language.English))  # noqa: F841
    app.setStyle("Fusion")  # the same look on every machine that runs this script
    _check_fonts(app)
    args.out.mkdir(parents=True, exist_ok=True)
    with FeedServer() as server, tempfile.TemporaryDirectory() as data, settings_dir:
        core = Curator(data)
        # Subscribed but not fetched yet: the window's own refresh fills it, as for a user.
        for name, folder, role in SHOWN:
            kind = "application/feed+json" if name.endswith(".json") else "application/xml"
            url = server.add(f"/feeds/{name}", (FEEDS / name).read_bytes(), content_type=kind)
            core.add_feed(url, folder=folder, role=role, fetch=False)
        # One feed that has gone away, to show how a failing feed looks.
        core.add_feed(
            server.status("/old-blog/feed.xml", 404, "Not found"), title="Old blog", fetch=False
        )

        window = MainWindow(core)
        window.resize(*SIZE)
        window.show()
        window.refresh()
        _wait(app, lambda: window.refresh_action.isEnabled() and window.item_model.rowCount() > 0)
        model = window.item_model
        rows = {model.item_at(r).title: r for r in range(model.rowCount())}
        window.items.selectRow(rows["Die Größe zählt"])  # so the list shows a read item too
        window.items.selectRow(rows["La campaña, en cifras"])
        _wait(app, lambda: window.reader.item is not None)
        _save(window, args.out / "main-window.png")
        app.setPalette(dark_palette())
        window.reader.show_item(window.reader.item)  # the HTML picks up the new link colour
        _wait(app, lambda: True)
        _save(window, args.out / "main-window-dark.png")
        window.close()
        tasks.wait_for_done()
        core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
