"""The reader pane: one item's sanitized HTML, with remote resources fetched only when allowed."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QDesktopServices,
    QImage,
    QPalette,
    QResizeEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTextBrowser,
    QWidget,
)

from curator import Curator
from curator.highlight import search_terms
from curator.types import Feed, Item

from .highlight import highlight_document
from .models import format_local
from .tasks import run_in_background

REMOTE_IMAGES_KEY = "reader/remote_images"  # bool: load remote images in every feed
EXTERNAL_SCHEMES = ("http", "https", "mailto")  # the only links handed to the system


def muted_colour(palette: QPalette) -> QColor:
    """Secondary text (dates, authors): the placeholder colour, made opaque over the base.
    Rich text CSS ignores alpha, and Qt's placeholder is often half-transparent text."""
    fg = palette.color(QPalette.ColorRole.PlaceholderText)
    bg = palette.color(QPalette.ColorRole.Base)
    a = fg.alphaF()
    return QColor.fromRgbF(
        fg.redF() * a + bg.redF() * (1 - a),
        fg.greenF() * a + bg.greenF() * (1 - a),
        fg.blueF() * a + bg.blueF() * (1 - a),
    )


def reader_style(palette: QPalette) -> str:
    """The reader's CSS in the palette's colours, so a dark system palette gives a dark page."""
    muted = muted_colour(palette).name()
    link = palette.color(QPalette.ColorRole.Link).name()
    code = palette.color(QPalette.ColorRole.AlternateBase).name()
    return f"""
h1 {{ font-size: x-large; margin-bottom: 4px; }}
h1 a {{ text-decoration: none; }}
a {{ color: {link}; }}
p.meta {{ color: {muted}; margin-top: 0; }}
p.empty {{ color: {muted}; }}
blockquote {{ color: {muted}; }}
pre {{ background-color: {code}; }}
"""


def _decode_images(found: dict[str, bytes]) -> dict[str, QImage]:
    # QImage (unlike QPixmap) may be made off the UI thread.
    images = {url: QImage.fromData(data) for url, data in found.items()}
    return {url: image for url, image in images.items() if not image.isNull()}


