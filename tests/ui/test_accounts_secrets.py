"""The Accounts dialog's secrets: typed into a password field, stored in the REAL OS keyring
(the private Secret Service scripts/test.sh starts), never shown; Verify against a local
Mastodon server; "reconnect needed"; no keyring at all (keyring's own "fail" backend)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.backends.fail
import pytest
from mastodonserver import MastodonServer
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QMessageBox, QWidget
from test_accounts_dialog import click, open_dialog, open_editor, save, select, set_network

from curator._publishing import ACCOUNT_RECONNECT
from curator.secrets import KINDS, NO_KEYRING, service_name
from curator.types import Network

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
