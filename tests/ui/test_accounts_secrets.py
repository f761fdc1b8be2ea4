"""The Accounts dialog's secrets: typed into a password field, stored in the REAL OS keyring
(the private Secret Service scripts/test.sh starts), never shown; Verify against a local
Mastodon server; "reconnect needed"; no keyring at all (keyring's own "fail" backend)."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest
from linkedinserver import LinkedInServer
from mastodonserver import MastodonServer
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QMessageBox, QWidget
from test_accounts_dialog import (
    click,
    closed_port,
    open_dialog,
    open_editor,
    save,
    select,
    set_network,
)
from xserver import XServer

from curator._publishing import ACCOUNT_RECONNECT
from curator.connectors.linkedin import save_token
from curator.secrets import KINDS, NO_KEYRING, service_name
from curator.types import Network
from ui import tasks

# The sign-in tests' browser (requests following the authorize page) and LinkedIn's OAuth
# stand-in live with the core's sign-in tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_signin import CLIENT_ID, _LinkedInOAuth, browser  # noqa: E402

SECRETO = "tok-ñandú-¿secreto?"

pytestmark = pytest.mark.skipif(
    not os.environ.get("CURATOR_TEST_KEYRING"),
    reason="needs the private, unlocked Secret Service that `bash scripts/test.sh` starts "
    "(tests never touch your desktop's keyring)",
)


@pytest.fixture
def secrets_cleaned(core) -> Iterator[None]:
    yield
    for account in core.list_accounts():
        core.secrets.delete_all(account.id)


@pytest.fixture
def mastodon() -> Iterator[MastodonServer]:
    server = MastodonServer().start()
    server.add_token(SECRETO, username="lucía")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def no_keyring(core) -> Iterator[keyring.backend.KeyringBackend]:
    """keyring with no usable backend, as on a machine with none installed; yields the real
    one (restored afterwards)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    core._secrets = None  # the store picks its backend once: let it look again
    try:
        yield previous
    finally:
        keyring.set_keyring(previous)
        core._secrets = None


def shown_texts(widget: QWidget) -> list[str]:
    """Every text and tooltip the dialog (and its list items) can show."""
    texts = [widget.windowTitle(), widget.toolTip()]
    for child in widget.findChildren(QWidget):
        texts.append(child.toolTip())
        if isinstance(child, QLabel | QAbstractButton):
            texts.append(child.text())
        if isinstance(child, QLineEdit):
            texts += [child.text(), child.placeholderText()]
    lst = getattr(widget, "list", None)
    if lst is not None:
        for i in range(lst.count()):
            texts += [lst.item(i).text(), lst.item(i).toolTip(), widget.state_text(i)]
    return texts


def row_of(dialog, name: str) -> int:
    return next(i for i, a in enumerate(dialog.accounts()) if a.name == name)


def test_typed_token_goes_to_the_keyring_and_nowhere_else(
    window, core, qtbot, secrets_cleaned
):
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    assert editor.secret_label.text() == "Access &token:"
    assert editor.secret_edit.echoMode() == QLineEdit.EchoMode.Password
    assert editor.secret_edit.placeholderText() == "No token stored"
    set_network(editor, Network.BLUESKY)
    assert editor.secret_label.text() == "App &password:"
    set_network(editor, Network.WEBHOOK)
    assert editor.secret_label.text() == "Signing &secret:"
    set_network(editor, Network.MASTODON)

    editor.name_edit.setText("Mastodon de Lucía")
    editor.secret_edit.insert(SECRETO)  # QTest.keyClicks types ASCII only
    save(qtbot, editor)
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 1 and dialog.states_loaded)
    account = core.get_account("Mastodon de Lucía")
    assert core.secrets.get(account.id, "access_token") == SECRETO
    assert dialog.state_text(0) == ""  # a token is stored: nothing to warn about
    assert not any(SECRETO in t for t in shown_texts(dialog))

    # Editing again: the field stays empty (keep the stored one), the placeholder says so.
    editor = open_editor(dialog, qtbot, account)
    qtbot.waitUntil(lambda: editor.secret_looked_up)
    assert editor.secret_edit.text() == ""
    assert editor.secret_edit.placeholderText() == "A token is stored in your system keyring"
    assert not any(SECRETO in t for t in shown_texts(editor))
    editor.name_edit.setText("Mastodon (Lucía Peña)")
    save(qtbot, editor)
    qtbot.waitUntil(lambda: dialog.accounts()[0].name == "Mastodon (Lucía Peña)")
    assert core.secrets.get(account.id, "access_token") == SECRETO  # kept


