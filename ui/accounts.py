"""The user's accounts: posting profiles, their secrets (in the OS keyring only, never shown),
sign-in checks, and the window's Posts menu."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QDesktopServices, QIcon, QIntValidator, QTextOption
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.compose import add_utm, render_campaign
from curator.connectors import connector_for
from curator.connectors.linkedin import DEFAULT_LINKEDIN_VERSION, token_expires_at
from curator.counting import DEFAULT_LIMITS, fetch_mastodon_limit
from curator.errors import CuratorError, KeyringUnavailableError, TemplateError
from curator.oauth import SIGN_IN_TIMEOUT, SignInCancelled, load_session
from curator.signin import REDIRECT_PORT
from curator.types import Account, Network, Template

from . import errors
from .confirm import ask_to_remove
from .feeddialogs import InlineStatus
from .tasks import run_in_background
from .templates import SAMPLE_VALUES, TemplatesDialog, template_label

if TYPE_CHECKING:
    from .mainwindow import MainWindow
    from .scheduler import Notifier

AccountRole = Qt.ItemDataRole.UserRole
StateRole = Qt.ItemDataRole.UserRole + 1  # "reconnect needed", "no token"… or ""
READ_LIMIT_TIMEOUT = 8.0  # seconds: the user is waiting for an answer, not a feed refresh
BROWSER_NETWORKS = (Network.X, Network.LINKEDIN, Network.MASTODON)  # "Sign in…"
OWN_APP_NETWORKS = (Network.X, Network.LINKEDIN)  # need the user's app: client id, port
LANGUAGE_NETWORKS = (Network.MASTODON, Network.BLUESKY)
ACCOUNTS_LINK = "curator:accounts"  # a notification's link that opens the Accounts dialog
_WARNING_STYLE = "color: #b25e00;"  # amber: readable on light and dark palettes
_ERROR_STYLE = "color: #c62828;"  # as feeddialogs' inline errors
EXAMPLE_URL = SAMPLE_VALUES["url"] or "https://example.com/"
_SPLIT = re.compile(r"[\s,]+")


def _tr(text: str) -> str:
    return QCoreApplication.translate("accounts", text)


def network_names() -> dict[Network, str]:
    return {
        Network.X: "X",
        Network.BLUESKY: "Bluesky",
        Network.MASTODON: "Mastodon",
        Network.LINKEDIN: "LinkedIn",
        Network.WEBHOOK: _tr("Webhook"),
    }


def visibility_labels() -> dict[str, str]:
    """Mastodon's visibilities (as its API names them), as the editor offers them."""
    return {
        "public": _tr("Public"),
        "unlisted": _tr("Unlisted (public, but not in public timelines)"),
        "private": _tr("Followers only"),
        "direct": _tr("Mentioned people only"),
    }


def account_label(account: Account) -> str:
    """The account as the lists show it: "Name — Network · handle"."""
    network = network_names()[account.network]
    handle = f" · {account.handle}" if account.handle else ""
    return f"{account.name} — {network}{handle}"


def sentence(text: str) -> str:
    """text ending as a sentence does (another sentence may follow it)."""
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?", "…")) else text + "."


def split_words(text: str) -> list[str]:
    """Entries typed one per line, or separated by commas or spaces."""
    return [w for w in _SPLIT.split(text) if w]


def parse_hashtags(text: str) -> list[str]:
    return [t for t in (w.lstrip("#＃") for w in split_words(text)) if t]


def show_hashtags(tags: list[str]) -> str:
    return " ".join("#" + t for t in tags)


# ---- reading a Mastodon instance's limit ---------------------------------------------------


class _WatchedSession:
    """Passes get() on, noting whether the server gave JSON: fetch_mastodon_limit answers
    the default 500 on any failure, and the user must know when that is a guess."""

    def __init__(self, session: Any):
        self.session = session
        self.answered = False
        self.problem = ""

    def get(self, url: str, **kwargs: Any) -> Any:
        try:
            response = self.session.get(url, **kwargs)
        except requests.Timeout:
            self.problem = self.problem or _tr("it did not answer in time")
            raise
        except requests.RequestException:
            self.problem = self.problem or _tr("it cannot be reached")
            raise
        if response.status_code != 200:
            self.problem = self.problem or _tr("it answered with HTTP status {code}").format(
                code=response.status_code
            )
            return response
        try:
            self.answered = self.answered or isinstance(response.json(), dict)
        except ValueError:
            self.problem = self.problem or _tr("it does not look like a Mastodon server")
        return response


def mastodon_address(text: str) -> str:
    """The instance's URL from what the user typed ("mastodon.social" is https://…)."""
    text = text.strip()
    url = text if "://" in text else "https://" + text
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not text or not ok:
        raise CuratorError(_tr("Type the instance’s address first, e.g. mastodon.social."))
    return url.rstrip("/")


def read_mastodon_limit(core: Curator, instance: str) -> int:
    """Runs in the background: the instance's post limit, or an error saying why not."""
    base = mastodon_address(instance)
    session = _WatchedSession(core.fetcher.session)  # the app's session: proxies, user agent
    limit = fetch_mastodon_limit(base, session, timeout=READ_LIMIT_TIMEOUT)
    if not session.answered:
        raise CuratorError(
            _tr("Could not read the limit from {server}: {reason}.").format(
                server=base, reason=session.problem or _tr("no answer")
            )
        )
    return limit


# ---- signing in through the browser --------------------------------------------------------


@dataclass(frozen=True)
class StoredFacts:
    """What the editor shows about an account's keyring entries (never a secret itself)."""

    has_secret: bool  # a token, app password or signing secret is stored
    client_id: str | None  # X/LinkedIn: the app's client id kept with the session
    has_client_secret: bool
    keyring_problem: str | None = None  # the keyring could not be read: why


def stored_facts(core: Curator, account: Account) -> StoredFacts:
    """Runs in the background: one pass over the keyring for the editor."""
    try:
        has_secret = core.secrets.has_any(account.id)
        client_id, has_client_secret = None, False
        if account.network in OWN_APP_NETWORKS:
            client_id = load_session(core.secrets, account.id)[1]
            has_client_secret = core.secrets.get(account.id, "client_secret") is not None
    except KeyringUnavailableError as exc:
        return StoredFacts(False, None, False, keyring_problem=str(exc))
    return StoredFacts(has_secret, client_id, has_client_secret)


def open_url(url: str) -> bool:
    """The system browser on url (False when none could be opened)."""
    return QDesktopServices.openUrl(QUrl(url))


