"""Managing subscriptions: add (with autodiscovery), edit, move, remove with undo, folders."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.core import FoundFeed, RemovedFeed
from curator.types import AddFeedResult, Feed, Role

from . import errors
from .confirm import ask_to_remove
from .models import ItemRole
from .sources import KeyRole, SourceKey
from .tasks import Change, run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

UNDO_SECONDS = 60  # how long a removed feed can be brought back
_URL_IN_CLIPBOARD = re.compile(r"^(?:https?|feed)://\S+$", re.IGNORECASE)
_ERROR_STYLE = "color: #c62828;"  # readable on light and dark palettes


def _tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    return QCoreApplication.translate("feeddialogs", text, disambiguation, n)


def role_names() -> dict[Role, str]:
    return {
        Role.THIRD_PARTY: _tr("Third-party"),
        Role.COMPETITOR: _tr("Competitor"),
        Role.OWN: _tr("Own"),
    }


def feed_name(feed: Feed) -> str:
    return feed.title or feed.url


def clipboard_url() -> str:
    """The clipboard's text when it is one http(s) URL, else ""."""
    text = QGuiApplication.clipboard().text().strip()
    return text if _URL_IN_CLIPBOARD.match(text) else ""


# ---- pieces shared by the dialogs ----------------------------------------------------------


def _role_combo(current: Role) -> QComboBox:
    combo = QComboBox()
    if current is Role.APPROVED:
        # A content pack is approved by what it is, not by a choice: shown, not changeable.
        combo.addItem(_tr("Approved (content pack)"), Role.APPROVED)
        combo.setEnabled(False)
        return combo
    for role, name in role_names().items():
        combo.addItem(name, role)
    combo.setCurrentIndex(combo.findData(current))
    return combo


