"""Approved content packs: subscribing to one (a URL or a file), and making one to hand out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QDateTime, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from curator import Curator, ItemQuery
from curator.errors import CuratorError
from curator.types import AddFeedResult, Item, PackItemSpec, Role, Template

from . import errors
from .feeddialogs import FolderCombo, InlineStatus, feed_name
from .tasks import Change, run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

NETWORKS = ("x", "bluesky", "mastodon", "linkedin", "webhook")  # the pack's network names
NETWORK_NAMES = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon",
                 "linkedin": "LinkedIn", "webhook": "Webhook"}
STARRED_LIMIT = 200  # starred items offered in the export dialog (a pack is a handful)
DEFAULT_EXPIRY_DAYS = 30


def _tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    return QCoreApplication.translate("packs", text, disambiguation, n)


def network_list(networks: Sequence[str] | None) -> str:
    """"X, LinkedIn" for a pack's allowed networks; "every network" for None."""
    if networks is None:
        return _tr("every network")
    return ", ".join(NETWORK_NAMES.get(n, n) for n in networks) or _tr("no network")


def split_hashtags(text: str) -> tuple[str, ...]:
    """"#ia, datos  #BancaÉtica" -> ("ia", "datos", "BancaÉtica"): commas or spaces part them."""
    tags = (t.strip().lstrip("#") for t in text.replace(",", " ").split())
    return tuple(dict.fromkeys(t for t in tags if t))


# ---- Subscribe to a content pack ----------------------------------------------------------


