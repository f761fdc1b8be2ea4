"""The drafts list: open, duplicate, delete with undo; and the File menu's post actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.types import Account, Draft

from . import errors
from .composer import draft_events, open_composer, open_composers
from .models import format_local
from .tasks import run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

UNDO_SECONDS = 60  # how long a deleted draft can be brought back from the list
RELOAD_DELAY_MS = 300  # autosaves while typing reload the list at most this often
FIRST_LINE_CHARS = 80
DraftIdRole = Qt.ItemDataRole.UserRole


def _tr(text: str) -> str:
    return QCoreApplication.translate("drafts", text)


def _load(core: Curator) -> tuple[list[Draft], list[Account]]:
    return core.list_drafts(), core.list_accounts()


def first_line(text: str) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= FIRST_LINE_CHARS else line[: FIRST_LINE_CHARS - 1] + "…"


class DraftsDialog(QDialog):
    """Every draft not deleted, last edited first. Non-modal: composers open beside it."""

    TEXT, ITEM, ACCOUNTS, UPDATED = range(4)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.main_window = window
        self.core = window.core
        self.setWindowTitle(self.tr("Drafts"))
        self.resize(820, 460)
        self.loaded = False
        self._loading = False
        self._stale = False
        self._select_id: int | None = None
        self.deleted: Draft | None = None  # the draft Undo brings back

        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHeaderLabels(
            [self.tr("Text"), self.tr("Item"), self.tr("Accounts"), self.tr("Updated")]
        )
        header = self.tree.header()
        header.setSectionResizeMode(self.TEXT, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.resizeSection(self.ITEM, 200)
        header.setSectionResizeMode(self.ACCOUNTS, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(self.UPDATED, 150)
        self.tree.itemActivated.connect(lambda _item, _col: self.open_selected())
        self.tree.currentItemChanged.connect(lambda *_: self._update_enabled())
        self.empty_label = QLabel(
            self.tr("No drafts yet. “New post…” (Ctrl+Shift+N) or “Compose post” on an item "
                    "starts one; it is saved as you type.")
        )
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()

        self.new_button = QPushButton(self.tr("&New post"))
        self.open_button = QPushButton(self.tr("&Open"))
        self.duplicate_button = QPushButton(self.tr("D&uplicate"))
        self.delete_button = QPushButton(self.tr("&Delete"))
        self.delete_button.setShortcut(QKeySequence.StandardKey.Delete)
        self.new_button.clicked.connect(lambda: open_composer(self.main_window))
        self.open_button.clicked.connect(self.open_selected)
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.open_button, self.duplicate_button,
                       self.delete_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.message = QLabel()
        self.undo_button = QPushButton(self.tr("&Undo"))
        self.undo_button.setAutoDefault(False)
        self.undo_button.clicked.connect(self.undo_delete)
        self.undo_row = QWidget()
        undo_layout = QHBoxLayout(self.undo_row)
        undo_layout.setContentsMargins(0, 0, 0, 0)
        undo_layout.addWidget(self.message, 1)
        undo_layout.addWidget(self.undo_button)
        self.undo_timer = QTimer(self)
        self.undo_timer.setSingleShot(True)
        self.undo_timer.timeout.connect(self._undo_expired)
        self.undo_button.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.undo_row)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        draft_events().changed.connect(self._reload_timer.start)
        self._update_enabled()
        self.reload()

    # ---- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        if self._loading:  # one load at a time; one more afterwards
            self._stale = True
            return
        self._loading, self._stale = True, False
        core = self.core
        run_in_background(lambda: _load(core), on_success=self._loaded,
                          on_error=self._load_failed, parent=self)

    def _loaded(self, loaded: tuple[list[Draft], list[Account]]) -> None:
        self._loading = False
        drafts, accounts = loaded
        names = {a.id: a.name for a in accounts}
        current = self.current_id() if self._select_id is None else self._select_id
        self._select_id = None
        self.tree.clear()
        for draft in drafts:
            row = QTreeWidgetItem([
                first_line(draft.text) or self.tr("(empty)"),
                draft.item_title or "",
                ", ".join(names.get(v.account_id, "?") for v in draft.variants),
                format_local(draft.updated_at),
            ])
            row.setData(self.TEXT, DraftIdRole, draft.id)
            row.setToolTip(self.TEXT, draft.text)
            row.setToolTip(self.ACCOUNTS, row.text(self.ACCOUNTS))
            self.tree.addTopLevelItem(row)
            if draft.id == current:
                self.tree.setCurrentItem(row)
        if self.tree.currentItem() is None and self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        empty = not drafts
        self.tree.setVisible(not empty)
        self.empty_label.setVisible(empty)
        self.loaded = True
        self._update_enabled()
        if self._stale:
            self.reload()

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        errors.show_error(self, exc)

    def current_id(self) -> int | None:
        row = self.tree.currentItem()
        return row.data(self.TEXT, DraftIdRole) if row is not None else None

    def draft_ids(self) -> list[int]:
        return [self.tree.topLevelItem(i).data(self.TEXT, DraftIdRole)
                for i in range(self.tree.topLevelItemCount())]

    def _update_enabled(self) -> None:
        has = self.current_id() is not None
        for button in (self.open_button, self.duplicate_button, self.delete_button):
            button.setEnabled(has)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("")

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(errors.describe(exc)[0])
        self.message.setStyleSheet("color: #c62828;")

    # ---- actions -------------------------------------------------------------------------

    def open_selected(self) -> None:
        draft_id = self.current_id()
        if draft_id is not None:
            open_composer(self.main_window, draft_id=draft_id)

    def duplicate_selected(self) -> None:
        draft_id = self.current_id()
        if draft_id is None:
            return
        core = self.core
        run_in_background(lambda: core.duplicate_draft(draft_id),
                          on_success=self._duplicated, on_error=self._failed, parent=self)

    def _duplicated(self, draft: Draft) -> None:
        self._say(self.tr("Duplicated: the copy is selected."))
        self._select_id = draft.id
        self.reload()

    def delete_selected(self) -> None:
        """Delete the selected draft; Undo brings it back for UNDO_SECONDS."""
        draft_id = self.current_id()
        if draft_id is None:
            return
        for composer in open_composers(self.main_window):
            if composer.draft_id == draft_id:
                composer.close()  # its last keystrokes are saved first (same order)
        core = self.core
        run_in_background(lambda: core.delete_draft(draft_id),
                          on_success=self._deleted, on_error=self._failed, parent=self)

    def _deleted(self, draft: Draft) -> None:
        self.deleted = draft
        title = first_line(draft.text) or self.tr("(empty)")
        self._say(self.tr("Deleted “{title}”.").format(title=title))
        self.undo_button.show()
        self.undo_timer.start(UNDO_SECONDS * 1000)
        self.reload()

    def undo_delete(self) -> None:
        draft, self.deleted = self.deleted, None
        self.undo_timer.stop()
        self.undo_button.hide()
        if draft is None:
            return
        core, draft_id = self.core, draft.id
        run_in_background(lambda: core.undelete_draft(draft_id),
                          on_success=self._undeleted, on_error=self._failed, parent=self)

    def _undeleted(self, draft: Draft) -> None:
        self._say(self.tr("Draft restored."))
        self._select_id = draft.id
        self.reload()

    def _undo_expired(self) -> None:
        self.deleted = None
        self.undo_button.hide()
        self.message.clear()


def show_drafts(window: MainWindow) -> DraftsDialog:
    """Show the drafts list (one per window; brought to the front if open)."""
    dialog = window.findChild(DraftsDialog)
    if dialog is None:
        dialog = DraftsDialog(window)
    else:
        dialog.reload()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def file_post_actions(window: MainWindow) -> tuple[QAction, QAction]:
    """File → New post… (Ctrl+Shift+N) and File → Drafts…"""
    new_post = QAction(_tr("New &post…"), window)
    new_post.setShortcut(QKeySequence("Ctrl+Shift+N"))
    new_post.triggered.connect(lambda _checked=False: open_composer(window))
    drafts = QAction(_tr("&Drafts…"), window)
    drafts.triggered.connect(lambda _checked=False: show_drafts(window))
    return new_post, drafts
