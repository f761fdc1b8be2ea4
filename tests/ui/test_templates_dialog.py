"""The Templates dialog: grouped by audience segment, checked and previewed as the user types."""

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ui.templates import TemplatesDialog


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_dialog(window, qtbot) -> TemplatesDialog:
    window.post_actions.templates_action.trigger()
    dialog = window.post_actions.templates_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.loaded)
    return dialog


def select(dialog, name):
    for i in range(dialog.tree.topLevelItemCount()):
        group = dialog.tree.topLevelItem(i)
        for j in range(group.childCount()):
            if group.child(j).text(0) == name:
                dialog.tree.setCurrentItem(group.child(j))
                return
    raise AssertionError(f"no template {name!r} in {dialog.group_texts()}")


def test_posts_menu_holds_accounts_and_templates(window):
    menu = window.menuBar().findChild(type(window.post_actions.menu), "posts-menu")
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert "&Accounts…" in texts and "&Templates…" in texts


def test_add_a_template_for_a_segment(window, core, qtbot):
    dialog = open_dialog(window, qtbot)
    assert dialog.group_texts() == {}
    editor = dialog.add_template()
    qtbot.waitUntil(editor.isVisible)
    assert not editor.save_button.isEnabled()  # no name, no body yet

    qtbot.keyClicks(editor.name_edit, "Para CFOs")
    editor.segment_combo.setEditText("CFOs")
    qtbot.keyClicks(editor.body_edit, "{commentary}")
    editor.body_edit.appendPlainText("\n{title} — ")
    click(qtbot, editor.placeholder_buttons["url"])  # the palette inserts at the cursor
    assert editor.body_edit.toPlainText() == "{commentary}\n\n{title} — {url}"
    # The preview fills the sample values in, as the post would read.
    preview = editor.preview.toPlainText()
    assert preview.startswith("¿Está tu equipo preparado?")
    assert "La banca europea acelera su inversión en inteligencia artificial — https://" in preview
    assert editor.check_error() == ""
    assert editor.save_button.isEnabled()

    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: not shiboken6.isValid(editor) or not editor.isVisible())
    qtbot.waitUntil(lambda: dialog.group_texts() == {"CFOs": ["Para CFOs"]})
    saved = core.list_templates()
    assert [(t.name, t.segment, t.body) for t in saved] == [
        ("Para CFOs", "CFOs", "{commentary}\n\n{title} — {url}")
    ]
    assert dialog.current_template().name == "Para CFOs"
    assert dialog.body_view.toPlainText() == "{commentary}\n\n{title} — {url}"


def test_unknown_placeholder_is_named_and_blocks_save(window, core, qtbot):
    dialog = open_dialog(window, qtbot)
    editor = dialog.add_template()
    editor.name_edit.setText("Reseña técnica")  # keyClicks types ASCII only
    qtbot.keyClicks(editor.body_edit, "{titulo} ")
    editor.body_edit.insertPlainText("— {url}")
    error = editor.check_error()
    assert "{titulo}" in error and "did you mean {title}?" in error
    assert editor.preview.toPlainText() == ""
    assert not editor.save_button.isEnabled()
    editor.save()  # Enter or a stray call does nothing either
    qtbot.wait(50)
    assert editor.isVisible() and core.list_templates() == []

    # Fixing it lets Save through again.
    editor.body_edit.setPlainText("{title} — {url}")
    assert editor.check_error() == ""
    assert editor.save_button.isEnabled()
    editor.body_edit.setPlainText("¡Hola {")
    assert "no closing" in editor.check_error()
    assert not editor.save_button.isEnabled()
    editor.reject()


def test_core_refusal_shows_inline(window, core, qtbot):
    core.add_template("Para CFOs", "{title} {url}", segment="CFOs")
    dialog = open_dialog(window, qtbot)
    editor = dialog.add_template()
    qtbot.keyClicks(editor.name_edit, "Para CFOs")
    editor.segment_combo.setEditText("CFOs")
    qtbot.keyClicks(editor.body_edit, "{commentary} {url}")
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: editor.status.error_text() != "")
    assert "already a template named 'Para CFOs'" in editor.status.error_text()
    assert editor.isVisible() and editor.save_button.isEnabled()
    assert len(core.list_templates()) == 1
    editor.reject()


def test_grouped_by_segment_and_edit_moves_between_groups(window, core, qtbot):
    core.add_template("General", "{commentary} {url}")
    core.add_template("Para CFOs", "{title} {url}", segment="CFOs")
    core.add_template("Código", "{quote} {url}", segment="Ingenieros")
    core.add_template("Año fiscal", "{commentary} {url}", segment="CFOs")
    dialog = open_dialog(window, qtbot)
    assert dialog.group_texts() == {
        "Everyone": ["General"],
        "CFOs": ["Año fiscal", "Para CFOs"],
        "Ingenieros": ["Código"],
    }

    select(dialog, "Código")
    editor = dialog.edit_template()
    assert editor.name_edit.text() == "Código"
    assert editor.body_edit.toPlainText() == "{quote} {url}"
    segments = [editor.segment_combo.itemText(i) for i in range(editor.segment_combo.count())]
    assert segments == ["", "CFOs", "Ingenieros"]
    editor.segment_combo.setEditText("CFOs")
    click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: "Ingenieros" not in dialog.group_texts())
    assert dialog.group_texts() == {
        "Everyone": ["General"],
        "CFOs": ["Año fiscal", "Código", "Para CFOs"],
    }
    assert core.get_template("Código").segment == "CFOs"


def test_remove_asks_first(window, core, qtbot):
    core.add_template("Para CFOs", "{title} {url}", segment="CFOs")
    core.add_template("General", "{commentary} {url}")
    dialog = open_dialog(window, qtbot)
    select(dialog, "Para CFOs")

    box = dialog.remove_template()
    assert "“Para CFOs”" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(50)
    assert len(core.list_templates()) == 2

    select(dialog, "Para CFOs")
    box = dialog.remove_template()
    remove = next(b for b in box.buttons() if b.text() == "&Remove")
    click(qtbot, remove)
    qtbot.waitUntil(lambda: dialog.group_texts() == {"Everyone": ["General"]})
    assert [t.name for t in core.list_templates()] == ["General"]
