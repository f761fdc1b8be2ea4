"""Watch lists: editing named lists of words, phrases and /regular expressions/, and one
summarised notification per refresh of the new items that mention them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.types import WatchList

from . import errors
from .confirm import ask_to_remove
from .feeddialogs import InlineStatus
from .tasks import Change, run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow
    from .scheduler import Notification, Notifier

MENTION_LISTS_SHOWN = 3  # lists named in one notification; the rest are counted


def _tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    return QCoreApplication.translate("watch", text, disambiguation, n)


def parse_terms(text: str) -> list[str]:
    """The terms typed in the editor: one per line, blank lines and repeats dropped."""
    lines = (line.strip() for line in text.splitlines())
    return list(dict.fromkeys(line for line in lines if line))


class MentionsText(QObject):
    """The notification's words ("5 new mentions of Acme"); a class so that lupdate files its
    plural forms under one context (it does not follow module-level helpers)."""

    def text(self, mentions: Mapping[str, int]) -> str:
        found = sorted(((n, name) for name, n in mentions.items() if n > 0),
                       key=lambda pair: (-pair[0], pair[1].casefold()))
        parts = [self.tr("%n new mentions of {name}", "", n).format(name=name)
                 for n, name in found[:MENTION_LISTS_SHOWN]]
        rest = len(found) - MENTION_LISTS_SHOWN
        if rest > 0:
            parts.append(self.tr("and %n more lists", "", rest))
        return "; ".join(parts)


def mentions_text(mentions: Mapping[str, int]) -> str:
    """"5 new mentions of Acme" (one list), or the busiest lists first, then how many more."""
    return MentionsText().text(mentions)


def announce_mentions(notifier: Notifier, mentions: Mapping[str, int] | None
                      ) -> Notification | None:
    """One notification for one refresh's new matching items (None: nothing matched)."""
    text = mentions_text(mentions or {})
    if not text:
        return None
    return notifier.notify(_tr("Watch lists"), text)


# ---- the editor ---------------------------------------------------------------------------


