"""The composer: one draft, a variant per target account, counted as each network counts."""

from __future__ import annotations

import dataclasses
import html
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QStandardItemModel, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from curator import Curator, compose, counting
from curator.errors import CuratorError, ItemNotFoundError
from curator.packs import approved_profile  # the queue's own rules: the preview matches
from curator.types import Account, ApprovedContent, Draft, Item, Template

from . import errors
from .analytics import MixNudge
from .confirm import ask_to_remove
from .models import format_local
from .packs import network_list
from .scheduler import QueueAllDialog, ScheduleButton
from .tasks import run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

SAVE_DELAY_MS = 250  # a change is on disk within this (plus one save) while the user types
RETRY_DELAY_MS = 5_000  # after a failed save (a full disk, a locked database)
EXCERPT_CHARS = 240  # of the item's summary, on the link card
# The user's words then the link and hashtags compose_post adds (a template was already
# rendered into the draft's text when the user picked it).
POST_TEMPLATE = "{commentary}"
# A new draft about an item, when no account names a default template: the user's own
# commentary and the quote; networks show the title on the link card.
STARTER_TEMPLATE = "{commentary}\n\n“{quote}”"
_ERROR_STYLE = "color: #c62828;"  # readable on light and dark palettes
_OVER_STYLE = "color: #c62828; font-weight: bold;"
_OK_STYLE = "color: #2e7d32;"
_BLOCK_TAG = re.compile(r"<(?:/?(?:p|br|li|ul|ol|div|h[1-6]|tr|td|blockquote|pre)\b)[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")


def _tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    return QCoreApplication.translate("composer", text, disambiguation, n)


# ---- pure helpers (also for the scheduler) --------------------------------------------------


def final_post(text: str, draft: Draft, account: Account, *, disclaimer: bool = True) -> str:
    """What `account` would post for a variant's text: link (UTM-tagged), hashtags and the
    disclaimer added. An optional disclaimer is left out when `disclaimer` is False; a
    mandatory one never is.

    Raises:
        TemplateError: the account's UTM campaign is not valid.
    """
    settings: Any = account
    if not disclaimer and not account.disclaimer_mandatory:
        settings = dataclasses.replace(account, disclaimer="")
    return compose.compose_post(
        POST_TEMPLATE, compose.item_fields(draft), commentary=text, account=settings
    )


def measure(account: Account, text: str) -> counting.Measure | None:
    """The text's length as the account's network counts it; None for a network with no
    limit (a webhook without a limit of its own)."""
    if account.network.value not in counting.NETWORKS:
        if not account.char_limit:
            return None
        # A webhook's own limit, counted in graphemes as the core's queue_post counts it.
        length = counting.bluesky_graphemes(text)
        return counting.Measure(length, account.char_limit, length <= account.char_limit)
    return counting.measure(account.network.value, text, limit=account.char_limit)


def template_values(
    draft: Draft, commentary: str = "", quote: str | None = None
) -> dict[str, str | None]:
    """What a template is filled with: the draft's item, the user's commentary, the quote.
    Hashtags are left to compose_post, which adds each account's own."""
    return {**compose.item_fields(draft), "commentary": commentary, "quote": quote or "",
            "hashtags": ""}


