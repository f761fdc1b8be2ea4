"""Annotating the item shown: its commentary and private note (autosaved), and handing the
item or a quote from it to the composer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.types import Annotation, Item

from .tasks import run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow
    from .reader import ReaderView

SAVE_DELAY_MS = 300  # a pause in typing this long saves
RETRY_DELAY_MS = 5_000  # after a failed save (a full disk, a locked database)

Texts = tuple[str, str]  # (note, commentary)
SaveResult = tuple[int, Texts, Annotation | BaseException]


class SaveQueue(QObject):
    """Saves annotations one at a time, in the order asked, on one background task.

    Only the newest texts of each item wait; the task drains the queue, so a save asked
    for while another runs (or while the window closes) still follows it, never overtakes it.
    """

    saved = Signal(object)  # list[SaveResult], on the main thread

    def __init__(self, core: Curator, parent: QObject | None = None):
        super().__init__(parent)
        self.core = core
        self._lock = threading.Lock()
        self._waiting: dict[int, Texts] = {}  # item id -> newest texts not yet taken
        self._running = False

    def put(self, item_id: int, texts: Texts) -> None:
        with self._lock:
            self._waiting.pop(item_id, None)  # re-queued at the end: saves stay in order
            self._waiting[item_id] = texts
            if self._running:
                return  # the running task takes it next
            self._running = True
        run_in_background(self._drain, on_success=self.saved.emit, parent=self)

    def _drain(self) -> list[SaveResult]:
        # On a pool thread: only the core and the lock-guarded queue are touched here.
        results: list[SaveResult] = []
        while True:
            with self._lock:
                if not self._waiting:
                    self._running = False
                    return results
                item_id = next(iter(self._waiting))
                texts = self._waiting.pop(item_id)
            note, commentary = texts
            try:
                outcome: Annotation | BaseException = self.core.annotate(
                    item_id, note=note, commentary=commentary
                )
            except Exception as exc:  # one item's failure must not drop the others' saves
                outcome = exc
            results.append((item_id, texts, outcome))


class AnnotationPanel(QWidget):
    """The commentary and private note of the item the reader shows, saved as the user types.

    The editors belong to one item at a time (item_id): when the reader moves on, what was
    typed is saved for the item it was typed on, then the next item's texts are loaded.
    """

    commentary_saved = Signal(int, bool)  # item id, whether it now has a commentary

    def __init__(self, core: Curator, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.item_id: int | None = None
        self._loaded: Texts | None = None  # the texts as last loaded or handed to the queue
        self._generation = 0  # bumped per item: a late load for an earlier item is dropped
        self._unsaved: dict[int, Texts] = {}  # handed to the queue, not yet reported back
        self._failed: dict[int, str] = {}  # item id -> why its last save failed
        self._setting = False  # editors filled by code, not typed into
        self._saved_here = False  # a save of the shown item finished since it was shown
        self._after_save: list[tuple[int, Callable[[], None]]] = []  # see when_saved()

        self.queue = SaveQueue(core, self)
        self.queue.saved.connect(self._saved)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.flush)

        self.commentary_label = QLabel(self.tr("Commentary (your words, used in posts)"))
        self.commentary = QPlainTextEdit()
        self.commentary.setPlaceholderText(
            self.tr(
                "What you think of this item, in your own voice. "
                "Posts you write from it start with these words."
            )
        )
        self.note_label = QLabel(self.tr("Private note"))
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(
            self.tr("Only for you: never posted. Searching finds the item by it.")
        )
        self.status = QLabel()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label, editor in (
            (self.commentary_label, self.commentary),
            (self.note_label, self.note),
        ):
            label.setBuddy(editor)
            editor.setTabChangesFocus(True)
            editor.textChanged.connect(self._edited)

        header = QHBoxLayout()
        header.addWidget(self.commentary_label, 1)
        header.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 6, 0)  # the status must not touch the window edge
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.commentary, 2)
        layout.addWidget(self.note_label)
        layout.addWidget(self.note, 1)
        self._fill(("", ""))
        self._set_editable(False)

    # ---- which item ----------------------------------------------------------------------

    def show_item(self, item: Item | None) -> None:
        """Annotate this item from now on (None: no item). What was typed is saved first."""
        item_id = item.id if item is not None else None
        if item_id == self.item_id:
            return  # the same item shown again (a reload): keep the editors as they are
        self.flush()
        self._generation += 1
        self.item_id = item_id
        self._loaded = None
        self._saved_here = False
        self._fill(("", ""))
        self._set_editable(False)
        self._show_status()
        if item_id is None:
            return
        if item_id in self._unsaved:
            # Its newest texts may still wait in the queue: the database could be older.
            self._loaded_texts(self._generation, item_id, self._unsaved[item_id])
            return
        generation, core = self._generation, self.core
        run_in_background(
            lambda: core.annotation(item_id),
            on_success=lambda found: self._loaded_texts(
                generation, item_id, (found.note, found.commentary) if found else ("", "")
            ),
            on_error=lambda exc: self._load_failed(generation, item_id, exc),
            parent=self,
        )

    def is_loaded(self) -> bool:
        """Whether the editors hold the shown item's texts (and can be typed into)."""
        return self._loaded is not None

    def _loaded_texts(self, generation: int, item_id: int, texts: Texts) -> None:
        if generation != self._generation:
            return
        self._fill(texts)
        self._loaded = texts
        self._set_editable(True)
        self._failed.pop(item_id, None)
        self._show_status()

    def _load_failed(self, generation: int, item_id: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        # The editors stay read-only: saving over texts we could not read would lose them.
        self.status.setText(self.tr("Could not load the annotation"))
        self.status.setToolTip(str(exc))

    def _fill(self, texts: Texts) -> None:
        self._setting = True
        try:
            self.note.setPlainText(texts[0])
            self.commentary.setPlainText(texts[1])
        finally:
            self._setting = False

    def _set_editable(self, editable: bool) -> None:
        for editor in (self.commentary, self.note):
            editor.setReadOnly(not editable)
        self.setEnabled(self.item_id is not None)

    # ---- saving --------------------------------------------------------------------------

    def texts(self) -> Texts:
        return (self.note.toPlainText(), self.commentary.toPlainText())

    def _edited(self) -> None:
        if self._setting or self._loaded is None:
            return
        self._timer.start()
        self._show_status()

    def flush(self) -> None:
        """Save what was typed now, without waiting for a pause (item change, closing)."""
        self._timer.stop()
        if self.item_id is None or self._loaded is None:
            return
        texts = self.texts()
        if texts == self._loaded and self.item_id not in self._failed:
            return
        self._loaded = texts
        self._unsaved[self.item_id] = texts
        self.queue.put(self.item_id, texts)
        self._show_status()

    def _saved(self, results: list[SaveResult]) -> None:
        for item_id, texts, outcome in results:
            if self._unsaved.get(item_id) == texts:
                del self._unsaved[item_id]
            if isinstance(outcome, BaseException):
                self._failed[item_id] = str(outcome)
                # Nothing else would save it if the user has stopped typing: try again.
                QTimer.singleShot(
                    RETRY_DELAY_MS, self, lambda i=item_id, t=texts: self._retry(i, t)
                )
                continue
            self._failed.pop(item_id, None)
            if item_id == self.item_id:
                self._saved_here = True
            # The core's own test for has_commentary: any commentary text at all.
            self.commentary_saved.emit(item_id, outcome.commentary != "")
        self._show_status()
        ready = [(i, c) for i, c in self._after_save if i not in self._unsaved]
        if ready:
            self._after_save = [(i, c) for i, c in self._after_save if i in self._unsaved]
            for _item_id, callback in ready:
                callback()

    def _retry(self, item_id: int, texts: Texts) -> None:
        if item_id in self._failed and item_id not in self._unsaved:  # nothing newer queued
            self._unsaved[item_id] = texts
            self.queue.put(item_id, texts)
            self._show_status()

    def is_saving(self) -> bool:
        return self._timer.isActive() or self.item_id in self._unsaved

    def _show_status(self) -> None:
        tip = ""
        if self.item_id is None or self._loaded is None:
            text = ""
        elif self.is_saving():
            text = self.tr("Saving…")
        elif self.item_id in self._failed:
            text = self.tr("Not saved")
            tip = self._failed[self.item_id]
        elif self._saved_here:
            text = self.tr("Saved")
        else:
            text = ""  # nothing typed on this item yet: nothing to reassure about
        self.status.setText(text)
        self.status.setToolTip(tip)

    def when_saved(self, callback: Callable[[], None]) -> None:
        """Call back once what was typed on the shown item is in the core (at once if it is)."""
        self.flush()
        if self.item_id is not None and self.item_id in self._unsaved:
            self._after_save.append((self.item_id, callback))
        else:
            callback()


def reader_pane(reader: ReaderView, panel: AnnotationPanel) -> QSplitter:
    """The reader above its annotation panel, in the place of the reader in the window."""
    pane = QSplitter(Qt.Orientation.Vertical)
    pane.setObjectName("reader-pane")
    pane.addWidget(reader)
    pane.addWidget(panel)
    pane.setStretchFactor(0, 3)
    pane.setStretchFactor(1, 1)
    pane.setChildrenCollapsible(False)
    pane.setSizes([520, 200])  # the item's text first; the editors grow when dragged
    reader.item_changed.connect(panel.show_item)
    return pane


# ---- into the composer -------------------------------------------------------------------


def selected_quote(reader: ReaderView) -> str:
    """The reader's selected text as plain lines (Qt marks paragraph breaks with U+2029)."""
    text = reader.textCursor().selectedText()
    return text.replace("\u2029", "\n").replace("\u2028", "\n").replace("\u00a0", " ").strip()


def open_composer(window: MainWindow, **kwargs: Any) -> None:
    # Imported when first used: the reader works while the composer is still being built.
    from . import composer

    composer.open_composer(window, **kwargs)


def compose_from_item(window: MainWindow) -> None:
    """Start a post about the item shown."""
    item = window.reader.item
    if item is not None:
        item_id = item.id
        # The composer reads the commentary from the core: what was just typed goes first.
        window.annotations.when_saved(lambda: open_composer(window, item_id=item_id))


def quote_in_post(window: MainWindow) -> None:
    """Start a post about the item shown, quoting the text selected in the reader."""
    item = window.reader.item
    quote = selected_quote(window.reader)
    if item is not None and quote:
        item_id = item.id
        window.annotations.when_saved(lambda: open_composer(window, item_id=item_id, quote=quote))
