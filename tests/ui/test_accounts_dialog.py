"""The Accounts dialog: posting profiles with limit, disclaimer, UTM tags, hashtags, template."""

import json
import socket

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from curator.types import Network
from ui.accounts import AccountEditDialog, AccountsDialog

DISCLAIMER = "Las opiniones son mías; no constituyen asesoramiento financiero."


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_dialog(window, qtbot) -> AccountsDialog:
    window.post_actions.accounts_action.trigger()
    dialog = window.post_actions.accounts_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.loaded)
    return dialog


def open_editor(dialog, qtbot, account=None) -> AccountEditDialog:
    if account is not None:
        select(dialog, account.name)
    editor = dialog.edit_account() if account is not None else dialog.add_account()
    qtbot.waitUntil(lambda: editor.isVisible() and editor.templates_loaded)
    return editor


def select(dialog, name):
    for i in range(dialog.list.count()):
        if dialog.list.item(i).data(Qt.ItemDataRole.UserRole).name == name:
            dialog.list.setCurrentRow(i)
            return
    raise AssertionError(f"no account {name!r}")


def save(qtbot, editor):
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: not shiboken6.isValid(editor) or not editor.isVisible())


def set_network(editor, network):
    editor.network_combo.setCurrentIndex(editor.network_combo.findData(network))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_instance(feed_server, limit=1000) -> str:
    """A Mastodon instance's API on the local server; returns the instance's address."""
    body = json.dumps({"configuration": {"statuses": {"max_characters": limit}}})
    feed_server.add("/api/v2/instance", body, content_type="application/json")
    return feed_server.base_url


def test_add_mastodon_account_with_everything(window, core, feed_server, qtbot):
    template = core.add_template("Para CFOs", "{commentary}\n\n{title} — {url}", segment="CFOs")
    instance = serve_instance(feed_server, 1000)
    dialog = open_dialog(window, qtbot)
    assert dialog.accounts() == [] and dialog.empty_label.isVisibleTo(dialog)
    editor = open_editor(dialog, qtbot)
    assert editor.network() == Network.MASTODON
    assert editor.server_label.text() == "&Instance:"
    assert editor.limit_edit.placeholderText() == "500 (default)"

    editor.name_edit.setText("Mastodon personal")
    qtbot.keyClicks(editor.handle_edit, "@ana@mastodon.example")
    qtbot.keyClicks(editor.server_edit, instance)
    click(qtbot, editor.read_limit_button)
    qtbot.waitUntil(lambda: editor.limit_edit.text() == "1000")
    assert editor.limit_text() == "The server allows 1000 characters."

    editor.disclaimer_edit.setPlainText(DISCLAIMER)
    editor.mandatory_check.setChecked(True)
    qtbot.keyClicks(editor.utm_source_edit, "mastodon")
    qtbot.keyClicks(editor.utm_medium_edit, "social")
    qtbot.keyClicks(editor.utm_campaign_edit, "{source}-semanal")
    # The example follows the fields: existing query and #fragment kept, tags added once.
    assert editor.example_text() == (
        "https://example.com/artículo?ref=rss#top\n→ https://example.com/artículo?ref=rss"
        "&utm_source=mastodon&utm_medium=social&utm_campaign=el-pa%C3%ADs-semanal#top"
    )
    editor.skip_edit.setPlainText("intranet.empresa.es, café.es\nstaging.empresa.es")
    editor.hashtags_edit.setText("finanzas, #innovación  ")
    editor.hashtags_edit.editingFinished.emit()
    assert editor.hashtags_edit.text() == "#finanzas #innovación"
    editor.template_combo.setCurrentIndex(editor.template_combo.findData(template.id))
    assert editor.template_combo.currentText() == "CFOs: Para CFOs"

    save(qtbot, editor)
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 1)
    account = core.get_account("Mastodon personal")
    assert account.network == Network.MASTODON
    assert account.handle == "@ana@mastodon.example"
    assert account.api_base == instance
    assert account.char_limit == 1000
    assert account.disclaimer == DISCLAIMER and account.disclaimer_mandatory
    assert (account.utm_source, account.utm_medium, account.utm_campaign) == (
        "mastodon",
        "social",
        "{source}-semanal",
    )
    assert account.utm_skip_domains == ["intranet.empresa.es", "café.es", "staging.empresa.es"]
    assert account.hashtags == ["finanzas", "innovación"]
    assert account.default_template_id == template.id
    assert dialog.list.item(0).text() == "Mastodon personal — Mastodon · @ana@mastodon.example"
    assert not dialog.empty_label.isVisibleTo(dialog)