def _excerpt(summary: str | None) -> str:
    # Block tags part words; inline ones (<b>, <a>) must not leave a space before a comma.
    plain = _TAG.sub("", _BLOCK_TAG.sub(" ", summary or ""))
    text = " ".join(html.unescape(plain).split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def _domain(url: str | None) -> str:
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


# ---- loading (background) ------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """Everything the composer shows, read (or created) in one background call."""

    draft: Draft
    accounts: list[Account]
    templates: list[Template]
    categories: list[str]
    excerpt: str
    commentary: str
    approved: ApprovedContent | None = None  # the item comes from a content pack


def _load(
    core: Curator, item_id: int | None, draft_id: int | None, quote: str | None
) -> Loaded:
    """Runs in the background: open a draft, or start one targeting every account."""
    accounts = core.list_accounts()
    templates = core.list_templates()
    if draft_id is not None:
        draft = core.get_draft(draft_id)
        item_id = draft.item_id
    item: Item | None = None
    if item_id is not None:
        try:
            item = core.get_item(item_id)
        except ItemNotFoundError:
            if draft_id is None:
                raise
    note = core.annotation(item_id) if item is not None and item_id is not None else None
    commentary = note.commentary if note else ""
    approved = core.approved_content(item_id) if item is not None and item_id else None
    if draft_id is None:
        if approved is not None:
            draft = _new_approved_draft(core, item_id, accounts)
        else:
            draft = _new_draft(core, item_id, accounts, templates, commentary, quote)
    return Loaded(draft, accounts, templates, item.categories if item else [],
                  _excerpt(item.summary if item else None), commentary, approved)


def _new_approved_draft(core: Curator, item_id: int | None, accounts: list[Account]) -> Draft:
    # The core starts it from the pack's suggested commentary: the approved wording is not
    # replaced by a template or the starter quote; every variant follows it.
    draft = core.new_draft(item_id=item_id)
    for account in accounts:
        core.add_variant(draft.id, account.id)
    return core.get_draft(draft.id)


def _new_draft(
    core: Curator,
    item_id: int | None,
    accounts: list[Account],
    templates: list[Template],
    commentary: str,
    quote: str | None,
) -> Draft:
    by_id = {t.id: t for t in templates}
    defaults = [by_id[a.default_template_id] for a in accounts if a.default_template_id in by_id]
    main = defaults[0] if defaults and item_id is not None else None
    draft = core.new_draft(item_id=item_id, template_id=main.id if main else None)
    values = template_values(draft, commentary, quote)
    if item_id is not None:
        body = main.body if main else STARTER_TEMPLATE
        core.save_draft_text(draft.id, compose.render_template(body, values))
    for account in accounts:
        own = by_id.get(account.default_template_id or -1)
        if item_id is not None and own is not None and own is not main:
            # The account's own default template: its variant starts from it, edited freely.
            core.add_variant(draft.id, account.id,
                             text=compose.render_template(own.body, values))
        else:
            core.add_variant(draft.id, account.id)
    return core.get_draft(draft.id)


# ---- autosave ------------------------------------------------------------------------------


class DraftEvents(QObject):
    """Drafts were saved, created or deleted: the drafts list reloads."""

    changed = Signal()


_events: DraftEvents | None = None


def draft_events() -> DraftEvents:
    global _events
    if _events is None:
        _events = DraftEvents()
    return _events


Op = Callable[[Curator], Any]


class SaveQueue(QObject):
    """Saves a draft's changes in order, one at a time, the newest of each kind next.

    Each change replaces a pending change of the same key (the main text, one variant), so
    an older text is never written after a newer one. The first save starts SAVE_DELAY_MS
    after a change; while one is in flight, changes wait and go right after it. Parented
    to the main window, so the last saves finish after the composer is closed.
    """

    state_changed = Signal(str, str)  # "saving" | "saved" | "error", message

    def __init__(self, core: Curator, parent: QObject | None = None):
        super().__init__(parent)
        self.core = core
        self._pending: list[tuple[Any, Op]] = []
        self._current: tuple[Any, Op] = (None, lambda _core: None)  # the save in flight
        self._busy = False
        self._released = False
        self._idle_event = threading.Event()  # set while no save runs in the pool
        self._idle_event.set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self._next)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._save_now)

    def put(self, key: Any, op: Op, *, coalesce: bool = True) -> None:
        """Queue a save; with coalesce, it replaces a pending one of the same key."""
        if coalesce:
            self._pending = [(k, o) for k, o in self._pending if k != key]
        self._pending.append((key if coalesce else None, op))
        self.state_changed.emit("saving", _tr("Saving…"))
        if not self._busy and not self._timer.isActive():
            self._timer.start(SAVE_DELAY_MS)

    def idle(self) -> bool:
        return not self._busy and not self._pending

    def flush(self) -> None:
        """Start the pending saves now, without waiting for the typing to pause."""
        self._timer.stop()
        self._next()

    def release(self) -> None:
        """The composer closed: save what is pending now, then go away."""
        self._released = True
        self.flush()
        self._maybe_delete()

    def _maybe_delete(self) -> None:
        if self._released and self.idle():
            self.deleteLater()

    def _next(self) -> None:
        if self._busy or not self._pending:
            return
        self._current = self._pending.pop(0)
        _key, op = self._current
        self._busy = True
        self._idle_event.clear()
        core, done = self.core, self._idle_event

        def run() -> Any:
            try:
                return op(core)
            finally:
                done.set()

        run_in_background(run, on_success=self._done, on_error=self._failed, parent=self)

    def _done(self, _result: Any) -> None:
        self._busy = False
        draft_events().changed.emit()
        if self._pending:
            # Changes made during the save: the next one goes now, or after the delay
            # when the user is typing (so a fast typist does not fsync per keystroke).
            if self._released:
                self._next()
            elif not self._timer.isActive():
                self._timer.start(SAVE_DELAY_MS)
        else:
            self.state_changed.emit("saved", _tr("Saved"))
        self._maybe_delete()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.state_changed.emit("error", _tr("Not saved: {error}").format(
            error=errors.describe(exc)[0]))
        # Try again later unless a newer text of the same kind is already waiting: the user
        # may have stopped typing, and nothing else would save this text.
        key, _op = self._current
        if key is None or all(k != key for k, _ in self._pending):
            self._pending.insert(0, self._current)
        self._timer.start(RETRY_DELAY_MS)

    def _save_now(self) -> None:
        # The app is quitting: no event loop will start the next save, so wait for the one
        # in flight and write the rest here (the core is still open until main() returns).
        self._timer.stop()
        if not self._pending:
            return
        self._idle_event.wait(10)
        pending, self._pending = self._pending, []
        for _key, op in pending:
            try:
                op(self.core)
            except Exception as exc:  # quitting: no window is left; the terminal still is
                print(f"curator: a draft change was not saved: {exc}", file=sys.stderr)


