"""The drafts list: empty state, open, duplicate, delete with undo, the File menu's actions."""

import pytest

from ui import drafts as drafts_module
from ui.composer import ComposerWindow, open_composers
from ui.drafts import DraftsDialog, show_drafts


@pytest.fixture
def account(core):
    return core.add_account("mastodon", name="Ana en Mastodon", api_base="mastodon.social")


def shown(qtbot, window) -> DraftsDialog:
    dialog = show_drafts(window)
    qtbot.waitUntil(lambda: dialog.loaded)
    return dialog


def texts(dialog):
    return [dialog.tree.topLevelItem(i).text(DraftsDialog.TEXT)
            for i in range(dialog.tree.topLevelItemCount())]


def test_no_drafts_says_how_to_start_one(qtbot, window, core):
    dialog = shown(qtbot, window)
    assert dialog.empty_label.isVisibleTo(dialog)
    assert not dialog.tree.isVisibleTo(dialog)
    assert "New post" in dialog.empty_label.text()
    assert not dialog.open_button.isEnabled()
    dialog.close()


def test_the_list_shows_text_item_accounts(qtbot, window, core, account):
    item = core.list_items(limit=50).items[0]
    about = core.new_draft(item_id=item.id, text="\n  Señales débiles, ¿verdad?\nSegunda línea")
    core.add_variant(about.id, account.id)
    core.new_draft(text="Borrador en blanco: ñandú")
    dialog = shown(qtbot, window)
    assert texts(dialog) == ["Borrador en blanco: ñandú", "Señales débiles, ¿verdad?"]
    row = dialog.tree.topLevelItem(1)
    assert row.text(DraftsDialog.ITEM) == item.title
    assert row.text(DraftsDialog.ACCOUNTS) == "Ana en Mastodon"
    assert row.text(DraftsDialog.UPDATED)
    assert dialog.empty_label.isHidden()
    dialog.close()


def test_open_a_draft_in_the_composer(qtbot, window, core, account):
    draft = core.new_draft(text="Ábreme")
    dialog = shown(qtbot, window)
    dialog.tree.setCurrentItem(dialog.tree.topLevelItem(0))
    dialog.open_button.click()
    (composer,) = open_composers(window)
    qtbot.waitUntil(lambda: composer.draft is not None)
    assert composer.draft_id == draft.id
    assert composer.main_text() == "Ábreme"
    dialog.open_button.click()  # the same draft: the same window
    assert open_composers(window) == [composer]
    composer.close()
    dialog.close()


def test_typing_in_a_composer_updates_the_list(qtbot, window, core, account):
    dialog = shown(qtbot, window)
    window.new_post_action.trigger()
    (composer,) = open_composers(window)
    qtbot.waitUntil(lambda: composer.draft is not None)
    composer.main_edit.insertPlainText("Nuevo desde el menú, ¡sí!")
    qtbot.waitUntil(lambda: texts(dialog) == ["Nuevo desde el menú, ¡sí!"])
    composer.close()
    dialog.close()


def test_duplicate(qtbot, window, core, account):
    draft = core.new_draft(text="Original con acentos: canción")
    core.add_variant(draft.id, account.id, text="Solo Mastodon")
    dialog = shown(qtbot, window)
    dialog.duplicate_button.click()
    qtbot.waitUntil(lambda: len(texts(dialog)) == 2)
    copy_id = dialog.current_id()
    assert copy_id != draft.id
    copy = core.get_draft(copy_id)
    assert copy.text == draft.text
    assert [(v.account_id, v.text) for v in copy.variants] == [(account.id, "Solo Mastodon")]
    dialog.close()


def test_delete_then_undo(qtbot, window, core, account):
    keep = core.new_draft(text="Se queda")
    gone = core.new_draft(text="Me borran, pero vuelvo")
    dialog = shown(qtbot, window)
    assert dialog.current_id() == gone.id
    dialog.delete_button.click()
    qtbot.waitUntil(lambda: texts(dialog) == ["Se queda"])
    assert core.get_draft(gone.id).deleted_at is not None
    assert "Me borran, pero vuelvo" in dialog.message.text()
    assert dialog.undo_button.isVisibleTo(dialog)
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: len(texts(dialog)) == 2)
    assert core.get_draft(gone.id).deleted_at is None
    assert dialog.current_id() == gone.id
    assert not dialog.undo_button.isVisibleTo(dialog)
    assert {d.id for d in core.list_drafts()} == {keep.id, gone.id}
    dialog.close()


def test_undo_is_offered_for_a_minute(qtbot, window, core, monkeypatch):
    monkeypatch.setattr(drafts_module, "UNDO_SECONDS", 0.2)
    core.new_draft(text="Efímero")
    dialog = shown(qtbot, window)
    dialog.delete_button.click()
    qtbot.waitUntil(lambda: dialog.undo_button.isVisibleTo(dialog))
    qtbot.waitUntil(lambda: not dialog.undo_button.isVisibleTo(dialog), timeout=3000)
    assert dialog.deleted is None
    assert core.list_drafts() == []
    dialog.close()


def test_deleting_an_open_draft_closes_its_composer_after_saving(qtbot, window, core):
    draft = core.new_draft(text="")
    dialog = shown(qtbot, window)
    dialog.open_button.click()
    (composer,) = open_composers(window)
    qtbot.waitUntil(lambda: composer.draft is not None)
    composer.main_edit.insertPlainText("Lo último que escribí")
    dialog.delete_button.click()
    qtbot.waitUntil(lambda: texts(dialog) == [])
    assert open_composers(window) == []
    qtbot.waitUntil(lambda: core.get_draft(draft.id).text == "Lo último que escribí")
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: texts(dialog) == ["Lo último que escribí"])
    dialog.close()


def test_file_menu_has_new_post_and_drafts(qtbot, window):
    assert window.new_post_action.shortcut().toString() == "Ctrl+Shift+N"
    file_menu = window.menuBar().actions()[0].menu()
    assert window.new_post_action in file_menu.actions()
    assert window.drafts_action in file_menu.actions()
    window.drafts_action.trigger()
    dialog = window.findChild(DraftsDialog)
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    window.drafts_action.trigger()
    assert window.findChildren(DraftsDialog) == [dialog]
    qtbot.waitUntil(lambda: dialog.loaded)
    dialog.close()
    window.new_post_action.trigger()
    composers = window.findChildren(ComposerWindow)
    assert len(composers) == 1
    qtbot.waitUntil(lambda: composers[0].draft is not None)
    composers[0].close()