def test_limit_read_failure_is_shown_and_nothing_is_guessed(window, core, feed_server, qtbot):
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    click(qtbot, editor.read_limit_button)  # no instance typed yet
    qtbot.waitUntil(lambda: "address first" in editor.limit_text())

    editor.server_edit.setText(f"http://127.0.0.1:{closed_port()}")
    click(qtbot, editor.read_limit_button)
    qtbot.waitUntil(lambda: "Could not read the limit" in editor.limit_text())
    assert "cannot be reached" in editor.limit_text()
    assert editor.limit_edit.text() == ""  # not a made-up 500

    feed_server.add("/api/v2/instance", "no", status=404, content_type="text/plain")
    feed_server.add("/api/v1/instance", "no", status=404, content_type="text/plain")
    editor.server_edit.setText(feed_server.base_url)
    click(qtbot, editor.read_limit_button)
    qtbot.waitUntil(lambda: "HTTP status 404" in editor.limit_text())
    assert editor.limit_edit.text() == ""
    editor.reject()


def test_the_form_follows_the_network(window, qtbot):
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    set_network(editor, Network.BLUESKY)
    assert editor.server_label.text() == "&Service (PDS):"
    assert editor.read_limit_button.isHidden()
    assert editor.limit_edit.placeholderText() == "300 (default)"
    set_network(editor, Network.LINKEDIN)
    assert editor.server_label.text() == "&API base URL:"
    assert editor.limit_edit.placeholderText() == "3000 (default)"
    set_network(editor, Network.WEBHOOK)
    assert editor.limit_edit.placeholderText() == "No limit"
    set_network(editor, Network.MASTODON)
    assert not editor.read_limit_button.isHidden()
    editor.reject()


def test_skipped_domain_shows_in_the_example(window, qtbot):
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    assert "unchanged: no UTM tags set" in editor.example_text()
    editor.utm_source_edit.setText("linkedin")
    assert editor.example_text().endswith("?ref=rss&utm_source=linkedin#top")
    editor.skip_edit.setPlainText("Example.com")
    assert "unchanged: its domain gets no UTM tags" in editor.example_text()
    editor.reject()


def test_bad_campaign_placeholder_blocks_save(window, core, qtbot):
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    editor.name_edit.setText("Campaña de otoño")
    assert editor.save_button.isEnabled()
    qtbot.keyClicks(editor.utm_campaign_edit, "{fuente}-semanal")
    problem = editor.utm_problem()
    assert "{fuente}" in problem and "did you mean {source}?" in problem
    assert "fix the campaign first" in editor.example_text()
    assert not editor.save_button.isEnabled()
    editor.save()
    qtbot.wait(50)
    assert editor.isVisible() and core.list_accounts() == []

    editor.utm_campaign_edit.setText("{source}-semanal")
    assert editor.utm_problem() == ""
    assert editor.save_button.isEnabled()
    editor.reject()


def test_core_refusals_show_inline(window, core, qtbot):
    core.add_account("x", name="Ana en X")
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    editor.name_edit.setText("Ana en X")
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: editor.status.error_text() != "")
    assert "already an account named 'Ana en X'" in editor.status.error_text()
    assert editor.isVisible() and editor.save_button.isEnabled()

    editor.name_edit.setText("Bluesky de Ana")
    set_network(editor, Network.BLUESKY)
    editor.server_edit.setText("ftp://pds.ejemplo.es")
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: "must be an http(s) URL" in editor.status.error_text())
    assert [a.name for a in core.list_accounts()] == ["Ana en X"]
    editor.reject()


def test_edit_shows_and_changes_the_account(window, core, qtbot):
    template = core.add_template("Ingeniería", "{title} {url}", segment="Ingenieros")
    core.add_account(
        "bluesky",
        name="Bluesky de Ana",
        handle="ana.bsky.social",
        char_limit=290,
        disclaimer=DISCLAIMER,
        disclaimer_mandatory=True,
        utm_source="bluesky",
        utm_skip_domains=["empresa.es"],
        hashtags=["ciberseguridad"],
        default_template_id=template.id,
    )
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot, core.get_account("Bluesky de Ana"))
    assert editor.network() == Network.BLUESKY
    assert editor.handle_edit.text() == "ana.bsky.social"
    assert editor.limit_edit.text() == "290"
    assert editor.disclaimer_edit.toPlainText() == DISCLAIMER
    assert editor.mandatory_check.isChecked()
    assert editor.skip_edit.toPlainText() == "empresa.es"
    assert editor.hashtags_edit.text() == "#ciberseguridad"
    assert editor.template_combo.currentData() == template.id

    editor.limit_edit.clear()  # back to the network's own
    editor.mandatory_check.setChecked(False)
    editor.template_combo.setCurrentIndex(0)  # None
    editor.name_edit.setText("Bluesky (Ana Núñez)")
    save(qtbot, editor)
    qtbot.waitUntil(lambda: dialog.accounts()[0].name == "Bluesky (Ana Núñez)")
    account = core.get_account("Bluesky (Ana Núñez)")
    assert account.char_limit is None
    assert not account.disclaimer_mandatory and account.disclaimer == DISCLAIMER
    assert account.default_template_id is None
    assert account.hashtags == ["ciberseguridad"] and account.utm_source == "bluesky"