# ---- widgets -------------------------------------------------------------------------------


class LinkCard(QFrame):
    """The item as networks show a shared link: title, domain and source, a summary."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.site = QLabel()
        self.excerpt = QLabel()
        self.excerpt.setWordWrap(True)
        for label in (self.title, self.site, self.excerpt):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.site)
        layout.addWidget(self.title)
        layout.addWidget(self.excerpt)

    def show_item(self, draft: Draft, excerpt: str) -> None:
        self.setVisible(bool(draft.item_link or draft.item_title))
        self.title.setText(draft.item_title or draft.item_link or "")
        parts = [p for p in (_domain(draft.item_link).upper(), draft.item_source) if p]
        self.site.setText(" · ".join(parts))
        self.excerpt.setText(excerpt)
        self.excerpt.setVisible(bool(excerpt))


class VariantTab(QWidget):
    """One target account: its text (following the main text or its own), the final post,
    the counter, and what to do when it is too long."""

    def __init__(self, composer: ComposerWindow, account: Account, text: str, synced: bool):
        super().__init__()
        self.composer = composer
        self.account = account
        self.ready = False
        self.over_by = 0
        self.final = ""
        self.thread_parts: list[str] = []
        self._split_for: str | None = None  # the final text a split is running for
        # Why this account may not share the draft's approved item (None: it may).
        self.blocked: str | None = composer.blocked_reason(account)
        self._suggested: list[str] = []

        self.follow_check = QCheckBox(self.tr("&Follow the main text"))
        self.follow_check.setChecked(synced)
        self.follow_check.setToolTip(
            self.tr("Uncheck to write this account’s post in its own words")
        )
        self.editor = QPlainTextEdit()
        self.editor.setPlainText(text)
        self.editor.setReadOnly(synced)
        self.editor.setTabChangesFocus(True)
        self.disclaimer_check = QCheckBox(self.tr("Add the &disclaimer"))
        # The user's choice lives as long as the composer: a tab closed and added back keeps
        # it; a reopened draft starts with the disclaimer on again (the careful default).
        self.disclaimer_check.setChecked(
            account.disclaimer_mandatory or composer.disclaimer_choices.get(account.id, True))
        if account.disclaimer_mandatory:
            self.disclaimer_check.setEnabled(False)
            self.disclaimer_check.setToolTip(self.tr("This account requires its disclaimer"))
        self.disclaimer_check.setVisible(bool(account.disclaimer.strip()))

        self.tags_row = QHBoxLayout()
        self.tags_label = QLabel(self.tr("Suggested hashtags:"))
        self.tags_label.hide()  # until there is something to suggest
        self.tags_row.addWidget(self.tags_label)
        self.tags_row.addStretch(1)

        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setPlaceholderText(self.tr("The post as it will be published"))
        self.counter = QLabel()
        self.counter.setObjectName("counter")
        self.state_label = QLabel()
        self.over_label = QLabel()
        self.over_label.setWordWrap(True)
        self.split_button = QPushButton(self.tr("&Split into thread"))
        self.split_button.clicked.connect(self.split)
        self.split_button.setVisible(False)
        self.thread_list = QListWidget()
        self.thread_list.setWordWrap(True)
        self.thread_list.setVisible(False)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        status = QHBoxLayout()
        status.addWidget(self.state_label, 1)
        status.addWidget(self.counter)
        self.schedule_button = ScheduleButton(self)  # ui/scheduler.py: only when ready
        status.addWidget(self.schedule_button)
        over = QHBoxLayout()
        over.addWidget(self.over_label, 1)
        over.addWidget(self.split_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.follow_check)
        layout.addWidget(self.editor, 1)
        layout.addLayout(self.tags_row)
        layout.addWidget(self.disclaimer_check)
        layout.addWidget(QLabel(self.tr("Final post:")))
        layout.addWidget(self.preview, 2)
        layout.addLayout(status)
        layout.addLayout(over)
        layout.addWidget(self.thread_list, 2)
        layout.addWidget(self.error_label)

        self.follow_check.toggled.connect(self._follow_toggled)
        self.editor.textChanged.connect(self._edited)
        self.disclaimer_check.toggled.connect(self._disclaimer_toggled)

    @property
    def synced(self) -> bool:
        return self.follow_check.isChecked()

    @property
    def disclaimer(self) -> bool:
        """Whether the post carries the account's disclaimer (a mandatory one always does)."""
        return self.account.disclaimer_mandatory or self.disclaimer_check.isChecked()

    @property
    def threaded(self) -> bool:
        """Over the limit, but split into a thread from the text as it is now: it goes out
        as `thread_parts`."""
        return self.over_by > 0 and bool(self.thread_parts) and self._split_for == self.final

    def _disclaimer_toggled(self, on: bool) -> None:
        if not self.account.disclaimer_mandatory:
            self.composer.disclaimer_choices[self.account.id] = on
        self.refresh()

    def text(self) -> str:
        return self.editor.toPlainText()

    def main_text_changed(self, text: str) -> None:
        if self.synced:
            self.editor.blockSignals(True)
            self.editor.setPlainText(text)
            self.editor.blockSignals(False)
            self.refresh()

    def _follow_toggled(self, synced: bool) -> None:
        self.editor.setReadOnly(synced)
        if synced:
            self.main_text_changed(self.composer.main_text())
        else:
            self.editor.setFocus()
        self.composer.variant_changed(self, synced=synced)

    def _edited(self) -> None:
        if not self.synced:
            self.composer.variant_changed(self, synced=False)
        self.refresh()

    def add_hashtag(self, tag: str) -> None:
        """Add #tag to the text the user writes for this account (the main text if synced)."""
        editor = self.composer.main_edit if self.synced else self.editor
        current = editor.toPlainText()
        sep = "" if not current or current[-1].isspace() else " "
        cursor = editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(f"{sep}#{tag}")
        editor.setTextCursor(cursor)

    def refresh(self) -> None:
        """Recompose, recount and re-judge the post (fast enough for every keystroke)."""
        draft = self.composer.draft
        if draft is None:
            return
        text = self.text()
        approved = self.composer.approved
        try:
            if approved is not None:  # the pack's disclaimer, hashtags and campaign
                profile = approved_profile(approved, self.account, disclaimer=self.disclaimer)
                final = final_post(text, draft, profile)
            else:
                final = final_post(text, draft, self.account, disclaimer=self.disclaimer)
        except CuratorError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            final = text
        else:
            self.error_label.hide()
        self.final = final
        if self.preview.toPlainText() != final:
            self.preview.setPlainText(final)
        counted = measure(self.account, final)
        over = counted is not None and not counted.ok
        self.over_by = counted.length - counted.limit if counted and over else 0
        if counted is None:
            self.counter.setText(self.tr("%n characters", "", len(final)))
        else:
            self.counter.setText(f"{counted.length} / {counted.limit}")
        self.counter.setProperty("over", over)
        self.counter.setStyleSheet(_OVER_STYLE if over else "")
        if self.thread_parts and (final != self._split_for or not over):
            self.thread_parts = []  # split from an older text: no longer what would go out
            self.thread_list.clear()
            self.thread_list.hide()
        threaded = self.threaded
        self.ready = (not over or threaded) and bool(text.strip()) and not self.blocked
        self.schedule_button.setEnabled(self.ready)
        if self.blocked:
            self.state_label.setText(self.blocked)
            self.state_label.setStyleSheet(_ERROR_STYLE)
        elif threaded:
            # A thread has two parts or more: no singular form needed.
            self.state_label.setText(self.tr("Ready to schedule as a thread of {count}").format(
                count=len(self.thread_parts)))
            self.state_label.setStyleSheet(_OK_STYLE)
        elif over:
            self.state_label.setText(self.tr("Too long to schedule"))
            self.state_label.setStyleSheet(_ERROR_STYLE)
        elif self.ready:
            self.state_label.setText(self.tr("Ready to schedule"))
            self.state_label.setStyleSheet(_OK_STYLE)
        else:
            self.state_label.setText(self.tr("Write something to schedule"))
            self.state_label.setStyleSheet("")
        # LinkedIn has no threads and a webhook sends one request: those can only shorten.
        threads = self.account.network.value in counting.THREAD_NETWORKS
        if threaded:
            self.over_label.setText(self.tr(
                "Too long for one post: it goes out as the thread below."))
        elif over and threads:
            self.over_label.setText(self.tr(
                "%n characters too many: shorten it, or split it into a thread.", "",
                self.over_by))
        elif over:
            self.over_label.setText(self.tr("Shorten it by %n characters.", "", self.over_by))
        self.over_label.setVisible(over)
        self.split_button.setVisible(over and threads and not threaded)
        self._update_suggestions(text)
        self.composer.tab_state_changed(self)

    def _update_suggestions(self, text: str) -> None:
        tags = compose.suggest_hashtags(self.composer.categories, text, self.account.hashtags)
        if tags == self._suggested:
            return
        self._suggested = tags
        while self.tags_row.count() > 2:  # the label and the stretch stay
            taken = self.tags_row.takeAt(1)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.deleteLater()
        for i, tag in enumerate(tags):
            button = QToolButton()
            button.setText(f"#{tag}")
            button.setAutoRaise(True)
            button.setToolTip(self.tr("Add this hashtag to the text"))
            button.clicked.connect(lambda _c=False, t=tag: self.add_hashtag(t))
            self.tags_row.insertWidget(1 + i, button)
        self.tags_label.setVisible(bool(tags))

    def suggestions(self) -> list[str]:
        return list(self._suggested)

    def split(self) -> None:
        """Split the final post into numbered parts that each fit (in the background)."""
        network, limit, text = self.account.network.value, self.account.char_limit, self.final
        self._split_for = text
        self.split_button.setEnabled(False)
        run_in_background(
            lambda: counting.split_thread(network, text, limit=limit),
            on_success=lambda parts: self._split_done(text, parts),
            on_error=self._split_failed,
            parent=self,
        )

    def _split_done(self, text: str, parts: list[str]) -> None:
        self.split_button.setEnabled(True)
        if text != self.final:
            return  # the user typed meanwhile; the next click splits the new text
        self.thread_parts = parts
        self.thread_list.clear()
        for part in parts:
            counted = measure(self.account, part)
            count = f"{counted.length} / {counted.limit}" if counted else ""
            self.thread_list.addItem(f"{part}\n({count})")
        self.thread_list.show()
        self.refresh()  # now ready to schedule, as a thread

    def _split_failed(self, exc: BaseException) -> None:
        self.split_button.setEnabled(True)
        self.error_label.setText(errors.describe(exc)[0])
        self.error_label.show()


