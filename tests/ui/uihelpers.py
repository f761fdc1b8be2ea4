"""Helpers shared by the UI tests (a module of its own: every conftest is named conftest)."""

from pathlib import Path

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
GOLDEN = ("rss20.xml", "atom10.xml", "jsonfeed11.json")  # 4 + 3 + 4 items
GOLDEN_ITEMS = 11


def serve_golden(server, name: str, **kwargs) -> str:
    """Serve tests/data/feeds/NAME at /feeds/NAME; returns its URL."""
    kind = "application/feed+json" if name.endswith(".json") else "application/xml"
    return server.add(f"/feeds/{name}", (FEEDS / name).read_bytes(), content_type=kind, **kwargs)


def open_window(qtbot, core):
    """A shown MainWindow whose sources and first page of items have loaded."""
    from ui.mainwindow import MainWindow

    window = MainWindow(core)
    qtbot.addWidget(window)
    window.show()
    feeds = len(core.list_feeds())
    total = core.count_items()
    qtbot.waitUntil(
        lambda: (
            window.source_model.rowCount() == 1 + feeds and window.item_model.rowCount() == total
        )
    )
    return window