def test_remove_asks_first(window, core, qtbot):
    core.add_account("mastodon", name="Mastodon personal")
    core.add_account("linkedin", name="LinkedIn de Ana")
    dialog = open_dialog(window, qtbot)
    select(dialog, "Mastodon personal")
    box = dialog.remove_account()
    assert "“Mastodon personal”" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(50)
    assert len(core.list_accounts()) == 2

    select(dialog, "Mastodon personal")
    box = dialog.remove_account()
    click(qtbot, next(b for b in box.buttons() if b.text() == "&Remove"))
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 1)
    assert [a.name for a in core.list_accounts()] == ["LinkedIn de Ana"]


# ---- network options -------------------------------------------------------------------------


def test_network_options_round_trip(window, core, qtbot):
    from curator.connectors.linkedin import DEFAULT_LINKEDIN_VERSION

    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    form = editor.profile_form
    assert form.isRowVisible(editor.language_edit) and form.isRowVisible(editor.visibility_combo)
    assert not form.isRowVisible(editor.api_version_edit)
    assert [editor.visibility_combo.itemData(i) for i in range(4)] == [
        "public", "unlisted", "private", "direct"]
    assert editor.visibility_combo.itemText(2) == "Followers only"
    editor.name_edit.setText("Mastodon en español")
    editor.language_edit.setText("es")
    editor.visibility_combo.setCurrentIndex(editor.visibility_combo.findData("unlisted"))
    click(qtbot, editor.server_schedule_check)
    save(qtbot, editor)
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 1)
    account = core.get_account("Mastodon en español")
    assert (account.language, account.visibility, account.server_schedule) == (
        "es", "unlisted", True)

    editor = open_editor(dialog, qtbot, account)
    assert editor.language_edit.text() == "es"
    assert editor.visibility_combo.currentData() == "unlisted"
    assert editor.server_schedule_check.isChecked()
    editor.language_edit.setText("pt-BR")
    editor.server_schedule_check.setChecked(False)
    save(qtbot, editor)
    qtbot.waitUntil(lambda: core.get_account(account.id).language == "pt-BR")
    assert not core.get_account(account.id).server_schedule

    editor = open_editor(dialog, qtbot)
    set_network(editor, Network.LINKEDIN)
    assert form is not editor.profile_form
    assert editor.profile_form.isRowVisible(editor.api_version_edit)
    assert not editor.profile_form.isRowVisible(editor.language_edit)
    assert not editor.profile_form.isRowVisible(editor.server_schedule_check)
    assert editor.api_version_edit.placeholderText() == f"{DEFAULT_LINKEDIN_VERSION} (default)"
    editor.name_edit.setText("LinkedIn de Lucía")
    editor.api_version_edit.setText("202601")
    save(qtbot, editor)
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 2)
    linkedin = core.get_account("LinkedIn de Lucía")
    assert linkedin.api_version == "202601"
    editor = open_editor(dialog, qtbot, linkedin)
    assert editor.api_version_edit.text() == "202601"
    editor.api_version_edit.clear()  # back to Curator's own
    save(qtbot, editor)
    qtbot.waitUntil(lambda: core.get_account(linkedin.id).api_version is None)

    editor = open_editor(dialog, qtbot)
    set_network(editor, Network.BLUESKY)
    assert editor.profile_form.isRowVisible(editor.language_edit)
    assert not editor.profile_form.isRowVisible(editor.visibility_combo)
    editor.name_edit.setText("Bluesky de Lucía")
    editor.language_edit.setText("es")
    save(qtbot, editor)
    qtbot.waitUntil(lambda: len(dialog.accounts()) == 3)
    assert core.get_account("Bluesky de Lucía").language == "es"


def test_bad_language_tag_and_api_version_show_the_cores_error(window, core, qtbot):
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    editor.name_edit.setText("Mastodon de Íñigo")
    editor.language_edit.setText("español")
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: editor.status.error_text() != "")
    assert editor.status.error_text() == (
        "'español' is not a language tag: use one like es, en or pt-BR.")
    assert editor.isVisible() and core.list_accounts() == []

    editor.language_edit.setText("es")
    set_network(editor, Network.LINKEDIN)
    editor.api_version_edit.setText("2026-07")
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: "not a LinkedIn API version" in editor.status.error_text())
    assert core.list_accounts() == []
    editor.api_version_edit.setText("202607")
    save(qtbot, editor)
    assert core.get_account("Mastodon de Íñigo").api_version == "202607"