def test_verify_shows_the_handle_or_the_servers_error(
    window, core, qtbot, mastodon, secrets_cleaned
):
    good = core.add_account("mastodon", name="Lucía", api_base=mastodon.url, secret=SECRETO)
    core.add_account("mastodon", name="Token caducado", api_base=mastodon.url,
                     secret="tok-caducado-ñ")
    core.add_account("bluesky", name="Bluesky sin contraseña")
    dialog = open_dialog(window, qtbot)
    qtbot.waitUntil(lambda: dialog.states_loaded)
    assert dialog.state_text(row_of(dialog, "Bluesky sin contraseña")) == "no token"
    assert dialog.state_text(row_of(dialog, "Lucía")) == ""

    select(dialog, "Lucía")
    click(qtbot, dialog.verify_button)
    qtbot.waitUntil(lambda: dialog.verify_text() != "")
    assert dialog.verify_text() == "Signed in as @lucía"
    assert core.secrets.get(good.id, "access_token") == SECRETO

    select(dialog, "Token caducado")
    click(qtbot, dialog.verify_button)
    qtbot.waitUntil(lambda: dialog.verify_text().startswith("The access token"))
    assert dialog.verify_text() == "The access token is invalid"
    assert "tok-caducado" not in dialog.verify_text()


def test_reconnect_needed_shows_and_verify_clears_it(
    window, core, qtbot, mastodon, secrets_cleaned
):
    account = core.add_account("mastodon", name="Lucía", api_base=mastodon.url,
                               secret=SECRETO)
    core.publisher.set_account_state(account.id, ACCOUNT_RECONNECT)
    dialog = open_dialog(window, qtbot)
    qtbot.waitUntil(lambda: dialog.states_loaded)
    assert dialog.state_text(0) == "reconnect needed"
    assert "new one" in dialog.list.item(0).toolTip()
    assert not dialog.list.item(0).icon().isNull()

    click(qtbot, dialog.verify_button)
    qtbot.waitUntil(lambda: dialog.verify_text() == "Signed in as @lucía")
    qtbot.waitUntil(lambda: dialog.states_loaded and dialog.state_text(0) == "")
    assert not core.account_needs_reconnect(account.id)
    assert dialog.list.item(0).icon().isNull()


def test_no_keyring_says_what_to_install_and_keeps_the_profile(
    window, core, qtbot, no_keyring
):
    core.add_account("linkedin", name="LinkedIn de Íñigo")
    dialog = open_dialog(window, qtbot)
    qtbot.waitUntil(lambda: dialog.states_loaded)
    assert dialog.state_text(0) == "keyring unavailable"

    editor = open_editor(dialog, qtbot)
    editor.name_edit.setText("Mastodon de Lucía")
    editor.secret_edit.insert(SECRETO)  # QTest.keyClicks types ASCII only
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: editor.status.error_text() != "")
    assert NO_KEYRING in editor.status.error_text()
    assert "apt install gnome-keyring" in editor.status.error_text()
    assert editor.isVisible() and editor.save_button.text() == "&Save"
    assert not any(SECRETO in t for t in shown_texts(editor) if t != editor.secret_edit.text())
    account = core.get_account("Mastodon de Lucía")  # the profile was saved
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 2)
    editor.reject()

    # Nothing was written anywhere: the real keyring (asked directly, without making it the
    # global one, which a background lookup could pick up meanwhile) has no secret either.
    service = service_name(core.data_dir)
    assert all(
        no_keyring.get_password(service, f"{account.id}/{kind}") is None for kind in KINDS
    )

    # Remove: the core refuses (it cannot delete the secret); "Remove anyway" removes it.
    select(dialog, "Mastodon de Lucía")
    box = dialog.remove_account()
    click(qtbot, next(b for b in box.buttons() if b.text() == "&Remove"))
    qtbot.waitUntil(lambda: dialog.confirm_box is not None)
    refusal = dialog.confirm_box
    assert refusal.text() == NO_KEYRING
    assert len(core.list_accounts()) == 2
    anyway = next(b for b in refusal.buttons()
                  if b.text() == "Remove anyway (leave the secret in the keyring)")
    assert refusal.defaultButton() is refusal.button(QMessageBox.StandardButton.Cancel)
    click(qtbot, anyway)
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 1)
    assert [a.name for a in core.list_accounts()] == ["LinkedIn de Íñigo"]