class WatchListsDialog(QDialog):
    """Named watch lists ("Competitors", "Our products"): a word or phrase per line, or a
    /regular expression/. Matching ignores case and accents; words match whole words. The
    core checks every term on Save; a bad one is named inline and nothing is saved."""

    changed = Signal()  # a list was saved or removed (the core has re-matched the items)

    def __init__(self, core: Curator, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.setWindowTitle(self.tr("Watch lists"))
        self.resize(720, 460)
        self._working = False
        self._lists: list[WatchList] = []
        self._editing: int | None = None  # the list id shown in the editor (None: a new one)
        self.loaded = False

        self.lists = QListWidget()
        self.lists.currentItemChanged.connect(self._current_changed)
        self.new_button = QPushButton(self.tr("&New list"))
        self.new_button.clicked.connect(lambda _c=False: self.new_list())
        self.remove_button = QPushButton(self.tr("&Remove…"))
        self.remove_button.clicked.connect(lambda _c=False: self.remove_current())
        left_buttons = QHBoxLayout()
        left_buttons.addWidget(self.new_button)
        left_buttons.addWidget(self.remove_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.lists, 1)
        left_layout.addLayout(left_buttons)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("e.g. Competitors"))
        self.terms_edit = QPlainTextEdit()
        self.terms_edit.setPlaceholderText("Acme\nBanco Santander\nTelefónica\n/acme\\s+cloud/")
        self.terms_edit.setTabChangesFocus(True)
        hint = QLabel(self.tr(
            "One word or phrase per line; case and accents are ignored (Telefónica finds "
            "telefonica), and words match whole words. Write /like this/ for a regular "
            "expression."))
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(self.tr("&Terms:"), self.terms_edit)
        self.status = InlineStatus()
        self.save_button = QPushButton(self.tr("&Save list"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(lambda _c=False: self.save())
        save_row = QHBoxLayout()
        save_row.addWidget(self.status, 1)
        save_row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(form, 1)
        right_layout.addWidget(hint)
        right_layout.addLayout(save_row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([220, 500])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.reload()

    # ---- loading -------------------------------------------------------------------------

    def reload(self, select: int | None = None) -> None:
        run_in_background(self.core.list_watch_lists,
                          on_success=lambda lists: self._loaded(lists, select),
                          on_error=lambda exc: self.status.error(errors.describe(exc)[0]),
                          parent=self)

    def _loaded(self, lists: list[WatchList], select: int | None) -> None:
        self._lists = lists
        self.lists.blockSignals(True)
        self.lists.clear()
        for watch in lists:
            entry = QListWidgetItem(watch.name, self.lists)
            entry.setData(Qt.ItemDataRole.UserRole, watch.id)
            entry.setToolTip(self.tr("%n terms", "", len(watch.terms)))
        self.lists.blockSignals(False)
        wanted = select if select is not None else self._editing
        row = next((i for i, w in enumerate(lists) if w.id == wanted), 0 if lists else -1)
        if row >= 0:
            self.lists.setCurrentRow(row)
            self._show(lists[row])
        else:
            self.new_list()
        self.remove_button.setEnabled(bool(lists))
        self.loaded = True

    def _current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is None:
            return
        list_id = current.data(Qt.ItemDataRole.UserRole)
        watch = next((w for w in self._lists if w.id == list_id), None)
        if watch is not None:
            self._show(watch)

    def _show(self, watch: WatchList) -> None:
        self._editing = watch.id
        self.name_edit.setText(watch.name)
        self.terms_edit.setPlainText("\n".join(watch.terms))
        self.status.error_label.hide()

    def list_names(self) -> list[str]:
        return [self.lists.item(r).text() for r in range(self.lists.count())]

    # ---- editing -------------------------------------------------------------------------

    def new_list(self) -> None:
        """Empty the editor for a list not saved yet."""
        self._editing = None
        self.lists.blockSignals(True)
        self.lists.clearSelection()
        self.lists.setCurrentRow(-1)
        self.lists.blockSignals(False)
        self.name_edit.clear()
        self.terms_edit.clear()
        self.status.error_label.hide()
        self.name_edit.setFocus()

    def save(self) -> None:
        """Add or update the list in the editor; the core checks the terms first."""
        if self._working:
            return
        name, terms = self.name_edit.text().strip(), parse_terms(self.terms_edit.toPlainText())
        if not name:
            self.status.error(self.tr("Give the list a name."))
            return
        if not terms:
            self.status.error(self.tr("Write at least one word, phrase or /expression/."))
            return
        core, list_id = self.core, self._editing
        self._working = True
        self.save_button.setEnabled(False)
        self.status.busy(self.tr("Saving and looking through the stored items…"))
        if list_id is None:
            def work() -> WatchList:
                return core.add_watch_list(name, terms)
        else:
            def work() -> WatchList:
                return core.update_watch_list(list_id, name=name, terms=terms)
        run_in_background(work, on_success=self._saved, on_error=self._failed, parent=self)

    def _saved(self, watch: WatchList) -> None:
        self._working = False
        self.save_button.setEnabled(True)
        self.status.idle()
        self._editing = watch.id
        self.reload(select=watch.id)
        self.changed.emit()

    def _failed(self, exc: BaseException) -> None:
        self._working = False
        self.save_button.setEnabled(True)
        # WatchTermError names the term and what is wrong with it: the user fixes it here.
        self.status.error(errors.describe(exc)[0])
        self.terms_edit.setFocus()

    def remove_current(self) -> None:
        if self._editing is None:
            self.new_list()
            return
        list_id, name = self._editing, self.name_edit.text().strip()
        ask_to_remove(
            self,
            title=self.tr("Remove watch list"),
            text=self.tr("Remove the watch list “{name}”? Items stay; they are no longer "
                         "marked for it.").format(name=name),
            answered=lambda confirmed: self.remove(list_id) if confirmed else None,
        )

    def remove(self, list_id: int) -> None:
        core = self.core
        run_in_background(lambda: core.remove_watch_list(list_id),
                          on_success=self._removed, on_error=self._failed, parent=self)

    def _removed(self, _watch: WatchList) -> None:
        self._editing = None
        self.reload()
        self.changed.emit()

    def error_text(self) -> str:
        return self.status.error_text()

    def done(self, result: int) -> None:
        super().done(result)
        if not self._working:
            self.deleteLater()


# ---- the window's actions -----------------------------------------------------------------


class WatchActions(QObject):
    """View → Watch lists…, and the notification that follows each refresh."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.dialog: WatchListsDialog | None = None
        self.action = QAction(self.tr("&Watch lists…"), self)
        self.action.setToolTip(self.tr(
            "Words, names and phrases to be told about when new items mention them"))
        self.action.triggered.connect(lambda _c=False: self.show_editor())
        window.view_menu.addSeparator()
        window.view_menu.addAction(self.action)

    def show_editor(self) -> WatchListsDialog:
        """Open the watch lists editor (one at a time)."""
        dialog = self.dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = WatchListsDialog(self.window.core, self.window)
        # Marks in the list and the Watch node's counts follow every change.
        dialog.changed.connect(lambda: self.window.changed.emit(Change.ITEMS))
        self.dialog = dialog
        dialog.show()
        return dialog

    def announce(self, mentions: Mapping[str, int] | None) -> Notification | None:
        """After a refresh: one summarised notification of its new mentions, if any."""
        publishing = getattr(self.window, "publishing", None)
        if publishing is None:
            return None
        return announce_mentions(publishing.notifier, mentions)