class BrowserOpener(QObject):
    """Opens the sign-in page for a worker thread: the core calls open_browser(url) from the
    background and it must return at once, but QDesktopServices belongs to the UI thread.
    The signal is queued to this object, which lives on the UI thread."""

    requested = Signal(str)
    opened = Signal(str, bool)  # url, whether a browser took it

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.open_url = open_url  # tests follow the page with requests instead
        self.requested.connect(self._open)

    def __call__(self, url: str) -> bool:
        """The core's open_browser callback: runs on the worker thread, returns at once."""
        self.requested.emit(url)
        return True  # when no browser opens, the editor shows the address instead

    @Slot(str)
    def _open(self, url: str) -> None:
        try:
            ok = bool(self.open_url(url))
        except Exception:  # noqa: BLE001 - the address is shown to open by hand
            ok = False
        self.opened.emit(url, ok)


# ---- one account ---------------------------------------------------------------------------


class AccountEditDialog(QDialog):
    """Add or edit a posting profile. Saving runs in the background; errors show inline."""

    saved = Signal(object)  # Account

    def __init__(self, core: Curator, account: Account | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.account = account
        self._working = False
        self._reading_limit = False
        self.templates_loaded = False
        self.setWindowTitle(self.tr("Edit account") if account else self.tr("Add account"))
        self.setMinimumWidth(560)

        # -- the profile
        self.name_edit = QLineEdit(account.name if account else "")
        self.name_edit.setPlaceholderText(self.tr("e.g. Mastodon personal"))
        self.network_combo = QComboBox()
        for network, name in network_names().items():
            self.network_combo.addItem(name, network)
        network = account.network if account else Network.MASTODON
        self.network_combo.setCurrentIndex(self.network_combo.findData(network))
        self.handle_edit = QLineEdit(account.handle or "" if account else "")
        self.server_label = QLabel()
        self.server_edit = QLineEdit(account.api_base or "" if account else "")
        self.server_label.setBuddy(self.server_edit)

        self.limit_edit = QLineEdit(
            str(account.char_limit) if account and account.char_limit else ""
        )
        self.limit_edit.setValidator(QIntValidator(1, 1_000_000, self.limit_edit))
        self.limit_edit.setMaximumWidth(140)
        self.read_limit_button = QPushButton(self.tr("Read from ser&ver"))
        self.read_limit_button.setToolTip(
            self.tr("Ask the instance how many characters a post may have")
        )
        self.read_limit_button.clicked.connect(self.read_limit)
        self.limit_note = QLabel()
        self.limit_note.setWordWrap(True)
        limit_row = QHBoxLayout()
        limit_row.addWidget(self.limit_edit)
        limit_row.addWidget(self.read_limit_button)
        limit_row.addWidget(self.limit_note, 1)

        profile = QFormLayout()
        profile.addRow(self.tr("&Name:"), self.name_edit)
        profile.addRow(self.tr("Ne&twork:"), self.network_combo)
        profile.addRow(self.tr("&Handle:"), self.handle_edit)
        profile.addRow(self.server_label, self.server_edit)
        limit_label = QLabel(self.tr("Character &limit:"))
        limit_label.setBuddy(self.limit_edit)  # a row of several widgets gets no buddy itself
        profile.addRow(limit_label, limit_row)

        # -- the secret: typed here, stored in the OS keyring, never read back into the form
        self.secret_label = QLabel()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setPlaceholderText(
            self.tr("Looking in the keyring…") if account else self.tr("No token stored")
        )
        self.secret_edit.setToolTip(self.tr("Leave empty to keep the stored one"))
        self.secret_label.setBuddy(self.secret_edit)
        profile.addRow(self.secret_label, self.secret_edit)

        # -- network options: each row shows for the networks it applies to
        self.language_edit = QLineEdit(account.language or "" if account else "")
        self.language_edit.setPlaceholderText(self.tr("e.g. es or pt-BR (a BCP 47 tag)"))
        self.language_edit.setToolTip(
            self.tr("Tells the network which language the posts are in; empty: not said")
        )
        self.visibility_combo = QComboBox()
        for value, label in visibility_labels().items():
            self.visibility_combo.addItem(label, value)
        shown = (account.visibility if account else None) or "public"
        self.visibility_combo.setCurrentIndex(max(0, self.visibility_combo.findData(shown)))
        self.server_schedule_check = QCheckBox(
            self.tr("Let the server schedule posts (they go out with this computer off)")
        )
        self.server_schedule_check.setChecked(bool(account and account.server_schedule))
        self.api_version_edit = QLineEdit(account.api_version or "" if account else "")
        self.api_version_edit.setPlaceholderText(
            self.tr("{version} (default)").format(version=DEFAULT_LINKEDIN_VERSION)
        )
        self.api_version_edit.setToolTip(
            self.tr("The LinkedIn-Version sent with each post (YYYYMM); empty: Curator’s own")
        )
        self.api_version_edit.setMaximumWidth(140)
        profile.addRow(self.tr("Lang&uage of posts:"), self.language_edit)
        profile.addRow(self.tr("Visi&bility:"), self.visibility_combo)
        profile.addRow(self.server_schedule_check)  # the whole width: a long sentence
        profile.addRow(self.tr("LinkedIn API versi&on:"), self.api_version_edit)
        self.profile_form = profile
        profile_box = QGroupBox(self.tr("Profile"))
        profile_box.setLayout(profile)

        # -- signing in through the browser (X, LinkedIn, Mastodon)
        self._signing_in = False
        self._cancel_sign_in = threading.Event()
        self.stored_client_id: str | None = None
        self.client_secret_stored = False
        self.opener = BrowserOpener(self)
        self.opener.opened.connect(self._browser_opened)
        self.state_note = QLabel()  # "reconnect needed", the LinkedIn expiry
        self.state_note.setWordWrap(True)
        self.state_note.setStyleSheet(_WARNING_STYLE)
        self.state_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_note.hide()
        self.client_id_edit = QLineEdit()
        self.client_secret_edit = QLineEdit()
        self.client_secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.port_edit = QLineEdit(str(REDIRECT_PORT))
        self.port_edit.setValidator(QIntValidator(1, 65535, self.port_edit))
        self.port_edit.setMaximumWidth(90)
        self.port_edit.textChanged.connect(self._update_callback_note)
        self.callback_note = QLabel()
        self.callback_note.setWordWrap(True)
        self.callback_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sign_in_button = QPushButton(self.tr("Si&gn in…"))
        self.sign_in_button.setToolTip(
            self.tr("Saves the profile, then opens the network’s sign-in page in your browser")
        )
        self.sign_in_button.clicked.connect(self.sign_in)
        self.cancel_sign_in_button = QPushButton(self.tr("Cancel"))
        self.cancel_sign_in_button.clicked.connect(self.cancel_sign_in)
        self.cancel_sign_in_button.hide()
        self.sign_in_note = QLabel()
        self.sign_in_note.setWordWrap(True)
        self.sign_in_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Shown while waiting: when no browser opened, the user opens the address by hand.
        self.sign_in_url = QLineEdit()
        self.sign_in_url.setReadOnly(True)
        self.sign_in_url.hide()
        sign_in_row = QHBoxLayout()
        sign_in_row.addWidget(self.sign_in_button)
        sign_in_row.addWidget(self.cancel_sign_in_button)
        sign_in_row.addWidget(self.sign_in_note, 1)
        sign_in = QFormLayout()
        sign_in.addRow(self.tr("Client id:"), self.client_id_edit)
        sign_in.addRow(self.tr("Client sec&ret:"), self.client_secret_edit)
        sign_in.addRow(self.tr("Callback p&ort:"), self.port_edit)
        sign_in.addRow(self.callback_note)
        sign_in.addRow(sign_in_row)
        sign_in.addRow(self.sign_in_url)
        self.sign_in_form = sign_in
        self.sign_in_box = QGroupBox(self.tr("Sign in through the browser"))
        self.sign_in_box.setLayout(sign_in)
        quit_signal = QCoreApplication.instance()
        if quit_signal is not None:  # quitting must not wait for a browser that never answers
            quit_signal.aboutToQuit.connect(self.cancel_sign_in)

        # -- what every post of this account gets
        self.disclaimer_edit = QPlainTextEdit(account.disclaimer if account else "")
        self.disclaimer_edit.setTabChangesFocus(True)
        self.disclaimer_edit.setPlaceholderText(
            self.tr("Optional: appended to every post of this account, and counted")
        )
        self.disclaimer_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        self.mandatory_check = QCheckBox(self.tr("Mandatory: cannot be removed from posts"))
        self.mandatory_check.setChecked(bool(account and account.disclaimer_mandatory))

        self.utm_source_edit = QLineEdit(account.utm_source or "" if account else "")
        self.utm_source_edit.setPlaceholderText(self.tr("e.g. mastodon"))
        self.utm_medium_edit = QLineEdit(account.utm_medium or "" if account else "")
        self.utm_medium_edit.setPlaceholderText(self.tr("e.g. social"))
        self.utm_campaign_edit = QLineEdit(account.utm_campaign or "" if account else "")
        self.utm_campaign_edit.setPlaceholderText(
            self.tr("e.g. {source}-semanal (placeholders allowed)")
        )
        self.utm_error = QLabel()
        self.utm_error.setWordWrap(True)
        self.utm_error.setStyleSheet("color: #c62828;")  # as feeddialogs' inline errors
        self.utm_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Read-only text, not a label: a long URL has no spaces and must wrap anywhere.
        self.utm_example = QPlainTextEdit()
        self.utm_example.setReadOnly(True)
        self.utm_example.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.utm_example.setFrameShape(QFrame.Shape.NoFrame)
        self.utm_example.viewport().setAutoFillBackground(False)
        self.utm_example.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.utm_example.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 16)
        self.skip_edit = QPlainTextEdit("\n".join(account.utm_skip_domains) if account else "")
        self.skip_edit.setTabChangesFocus(True)
        self.skip_edit.setPlaceholderText(self.tr("One domain per line, e.g. intranet.example.com"))
        self.skip_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 14)

        self.hashtags_edit = QLineEdit(show_hashtags(account.hashtags) if account else "")
        self.hashtags_edit.setPlaceholderText(self.tr("#finanzas #innovación"))
        self.hashtags_edit.editingFinished.connect(self._tidy_hashtags)
        self.template_combo = QComboBox()
        self.template_combo.addItem(self.tr("None"), 0)

        posts = QFormLayout()
        disclaimer = QVBoxLayout()
        disclaimer.addWidget(self.disclaimer_edit)
        disclaimer.addWidget(self.mandatory_check)
        disclaimer_label = QLabel(self.tr("&Disclaimer:"))
        disclaimer_label.setBuddy(self.disclaimer_edit)
        posts.addRow(disclaimer_label, disclaimer)
        posts.addRow(self.tr("UTM &source:"), self.utm_source_edit)
        posts.addRow(self.tr("UTM m&edium:"), self.utm_medium_edit)
        posts.addRow(self.tr("UTM &campaign:"), self.utm_campaign_edit)
        posts.addRow("", self.utm_error)
        posts.addRow(self.tr("Example:"), self.utm_example)
        posts.addRow(self.tr("No UTM tags &for:"), self.skip_edit)
        posts.addRow(self.tr("Default hash&tags:"), self.hashtags_edit)
        posts.addRow(self.tr("Default te&mplate:"), self.template_combo)
        posts_box = QGroupBox(self.tr("Every post from this account"))
        posts_box.setLayout(posts)

        self.status = InlineStatus()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton(
            self.tr("&Save") if account else self.tr("&Add"),
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.state_note)
        layout.addWidget(profile_box)
        layout.addWidget(self.sign_in_box)
        layout.addWidget(posts_box)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.network_combo.currentIndexChanged.connect(self._network_changed)
        for edit in (self.utm_source_edit, self.utm_medium_edit, self.utm_campaign_edit):
            edit.textChanged.connect(self._update)
        self.skip_edit.textChanged.connect(self._update)
        self.name_edit.textChanged.connect(self._update)
        self._network_changed()
        self.name_edit.setFocus()
        run_in_background(core.list_templates, on_success=self._templates_loaded, parent=self)
        self.secret_looked_up = account is None
        if account is not None:
            # The state first, on its own: it needs the keyring only for LinkedIn's expiry.
            run_in_background(
                lambda: core.account_warning(account.id),
                on_success=self.show_warning,
                on_error=lambda _exc: None,  # the list says it too
                parent=self,
            )
            run_in_background(
                lambda: stored_facts(core, account),
                on_success=self._facts_found,
                on_error=self._secret_lookup_failed,
                parent=self,
            )

    # ---- the form follows what is typed --------------------------------------------------

    def network(self) -> Network:
        return Network(self.network_combo.currentData())

    def _network_changed(self) -> None:
        network = self.network()
        labels = {
            Network.MASTODON: (self.tr("&Instance:"), "mastodon.social"),
            Network.BLUESKY: (self.tr("&Service (PDS):"), "https://bsky.social"),
        }
        label, hint = labels.get(network, (self.tr("&API base URL:"), ""))
        self.server_label.setText(label)
        if network == Network.WEBHOOK:
            hint = self.tr("https://example.com/hooks/curator")
        elif not hint:
            hint = self.tr("Optional: the network’s own")
        self.server_edit.setPlaceholderText(hint)
        handles = {
            Network.X: "@usuario",
            Network.BLUESKY: "usuario.bsky.social",
            Network.MASTODON: "@usuario@mastodon.social",
        }
        self.handle_edit.setPlaceholderText(handles.get(network, self.tr("Optional")))
        secret_labels = {
            Network.BLUESKY: self.tr("App &password:"),
            Network.WEBHOOK: self.tr("Signing &secret:"),
        }
        self.secret_label.setText(secret_labels.get(network, self.tr("Access &token:")))
        default = DEFAULT_LIMITS.get(network.value)
        self.limit_edit.setPlaceholderText(
            self.tr("{n} (default)").format(n=default) if default else self.tr("No limit")
        )
        is_mastodon = network == Network.MASTODON
        self.profile_form.setRowVisible(self.language_edit, network in LANGUAGE_NETWORKS)
        self.profile_form.setRowVisible(self.visibility_combo, is_mastodon)
        self.profile_form.setRowVisible(self.server_schedule_check, is_mastodon)
        self.profile_form.setRowVisible(self.api_version_edit, network == Network.LINKEDIN)
        self.sign_in_box.setVisible(network in BROWSER_NETWORKS)
        own_app = network in OWN_APP_NETWORKS
        for row in (self.client_id_edit, self.client_secret_edit, self.port_edit):
            self.sign_in_form.setRowVisible(row, own_app)
        portal = {Network.X: self.tr("From your app in the X developer portal"),
                  Network.LINKEDIN: self.tr("From your app in the LinkedIn developer portal")}
        self.client_id_edit.setPlaceholderText(portal.get(network, ""))
        self._client_secret_placeholder()
        self._update_callback_note()
        self.read_limit_button.setVisible(is_mastodon)
        self.read_limit_button.setEnabled(is_mastodon and not self._reading_limit)
        if not is_mastodon:
            self.limit_note.clear()
        self._update()

    def skip_domains(self) -> list[str]:
        return split_words(self.skip_edit.toPlainText())

    def utm_problem(self) -> str:
        """Why the UTM campaign cannot be used, "" when it can (shown under the fields)."""
        return self.utm_error.text() if self.utm_error.isVisibleTo(self) else ""

    def _update(self) -> None:
        # render_campaign and add_utm are pure and fast: fine on every keystroke.
        campaign = self.utm_campaign_edit.text().strip()
        problem = ""
        try:
            render_campaign(campaign, SAMPLE_VALUES)
        except TemplateError as e:
            problem = str(e)
        self.utm_error.setText(problem)
        self.utm_error.setVisible(bool(problem))
        if problem:
            self.utm_example.setPlainText(
                self.tr("{url}\n→ (fix the campaign first)").format(url=EXAMPLE_URL)
            )
        else:
            self.utm_example.setPlainText(self._example())
        self.save_button.setEnabled(
            not problem and bool(self.name_edit.text().strip()) and not self._working
            and not self._signing_in
        )
        self.sign_in_button.setEnabled(
            not problem and bool(self.name_edit.text().strip()) and not self._working
            and not self._signing_in
        )

    def _example(self) -> str:
        source = self.utm_source_edit.text().strip()
        medium = self.utm_medium_edit.text().strip()
        campaign = self.utm_campaign_edit.text().strip()
        if not (source or medium or campaign):
            return self.tr("{url}\n→ unchanged: no UTM tags set").format(url=EXAMPLE_URL)
        tagged = add_utm(
            EXAMPLE_URL,
            source=source,
            medium=medium,
            campaign=campaign,
            skip_domains=self.skip_domains(),
            values=SAMPLE_VALUES,
        )
        if tagged == EXAMPLE_URL:
            return self.tr("{url}\n→ unchanged: its domain gets no UTM tags").format(
                url=EXAMPLE_URL
            )
        return f"{EXAMPLE_URL}\n→ {tagged}"

    def example_text(self) -> str:
        """The live example under the UTM fields: the sample link, an arrow, the tagged link."""
        return self.utm_example.toPlainText()

    def _tidy_hashtags(self) -> None:
        tidy = show_hashtags(parse_hashtags(self.hashtags_edit.text()))
        if tidy != self.hashtags_edit.text():
            self.hashtags_edit.setText(tidy)

    def _templates_loaded(self, templates: list[Template]) -> None:
        chosen = self.template_combo.currentData()
        if not chosen and self.account:
            chosen = self.account.default_template_id or 0
        self.template_combo.clear()
        self.template_combo.addItem(self.tr("None"), 0)
        for template in templates:
            self.template_combo.addItem(template_label(template), template.id)
        self.template_combo.setCurrentIndex(max(0, self.template_combo.findData(chosen)))
        self.templates_loaded = True

    # ---- the stored secret ----------------------------------------------------------------

    def _secret_found(self, stored: bool) -> None:
        self.secret_looked_up = True
        self.secret_edit.setPlaceholderText(
            self.tr("A token is stored in your system keyring")
            if stored
            else self.tr("No token stored")
        )

    def _facts_found(self, facts: StoredFacts) -> None:
        if facts.keyring_problem is not None:
            self.secret_looked_up = True
            self.secret_edit.setPlaceholderText(self.tr("Keyring unavailable"))
            self.status.error(facts.keyring_problem)
        else:
            self._secret_found(facts.has_secret)
        self.stored_client_id = facts.client_id
        if facts.client_id and not self.client_id_edit.text():
            self.client_id_edit.setText(facts.client_id)
        self.client_secret_stored = facts.has_client_secret
        self._client_secret_placeholder()

    def show_warning(self, warning: str | None) -> None:
        """The account's state in one sentence above the form (hidden when all is well)."""
        if warning and self.network() in BROWSER_NETWORKS:
            warning = sentence(warning) + " " + self.tr("Sign in… below connects it again.")
        self.state_note.setText(warning or "")
        self.state_note.setVisible(bool(warning))

    def warning_text(self) -> str:
        return self.state_note.text() if self.state_note.isVisibleTo(self) else ""

    def _secret_lookup_failed(self, exc: BaseException) -> None:
        self.secret_looked_up = True
        self.secret_edit.setPlaceholderText(self.tr("Keyring unavailable"))
        self.status.error(errors.describe(exc)[0])

    # ---- reading the instance's limit ----------------------------------------------------

    def read_limit(self) -> None:
        if self._reading_limit:
            return
        core, instance = self.core, self.server_edit.text()
        self._reading_limit = True
        self.read_limit_button.setEnabled(False)
        self.limit_note.setStyleSheet("")
        self.limit_note.setText(self.tr("Asking the server…"))
        run_in_background(
            lambda: read_mastodon_limit(core, instance),
            on_success=self._limit_read,
            on_error=self._limit_failed,
            parent=self,
        )

    def _limit_done(self) -> None:
        self._reading_limit = False
        self.read_limit_button.setEnabled(self.network() == Network.MASTODON)
        if not self.isVisible() and not self._working and not self._signing_in:
            self.deleteLater()  # closed while the server was being asked

    def _limit_read(self, limit: int) -> None:
        self._limit_done()
        self.limit_edit.setText(str(limit))
        self.limit_note.setText(self.tr("The server allows {n} characters.").format(n=limit))

    def _limit_failed(self, exc: BaseException) -> None:
        self._limit_done()
        self.limit_note.setStyleSheet("color: #c62828;")
        self.limit_note.setText(errors.describe(exc)[0])

    def limit_text(self) -> str:
        return self.limit_note.text()

    # ---- signing in through the browser ---------------------------------------------------

    def _client_secret_placeholder(self) -> None:
        network = self.network()
        if self.client_secret_stored:
            text = self.tr("A client secret is stored in your system keyring")
        elif network == Network.LINKEDIN:
            text = self.tr("Required: from the same app")
        else:
            text = self.tr("Optional: only for a confidential (Web App) client")
        self.client_secret_edit.setPlaceholderText(text)

    def port(self) -> int:
        text = self.port_edit.text().strip()
        return int(text) if text.isdigit() and 0 < int(text) < 65536 else REDIRECT_PORT

    def _update_callback_note(self) -> None:
        if self.network() in OWN_APP_NETWORKS:
            self.callback_note.setText(
                self.tr("Register http://127.0.0.1:{port}/callback as the callback (redirect) "
                        "URL of your app.").format(port=self.port())
            )
        else:
            self.callback_note.setText(
                self.tr("Curator registers itself on your instance; your browser opens its "
                        "sign-in page.")
            )

    def _sign_in_problem(self) -> str:
        """What must be typed before signing in ("" when nothing)."""
        network = self.network()
        if network == Network.MASTODON and not self.server_edit.text().strip():
            return self.tr("Type the instance’s address first, e.g. mastodon.social.")
        if network in OWN_APP_NETWORKS and not self.client_id_edit.text().strip():
            return self.tr("Type your app’s client id first (from the network’s developer "
                           "portal).")
        if (network == Network.LINKEDIN and not self.client_secret_edit.text()
                and not self.client_secret_stored):
            return self.tr("Type your app’s client secret first (from the LinkedIn developer "
                           "portal).")
        return ""

    def sign_in(self) -> None:
        """Save the profile as typed, then sign in through the browser (in the background)."""
        if self._signing_in or self._working or not self.save_button.isEnabled():
            return
        problem = self._sign_in_problem()
        if problem:
            self._sign_in_note(problem, _ERROR_STYLE)
            return
        fields = self.settings()
        network, core, account = self.network(), self.core, self.account
        self._cancel_sign_in = threading.Event()
        self._set_signing_in(True)
        self._sign_in_note(self.tr("Saving the profile…"))
        if account is None:
            fields["char_limit"] = fields["char_limit"] or None
            fields["default_template_id"] = fields["default_template_id"] or None

            def work() -> Account:
                return core.add_account(network, **fields)
        else:
            account_id = account.id

            def work() -> Account:
                return core.update_account(account_id, network=network, **fields)

        run_in_background(
            work, on_success=self._saved_for_sign_in, on_error=self._sign_in_failed, parent=self
        )

    def _saved_for_sign_in(self, account: Account) -> None:
        # From now on this edits the saved profile, whatever the sign-in gives.
        self.account = account
        self.setWindowTitle(self.tr("Edit account"))
        self.save_button.setText(self.tr("&Save"))
        self.saved.emit(account)
        cancel = self._cancel_sign_in
        if cancel.is_set():  # closed or cancelled while saving
            self._sign_in_failed(SignInCancelled(self.tr("Sign-in cancelled.")))
            return
        typed_id = self.client_id_edit.text().strip()
        own_app = account.network in OWN_APP_NETWORKS
        options: dict[str, Any] = {
            # The stored id as None: X then keeps using the client secret stored with it.
            "client_id": typed_id if own_app and typed_id != self.stored_client_id else None,
            "client_secret": (self.client_secret_edit.text() or None) if own_app else None,
            "redirect_port": self.port() if own_app else None,
            "open_browser": self.opener,
            "timeout": SIGN_IN_TIMEOUT,
            "cancel": cancel,
        }
        core, account_id = self.core, account.id
        self._sign_in_note(self.tr("Waiting for the browser…"))
        self.cancel_sign_in_button.show()
        run_in_background(
            lambda: core.connect_account(account_id, **options),
            on_success=self._signed_in,
            on_error=self._sign_in_failed,
            parent=self,
        )

    def _browser_opened(self, url: str, ok: bool) -> None:
        if not self._signing_in:
            return
        self.sign_in_url.setText(url)
        self.sign_in_url.setCursorPosition(0)
        self.sign_in_url.setToolTip(self.tr("If no browser opened, open this address yourself"))
        self.sign_in_url.show()
        if not ok:
            self._sign_in_note(
                self.tr("No browser opened: open the address below yourself. Waiting…")
            )

    def cancel_sign_in(self) -> None:
        """Stop waiting for the browser: the listener closes, nothing is stored."""
        self._cancel_sign_in.set()

    def _set_signing_in(self, busy: bool) -> None:
        self._signing_in = busy
        self.sign_in_button.setEnabled(not busy)
        self.network_combo.setEnabled(not busy)
        self.cancel_sign_in_button.setVisible(False)
        self.sign_in_url.setVisible(False)
        self._update()

    def _sign_in_note(self, text: str, style: str = "") -> None:
        self.sign_in_note.setStyleSheet(style)
        self.sign_in_note.setText(text)

    def sign_in_text(self) -> str:
        """What the sign-in row says now ("Waiting for the browser…", the handle, an error)."""
        return self.sign_in_note.text()

    @property
    def signing_in(self) -> bool:
        return self._signing_in

    def _sign_in_done(self) -> None:
        self._set_signing_in(False)
        if not self.isVisible() and not self._working and not self._reading_limit:
            self.deleteLater()  # closed while waiting for the browser

    def _signed_in(self, handle: str) -> None:
        self._sign_in_done()
        if self.network() in OWN_APP_NETWORKS:  # what connect_account kept in the keyring
            self.client_secret_stored = self.client_secret_stored or bool(
                self.client_secret_edit.text()
            )
            self.stored_client_id = self.client_id_edit.text().strip() or self.stored_client_id
        self.client_secret_edit.clear()
        self._client_secret_placeholder()
        self.handle_edit.setText(handle)  # connect_account stored it: a later Save keeps it
        self.secret_edit.clear()  # a token typed before would replace the new sign-in
        self.secret_looked_up = True
        self.secret_edit.setPlaceholderText(self.tr("A token is stored in your system keyring"))
        self.show_warning(None)
        shown = handle if handle.startswith("@") else "@" + handle
        self._sign_in_note(self.tr("Signed in as {handle}: ready to post.").format(handle=shown))
        if self.account is not None:
            self.account = replace(self.account, handle=handle)
            self.saved.emit(self.account)  # the list: its handle and state

    def _sign_in_failed(self, exc: BaseException) -> None:
        self._sign_in_done()
        cancelled = isinstance(exc, SignInCancelled) and self._cancel_sign_in.is_set()
        self._sign_in_note(
            self.tr("Sign-in cancelled.") if cancelled else errors.describe(exc)[0],
            "" if cancelled else _ERROR_STYLE,
        )

    # ---- saving --------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The form as add_account/update_account arguments ("" and 0 clear on update)."""
        limit = self.limit_edit.text().strip()
        template_id = self.template_combo.currentData()
        fields: dict[str, Any] = {
            "name": self.name_edit.text().strip(),
            "handle": self.handle_edit.text().strip(),
            "api_base": self.server_edit.text().strip(),
            "char_limit": int(limit) if limit.isdigit() else 0,
            "disclaimer": self.disclaimer_edit.toPlainText().strip(),
            "disclaimer_mandatory": self.mandatory_check.isChecked(),
            "utm_source": self.utm_source_edit.text().strip(),
            "utm_medium": self.utm_medium_edit.text().strip(),
            "utm_campaign": self.utm_campaign_edit.text().strip(),
            "utm_skip_domains": self.skip_domains(),
            "hashtags": parse_hashtags(self.hashtags_edit.text()),
            # Until the list has loaded the combo says nothing: keep what the account had.
            "default_template_id": int(template_id or 0) if self.templates_loaded else None,
            # Network options: kept whichever network is shown ("" clears on update).
            "language": self.language_edit.text().strip(),
            "visibility": self.visibility_combo.currentData(),
            "server_schedule": self.server_schedule_check.isChecked(),
            "api_version": self.api_version_edit.text().strip(),
        }
        return fields

    def save(self) -> None:
        if self._working or not self.save_button.isEnabled():
            return
        fields = self.settings()
        network, core, account = self.network(), self.core, self.account
        self._working = True
        self.buttons.setEnabled(False)
        self.status.busy(self.tr("Saving…"))
        if account is None:
            fields["char_limit"] = fields["char_limit"] or None
            fields["default_template_id"] = fields["default_template_id"] or None

            def work() -> Account:
                return core.add_account(network, **fields)
        else:
            account_id = account.id

            def work() -> Account:
                return core.update_account(account_id, network=network, **fields)

        run_in_background(work, on_success=self._saved, on_error=self._failed, parent=self)

    def _saved(self, account: Account) -> None:
        # The profile is kept whatever happens to the secret: from now on this edits it.
        self.account = account
        secret = self.secret_edit.text()
        if not secret:
            self._finished()
            return
        core, account_id = self.core, account.id
        self.status.busy(self.tr("Storing the token in the system keyring…"))

        def store() -> None:
            core.set_account_secret(account_id, secret)
            core.mark_account_reconnected(account_id)  # a new token: worth trying again

        run_in_background(
            store,
            on_success=lambda _a: self._finished(),
            on_error=self._secret_failed,
            parent=self,
        )

    def _finished(self) -> None:
        # Only now: the list then shows the account's state with its new secret.
        assert self.account is not None
        self.saved.emit(self.account)
        self._working = False
        self.status.idle()
        self.secret_edit.clear()
        self.accept()

    def _secret_failed(self, exc: BaseException) -> None:
        # The core's sentence (KeyringUnavailableError names what to install); it never
        # holds the secret.
        assert self.account is not None
        self.saved.emit(self.account)
        self._working = False
        self.setWindowTitle(self.tr("Edit account"))
        self.save_button.setText(self.tr("&Save"))
        self.buttons.setEnabled(True)
        self._update()
        self.status.error(
            self.tr("The profile was saved, but the token was not: {reason}").format(
                reason=errors.describe(exc)[0]
            )
        )

    def _failed(self, exc: BaseException) -> None:
        self._working = False
        self.buttons.setEnabled(True)
        self._update()
        self.status.error(errors.describe(exc)[0])

    def done(self, result: int) -> None:
        self.cancel_sign_in()  # closing while the browser is open: stop waiting
        super().done(result)
        if not self._working and not self._reading_limit and not self._signing_in:
            self.deleteLater()