# ---- "Sign in…": the browser sign-in from the editor ------------------------------------------


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_x_sign_in_stores_tokens_and_clears_reconnect(window, core, qtbot, secrets_cleaned):
    with XServer() as srv:
        account = core.add_account("x", name="Lucía en X", api_base=srv.url)
        core.publisher.set_account_state(account.id, ACCOUNT_RECONNECT)
        dialog = open_dialog(window, qtbot)
        qtbot.waitUntil(lambda: dialog.states_loaded)
        assert dialog.state_text(0) == "reconnect needed"
        editor = open_editor(dialog, qtbot, account)
        qtbot.waitUntil(lambda: editor.secret_looked_up)
        assert "refused the sign-in" in editor.warning_text()
        assert editor.client_id_edit.text() == ""  # nothing remembered yet
        editor.client_id_edit.setText(CLIENT_ID)
        port = closed_port()
        editor.port_edit.setText(str(port))
        assert f"http://127.0.0.1:{port}/callback" in editor.callback_note.text()
        results: dict = {}
        editor.opener.open_url = browser(results)
        click(qtbot, editor.sign_in_button)
        assert editor.signing_in and not editor.save_button.isEnabled()
        qtbot.waitUntil(lambda: not editor.signing_in, timeout=15_000)
        assert editor.sign_in_text() == "Signed in as @lucia_garcia: ready to post."
        assert results["url"].startswith(srv.url + "/i/oauth2/authorize?")
        assert f"redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Fcallback" in results["url"]
        assert editor.warning_text() == "" and editor.handle_edit.text() == "lucia_garcia"

        access = core.secrets.get(account.id, "access_token")
        assert access and srv.valid_token(access)
        session = json.loads(core.secrets.get(account.id, "session") or "{}")
        assert session["client_id"] == CLIENT_ID
        assert not core.account_needs_reconnect(account.id)
        assert core.get_account(account.id).handle == "lucia_garcia"
        qtbot.waitUntil(lambda: dialog.states_loaded and dialog.state_text(0) == "")
        assert dialog.list.item(0).text() == "Lucía en X — X · lucia_garcia"
        assert not any(access in t for t in shown_texts(editor) + shown_texts(dialog))
        save(qtbot, editor)  # a later Save keeps the tokens (no typed token replaces them)
        assert core.secrets.get(account.id, "access_token") == access

        # The client id is remembered with the session, shown when the editor opens again.
        editor = open_editor(dialog, qtbot, core.get_account(account.id))
        qtbot.waitUntil(lambda: editor.client_id_edit.text() == CLIENT_ID)
        editor.reject()