class ComposerWindow(QWidget):
    """A non-modal window editing one draft; every change is saved in the background."""

    loaded = Signal(int)  # the draft's id, once the draft is shown
    ready_changed = Signal(int, bool)  # account id, ready to schedule

    def __init__(
        self,
        window: MainWindow,
        *,
        item_id: int | None = None,
        quote: str | None = None,
        draft_id: int | None = None,
    ):
        super().__init__(window, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.main_window = window
        self.core: Curator = window.core
        self.draft_id = draft_id
        self.draft: Draft | None = None
        self.quote = quote
        self.commentary = ""
        self.categories: list[str] = []
        self.accounts: list[Account] = []
        self.templates: list[Template] = []
        self.approved: ApprovedContent | None = None
        self.closed = False
        # Account id -> "Add the disclaimer" ticked, for optional disclaimers the user
        # changed in this window (kept while it is open; see VariantTab).
        self.disclaimer_choices: dict[int, bool] = {}
        self.saver = SaveQueue(self.core, window)
        self.saver.state_changed.connect(self._save_state)
        self.setWindowTitle(self.tr("New post"))
        self.resize(760, 820)
        self._build()
        self.setEnabled(False)  # until the draft is loaded (or made)
        run_in_background(
            lambda: _load(self.core, item_id, draft_id, quote),
            on_success=self._loaded,
            on_error=self._load_failed,
            parent=self,
        )

    # ---- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.card = LinkCard()
        self.card.hide()
        self.template_combo = QComboBox()
        self.template_combo.setToolTip(self.tr("Fill the main text from an approved template"))
        self.template_combo.activated.connect(self._template_chosen)
        self.main_edit = QPlainTextEdit()
        self.main_edit.setPlaceholderText(self.tr("Write your post: what do you think of it?"))
        self.main_edit.setTabChangesFocus(True)
        self.main_edit.textChanged.connect(self._main_changed)

        template_label = QLabel(self.tr("&Template:"))
        template_label.setBuddy(self.template_combo)
        top = QHBoxLayout()
        top.addWidget(template_label)
        top.addWidget(self.template_combo, 1)

        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self._close_tab_requested)
        self.add_account_button = QToolButton()
        self.add_account_button.setText(self.tr("Add account…"))
        self.add_account_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_account_menu = QMenu(self.add_account_button)
        self.add_account_menu.aboutToShow.connect(self._fill_account_menu)
        self.add_account_button.setMenu(self.add_account_menu)
        self.tabs.setCornerWidget(self.add_account_button)
        self.no_accounts_label = QLabel(
            self.tr("No target accounts. Add one with “Add account…”.")
        )
        self.no_accounts_label.setWordWrap(True)

        self.status_label = QLabel()
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.queue_all_button = QPushButton(self.tr("Queue for &all ready accounts…"))
        self.queue_all_button.setToolTip(self.tr(
            "Queue this draft for every account ready to share it: each in its next slot, "
            "or staggered"))
        self.queue_all_button.setEnabled(False)  # until a tab is ready
        self.queue_all_button.clicked.connect(lambda _c=False: self.open_queue_all())

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.card)
        # "Approved content: expires …, networks …" for an item of a content pack.
        self.approved_label = QLabel()
        self.approved_label.setWordWrap(True)
        self.approved_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.approved_label.hide()
        upper_layout.addWidget(self.approved_label)
        upper_layout.addLayout(top)
        upper_layout.addWidget(self.main_edit, 1)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.no_accounts_label)
        lower_layout.addWidget(self.tabs, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([280, 620])  # the accounts' tabs hold more: final post, counter

        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.queue_all_button)
        # "Your coming week is mostly your own company's content": a hint, never a block.
        self.mix_nudge = MixNudge()
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.mix_nudge)
        layout.addLayout(bottom)

    def _fill_templates(self) -> None:
        combo = self.template_combo
        combo.clear()
        combo.addItem(self.tr("No template"), None)
        model = combo.model()
        segment: str | None = None
        for template in self.templates:  # sorted by segment, "" (everyone) first
            if template.segment != segment:
                segment = template.segment
                combo.addItem(segment or self.tr("For everyone"), None)
                if isinstance(model, QStandardItemModel):
                    header = model.item(combo.count() - 1)
                    header.setEnabled(False)
                    font = header.font()
                    font.setBold(True)
                    header.setFont(font)
            combo.addItem("    " + template.name, template.id)
        current = combo.findData(self.draft.template_id) if self.draft else -1
        combo.setCurrentIndex(max(current, 0))

    # ---- loading -------------------------------------------------------------------------

    def _loaded(self, loaded: Loaded) -> None:
        draft = loaded.draft
        self.draft, self.draft_id = draft, draft.id
        self.accounts, self.templates = loaded.accounts, loaded.templates
        self.categories, self.commentary = loaded.categories, loaded.commentary
        self.approved = loaded.approved
        self._show_approved()
        self.saver.setObjectName(f"draft-{draft.id}-saver")
        if draft.item_title:
            self.setWindowTitle(self.tr("Post about “{title}”").format(title=draft.item_title))
        self.card.show_item(draft, loaded.excerpt)
        self._fill_templates()
        self.main_edit.blockSignals(True)
        self.main_edit.setPlainText(draft.text)
        self.main_edit.blockSignals(False)
        by_id = {a.id: a for a in self.accounts}
        for variant in draft.variants:
            account = by_id.get(variant.account_id)
            if account is not None:
                self._add_tab(account, variant.text, variant.synced)
        self._tabs_changed()
        self.setEnabled(True)
        self._save_state("saved", self.tr("Saved"))
        self.mix_nudge.check(self.core, own=draft.item_role == "own")
        self.main_edit.setFocus()
        cursor = self.main_edit.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self.main_edit.setTextCursor(cursor)
        draft_events().changed.emit()
        self.loaded.emit(draft.id)

    # ---- approved content (content packs) ------------------------------------------------

    def expired(self) -> bool:
        """Whether the draft's approved item has expired (it cannot be scheduled)."""
        return self.approved is not None and self.approved.expired(datetime.now(UTC))

    def blocked_reason(self, account: Account) -> str | None:
        """Why this account may not share the approved item, in one line (None: it may)."""
        approved = self.approved
        if approved is None:
            return None
        if self.expired():
            return self.tr("The approved content has expired: it cannot be scheduled.")
        if not approved.allows(account.network.value):
            return self.tr("The content pack does not allow posting this to {network}.").format(
                network=network_list([account.network.value]))
        return None

    def _show_approved(self) -> None:
        approved = self.approved
        if approved is None:
            self.approved_label.hide()
            return
        networks = network_list(approved.networks)
        if approved.expires_at is None:
            text = self.tr("Approved content: no expiry, networks: {networks}.").format(
                networks=networks)
        elif self.expired():
            text = self.tr(
                "Approved content: expired on {when}, so it cannot be scheduled."
            ).format(when=format_local(approved.expires_at))
        else:
            text = self.tr("Approved content: expires {when}, networks: {networks}.").format(
                when=format_local(approved.expires_at), networks=networks)
        if approved.disclaimer:
            text += " " + self.tr("Its disclaimer is added to every post.")
        self.approved_label.setText(text)
        self.approved_label.setStyleSheet(_ERROR_STYLE if self.expired() else "")
        self.approved_label.setToolTip(approved.disclaimer)
        self.approved_label.show()

    def _load_failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        self.main_edit.setReadOnly(True)
        self.template_combo.setEnabled(False)
        self.add_account_button.setEnabled(False)
        self._save_state("error", errors.describe(exc)[0])

    # ---- the main text and templates -----------------------------------------------------

    def main_text(self) -> str:
        return self.main_edit.toPlainText()

    def _main_changed(self) -> None:
        if self.draft is None:
            return
        text = self.main_text()
        draft_id = self.draft.id
        self.saver.put("main", lambda core: core.save_draft_text(draft_id, text))
        for tab in self.variant_tabs():
            tab.main_text_changed(text)

    def _template_chosen(self, index: int) -> None:
        template_id = self.template_combo.itemData(index)
        template = next((t for t in self.templates if t.id == template_id), None)
        if template is None or self.draft is None:
            return
        try:
            text = compose.render_template(
                template.body, template_values(self.draft, self.commentary, self.quote)
            )
        except CuratorError as exc:
            self._save_state("error", str(exc))
            return
        # Through the cursor, not setPlainText: Ctrl+Z brings the previous text back.
        cursor = self.main_edit.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        self.main_edit.setTextCursor(cursor)
        self.main_edit.setFocus()
        draft_id = self.draft.id
        self.saver.put("template", lambda core: core.set_draft_template(draft_id, template.id))

    # ---- variants ------------------------------------------------------------------------

    def variant_tabs(self) -> list[VariantTab]:
        tabs = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [t for t in tabs if isinstance(t, VariantTab)]

    def variant_tab(self, account_id: int) -> VariantTab | None:
        return next((t for t in self.variant_tabs() if t.account.id == account_id), None)

    def variant_ready(self, account_id: int) -> bool:
        """Whether this account's post may be scheduled: written, and within its limit (or
        split into a thread from its current text)."""
        tab = self.variant_tab(account_id)
        return tab is not None and tab.ready

    def final_text(self, account_id: int) -> str | None:
        """The post as this account would publish it (None: the account is not targeted)."""
        tab = self.variant_tab(account_id)
        return tab.final if tab is not None else None

    def _add_tab(self, account: Account, text: str, synced: bool) -> VariantTab:
        tab = VariantTab(self, account, text, synced)
        index = self.tabs.addTab(tab, self._tab_title(tab))
        self.tabs.setTabToolTip(index, f"{account.name} ({account.network.value})")
        if tab.blocked and self.approved is not None and not self.expired():
            # A network the pack does not allow: the tab cannot be used; it says why.
            self.tabs.setTabEnabled(index, False)
            self.tabs.setTabToolTip(index, tab.blocked)
        tab.refresh()
        return tab

    def _tab_title(self, tab: VariantTab) -> str:
        return f"{tab.account.name} ⚠" if tab.over_by and not tab.threaded else tab.account.name

    def tab_state_changed(self, tab: VariantTab) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            self.tabs.setTabText(index, self._tab_title(tab))
        self._update_queue_all()
        self.ready_changed.emit(tab.account.id, tab.ready)

    def _update_queue_all(self) -> None:
        self.queue_all_button.setEnabled(any(t.ready for t in self.variant_tabs()))

    def open_queue_all(self) -> QueueAllDialog:
        """"Queue for all ready accounts…": one draft to several accounts at once."""
        dialog = QueueAllDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _tabs_changed(self) -> None:
        targeted = {t.account.id for t in self.variant_tabs()}
        self.no_accounts_label.setVisible(not targeted)
        self.add_account_button.setEnabled(any(a.id not in targeted for a in self.accounts))

    def _fill_account_menu(self) -> None:
        menu = self.add_account_menu
        menu.clear()
        targeted = {t.account.id for t in self.variant_tabs()}
        for account in self.accounts:
            if account.id not in targeted:
                act = menu.addAction(f"{account.name} ({account.network.value})")
                act.triggered.connect(lambda _c=False, a=account: self.add_account(a))

    def add_account(self, account: Account) -> VariantTab:
        """Target one more account: its variant follows the main text."""
        existing = self.variant_tab(account.id)
        if existing is not None:
            return existing
        assert self.draft is not None
        draft_id, account_id = self.draft.id, account.id
        self.saver.put(("variant", account_id),
                       lambda core: core.add_variant(draft_id, account_id), coalesce=False)
        tab = self._add_tab(account, self.main_text(), True)
        self.tabs.setCurrentWidget(tab)
        self._tabs_changed()
        return tab

    def variant_changed(self, tab: VariantTab, *, synced: bool) -> None:
        if self.draft is None:
            return
        draft_id, account_id, text = self.draft.id, tab.account.id, tab.text()
        if synced:
            op: Op = lambda core: core.set_variant(draft_id, account_id, synced=True)  # noqa: E731
        else:
            op = lambda core: core.set_variant(draft_id, account_id, text=text)  # noqa: E731
        self.saver.put(("variant", account_id), op)

    def _close_tab_requested(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if not isinstance(tab, VariantTab):
            return
        if tab.synced or not tab.text().strip():
            self.remove_account(tab.account.id)
            return
        account_id = tab.account.id
        ask_to_remove(
            self,
            title=self.tr("Remove account"),
            text=self.tr("Stop posting this draft to {name}? Its own text is lost.").format(
                name=tab.account.name),
            answered=lambda confirmed: self.remove_account(account_id) if confirmed else None,
        )

    def remove_account(self, account_id: int) -> None:
        """Stop targeting an account with this draft."""
        tab = self.variant_tab(account_id)
        if tab is None or self.draft is None:
            return
        draft_id = self.draft.id
        # Not coalesced: a pending edit of this variant is saved first, then it goes.
        self.saver.put(("variant", account_id),
                       lambda core: core.remove_variant(draft_id, account_id), coalesce=False)
        self.tabs.removeTab(self.tabs.indexOf(tab))
        tab.deleteLater()
        self._tabs_changed()
        self._update_queue_all()

    # ---- saving and closing --------------------------------------------------------------

    def _save_state(self, state: str, message: str) -> None:
        self.status_label.setText(message)
        self.status_label.setStyleSheet(_ERROR_STYLE if state == "error" else "")
        self.status_label.setProperty("state", state)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed = True
        if shiboken6.isValid(self.saver):
            self.saver.release()  # the last keystrokes are saved after the window is gone
        super().closeEvent(event)


def open_composer(
    window: MainWindow,
    *,
    item_id: int | None = None,
    quote: str | None = None,
    draft_id: int | None = None,
) -> ComposerWindow:
    """Open a composer: for an existing draft (brought to the front if already open), or a
    new draft, blank or about item_id (quote: a passage of it the template may cite)."""
    if draft_id is not None:
        for composer in window.findChildren(ComposerWindow):
            if composer.draft_id == draft_id and not composer.closed:
                composer.showNormal()
                composer.raise_()
                composer.activateWindow()
                return composer
    composer = ComposerWindow(window, item_id=item_id, quote=quote, draft_id=draft_id)
    composer.show()
    return composer


def open_composers(window: MainWindow) -> list[ComposerWindow]:
    """The composer windows open now."""
    return [c for c in window.findChildren(ComposerWindow) if not c.closed]