class SubscribePackDialog(QDialog):
    """Subscribe to a content pack by address or file. The core validates the whole pack
    before storing anything, so an error (naming the item and the field) shows inline and
    nothing is added."""

    added = Signal(object)  # AddFeedResult

    def __init__(self, core: Curator, parent: QWidget | None = None, *,
                 folder: str | None = None):
        super().__init__(parent)
        self.core = core
        self.setWindowTitle(self.tr("Subscribe to content pack"))
        self.setMinimumWidth(560)
        self._working = False

        intro = QLabel(self.tr(
            "A content pack is green-lit content from your marketing or legal team: items "
            "with suggested commentary, the networks they may go to, an expiry date and a "
            "disclaimer. Type its address, or choose the file someone shared with you."))
        intro.setWordWrap(True)
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText(
            self.tr("https://intranet.example.com/packs/q4.json or a file"))
        self.source_edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton(self.tr("&Choose file…"))
        self.browse_button.clicked.connect(lambda _c=False: self.browse())
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_edit, 1)
        source_row.addWidget(self.browse_button)
        self.folder_combo = FolderCombo(core, folder, self)

        form = QFormLayout()
        form.addRow(self.tr("&Pack:"), source_row)
        form.addRow(self.tr("&Folder:"), self.folder_combo)

        self.status = InlineStatus()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.subscribe_button = self.buttons.addButton(
            self.tr("&Subscribe"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.subscribe_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.source_edit.textChanged.connect(self._update_enabled)
        self._update_enabled()
        self.source_edit.setFocus()

    def is_working(self) -> bool:
        return self._working

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a content pack"), "",
            self.tr("Content packs (*.json);;All files (*)"))
        if path:
            self.source_edit.setText(path)

    def _update_enabled(self) -> None:
        self.subscribe_button.setEnabled(
            bool(self.source_edit.text().strip()) and not self._working)

    def _set_working(self, working: bool) -> None:
        self._working = working
        for widget in (self.source_edit, self.browse_button, self.folder_combo):
            widget.setEnabled(not working)
        self._update_enabled()

    def start(self) -> None:
        """Subscribe to what the form says (the Subscribe button)."""
        if self._working:
            return
        source = self.source_edit.text().strip()
        if not source:
            self.status.error(self.tr("Type the address of a content pack, or choose its file."))
            return
        core, folder = self.core, self.folder_combo.folder() or None
        self._set_working(True)
        self.status.busy(self.tr("Checking the pack…"))
        run_in_background(
            lambda: core.subscribe_pack(source, folder=folder),
            on_success=self._finished,
            on_error=self._failed,
            parent=self,
        )

    def _finished(self, result: AddFeedResult) -> None:
        self._set_working(False)
        self.status.idle()
        self.added.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_working(False)
        # A PackError names the item and the field: the marketer can fix the file from it.
        self.status.error(errors.describe(exc)[0])
        self.source_edit.setFocus()
        self.source_edit.selectAll()

    def reject(self) -> None:
        if self._working:
            return  # the pack is being stored: all or nothing, so let it finish
        super().reject()

    def done(self, result: int) -> None:
        super().done(result)
        self.deleteLater()


# ---- Make a content pack ------------------------------------------------------------------


def _candidates(
    core: Curator, selected: Sequence[int]
) -> tuple[list[Item], set[int], list[Template]]:
    """Runs in the background: the selected items, then the starred ones (no repeats), and
    the user's templates."""
    items: list[Item] = []
    seen: set[int] = set()
    for item_id in selected:
        try:
            items.append(core.get_item(item_id))
            seen.add(item_id)
        except CuratorError:
            continue  # removed meanwhile
    page = core.list_items(ItemQuery(starred=True), limit=STARRED_LIMIT)
    items.extend(i for i in page.items if i.id not in seen)
    return items, set(seen), core.list_templates()


class CommentaryTable(QTableWidget):
    """Suggested commentary: one row per (segment, text); an empty segment is for everyone."""

    SEGMENT, TEXT = range(2)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels([self.tr("Segment"), self.tr("Suggested commentary")])
        self.horizontalHeader().setSectionResizeMode(self.TEXT, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(self.SEGMENT, 120)
        self.verticalHeader().hide()
        self.setWordWrap(True)

    def add_row(self, segment: str = "", text: str = "") -> int:
        row = self.rowCount()
        self.insertRow(row)
        self.setItem(row, self.SEGMENT, QTableWidgetItem(segment))
        self.setItem(row, self.TEXT, QTableWidgetItem(text))
        return row

    def remove_current(self) -> None:
        row = self.currentRow()
        if row >= 0:
            self.removeRow(row)

    def set_rows(self, rows: Sequence[tuple[str, str]]) -> None:
        self.setRowCount(0)
        for segment, text in rows:
            self.add_row(segment, text)

    def rows(self) -> list[tuple[str, str]]:
        """(segment, text) pairs with some text, in order."""
        out = []
        for row in range(self.rowCount()):
            cells = [self.item(row, c) for c in (self.SEGMENT, self.TEXT)]
            segment, text = (c.text().strip() if c is not None else "" for c in cells)
            if text:
                out.append((segment, text))
        return out


class MakePackDialog(QDialog):
    """"Make a content pack…": a marketer picks items (the list's selection, or starred
    ones), writes suggested commentary for each (per segment if they like), sets where and
    until when they may be shared, the disclaimer, hashtags, UTM campaign and templates,
    then writes the pack to a file any web server, intranet or shared folder can host."""

    exported = Signal(str, int)  # path, items written

    def __init__(self, core: Curator, parent: QWidget | None = None, *,
                 selected: Sequence[int] = (), now: datetime | None = None):
        super().__init__(parent)
        self.core = core
        self.setWindowTitle(self.tr("Make a content pack"))
        self.resize(900, 720)
        self._working = False
        self._commentary: dict[int, list[tuple[str, str]]] = {}  # item id -> its rows
        self._current_id: int | None = None
        self.loaded = False
        self._build(now or datetime.now(UTC))
        run_in_background(
            lambda: _candidates(core, list(selected)),
            on_success=self._candidates_loaded,
            on_error=lambda exc: self.status.error(errors.describe(exc)[0]),
            parent=self,
        )

    # ---- building ------------------------------------------------------------------------

    def _build(self, now: datetime) -> None:
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(self.tr("e.g. Q4 results: what you may share"))
        self.publisher_edit = QLineEdit()
        self.publisher_edit.setPlaceholderText(self.tr("Your team, e.g. Marketing Iberia"))
        head = QFormLayout()
        head.addRow(self.tr("Pack &title:"), self.title_edit)
        head.addRow(self.tr("&Publisher:"), self.publisher_edit)

        # Left: the items; checked ones go in the pack.
        self.items_list = QListWidget()
        self.items_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items_list.currentItemChanged.connect(self._current_item_changed)
        items_box = QGroupBox(self.tr("Items (the list’s selection, then starred)"))
        items_layout = QVBoxLayout(items_box)
        items_layout.addWidget(self.items_list)

        # Right, top: the current item's commentary.
        self.commentary_label = QLabel(self.tr("Pick an item to write its suggested commentary."))
        self.commentary_label.setWordWrap(True)
        self.commentary = CommentaryTable()
        self.add_commentary_button = QPushButton(self.tr("Add &commentary"))
        self.add_commentary_button.clicked.connect(lambda _c=False: self._add_commentary())
        self.remove_commentary_button = QPushButton(self.tr("Remove"))
        self.remove_commentary_button.clicked.connect(
            lambda _c=False: self.commentary.remove_current())
        commentary_buttons = QHBoxLayout()
        commentary_buttons.addWidget(self.add_commentary_button)
        commentary_buttons.addWidget(self.remove_commentary_button)
        commentary_buttons.addStretch(1)
        commentary_box = QGroupBox(self.tr("Suggested commentary for this item"))
        commentary_layout = QVBoxLayout(commentary_box)
        commentary_layout.addWidget(self.commentary_label)
        commentary_layout.addWidget(self.commentary, 1)
        commentary_layout.addLayout(commentary_buttons)

        # Right, middle: what holds for every item of the pack.
        self.network_checks: dict[str, QCheckBox] = {}
        networks_row = QHBoxLayout()
        for network in NETWORKS:
            check = QCheckBox(NETWORK_NAMES[network])
            check.setChecked(True)
            self.network_checks[network] = check
            networks_row.addWidget(check)
        networks_row.addStretch(1)
        self.expires_check = QCheckBox(self.tr("&Expires on"))
        self.expires_check.setChecked(True)
        self.expires_edit = QDateTimeEdit(
            QDateTime.fromSecsSinceEpoch(
                int((now + timedelta(days=DEFAULT_EXPIRY_DAYS)).timestamp())))
        self.expires_edit.setCalendarPopup(True)
        self.expires_check.toggled.connect(self.expires_edit.setEnabled)
        expires_row = QHBoxLayout()
        expires_row.addWidget(self.expires_check)
        expires_row.addWidget(self.expires_edit)
        expires_row.addStretch(1)
        self.disclaimer_edit = QLineEdit()
        self.disclaimer_edit.setPlaceholderText(
            self.tr("Mandatory on every post, e.g. “Publicidad. Rentabilidades pasadas…”"))
        self.hashtags_edit = QLineEdit()
        self.hashtags_edit.setPlaceholderText(self.tr("e.g. #resultados, #banca"))
        self.utm_edit = QLineEdit()
        self.utm_edit.setPlaceholderText(self.tr("e.g. q4-results"))
        rules = QFormLayout()
        rules.addRow(self.tr("Allowed networks:"), networks_row)
        rules.addRow(self.tr("Expiry:"), expires_row)
        rules.addRow(self.tr("&Disclaimer:"), self.disclaimer_edit)
        rules.addRow(self.tr("&Hashtags:"), self.hashtags_edit)
        rules.addRow(self.tr("&UTM campaign:"), self.utm_edit)
        rules_box = QGroupBox(self.tr("For every item in the pack"))
        rules_box.setLayout(rules)

        # Right, bottom: approved templates (Posts → Templates…) the pack hands out too.
        self.templates = QListWidget()
        self.templates.setToolTip(self.tr(
            "Ticked templates go in the pack: subscribers pick them in the composer"))
        templates_box = QGroupBox(self.tr("Templates to include (Posts → Templates…)"))
        templates_layout = QVBoxLayout(templates_box)
        templates_layout.addWidget(self.templates)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(commentary_box, 2)
        right_layout.addWidget(rules_box)
        right_layout.addWidget(templates_box, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(items_box)
        splitter.addWidget(right)
        splitter.setSizes([320, 580])

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(self.tr("Where to write the pack (a .json file)"))
        choose = QPushButton(self.tr("C&hoose…"))
        choose.clicked.connect(lambda _c=False: self.choose_path())
        path_row = QHBoxLayout()
        path_row.addWidget(QLabel(self.tr("Save to:")))
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(choose)

        self.status = InlineStatus()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            self.tr("&Write pack"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(splitter, 1)
        layout.addLayout(path_row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._enable_commentary(False)

    def _enable_commentary(self, on: bool) -> None:
        for widget in (self.commentary, self.add_commentary_button,
                       self.remove_commentary_button):
            widget.setEnabled(on)

    # ---- items ---------------------------------------------------------------------------

    def _candidates_loaded(
        self, found: tuple[list[Item], set[int], list[Template]]
    ) -> None:
        items, selected, templates = found
        for template in templates:
            text = (f"{template.name} ({template.segment})" if template.segment
                    else template.name)
            row = QListWidgetItem(text, self.templates)
            row.setData(Qt.ItemDataRole.UserRole, template.id)
            row.setToolTip(template.body)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Unchecked)
        for item in items:
            row = QListWidgetItem(item.title or self.tr("(untitled)"), self.items_list)
            row.setData(Qt.ItemDataRole.UserRole, item.id)
            row.setToolTip(f"{item.feed_title or ''}\n{item.link or ''}".strip())
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            # The selection goes in; starred items are offered, ticked when nothing is selected.
            ticked = item.id in selected or not selected
            row.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        if not items:
            self.status.error(self.tr(
                "Select an item in the list, or star some, to put them in a pack."))
        else:
            self.items_list.setCurrentRow(0)
        self.loaded = True

    def item_ids(self) -> list[int]:
        """Every item offered, in order."""
        return [self.items_list.item(r).data(Qt.ItemDataRole.UserRole)
                for r in range(self.items_list.count())]

    def checked_ids(self) -> list[int]:
        """The items that go in the pack."""
        rows = (self.items_list.item(r) for r in range(self.items_list.count()))
        return [r.data(Qt.ItemDataRole.UserRole) for r in rows
                if r.checkState() == Qt.CheckState.Checked]

    def set_checked(self, item_id: int, checked: bool) -> None:
        for r in range(self.items_list.count()):
            row = self.items_list.item(r)
            if row.data(Qt.ItemDataRole.UserRole) == item_id:
                row.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def select_item(self, item_id: int) -> None:
        for r in range(self.items_list.count()):
            if self.items_list.item(r).data(Qt.ItemDataRole.UserRole) == item_id:
                self.items_list.setCurrentRow(r)

    def _current_item_changed(self, current: QListWidgetItem | None, _previous: Any) -> None:
        self._keep_commentary()
        if current is None:
            self._current_id = None
            self.commentary.setRowCount(0)
            self._enable_commentary(False)
            return
        self._current_id = current.data(Qt.ItemDataRole.UserRole)
        self.commentary_label.setText(self.tr("“{title}”").format(title=current.text()))
        rows = self._commentary.get(self._current_id or 0) or [("", "")]
        self.commentary.set_rows(rows)
        self._enable_commentary(True)

    def _keep_commentary(self) -> None:
        if self._current_id is not None:
            self._commentary[self._current_id] = self.commentary.rows()

    def _add_commentary(self) -> None:
        row = self.commentary.add_row()
        self.commentary.setCurrentCell(row, CommentaryTable.TEXT)
        cell = self.commentary.item(row, CommentaryTable.TEXT)
        if cell is not None:
            self.commentary.editItem(cell)

    def set_commentary(self, item_id: int, rows: Sequence[tuple[str, str]]) -> None:
        """Set an item's suggested commentary, (segment, text) pairs (tests and scripts)."""
        self._keep_commentary()
        self._commentary[item_id] = list(rows)
        if item_id == self._current_id:
            self.commentary.set_rows(rows)

    def commentary_for(self, item_id: int) -> list[tuple[str, str]]:
        self._keep_commentary()
        return list(self._commentary.get(item_id, []))

    # ---- templates -----------------------------------------------------------------------

    def set_template_checked(self, template_id: int, checked: bool) -> None:
        for r in range(self.templates.count()):
            row = self.templates.item(r)
            if row.data(Qt.ItemDataRole.UserRole) == template_id:
                row.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def template_ids(self) -> list[int]:
        """The templates ticked to go in the pack."""
        rows = (self.templates.item(r) for r in range(self.templates.count()))
        return [r.data(Qt.ItemDataRole.UserRole) for r in rows
                if r.checkState() == Qt.CheckState.Checked]

    # ---- writing -------------------------------------------------------------------------

    def choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Write the content pack to"), "content-pack.json",
            self.tr("Content packs (*.json);;All files (*)"))
        if path:
            self.path_edit.setText(path)

    def networks(self) -> list[str] | None:
        """The allowed networks (None: all of them are ticked)."""
        chosen = [n for n, check in self.network_checks.items() if check.isChecked()]
        return None if len(chosen) == len(NETWORKS) else chosen

    def expires_at(self) -> datetime | None:
        if not self.expires_check.isChecked():
            return None
        return datetime.fromtimestamp(self.expires_edit.dateTime().toSecsSinceEpoch(), UTC)

    def specs(self) -> list[PackItemSpec]:
        """What the pack will say about each checked item."""
        networks, expires = self.networks(), self.expires_at()
        disclaimer = self.disclaimer_edit.text().strip()
        hashtags = split_hashtags(self.hashtags_edit.text())
        utm = self.utm_edit.text().strip() or None
        return [
            PackItemSpec(item_id, commentary=self.commentary_for(item_id), networks=networks,
                         expires_at=expires, disclaimer=disclaimer, hashtags=hashtags,
                         utm_campaign=utm)
            for item_id in self.checked_ids()
        ]

    def export(self) -> None:
        """Write the pack (the Write pack button); the core validates it before writing."""
        if self._working:
            return
        path = self.path_edit.text().strip()
        if not path:
            self.status.error(self.tr("Choose where to write the pack."))
            return
        specs = self.specs()
        if not specs:
            self.status.error(self.tr("Tick at least one item to put in the pack."))
            return
        if self.networks() == []:
            self.status.error(self.tr("Allow at least one network."))
            return
        title = self.title_edit.text().strip() or self.tr("Content pack")
        publisher = self.publisher_edit.text().strip()
        templates, core = self.template_ids(), self.core
        self._working = True
        self.export_button.setEnabled(False)
        self.status.busy(self.tr("Writing the pack…"))
        run_in_background(
            lambda: core.export_pack(specs, path, title=title, publisher=publisher,
                                     templates=templates),
            on_success=lambda count: self._exported(path, count),
            on_error=self._failed,
            parent=self,
        )

    def _exported(self, path: str, count: int) -> None:
        self._working = False
        self.export_button.setEnabled(True)
        self.status.idle()
        self.exported.emit(path, count)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._working = False
        self.export_button.setEnabled(True)
        self.status.error(errors.describe(exc)[0])

    def done(self, result: int) -> None:
        super().done(result)
        if not self._working:
            self.deleteLater()


# ---- the window's actions -----------------------------------------------------------------


class PackActions(QObject):
    """File → Subscribe to content pack…, Posts → Make a content pack…, and the item list's
    "approved" badge (the list learns which feeds are packs whenever the sources load)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.core = window.core
        self.subscribe_dialog: SubscribePackDialog | None = None

        self.subscribe_action = QAction(self.tr("Subscribe to &content pack…"), self)
        self.subscribe_action.setToolTip(
            self.tr("Green-lit content from your team, with approved wording"))
        self.subscribe_action.triggered.connect(lambda _c=False: self.subscribe())
        file_menu = window.file_menu
        after = _action_after(file_menu, window.add_feed_action)
        if after is not None:
            file_menu.insertAction(after, self.subscribe_action)
        else:
            file_menu.addAction(self.subscribe_action)

        self.make_action = QAction(self.tr("Make a content &pack…"), self)
        self.make_action.setToolTip(self.tr(
            "Hand out selected or starred items with suggested commentary, a disclaimer and "
            "an expiry date"))
        self.make_action.triggered.connect(lambda _c=False: self.make_pack())
        posts = window.post_actions.menu
        posts.addSeparator()
        posts.addAction(self.make_action)

        window.source_model.loaded.connect(self._sources_loaded)

    def _sources_loaded(self) -> None:
        approved = {f.id for f in self.window.source_model.feeds() if f.role == Role.APPROVED}
        self.window.item_model.set_approved_feeds(approved)

    def subscribe(self) -> SubscribePackDialog:
        """Open the Subscribe to content pack dialog (one at a time)."""
        dialog = self.subscribe_dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = SubscribePackDialog(self.core, self.window,
                                     folder=self.window.feed_actions.current_folder())
        dialog.added.connect(self._subscribed)
        self.subscribe_dialog = dialog
        dialog.open()
        return dialog

    def _subscribed(self, result: AddFeedResult) -> None:
        feed = result.feed
        text = self.tr("Subscribed to the content pack {title}: %n approved items", "",
                       result.new_items).format(title=feed_name(feed))
        if result.warning:
            text = f"{text}. {result.warning}"
        self.window.statusBar().showMessage(text)
        self.window.feed_actions._select_when_shown(("feed", feed.id))
        self.window.changed.emit(Change.FEEDS | Change.ITEMS)

    def selected_item_ids(self) -> list[int]:
        """The items selected in the window's list."""
        model = self.window.item_model
        rows = sorted({i.row() for i in self.window.items.selectionModel().selectedRows()})
        return [item.id for row in rows if (item := model.item_at(row)) is not None]

    def make_pack(self) -> MakePackDialog:
        dialog = MakePackDialog(self.core, self.window, selected=self.selected_item_ids())
        dialog.exported.connect(self._exported)
        dialog.open()
        return dialog

    def _exported(self, path: str, count: int) -> None:
        self.window.statusBar().showMessage(
            self.tr("Wrote a content pack of %n items to {path}", "", count).format(path=path))


def _action_after(menu: Any, action: QAction) -> QAction | None:
    """The menu's action after `action` (insert before it to come right after `action`)."""
    actions = menu.actions()
    if action in actions:
        index = actions.index(action)
        if index + 1 < len(actions):
            return actions[index + 1]
    return None