def test_cancel_stops_the_waiting_sign_in_within_a_second(window, core, qtbot, secrets_cleaned):
    with XServer() as srv:
        account = core.add_account("x", name="X de Íñigo", api_base=srv.url)
        dialog = open_dialog(window, qtbot)
        editor = open_editor(dialog, qtbot, account)
        editor.client_id_edit.setText(CLIENT_ID)
        editor.client_secret_edit.insert("secreto-de-la-app-ñ")
        port = closed_port()
        editor.port_edit.setText(str(port))
        opened: list[str] = []
        editor.opener.open_url = lambda url: opened.append(url) or True  # nobody signs in
        click(qtbot, editor.sign_in_button)
        qtbot.waitUntil(lambda: editor.sign_in_text() == "Waiting for the browser…")
        qtbot.waitUntil(lambda: editor.sign_in_url.isVisibleTo(editor))
        assert editor.sign_in_url.text() == opened[0]
        assert editor.cancel_sign_in_button.isVisibleTo(editor)
        assert not port_is_free(port)  # the listener waits

        started = time.monotonic()
        click(qtbot, editor.cancel_sign_in_button)
        qtbot.waitUntil(lambda: not editor.signing_in, timeout=1000)
        assert time.monotonic() - started < 1.0
        assert editor.sign_in_text() == "Sign-in cancelled."
        assert not editor.cancel_sign_in_button.isVisibleTo(editor)
        assert port_is_free(port)  # the listener is gone
        assert core.secrets.kinds(account.id) == []  # not even the client secret
        assert srv.token_requests == []
        assert editor.sign_in_button.isEnabled() and editor.save_button.isEnabled()
        editor.reject()


def test_closing_the_dialogs_while_waiting_cancels(window, core, qtbot, secrets_cleaned):
    with MastodonServer() as srv:
        dialog = open_dialog(window, qtbot)
        editor = open_editor(dialog, qtbot)  # a new account: Sign in… saves it first
        editor.name_edit.setText("Mastodon de Lucía")
        editor.server_edit.setText(srv.url)
        editor.opener.open_url = lambda url: True  # nobody signs in
        click(qtbot, editor.sign_in_button)
        qtbot.waitUntil(lambda: editor.sign_in_url.isVisibleTo(editor), timeout=10_000)
        account = core.get_account("Mastodon de Lucía")  # saved before the browser opened
        editor.reject()  # closing the editor
        qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=1500)
        assert core.secrets.kinds(account.id) == []

        editor = open_editor(dialog, qtbot, account)
        editor.opener.open_url = lambda url: True
        click(qtbot, editor.sign_in_button)
        qtbot.waitUntil(lambda: editor.sign_in_url.isVisibleTo(editor), timeout=10_000)
        dialog.reject()  # closing the Accounts dialog with the editor open
        qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=1500)
        assert core.secrets.kinds(account.id) == [] and srv.token_requests == []


def test_mastodon_sign_in_for_a_new_account(window, core, qtbot, secrets_cleaned):
    with MastodonServer() as srv:
        dialog = open_dialog(window, qtbot)
        editor = open_editor(dialog, qtbot)
        assert not editor.sign_in_form.isRowVisible(editor.client_id_edit)
        editor.name_edit.setText("Mastodon de Lucía")
        editor.server_edit.setText(srv.url)
        editor.language_edit.setText("es")
        editor.opener.open_url = browser({})
        click(qtbot, editor.sign_in_button)
        qtbot.waitUntil(lambda: not editor.signing_in, timeout=15_000)
        assert editor.sign_in_text() == "Signed in as @lucia: ready to post."
        assert editor.windowTitle() == "Edit account" and editor.save_button.text() == "&Save"
        account = core.get_account("Mastodon de Lucía")
        assert account.handle == "lucia" and account.language == "es"
        assert core.secrets.get(account.id, "access_token")
        # The list reloads twice (profile saved, then signed in): the last one says "ready".
        qtbot.waitUntil(lambda: len(dialog.accounts()) == 1 and dialog.states_loaded
                        and dialog.state_text(0) == "" and dialog.accounts()[0].handle == "lucia")
        save(qtbot, editor)  # Save now edits that account: no second one
        assert [a.name for a in core.list_accounts()] == ["Mastodon de Lucía"]