class RemoteImagesBar(QFrame):
    """ "Remote images were blocked…" with the two ways to allow them."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.label = QLabel(self.tr("Remote images were blocked to protect your privacy."))
        self.label.setWordWrap(True)
        self.load_button = QPushButton(self.tr("Load images"))
        self.always_button = QPushButton(self.tr("Always for this feed"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.load_button)
        layout.addWidget(self.always_button)


class ReaderView(QTextBrowser):
    """Shows an item. Remote images stay unloaded unless the user allows them (for the item,
    for its feed, or everywhere): they are how senders track readers. loadResource never
    touches the network; allowed images are fetched in the background and added to the
    document."""

    item_changed = Signal(object)  # the Item now shown, or None
    images_loaded = Signal(int)  # how many remote images the document now holds

    def __init__(
        self,
        core: Curator | None = None,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
    ):
        super().__init__(parent)
        self.core = core
        self.settings = settings if settings is not None else QSettings()
        self.item: Item | None = None
        self.blocked: list[QUrl] = []  # remote resources refused for the item shown
        self.highlights: list[tuple[int, int]] = []  # document positions of search matches
        self._images: dict[str, QImage] = {}  # remote images loaded for the item shown
        self._refit_timer = QTimer(self)
        self._refit_timer.setSingleShot(True)
        self._refit_timer.setInterval(150)
        self._refit_timer.timeout.connect(self._add_images)
        self._shown = 0  # bumped per item: late answers for an earlier item are dropped
        self._search: str | None = None
        self._style = reader_style(self.palette())

        # Links go to the system browser, and only http(s)/mailto ones: anything else
        # (javascript:, file:, data:) does nothing. Never navigate inside the reader.
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._link_clicked)

        self.images_bar = RemoteImagesBar(self)
        self.images_bar.hide()
        self.images_bar.load_button.clicked.connect(self.load_images)
        self.images_bar.always_button.clicked.connect(self.always_load_for_feed)
        self.images_bar.always_button.setEnabled(core is not None)

        self.remote_images_action = QAction(self.tr("Load remote images in all feeds"), self)
        self.remote_images_action.setCheckable(True)
        self.remote_images_action.setChecked(self.remote_images_everywhere())
        self.remote_images_action.toggled.connect(self._set_remote_images_everywhere)
        self.context_actions: list[QAction] = []  # the window adds "Quote in post"

        self.clear_item()

    # ---- what is shown -------------------------------------------------------------------

    def show_item(self, item: Item) -> None:
        self._shown += 1
        self.item = item
        self._images = {}
        self._hide_bar()
        self._render()
        self.verticalScrollBar().setValue(0)
        self.item_changed.emit(item)
        if self.remote_image_urls():
            self._decide_on_images()

    def clear_item(self) -> None:
        self._shown += 1
        self.item = None
        self._images = {}
        self._hide_bar()
        self._render()
        self.item_changed.emit(None)

    def set_search(self, text: str | None) -> None:
        """Highlight these search terms (the list's search) in the item shown and the next."""
        text = (text or "").strip() or None
        if text != self._search:
            self._search = text
            self._render(keep_scroll=True)

    def _render(self, keep_scroll: bool = False) -> None:
        scroll = self.verticalScrollBar().value()
        self.blocked = []
        self.document().setDefaultStyleSheet(self._style)
        if self.item is None:
            empty = html.escape(self.tr("Select an item to read it."))
            self.setHtml(f'<p class="empty">{empty}</p>')
            self.highlights = []
        else:
            self.setHtml(render_item(self.item, self.tr))
            self._add_images()
            terms = search_terms(self._search)
            self.highlights = highlight_document(self.document(), terms, self.palette())
        if keep_scroll:
            self.verticalScrollBar().setValue(scroll)

    def loadResource(self, type_: int, url: QUrl | str) -> Any:
        url = QUrl(url)
        scheme = url.scheme().lower()
        if scheme in ("http", "https"):
            if url not in self.blocked:
                self.blocked.append(url)
            return None
        if scheme == "data":
            return super().loadResource(type_, url)
        # Relative or file: URLs in a feed must never read the user's own files.
        return None

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme().lower() in EXTERNAL_SCHEMES:
            QDesktopServices.openUrl(url)
        elif not url.scheme() and not url.host() and url.hasFragment():
            self.scrollToAnchor(url.fragment())  # a footnote within the item

    # ---- remote images -------------------------------------------------------------------

    def remote_image_urls(self) -> list[str]:
        """The http(s) images of the document shown, each once, in document order."""
        urls: list[str] = []
        block = self.document().begin()
        while block.isValid():
            for part in block:
                fmt = part.fragment().charFormat()
                if fmt.isImageFormat():
                    name = fmt.toImageFormat().name()
                    if QUrl(name).scheme().lower() in ("http", "https") and name not in urls:
                        urls.append(name)
            block = block.next()
        return urls

    def remote_images_everywhere(self) -> bool:
        return bool(self.settings.value(REMOTE_IMAGES_KEY, False, type=bool))

    def _set_remote_images_everywhere(self, allowed: bool) -> None:
        self.settings.setValue(REMOTE_IMAGES_KEY, allowed)
        self.settings.sync()
        if allowed and self.item is not None and self.remote_image_urls():
            self.load_images()

    def _decide_on_images(self) -> None:
        # Settings are read here, the feed in the background: the bar shows only once the
        # answer is no, so an allowed feed never flashes it.
        if self.remote_images_everywhere():
            self.load_images()
            return
        if self.core is None or self.item is None:
            self._show_bar()
            return
        shown, core, feed_id = self._shown, self.core, self.item.feed_id
        run_in_background(
            lambda: core.get_feed(feed_id),
            on_success=lambda feed: self._feed_answered(shown, feed),
            on_error=lambda _exc: self._feed_answered(shown, None),
            parent=self,
        )

    def _feed_answered(self, shown: int, feed: Feed | None) -> None:
        if shown != self._shown:
            return
        if feed is not None and feed.remote_images:
            self.load_images()
        else:
            self._show_bar()

    def load_images(self) -> None:
        """Fetch the item's remote images in the background, then show them."""
        self._hide_bar()
        urls = [url for url in self.remote_image_urls() if url not in self._images]
        if not urls or self.core is None:
            return
        shown, core = self._shown, self.core
        run_in_background(
            lambda: _decode_images(core.fetch_images(urls)),
            on_success=lambda images: self._images_arrived(shown, images),
            parent=self,
        )

    def always_load_for_feed(self) -> None:
        """Allow remote images for the shown item's feed from now on, and load them now."""
        if self.item is None or self.core is None:
            return
        core, feed_id = self.core, self.item.feed_id
        self.load_images()
        run_in_background(lambda: core.update_feed(feed_id, remote_images=True), parent=self)

    def _images_arrived(self, shown: int, images: dict[str, QImage]) -> None:
        if shown != self._shown:
            return
        self._images.update(images)
        self._add_images()
        self.images_loaded.emit(len(self._images))

    def _add_images(self) -> None:
        if not self._images:
            return
        document = self.document()
        # Photos wider than the pane would need sideways scrolling: shrink them to fit.
        fit = max(64, int(self.viewport().width() - 2 * document.documentMargin() - 8))
        for url, image in self._images.items():
            shown = image
            if image.width() > fit:
                shown = image.scaledToWidth(fit, Qt.TransformationMode.SmoothTransformation)
            document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), shown)
        document.markContentsDirty(0, document.characterCount())  # lay out with the images

    # ---- the bar above the text ----------------------------------------------------------

    def _show_bar(self) -> None:
        self.images_bar.show()
        self._place_bar()

    def _hide_bar(self) -> None:
        self.images_bar.hide()
        self._place_bar()

    def _place_bar(self) -> None:
        # The bar sits in the viewport's top margin: the text scrolls below it.
        if self.images_bar.isHidden():
            self.setViewportMargins(0, 0, 0, 0)
            return
        area = self.contentsRect()
        bar = self.images_bar
        # The label wraps on a narrow pane: ask for the height at this width.
        height = bar.heightForWidth(area.width()) if bar.hasHeightForWidth() else -1
        if height <= 0:
            height = bar.sizeHint().height()
        self.setViewportMargins(0, height, 0, 0)
        bar.setGeometry(area.x(), area.y(), area.width(), height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self.images_bar.isHidden():
            self._place_bar()
        if self._images and event.size().width() != event.oldSize().width():
            self._refit_timer.start()  # once the user stops dragging the splitter

    # ---- the context menu ----------------------------------------------------------------

    def context_menu(self, pos: QPoint) -> QMenu:
        """Qt's menu (Copy, Select all…) and the window's actions on the text (Quote in post)."""
        menu = self.createStandardContextMenu(pos)
        if self.context_actions:
            menu.addSeparator()
            menu.addActions(self.context_actions)
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu(event.pos())
        menu.exec(event.globalPos())
        menu.deleteLater()

    # ---- light and dark ------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            style = reader_style(self.palette())
            if style != self._style:
                self._style = style
                self._render(keep_scroll=True)


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