# ---- the list of accounts ------------------------------------------------------------------

RECONNECT, NO_TOKEN, NO_KEYRING = "reconnect", "no-token", "no-keyring"
EXPIRING, EXPIRED = "expiring", "expired"  # LinkedIn's 60-day sign-in


@dataclass(frozen=True)
class AccountState:
    """What an account lacks to publish: a state ("" when nothing) and the core's sentence."""

    state: str = ""
    warning: str = ""  # core.account_warning, when it has one


def account_states(core: Curator, accounts: list[Account]) -> dict[int, AccountState]:
    """Runs in the background: each account's state for the list."""
    states: dict[int, AccountState] = {}
    keyring_ok = True
    for account in accounts:
        if core.account_needs_reconnect(account.id):
            states[account.id] = AccountState(RECONNECT, core.account_warning(account.id) or "")
            continue
        if keyring_ok:
            try:
                states[account.id] = _keyring_state(core, account)
                continue
            except KeyringUnavailableError:
                keyring_ok = False  # one failure says it for every account
        states[account.id] = AccountState(NO_KEYRING)
    return states


def _keyring_state(core: Curator, account: Account) -> AccountState:
    if not core.secrets.has_any(account.id):
        return AccountState(NO_TOKEN)
    warning = core.account_warning(account.id)  # LinkedIn: within a week of its expiry
    if not warning:
        return AccountState()
    expires = token_expires_at(core.secrets, account.id)
    expired = expires is not None and expires <= core.now()
    return AccountState(EXPIRED if expired else EXPIRING, warning)


