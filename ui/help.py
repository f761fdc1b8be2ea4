"""Help: the keyboard shortcuts dialog."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class ShortcutsDialog(QDialog):
    """A table of key → what it does."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        rows = self.rows()
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels([self.tr("Key"), self.tr("Action")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        for row, (key, text) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(key))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(420, 420)

    def rows(self) -> list[tuple[str, str]]:
        def key(text: str) -> str:
            return QKeySequence(text).toString(QKeySequence.SequenceFormat.NativeText)

        def native(standard: QKeySequence.StandardKey) -> str:
            # Platform-defined (Ctrl+F here, Cmd+F on macOS); some have none on some systems.
            found = QKeySequence.keyBindings(standard)
            return found[0].toString(QKeySequence.SequenceFormat.NativeText) if found else ""

        rows = [
            (key("J"), self.tr("Next item")),
            (key("K"), self.tr("Previous item")),
            (key("N"), self.tr("Next unread item")),
            (key("P"), self.tr("Previous unread item")),
            (key("Space"), self.tr("Scroll the item down; at its end, next item")),
            (key("M"), self.tr("Mark read / unread")),
            (key("S"), self.tr("Star / unstar")),
            (key("O"), self.tr("Open the original in the browser")),
            (key("C"), self.tr("Compose a post from the item")),
            (key("Q"), self.tr("Quote the selected text in a post")),
            (key("/"), self.tr("Search")),
            (key("R"), self.tr("Refresh all feeds")),
            (key("Esc"), self.tr("In the search box: clear it, back to the list")),
            (native(QKeySequence.StandardKey.Find), self.tr("Search")),
            (native(QKeySequence.StandardKey.Refresh), self.tr("Refresh all feeds")),
            (native(QKeySequence.StandardKey.New), self.tr("Add a feed")),
            (key("Ctrl+Shift+N"), self.tr("New post")),
            (key("F2"), self.tr("In the sources: edit the feed")),
            (native(QKeySequence.StandardKey.Delete), self.tr("In the sources: remove the feed")),
            (native(QKeySequence.StandardKey.Undo), self.tr("Undo removing a feed")),
            (native(QKeySequence.StandardKey.Preferences), self.tr("Preferences")),
            (native(QKeySequence.StandardKey.Quit), self.tr("Quit")),
        ]
        return [(keys, text) for keys, text in rows if keys]

    def keys(self) -> list[str]:
        cells = (self.table.item(row, 0) for row in range(self.table.rowCount()))
        return [cell.text() for cell in cells if cell is not None]
