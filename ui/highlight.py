"""Search terms marked where they appear: in a QTextDocument (the reader) and in a list cell."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPointF, Qt
from PySide6.QtGui import (
    QFontMetrics,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from curator.highlight import SearchTerm, find_spans, search_terms

_Index = QModelIndex | QPersistentModelIndex


def utf16_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Code point spans of a Python str as Qt positions (UTF-16: emoji count twice)."""
    if text.isascii() or not spans:
        return spans
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return [(offsets[a], offsets[b]) for a, b in spans]


def term_spans(text: str, terms: list[SearchTerm]) -> list[tuple[int, int]]:
    """Where terms match in text, as Qt (UTF-16) positions."""
    return utf16_spans(text, find_spans(text, terms)) if terms else []


def highlight_format(palette: QPalette) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setBackground(palette.brush(QPalette.ColorRole.Highlight))
    fmt.setForeground(palette.brush(QPalette.ColorRole.HighlightedText))
    return fmt


def highlight_document(
    document: QTextDocument, terms: list[SearchTerm], palette: QPalette
) -> list[tuple[int, int]]:
    """Give every match of terms in the document the palette's highlight colours, through
    the document's own cursor (never by rewriting its HTML). Returns the (start, end)
    positions marked."""
    # Raw text lines up with document positions: one character per position, block and
    # table separators included.
    spans = term_spans(document.toRawText(), terms)
    if not spans:
        return []
    fmt = highlight_format(palette)
    cursor = QTextCursor(document)
    for start, end in spans:
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(fmt)
    return spans


class SearchHighlightDelegate(QStyledItemDelegate):
    """Draws a cell's text with the search terms on the highlight colour.

    search_text() gives the search the list shows (None or "" for none); it is parsed only
    when it changes.
    """

    def __init__(self, search_text: Callable[[], str | None], parent: QObject | None = None):
        super().__init__(parent)
        self._search_text = search_text
        self._parsed: tuple[str | None, list[SearchTerm]] = (None, [])

    def terms(self) -> list[SearchTerm]:
        text = self._search_text() or None
        if text != self._parsed[0]:
            self._parsed = (text, search_terms(text))
        return self._parsed[1]

    def spans_for(self, index: _Index) -> list[tuple[int, int]]:
        """The Qt positions of matches in the cell's display text (before eliding)."""
        text = index.data(Qt.ItemDataRole.DisplayRole)
        return term_spans(text, self.terms()) if isinstance(text, str) else []

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        terms = self.terms()
        if not terms or not self.spans_for(index):
            # Nothing to mark (most rows: a search also matches summaries): the style's own
            # painting, as without a search, and without laying the text out by hand.
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        opt.text = ""  # the style draws background, focus and icon; the text comes below
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        if not text:
            return

        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        rect = rect.adjusted(margin, 0, -margin, 0)
        shown = QFontMetrics(opt.font).elidedText(text, opt.textElideMode, rect.width())

        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (
            QPalette.ColorGroup.Normal
            if opt.state & QStyle.StateFlag.State_Active
            else QPalette.ColorGroup.Inactive
        )
        if not opt.state & QStyle.StateFlag.State_Enabled:
            group = QPalette.ColorGroup.Disabled
        palette = opt.palette
        mark = QTextCharFormat()
        if selected:  # on a selected row the highlight colour is everywhere: invert it
            mark.setBackground(palette.brush(group, QPalette.ColorRole.Base))
            mark.setForeground(palette.brush(group, QPalette.ColorRole.Text))
        else:
            mark.setBackground(palette.brush(group, QPalette.ColorRole.Highlight))
            mark.setForeground(palette.brush(group, QPalette.ColorRole.HighlightedText))
        formats = []
        for start, end in term_spans(shown, terms):
            fr = QTextLayout.FormatRange()
            fr.start, fr.length, fr.format = start, end - start, mark
            formats.append(fr)

        layout = QTextLayout(shown, opt.font)
        text_option = QTextOption(opt.displayAlignment & Qt.AlignmentFlag.AlignHorizontal_Mask)
        text_option.setWrapMode(QTextOption.WrapMode.NoWrap)
        text_option.setTextDirection(opt.direction)
        layout.setTextOption(text_option)
        layout.setFormats(formats)
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(rect.width())
        layout.endLayout()

        painter.save()
        painter.setClipRect(rect)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(palette.color(group, role))
        top = rect.top() + (rect.height() - line.height()) / 2
        layout.draw(painter, QPointF(rect.left(), top))
        painter.restore()