class FolderCombo(QComboBox):
    """An editable list of the existing folders, loaded in the background; "" is no folder."""

    def __init__(self, core: Curator, current: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.lineEdit().setPlaceholderText(self.tr("No folder (type a name; “/” nests)"))
        self.completer().setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.addItem("")
        self.setEditText(current or "")
        self.loaded = False
        run_in_background(core.folders, on_success=self._folders_loaded, parent=self)

    def _folders_loaded(self, folders: list[str]) -> None:
        typed = self.currentText()  # the user may have typed while the list was loading
        self.clear()
        self.addItem("")
        self.addItems(folders)
        self.setEditText(typed)
        self.loaded = True

    def folder(self) -> str:
        return self.currentText().strip()


class InlineStatus(QWidget):
    """A busy indicator and an error line, shown inside a dialog instead of a message box."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        busy_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # indeterminate: the core reports no steps
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(120)
        self.busy_label = QLabel()
        busy_row.addWidget(self.progress)
        busy_row.addWidget(self.busy_label, 1)
        layout.addLayout(busy_row)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.error_label)
        self.idle()

    def busy(self, text: str) -> None:
        self.error_label.hide()
        self.busy_label.setText(text)
        self.progress.show()
        self.busy_label.show()

    def idle(self) -> None:
        self.progress.hide()
        self.busy_label.hide()

    def error(self, text: str) -> None:
        self.idle()
        self.error_label.setText(text)
        self.error_label.show()

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""


# ---- Add feed ------------------------------------------------------------------------------


def _subscribe(
    core: Curator, url: str, chosen: str | None, role: Role, folder: str, title: str
) -> AddFeedResult | list[FoundFeed]:
    """Runs in the background: subscribe, or return the feeds to choose from."""
    target = chosen
    if target is None:
        found = core.find_feeds(url)
        if len(found) > 1:
            return found
        # A feed URL (or one unreachable now) is added as typed: add_feed handles both.
        target = found[0].url if found[0].page else url
    return core.add_feed(target, role=role, folder=folder, title=title or None)


class AddFeedDialog(QDialog):
    """Subscribe to a feed or a web page. Works in the background; errors show inline."""

    added = Signal(object)  # AddFeedResult

    def __init__(self, core: Curator, parent: QWidget | None = None, *, folder: str | None = None):
        super().__init__(parent)
        self.core = core
        self.setWindowTitle(self.tr("Add feed"))
        self.setMinimumWidth(520)
        self._working = False
        self._cancelled = False

        self.url_edit = QLineEdit(clipboard_url())
        self.url_edit.setPlaceholderText(self.tr("https://example.com/feed.xml or a web page"))
        self.url_edit.setClearButtonEnabled(True)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(self.tr("Optional: the feed’s own title otherwise"))
        self.role_combo = _role_combo(Role.THIRD_PARTY)
        self.folder_combo = FolderCombo(core, folder, self)

        form = QFormLayout()
        form.addRow(self.tr("&Address:"), self.url_edit)
        form.addRow(self.tr("&Role:"), self.role_combo)
        form.addRow(self.tr("&Folder:"), self.folder_combo)
        form.addRow(self.tr("&Title:"), self.title_edit)

        self.choices_label = QLabel(
            self.tr("This page links to several feeds. Choose one, then Add:")
        )
        self.choices_label.setWordWrap(True)
        self.choices = QListWidget()
        self.choices.itemDoubleClicked.connect(lambda _item: self.start())

        self.status = InlineStatus()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton(
            self.tr("&Add"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.add_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.choices_label)
        layout.addWidget(self.choices)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._hide_choices()

        self.url_edit.textChanged.connect(self._url_changed)
        self._url_changed()
        self.url_edit.setFocus()
        self.url_edit.selectAll()

    def is_working(self) -> bool:
        return self._working

    def _url_changed(self) -> None:
        if self.choices.isVisibleTo(self):
            self._hide_choices()  # they belonged to the page typed before
        self.add_button.setEnabled(bool(self.url_edit.text().strip()) and not self._working)

    def _hide_choices(self) -> None:
        self.choices.clear()
        self.choices_label.hide()
        self.choices.hide()

    def _show_choices(self, found: list[FoundFeed]) -> None:
        self.choices.clear()
        first_free = None
        for feed in found:
            text = f"{feed.title} — {feed.url}" if feed.title else feed.url
            if feed.subscribed:
                text = self.tr("{feed} (already subscribed)").format(feed=text)
            item = QListWidgetItem(text, self.choices)
            item.setData(Qt.ItemDataRole.UserRole, feed.url)
            item.setToolTip(feed.url)
            if feed.subscribed:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            elif first_free is None:
                first_free = item
        if first_free is not None:
            self.choices.setCurrentItem(first_free)
        self.choices_label.show()
        self.choices.show()
        self.choices.setFocus()

    def chosen_url(self) -> str | None:
        item = self.choices.currentItem()
        if not self.choices.isVisibleTo(self) or item is None:
            return None
        return str(item.data(Qt.ItemDataRole.UserRole))

    def _set_working(self, working: bool) -> None:
        self._working = working
        for widget in (
            self.url_edit,
            self.title_edit,
            self.role_combo,
            self.folder_combo,
            self.choices,
        ):
            widget.setEnabled(not working)
        self.add_button.setEnabled(not working and bool(self.url_edit.text().strip()))

    def start(self) -> None:
        """Subscribe to what the form says (the Add button)."""
        if self._working:
            return
        url = self.url_edit.text().strip()
        if not url:
            self.status.error(self.tr("Type the address of a feed or of a web page."))
            return
        chosen = self.chosen_url()
        if self.choices.isVisibleTo(self) and chosen is None:
            self.status.error(self.tr("Choose one of the feeds this page links to."))
            return
        role = self.role_combo.currentData()
        folder, title, core = self.folder_combo.folder(), self.title_edit.text().strip(), self.core
        self._set_working(True)
        self.status.busy(self.tr("Subscribing…") if chosen else self.tr("Looking for the feed…"))
        run_in_background(
            lambda: _subscribe(core, url, chosen, role, folder, title),
            on_success=self._finished,
            on_error=self._failed,
            parent=self,
        )

    def _finished(self, result: AddFeedResult | list[FoundFeed]) -> None:
        self._set_working(False)
        if self._cancelled:
            if isinstance(result, AddFeedResult):
                self._undo_cancelled_add(result.feed.id)
            else:
                self.deleteLater()
            return
        if isinstance(result, list):
            self.status.idle()
            self._show_choices(result)
            return
        self.status.idle()
        self.added.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_working(False)
        if self._cancelled:
            self.deleteLater()
            return
        self.status.error(errors.describe(exc)[0])
        if not self.choices.isVisibleTo(self):
            self.url_edit.setFocus()
            self.url_edit.selectAll()

    def _undo_cancelled_add(self, feed_id: int) -> None:
        # The user cancelled while the core was subscribing: cancel means nothing is added.
        core = self.core
        run_in_background(
            lambda: core.remove_feed(feed_id),
            on_success=lambda _feed: self.deleteLater(),
            on_error=lambda _exc: self.deleteLater(),
            parent=self,
        )

    def reject(self) -> None:
        if self._working:
            self._cancelled = True  # the background call cannot be interrupted; its result is
        super().reject()  # dropped (and undone) when it arrives

    def done(self, result: int) -> None:
        super().done(result)
        if not self._working:
            self.deleteLater()


# ---- Edit feed -----------------------------------------------------------------------------


class EditFeedDialog(QDialog):
    """A feed's title, address, role, folder, remote images and whether it is fetched."""

    saved = Signal(object)  # Feed

    def __init__(self, core: Curator, feed: Feed, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.feed = feed
        self.setWindowTitle(self.tr("Edit feed"))
        self.setMinimumWidth(520)
        self._working = False

        self.title_edit = QLineEdit(feed.title or "")
        self.title_edit.setPlaceholderText(self.tr("Empty: the feed’s own title"))
        self.url_edit = QLineEdit(feed.url)
        self.role_combo = _role_combo(feed.role)
        self.folder_combo = FolderCombo(core, feed.folder, self)
        self.images_check = QCheckBox(self.tr("Load remote &images for this feed"))
        self.images_check.setToolTip(
            self.tr("Remote images can tell the sender that, and when, you read an item.")
        )
        self.images_check.setChecked(feed.remote_images)
        self.enabled_check = QCheckBox(self.tr("&Fetch this feed on refresh"))
        self.enabled_check.setChecked(not feed.disabled)

        form = QFormLayout()
        form.addRow(self.tr("&Title:"), self.title_edit)
        form.addRow(self.tr("&Address:"), self.url_edit)
        form.addRow(self.tr("&Role:"), self.role_combo)
        form.addRow(self.tr("F&older:"), self.folder_combo)
        form.addRow("", self.images_check)
        form.addRow("", self.enabled_check)
        if feed.last_error:
            last_error = QLabel(self.tr("Last error: {error}").format(error=feed.last_error))
            last_error.setWordWrap(True)
            form.addRow("", last_error)

        self.status = InlineStatus()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def changes(self) -> dict[str, Any]:
        """The update_feed arguments for what the user changed (nothing else is written)."""
        feed = self.feed
        changes: dict[str, Any] = {}
        title = self.title_edit.text().strip()
        if title != (feed.title or ""):
            changes["title"] = title  # "" gives the feed its own title back
        url = self.url_edit.text().strip()
        if url != feed.url:
            changes["url"] = url
        role = self.role_combo.currentData()
        if role != feed.role:
            changes["role"] = role
        folder = self.folder_combo.folder()
        if folder != (feed.folder or ""):
            changes["folder"] = folder
        if self.images_check.isChecked() != feed.remote_images:
            changes["remote_images"] = self.images_check.isChecked()
        if self.enabled_check.isChecked() == feed.disabled:
            changes["enabled"] = self.enabled_check.isChecked()
        return changes

    def save(self) -> None:
        if self._working:
            return
        changes = self.changes()
        if not changes:
            self.accept()
            return
        self._working = True
        self.buttons.setEnabled(False)
        self.status.busy(self.tr("Saving…"))
        core, feed_id = self.core, self.feed.id
        run_in_background(
            lambda: core.update_feed(feed_id, **changes),
            on_success=self._saved,
            on_error=self._failed,
            parent=self,
        )

    def _saved(self, feed: Feed) -> None:
        self._working = False
        self.status.idle()
        self.saved.emit(feed)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._working = False
        self.buttons.setEnabled(True)
        self.status.error(errors.describe(exc)[0])

    def done(self, result: int) -> None:
        super().done(result)
        if not self._working:
            self.deleteLater()


# ---- Folders -------------------------------------------------------------------------------


class FolderDialog(QDialog):
    """Pick or type a folder ("" for none), then apply(folder) runs in the background."""

    applied = Signal(object)  # what apply returned

    def __init__(
        self,
        core: Curator,
        title: str,
        label: str,
        current: str | None,
        apply: Callable[[str], Any],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self._apply = apply
        self._working = False
        self.folder_combo = FolderCombo(core, current, self)
        self.status = InlineStatus()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        prompt = QLabel(label)
        prompt.setWordWrap(True)
        prompt.setBuddy(self.folder_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.folder_combo)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        if self._working:
            return
        self._working = True
        self.buttons.setEnabled(False)
        self.status.busy(self.tr("Moving…"))
        apply, folder = self._apply, self.folder_combo.folder()
        run_in_background(
            lambda: apply(folder), on_success=self._done, on_error=self._failed, parent=self
        )

    def _done(self, result: Any) -> None:
        self._working = False
        self.applied.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._working = False
        self.buttons.setEnabled(True)
        self.status.error(errors.describe(exc)[0])

    def done(self, result: int) -> None:
        super().done(result)
        if not self._working:
            self.deleteLater()


# ---- Undo ----------------------------------------------------------------------------------


class UndoBar(QWidget):
    """Shows "Removed X. Undo" in the status bar for UNDO_SECONDS; then the removal is final."""

    undo_requested = Signal(object)  # RemovedFeed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.removed: RemovedFeed | None = None
        self.label = QLabel()
        self.undo_button = QPushButton(self.tr("&Undo"))
        self.undo_button.setFlat(True)
        self.undo_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.undo_button.clicked.connect(self.undo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.undo_button)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.expire)
        self.hide()

    def offer(self, removed: RemovedFeed) -> None:
        """Offer to undo this removal (an earlier one, if still offered, becomes final)."""
        self.removed = removed
        self.label.setText(self.tr("Removed “{title}”.").format(title=feed_name(removed.feed)))
        self.timer.start(UNDO_SECONDS * 1000)
        self.show()

    def undo(self) -> None:
        removed, self.removed = self.removed, None
        self.timer.stop()
        self.hide()
        if removed is not None:
            self.undo_requested.emit(removed)

    def expire(self) -> None:
        self.removed = None  # frees the snapshot: its items may be many
        self.hide()


# ---- the window's Feed menu, context menu and their actions --------------------------------


class FeedActions(QObject):
    """The Feed menu and the sources tree's context menu, acting on the selected feed."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.core = window.core
        self.add_dialog: AddFeedDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._select_on_reload: SourceKey | None = None

        def action(text: str, slot: Callable[[], Any], shortcut: Any = None) -> QAction:
            act = QAction(text, self)
            act.triggered.connect(lambda _checked=False: slot())
            if shortcut is not None:
                # Only while the sources tree has focus: Delete must not remove a feed
                # when the user is typing in the search field.
                act.setShortcut(shortcut)
                act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                window.sources.addAction(act)
            return act

        self.edit_action = action(self.tr("&Edit feed…"), self.edit_feed, Qt.Key.Key_F2)
        self.move_action = action(self.tr("&Move to folder…"), self.move_feed)
        self.refresh_feed_action = action(self.tr("Re&fresh this feed"), self.refresh_feed)
        self.remove_action = action(
            self.tr("Re&move feed…"), self.remove_feed, QKeySequence.StandardKey.Delete
        )
        self.undo_action = action(self.tr("&Undo remove"), self.undo_remove)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.rename_folder_action = action(self.tr("Re&name folder…"), self.rename_folder)
        self.remove_folder_action = action(
            self.tr("Remove folder (&keep its feeds)"), self.remove_folder
        )

        self.menu = window.menuBar().addMenu(self.tr("Fee&d"))
        self.menu.addAction(window.add_feed_action)
        self.menu.addSeparator()
        for act in (self.edit_action, self.move_action, self.refresh_feed_action):
            self.menu.addAction(act)
        self.menu.addSeparator()
        self.menu.addAction(self.remove_action)
        self.menu.addAction(self.undo_action)
        self.menu.addSeparator()
        self.menu.addAction(self.rename_folder_action)
        self.menu.addAction(self.remove_folder_action)

        self.undo_bar = UndoBar()
        self.undo_bar.undo_requested.connect(self._restore)
        self.undo_bar.timer.timeout.connect(self._update_enabled)
        window.statusBar().addPermanentWidget(self.undo_bar)

        window.sources.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        window.sources.customContextMenuRequested.connect(self._show_context_menu)
        window.sources.selectionModel().currentChanged.connect(self._update_enabled)
        window.source_model.modelReset.connect(self._model_reset)
        self._update_enabled()

    # ---- what is selected ----------------------------------------------------------------

    def current_feed(self) -> Feed | None:
        feed = self.window.sources.currentIndex().data(ItemRole)
        return feed if isinstance(feed, Feed) else None

    def current_folder(self) -> str | None:
        key = self.window.sources.currentIndex().data(KeyRole)
        return key[1] if key and key[0] == "folder" else None

    def _update_enabled(self) -> None:
        has_feed = self.current_feed() is not None
        for act in (
            self.edit_action,
            self.move_action,
            self.refresh_feed_action,
            self.remove_action,
        ):
            act.setEnabled(has_feed)
        has_folder = self.current_folder() is not None
        self.rename_folder_action.setEnabled(has_folder)
        self.remove_folder_action.setEnabled(has_folder)
        self.undo_action.setEnabled(self.undo_bar.removed is not None)

    def _model_reset(self) -> None:
        key = self._select_on_reload
        if key is not None:
            index = self.window.source_model.index_for_key(key)
            if index.isValid():
                self._select_on_reload = None
                self.window.sources.setCurrentIndex(index)
        self._update_enabled()

    def _select_when_shown(self, key: SourceKey) -> None:
        # The tree shows the feed only after the reload the change triggers.
        self._select_on_reload = key

    def _changed(self, select: SourceKey | None = None) -> None:
        if select is not None:
            self._select_when_shown(select)
        self.window.changed.emit(Change.FEEDS | Change.ITEMS)

    def _message(self, text: str) -> None:
        self.window.statusBar().showMessage(text)

    def _failed(self, exc: BaseException) -> None:
        self.window.statusBar().clearMessage()  # no "Removing…" left standing
        errors.show_error(self.window, exc)

    # ---- context menu --------------------------------------------------------------------

    def context_menu(self, index: QModelIndex) -> QMenu:
        """The menu for a node of the sources tree (made current, so the actions act on it)."""
        menu = QMenu(self.window.sources)
        if not index.isValid():  # empty space below the tree
            menu.addAction(self.window.add_feed_action)
            return menu
        self.window.sources.setCurrentIndex(index)
        self._update_enabled()
        if self.current_feed() is not None:
            for act in (self.edit_action, self.move_action, self.refresh_feed_action):
                menu.addAction(act)
            menu.addSeparator()
            menu.addAction(self.remove_action)
        elif self.current_folder() is not None:
            menu.addAction(self.tr("&Add feed to this folder…"), self.add_feed)
            menu.addSeparator()
            menu.addAction(self.rename_folder_action)
            menu.addAction(self.remove_folder_action)
        else:
            menu.addAction(self.window.add_feed_action)
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        sources = self.window.sources
        menu = self.context_menu(sources.indexAt(pos))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(sources.viewport().mapToGlobal(pos))

    # ---- add -----------------------------------------------------------------------------

    def add_feed(self) -> AddFeedDialog:
        """Open the Add feed dialog (one at a time); a selected folder is its default."""
        dialog = self.add_dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = AddFeedDialog(self.core, self.window, folder=self.current_folder())
        dialog.added.connect(self._added)
        self.add_dialog = dialog
        dialog.open()
        return dialog

    def _added(self, result: AddFeedResult) -> None:
        feed = result.feed
        if result.warning:
            message = self.tr("Subscribed to {title}. {warning}").format(
                title=feed_name(feed), warning=result.warning
            )
        else:
            message = self.tr("Subscribed to {title}: %n new items", "", result.new_items).format(
                title=feed_name(feed)
            )
        self._message(message)
        self._changed(select=("feed", feed.id))

    # ---- edit and move -------------------------------------------------------------------

    def edit_feed(self, feed: Feed | None = None) -> EditFeedDialog | None:
        feed = feed or self.current_feed()
        if feed is None:
            return None
        dialog = EditFeedDialog(self.core, feed, self.window)
        dialog.saved.connect(self._saved)
        dialog.open()
        return dialog

    def _saved(self, feed: Feed) -> None:
        self._message(self.tr("Saved “{title}”.").format(title=feed_name(feed)))
        self._changed(select=("feed", feed.id))

    def move_feed(self, feed: Feed | None = None) -> FolderDialog | None:
        feed = feed or self.current_feed()
        if feed is None:
            return None
        core, feed_id = self.core, feed.id
        dialog = FolderDialog(
            core,
            self.tr("Move to folder"),
            self.tr("Move “{title}” to the folder (empty: no folder):").format(
                title=feed_name(feed)
            ),
            feed.folder,
            lambda folder: core.update_feed(feed_id, folder=folder),
            self.window,
        )
        dialog.applied.connect(self._moved)
        dialog.open()
        return dialog

    def _moved(self, feed: Feed) -> None:
        where = feed.folder or self.tr("no folder")
        self._message(
            self.tr("Moved “{title}” to {folder}.").format(title=feed_name(feed), folder=where)
        )
        self._changed(select=("feed", feed.id))

    def rename_folder(self, folder: str | None = None) -> FolderDialog | None:
        folder = folder or self.current_folder()
        if folder is None:
            return None
        core, old = self.core, folder
        dialog = FolderDialog(
            core,
            self.tr("Rename folder"),
            self.tr("New name of the folder “{folder}” (“/” nests it):").format(folder=folder),
            folder,
            lambda new: (core.rename_folder(old, new), new),
            self.window,
        )
        dialog.applied.connect(self._folder_renamed)
        dialog.open()
        return dialog

    def _folder_renamed(self, result: tuple[int, str]) -> None:
        moved, new = result
        self._message(self.tr("%n feeds moved", "", moved))
        self._changed(select=("folder", new) if new else None)

    def remove_folder(self, folder: str | None = None) -> None:
        # Only the grouping goes: the feeds stay, outside any folder. Nothing to confirm.
        folder = folder or self.current_folder()
        if folder is None:
            return
        core = self.core
        run_in_background(
            lambda: core.rename_folder(folder, None),
            on_success=self._folder_removed,
            parent=self.window,
        )

    def _folder_removed(self, moved: int) -> None:
        self._message(self.tr("Folder removed; %n feeds kept outside any folder", "", moved))
        self._changed()

    # ---- refresh one ---------------------------------------------------------------------

    def refresh_feed(self, feed: Feed | None = None) -> None:
        """Fetch this feed now, even if it is backing off, through the window's refresher
        (its progress, summary and failed-feeds list)."""
        feed = feed or self.current_feed()
        if feed is None:
            return
        if not self.window.refresher.start([feed.id], force=True):
            self._message(self.tr("A refresh is running; try again when it is over."))

    # ---- remove and undo -----------------------------------------------------------------

    def remove_feed(self, feed: Feed | None = None) -> QMessageBox | None:
        """Ask, then remove; the status bar offers to undo for UNDO_SECONDS."""
        feed = feed or self.current_feed()
        if feed is None:
            return None
        box = ask_to_remove(
            self.window,
            title=self.tr("Remove feed"),
            text=self.tr("Remove the feed “{title}”?").format(title=feed_name(feed)),
            details=self.tr(
                "Its %n items go with it, starred ones too. You can undo this for a minute.",
                "",
                feed.total,
            ),
            answered=lambda confirmed: self._remove_answered(confirmed, feed),
        )
        self.confirm_box = box
        return box

    def _remove_answered(self, confirmed: bool, feed: Feed) -> None:
        self.confirm_box = None
        if not confirmed:
            return
        core, feed_id = self.core, feed.id
        self._message(self.tr("Removing “{title}”…").format(title=feed_name(feed)))
        run_in_background(
            lambda: core.remove_feed_undoable(feed_id),
            on_success=self._removed,
            on_error=self._failed,
            parent=self.window,
        )

    def _removed(self, removed: RemovedFeed) -> None:
        self.window.statusBar().clearMessage()  # the undo bar says it
        self.undo_bar.offer(removed)
        self._update_enabled()
        self._changed()

    def undo_remove(self) -> None:
        self.undo_bar.undo()

    def _restore(self, removed: RemovedFeed) -> None:
        self._update_enabled()
        core = self.core
        run_in_background(
            lambda: core.restore_feed(removed),
            on_success=self._restored,
            on_error=self._failed,
            parent=self.window,
        )

    def _restored(self, feed: Feed) -> None:
        self._message(
            self.tr("Restored “{title}” with %n items", "", feed.total).format(
                title=feed_name(feed)
            )
        )
        self._changed(select=("feed", feed.id))