def test_sign_in_failure_is_one_sentence_and_stores_nothing(window, core, qtbot,
                                                             secrets_cleaned):
    with XServer() as srv:
        srv.deny_next()
        account = core.add_account("x", name="X", api_base=srv.url)
        dialog = open_dialog(window, qtbot)
        editor = open_editor(dialog, qtbot, account)
        editor.client_id_edit.setText(CLIENT_ID)
        editor.port_edit.setText(str(closed_port()))
        editor.opener.open_url = browser({})
        click(qtbot, editor.sign_in_button)
        qtbot.waitUntil(lambda: not editor.signing_in, timeout=15_000)
        assert editor.sign_in_text() == ("The sign-in was declined on the network's page, so "
                                         "the account was not connected.")
        assert editor.sign_in_note.styleSheet() != ""  # shown as an error
        assert core.secrets.kinds(account.id) == []
        editor.reject()


def test_linkedin_sign_in_remembers_the_app_and_expiry_shows(
    window, core, qtbot, secrets_cleaned, monkeypatch
):
    with LinkedInServer() as api:
        auth = _LinkedInOAuth(api, "77abc", "secreto-de-la-app")
        try:
            monkeypatch.setenv("CURATOR_LINKEDIN_AUTHORIZE_URL",
                               auth.url + "/oauth/v2/authorization")
            monkeypatch.setenv("CURATOR_LINKEDIN_TOKEN_URL", auth.url + "/oauth/v2/accessToken")
            account = core.add_account("linkedin", name="Lucía en LinkedIn", api_base=api.url)
            dialog = open_dialog(window, qtbot)
            editor = open_editor(dialog, qtbot, account)
            editor.client_id_edit.setText("77abc")
            editor.client_secret_edit.insert("secreto-de-la-app")
            editor.port_edit.setText(str(closed_port()))
            editor.opener.open_url = browser({})
            click(qtbot, editor.sign_in_button)
            qtbot.waitUntil(lambda: not editor.signing_in, timeout=15_000)
            assert editor.sign_in_text() == "Signed in as @lucia@ejemplo.es: ready to post."
            assert core.secrets.get(account.id, "client_secret") == "secreto-de-la-app"
            assert editor.client_secret_edit.text() == ""
            assert editor.client_secret_edit.placeholderText() == (
                "A client secret is stored in your system keyring")
            assert not any("secreto-de-la-app" in t for t in shown_texts(editor))
            editor.reject()
        finally:
            auth.stop()

    # LinkedIn's 60-day token: a week before, the list and the editor say so.
    now = core.now()
    save_token(core.secrets, account.id, "AQV-casi-caducado", expires_in=3 * 86400, now=now)
    expired = core.add_account("linkedin", name="LinkedIn caducado")
    save_token(core.secrets, expired.id, "AQV-caducado", expires_in=-3600, now=now)
    dialog.reload()
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 2 and dialog.states_loaded)
    row = row_of(dialog, "Lucía en LinkedIn")
    assert dialog.state_text(row) == "sign-in expires soon"
    day = datetime.fromtimestamp(now.timestamp() + 3 * 86400, UTC).strftime("%Y-%m-%d")
    assert dialog.list.item(row).toolTip() == (
        f"Your LinkedIn sign-in expires on {day}: reconnect within a week. "
        "Edit, then Sign in…, connects it again.")
    assert not dialog.list.item(row).icon().isNull()
    assert dialog.state_text(row_of(dialog, "LinkedIn caducado")) == "sign-in expired"
    editor = open_editor(dialog, qtbot, core.get_account(account.id))
    qtbot.waitUntil(lambda: editor.warning_text() != "" and editor.secret_looked_up)
    assert editor.warning_text().startswith(f"Your LinkedIn sign-in expires on {day}")
    assert editor.client_id_edit.text() == "77abc"  # remembered
    editor.reject()


def test_a_pasted_token_clears_reconnect_needed(window, core, qtbot, mastodon, secrets_cleaned):
    account = core.add_account("mastodon", name="Lucía", api_base=mastodon.url,
                               secret="tok-viejo")
    core.publisher.set_account_state(account.id, ACCOUNT_RECONNECT)
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot, account)
    editor.secret_edit.insert(SECRETO)
    save(qtbot, editor)
    qtbot.waitUntil(lambda: dialog.states_loaded and dialog.state_text(0) == "")
    assert not core.account_needs_reconnect(account.id)
    assert core.secrets.get(account.id, "access_token") == SECRETO
