"""Helpers shared by the UI tests (a module of its own: every conftest is named conftest)."""

from pathlib import Path

import keyring
import keyring.backend
import keyring.errors

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
        lambda: len(window.source_model.feeds()) == feeds and window.item_model.rowCount() == total
    )
    return window


def source_index(window, key):
    """The sources tree's index of the node with this key, e.g. ("feed", 3)."""
    return window.source_model.index_for_key(key)


def source_texts(window):
    """Every node's text in the sources tree, depth first."""
    model = window.source_model
    texts = []

    def walk(parent):
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            texts.append(index.data())
            walk(index)

    from PySide6.QtCore import QModelIndex

    walk(QModelIndex())
    return texts


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that keeps secrets in this process only (UI tests that need no OS keyring)."""

    # 0: never chosen nor chained by keyring's own discovery (a subclass registers itself),
    # so later tests still find the real Secret Service as the default.
    priority = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