def verify_account(core: Curator, account_id: int) -> str:
    """Runs in the background: sign in with the stored secret; the network's handle.
    Success clears "reconnect needed" (the token works again)."""
    account = core.get_account(account_id)
    handle = connector_for(account, core.secrets).verify()
    if core.account_needs_reconnect(account_id):
        core.mark_account_reconnected(account_id)
    return handle


class _StateDelegate(QStyledItemDelegate):
    """Shows an account's state after its label; the item's own text stays the label."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        state = index.data(StateRole)
        if state:
            option.text = f"{option.text}  —  {state}"



class AccountsDialog(QDialog):
    """Every posting profile with its state, and Add, Edit, Remove and Verify (sign in)."""

    changed = Signal()  # an account was added, edited or removed

    def __init__(self, core: Curator, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.loaded = False
        self.edit_dialog: AccountEditDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._select_id: int | None = None
        self.setWindowTitle(self.tr("Accounts"))
        self.setMinimumWidth(480)
        self.resize(520, 360)

        self.list = QListWidget()
        self.list.itemDoubleClicked.connect(lambda _item: self.edit_account())
        self.list.currentItemChanged.connect(self._update_enabled)
        self.empty_label = QLabel(
            self.tr("No accounts yet. Add one for each profile you post from.")
        )
        self.empty_label.setWordWrap(True)
        self.add_button = QPushButton(self.tr("&Add…"))
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.remove_button = QPushButton(self.tr("&Remove…"))
        self.verify_button = QPushButton(self.tr("&Verify"))
        self.verify_button.setToolTip(self.tr("Sign in with the stored token to check it works"))
        self.add_button.clicked.connect(lambda: self.add_account())
        self.edit_button.clicked.connect(lambda: self.edit_account())
        self.remove_button.clicked.connect(lambda: self.remove_account())
        self.verify_button.clicked.connect(lambda: self.verify())
        self.list.setItemDelegate(_StateDelegate(self.list))
        self.states_loaded = False
        self._states_reads = 0  # the latest states read: older answers are dropped
        self._verifying = False
        self.verify_note = QLabel()
        self.verify_note.setWordWrap(True)
        self.verify_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_note.hide()
        side = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button, self.verify_button):
            side.addWidget(button)
        side.addStretch(1)
        top = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.empty_label)
        top.addLayout(left, 1)
        top.addLayout(side)

        self.status = InlineStatus()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.verify_note)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._update_enabled()
        self.reload()

    def reload(self) -> None:
        run_in_background(
            self.core.list_accounts, on_success=self._loaded, on_error=self._failed, parent=self
        )

    def _loaded(self, accounts: list[Account]) -> None:
        current = self.current_account()
        select_id = self._select_id or (current.id if current else None)
        self._select_id = None
        self.list.clear()
        for account in accounts:
            item = QListWidgetItem(account_label(account), self.list)
            item.setData(AccountRole, account)
            if account.id == select_id:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and accounts:
            self.list.setCurrentRow(0)
        self.empty_label.setVisible(not accounts)
        self.loaded = True
        self._update_enabled()
        self.states_loaded = False
        self._states_reads += 1
        core, read = self.core, self._states_reads
        run_in_background(
            lambda: account_states(core, accounts),
            on_success=lambda states: self._states_loaded(states, read),
            on_error=self._failed,
            parent=self,
        )

    def _states_loaded(self, states: dict[int, AccountState], read: int | None = None) -> None:
        if read is not None and read != self._states_reads:
            return  # an older read, for the list as it was: the newer one is on its way
        texts = {
            RECONNECT: self.tr("reconnect needed"),
            EXPIRING: self.tr("sign-in expires soon"),
            EXPIRED: self.tr("sign-in expired"),
            NO_TOKEN: self.tr("no token"),
            NO_KEYRING: self.tr("keyring unavailable"),
        }
        sign_in_again = self.tr("Edit, then Sign in…, connects it again.")
        tips = {
            RECONNECT: self.tr("The network refused the token: sign in again or store a new "
                               "one (Edit). Its queued posts wait."),
            EXPIRING: sign_in_again,
            EXPIRED: sign_in_again,
            NO_TOKEN: self.tr("Sign in or store the account’s token (Edit) before posting "
                              "from it"),
            NO_KEYRING: self.tr("The system keyring cannot be reached"),
        }
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for i in range(self.list.count()):
            item = self.list.item(i)
            found = states.get(item.data(AccountRole).id, AccountState())
            item.setData(StateRole, texts.get(found.state, ""))
            tip = tips.get(found.state, "")
            if found.state in (EXPIRING, EXPIRED) and found.warning:
                tip = f"{sentence(found.warning)} {tip}"  # the core's carries the date
            item.setToolTip(tip)
            item.setIcon(warning if found.state else QIcon())
        self.states_loaded = True

    def state_text(self, row: int) -> str:
        """What the list shows after the account's label ("" when all is well)."""
        return str(self.list.item(row).data(StateRole) or "")

    def accounts(self) -> list[Account]:
        return [self.list.item(i).data(AccountRole) for i in range(self.list.count())]

    def current_account(self) -> Account | None:
        item = self.list.currentItem()
        data = item.data(AccountRole) if item is not None else None
        return data if isinstance(data, Account) else None

    def _update_enabled(self) -> None:
        has = self.current_account() is not None
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.verify_button.setEnabled(has and not self._verifying)

    # ---- verifying ---------------------------------------------------------------------

    def verify(self) -> None:
        """Sign in with the selected account's stored secret; the answer shows inline."""
        account = self.current_account()
        if account is None or self._verifying:
            return
        core, account_id = self.core, account.id
        self._verifying = True
        self._update_enabled()
        self.verify_note.hide()
        self.status.busy(self.tr("Signing in to {name}…").format(name=account.name))
        run_in_background(
            lambda: verify_account(core, account_id),
            on_success=self._verified,
            on_error=self._verify_failed,
            parent=self,
        )

    def _verify_done(self, text: str, ok: bool) -> None:
        self._verifying = False
        self.status.idle()
        self._update_enabled()
        self.verify_note.setStyleSheet("" if ok else "color: #c62828;")
        self.verify_note.setText(text)
        self.verify_note.show()

    def _verified(self, handle: str) -> None:
        shown = handle if handle.startswith("@") else "@" + handle
        self._verify_done(self.tr("Signed in as {handle}").format(handle=shown), True)
        self.reload()  # a cleared "reconnect needed"

    def _verify_failed(self, exc: BaseException) -> None:
        self._verify_done(errors.describe(exc)[0], False)

    def verify_text(self) -> str:
        return self.verify_note.text() if self.verify_note.isVisibleTo(self) else ""

    def _failed(self, exc: BaseException) -> None:
        self.status.error(errors.describe(exc)[0])

    def done(self, result: int) -> None:
        editor = self.edit_dialog
        if editor is not None and shiboken6.isValid(editor):
            editor.cancel_sign_in()  # its browser sign-in must not outlive the dialog
        super().done(result)

    def _open_editor(self, account: Account | None) -> AccountEditDialog:
        dialog = AccountEditDialog(self.core, account, self)
        dialog.saved.connect(self._saved)
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    def add_account(self) -> AccountEditDialog:
        return self._open_editor(None)

    def edit_account(self) -> AccountEditDialog | None:
        account = self.current_account()
        return self._open_editor(account) if account is not None else None

    def _saved(self, account: Account) -> None:
        self._select_id = account.id
        self.status.idle()
        self.changed.emit()
        self.reload()

    def remove_account(self) -> QMessageBox | None:
        """Ask, then remove the selected account and its drafts' variants for it."""
        account = self.current_account()
        if account is None:
            return None
        box = ask_to_remove(
            self,
            title=self.tr("Remove account"),
            text=self.tr("Remove the account “{name}”?").format(name=account.name),
            details=self.tr("Drafts keep their text, but lose their version for this account."),
            answered=lambda confirmed: self._remove_answered(confirmed, account),
        )
        self.confirm_box = box
        return box

    def _remove_answered(self, confirmed: bool, account: Account) -> None:
        self.confirm_box = None
        if not confirmed:
            return
        self._remove(account, keep_secrets=False)

    def _remove(self, account: Account, *, keep_secrets: bool) -> None:
        core, account_id = self.core, account.id
        run_in_background(
            lambda: core.remove_account(account_id, keep_secrets=keep_secrets),
            on_success=lambda _a: self._removed(),
            on_error=lambda exc: self._remove_failed(exc, account),
            parent=self,
        )

    def _remove_failed(self, exc: BaseException, account: Account) -> None:
        if not isinstance(exc, KeyringUnavailableError):
            self._failed(exc)
            return
        # The core kept the account so no secret is orphaned: the user may choose otherwise.
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Remove account"))
        box.setText(str(exc))
        box.setInformativeText(
            self.tr("“{name}” was not removed: its secret could not be deleted.").format(
                name=account.name
            )
        )
        anyway = box.addButton(
            self.tr("Remove anyway (leave the secret in the keyring)"),
            QMessageBox.ButtonRole.DestructiveRole,
        )
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.buttonClicked.connect(
            lambda button: self._remove_anyway_answered(button, anyway, account)
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.confirm_box = box
        box.open()

    def _remove_anyway_answered(
        self, button: QAbstractButton, anyway: QAbstractButton, account: Account
    ) -> None:
        self.confirm_box = None
        if button is anyway:
            self._remove(account, keep_secrets=True)

    def _removed(self) -> None:
        self.status.idle()
        self.changed.emit()
        self.reload()


def account_warnings(core: Curator) -> list[tuple[Account, str]]:
    """Runs in the background: every account with a warning (core.account_warning)."""
    found = []
    for account in core.list_accounts():
        warning = core.account_warning(account.id)
        if warning:
            found.append((account, warning))
    return found


# ---- the window's Posts menu ---------------------------------------------------------------


class PostsActions(QObject):
    """The Posts menu: the accounts posts go to and the templates they start from."""

    accounts_changed = Signal()
    templates_changed = Signal()

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.accounts_dialog: AccountsDialog | None = None
        self.templates_dialog: TemplatesDialog | None = None
        self.accounts_action = QAction(self.tr("&Accounts…"), self)
        self.accounts_action.triggered.connect(lambda _checked=False: self.show_accounts())
        self.templates_action = QAction(self.tr("&Templates…"), self)
        self.templates_action.triggered.connect(lambda _checked=False: self.show_templates())
        self.menu = window.menuBar().addMenu(self.tr("&Posts"))
        self.menu.setObjectName("posts-menu")
        self.menu.addAction(self.accounts_action)
        self.menu.addAction(self.templates_action)

    def show_accounts(self) -> AccountsDialog:
        """Open the Accounts dialog (one at a time)."""
        dialog = self.accounts_dialog
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            dialog = AccountsDialog(self.window.core, self.window)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.changed.connect(self.accounts_changed)
            self.accounts_dialog = dialog
            dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def warn_about_accounts(self, notifier: Notifier) -> None:
        """In the background: when accounts need the user (reconnect needed, a LinkedIn
        sign-in about to expire), say so once through the window's notifications."""
        core = self.window.core
        run_in_background(
            lambda: account_warnings(core),
            on_success=lambda found: self._warn(notifier, found),
            on_error=lambda _exc: None,  # a check at start: the Accounts dialog says it too
            parent=self,
        )

    def _warn(self, notifier: Notifier, found: list[tuple[Account, str]]) -> None:
        if not found:
            return
        # A click on the notice (tray) or its link (banner) opens the Accounts dialog.
        # PySide6 takes the slot's name as str (its stubs say bytes, which it refuses).
        QDesktopServices.setUrlHandler(
            ACCOUNTS_LINK.split(":")[0], self, "open_link"  # type: ignore[arg-type]
        )
        title = (self.tr("An account needs you") if len(found) == 1
                 else self.tr("{n} accounts need you").format(n=len(found)))
        text = " ".join(sentence(warning) for _account, warning in found)
        notifier.notify(title, text, link=ACCOUNTS_LINK, failed=True,
                        link_text=self.tr("Open Accounts…"))

    @Slot(QUrl)
    def open_link(self, url: QUrl) -> None:
        """curator:accounts (a notification's link) opens the Accounts dialog."""
        if url.toString() == ACCOUNTS_LINK:
            self.show_accounts()

    def show_templates(self) -> TemplatesDialog:
        """Open the Templates dialog (one at a time)."""
        dialog = self.templates_dialog
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            dialog = TemplatesDialog(self.window.core, self.window)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.changed.connect(self.templates_changed)
            self.templates_dialog = dialog
            dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog
