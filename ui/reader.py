"""The reader pane: one item's sanitized HTML, with remote resources never fetched."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from curator.types import Item

from .models import format_local

_STYLE = """
h1 { font-size: x-large; margin-bottom: 4px; }
h1 a { text-decoration: none; }
p.meta { color: #6b6b6b; margin-top: 0; }
p.empty { color: #6b6b6b; }
"""


class ReaderView(QTextBrowser):
    """Shows an item. Remote images stay unloaded: they are how senders track readers."""

    item_changed = Signal(object)  # the Item now shown, or None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenExternalLinks(True)  # links open in the user's browser, not in here
        self.document().setDefaultStyleSheet(_STYLE)
        self.item: Item | None = None
        self.blocked: list[QUrl] = []  # remote resources refused for the item shown
        self.clear_item()

    def show_item(self, item: Item) -> None:
        self.item = item
        self.blocked = []
        self.setHtml(render_item(item, self.tr))
        self.verticalScrollBar().setValue(0)
        self.item_changed.emit(item)

    def clear_item(self) -> None:
        self.item = None
        self.blocked = []
        self.setHtml(f'<p class="empty">{html.escape(self.tr("Select an item to read it."))}</p>')
        self.item_changed.emit(None)

    def loadResource(self, type_: int, url: QUrl | str) -> Any:
        url = QUrl(url)
        if url.scheme().lower() in ("http", "https"):
            self.blocked.append(url)
            return None
        if url.scheme().lower() == "data":
            return super().loadResource(type_, url)
        # Relative or file: URLs in a feed must never read the user's own files.
        return None


def render_item(item: Item, tr: Any = lambda s: s) -> str:
    """The reader's HTML: escaped metadata, then the item's body (sanitized by the core)."""
    title = html.escape(item.title or tr("(untitled)"))
    if item.link:
        title = f'<a href="{html.escape(item.link, quote=True)}">{title}</a>'
    meta = [
        html.escape(part)
        for part in (item.feed_title, item.author, format_local(item.date, long=True))
        if part
    ]
    body = item.content or item.summary or ""
    return (
        f'<h1>{title}</h1>\n<p class="meta">{" · ".join(meta)}</p>\n<div class="body">{body}</div>'
    )