# ---- signing in through the browser (what needs no keyring) --------------------------------


def test_sign_in_section_follows_the_network(window, qtbot):
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    form = editor.sign_in_form
    assert editor.sign_in_box.isVisibleTo(editor)  # Mastodon
    assert not form.isRowVisible(editor.client_id_edit)
    assert "registers itself on your instance" in editor.callback_note.text()
    set_network(editor, Network.X)
    assert form.isRowVisible(editor.client_id_edit) and form.isRowVisible(editor.port_edit)
    assert editor.port_edit.text() == "8421"
    assert editor.callback_note.text() == (
        "Register http://127.0.0.1:8421/callback as the callback (redirect) URL of your app.")
    editor.port_edit.setText("9876")
    assert "http://127.0.0.1:9876/callback" in editor.callback_note.text()
    assert editor.client_secret_edit.echoMode() == editor.client_secret_edit.EchoMode.Password
    assert "Optional" in editor.client_secret_edit.placeholderText()
    set_network(editor, Network.LINKEDIN)
    assert "Required" in editor.client_secret_edit.placeholderText()
    assert "LinkedIn developer portal" in editor.client_id_edit.placeholderText()
    for network in (Network.BLUESKY, Network.WEBHOOK):
        set_network(editor, network)
        assert not editor.sign_in_box.isVisibleTo(editor)
    editor.reject()


def test_sign_in_says_what_is_missing_before_anything_starts(window, core, qtbot):
    dialog = open_dialog(window, qtbot)
    editor = open_editor(dialog, qtbot)
    editor.name_edit.setText("Mastodon de Ana")
    click(qtbot, editor.sign_in_button)
    assert editor.sign_in_text() == "Type the instance’s address first, e.g. mastodon.social."
    set_network(editor, Network.X)
    click(qtbot, editor.sign_in_button)
    assert "client id first" in editor.sign_in_text()
    set_network(editor, Network.LINKEDIN)
    editor.client_id_edit.setText("77abc")
    click(qtbot, editor.sign_in_button)
    assert "client secret first" in editor.sign_in_text()
    assert not editor.signing_in and core.list_accounts() == []  # nothing saved either
    editor.reject()


def test_reconnect_needed_shows_in_list_and_editor_and_once_at_start(window, core, qtbot):
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from curator._publishing import ACCOUNT_RECONNECT
    from ui.accounts import ACCOUNTS_LINK

    core.add_account("bluesky", name="Bluesky tranquilo")
    account = core.add_account("mastodon", name="Mastodon de Lucía",
                               api_base="https://mastodon.example")
    core.publisher.set_account_state(account.id, ACCOUNT_RECONNECT)

    notifier = window.publishing.notifier
    notifier.tray_available = lambda: False  # the window's banner, as offscreen anyway
    window.post_actions.warn_about_accounts(notifier)
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    note = notifier.shown[0]
    assert note.title == "An account needs you" and note.failed
    assert note.text == ("Mastodon refused the sign-in of Mastodon de Lucía: reconnect the "
                         "account (its queued posts wait).")
    assert note.link == ACCOUNTS_LINK
    assert "Mastodon de Lucía" in notifier.banner.text()
    assert "Open Accounts…" in notifier.banner.text() and "curator:accounts</a>" not in \
        notifier.banner.text()
    # Its link opens the Accounts dialog.
    assert window.post_actions.accounts_dialog is None
    QDesktopServices.openUrl(QUrl(ACCOUNTS_LINK))
    dialog = window.post_actions.accounts_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.loaded and dialog.states_loaded)

    row = next(i for i, a in enumerate(dialog.accounts()) if a.name == "Mastodon de Lucía")
    assert dialog.state_text(row) == "reconnect needed"
    assert not dialog.list.item(row).icon().isNull()
    assert "sign in again" in dialog.list.item(row).toolTip()
    editor = open_editor(dialog, qtbot, account)
    qtbot.waitUntil(lambda: editor.warning_text() != "")
    assert editor.warning_text() == (
        "Mastodon refused the sign-in of Mastodon de Lucía: reconnect the account (its "
        "queued posts wait). Sign in… below connects it again.")
    editor.reject()

    # Nothing to say: no notice at all.
    core.mark_account_reconnected(account.id)
    window.post_actions.warn_about_accounts(notifier)
    qtbot.wait(300)
    assert len(notifier.shown) == 1
