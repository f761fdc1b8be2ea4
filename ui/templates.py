"""Approved message templates, grouped by audience segment: list, add, edit, remove."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.compose import PLACEHOLDERS, check_template, render_template
from curator.errors import TemplateError
from curator.types import Template

from . import errors
from .confirm import ask_to_remove
from .feeddialogs import InlineStatus
from .tasks import run_in_background

TemplateRole = Qt.ItemDataRole.UserRole  # a template's row holds its Template

# What previews fill placeholders with: a plausible item, in Spanish like most users' feeds.
SAMPLE_VALUES: dict[str, str | None] = {
    "title": "La banca europea acelera su inversión en inteligencia artificial",
    "url": "https://example.com/artículo?ref=rss#top",
    "source": "El País",
    "author": "María Núñez",
    "commentary": "¿Está tu equipo preparado? Tres lecciones para los directores financieros.",
    "quote": "La inversión crecerá un 40 % en dos años",
    "hashtags": "#finanzas #IA",
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("templates", text)


def segment_name(segment: str) -> str:
    """How a segment reads in lists: the templates without one are for everyone."""
    return segment or _tr("Everyone")


def template_label(template: Template) -> str:
    """A template as one line in a combo: "CFOs: Para CFOs", or its name for everyone."""
    return f"{template.segment}: {template.name}" if template.segment else template.name


class TemplateEditDialog(QDialog):
    """Add or edit one template; the body is checked and previewed as the user types."""

    saved = Signal(object)  # Template

    def __init__(
        self,
        core: Curator,
        template: Template | None,
        segments: list[str],
        parent: QWidget | None = None,
        *,
        segment: str = "",
    ):
        super().__init__(parent)
        self.core = core
        self.template = template
        self._working = False
        self.setWindowTitle(self.tr("Edit template") if template else self.tr("Add template"))
        self.setMinimumWidth(560)

        self.name_edit = QLineEdit(template.name if template else "")
        self.name_edit.setPlaceholderText(self.tr("e.g. Para CFOs"))
        self.segment_combo = QComboBox()
        self.segment_combo.setEditable(True)
        self.segment_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.segment_combo.lineEdit().setPlaceholderText(
            self.tr("Everyone (or type an audience, e.g. CFOs)")
        )
        self.segment_combo.addItem("")
        self.segment_combo.addItems([s for s in segments if s])
        self.segment_combo.setEditText(template.segment if template else segment)

        self.body_edit = QPlainTextEdit(template.body if template else "")
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setPlaceholderText(self.tr("{commentary}\n\n{title} — {url}"))
        self.body_edit.setMinimumHeight(110)

        # The palette: one click puts a placeholder where the cursor is.
        palette = QGridLayout()  # two rows: seven buttons in one would widen the dialog
        palette.setSpacing(2)
        palette.addWidget(QLabel(self.tr("Insert:")), 0, 0)
        self.placeholder_buttons: dict[str, QToolButton] = {}
        for i, name in enumerate(PLACEHOLDERS):
            button = QToolButton()
            button.setText("{" + name + "}")
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the body keeps focus and cursor
            button.setMinimumWidth(button.sizeHint().width())  # never elided to "{co…ry}"
            button.clicked.connect(lambda _checked=False, n=name: self.insert_placeholder(n))
            palette.addWidget(button, i // 4, 1 + i % 4)
            self.placeholder_buttons[name] = button
        palette.setColumnStretch(5, 1)

        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.check_label.setStyleSheet("color: #c62828;")  # as feeddialogs' inline errors
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setMinimumHeight(90)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
        font.setStyle(QFont.Style.StyleItalic)
        self.preview.setFont(font)

        form = QFormLayout()
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(self.tr("&Segment:"), self.segment_combo)
        form.addRow(self.tr("&Body:"), self.body_edit)
        form.addRow("", palette)
        form.addRow("", self.check_label)
        form.addRow(self.tr("Preview:"), self.preview)

        self.status = InlineStatus()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton(
            self.tr("&Save") if template else self.tr("&Add"),
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.name_edit.textChanged.connect(self._update)
        self.body_edit.textChanged.connect(self._update)
        self._update()
        self.name_edit.setFocus()

    def insert_placeholder(self, name: str) -> None:
        self.body_edit.insertPlainText("{" + name + "}")
        self.body_edit.setFocus()

    def check_error(self) -> str:
        """The template's problem as the user sees it, "" when it is valid."""
        return self.check_label.text() if self.check_label.isVisibleTo(self) else ""

    def _update(self) -> None:
        # check_template and render_template are pure and cached: fine on every keystroke.
        body = self.body_edit.toPlainText()
        try:
            check_template(body)
        except TemplateError as e:
            self.check_label.setText(str(e))
            self.check_label.show()
            self.preview.setPlainText("")
            valid = False
        else:
            self.check_label.hide()
            self.preview.setPlainText(render_template(body, SAMPLE_VALUES))
            valid = bool(body.strip())
        self.save_button.setEnabled(
            valid and bool(self.name_edit.text().strip()) and not self._working
        )

    def save(self) -> None:
        if self._working or not self.save_button.isEnabled():
            return
        name = self.name_edit.text().strip()
        segment = self.segment_combo.currentText().strip()
        body = self.body_edit.toPlainText()
        core, template = self.core, self.template
        self._working = True
        self.buttons.setEnabled(False)
        self.status.busy(self.tr("Saving…"))
        if template is None:

            def work() -> Template:
                return core.add_template(name, body, segment=segment)
        else:
            template_id = template.id

            def work() -> Template:
                return core.update_template(template_id, name=name, body=body, segment=segment)

        run_in_background(work, on_success=self._saved, on_error=self._failed, parent=self)

    def _saved(self, template: Template) -> None:
        self._working = False
        self.status.idle()
        self.saved.emit(template)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._working = False
        self.buttons.setEnabled(True)
        self._update()
        self.status.error(errors.describe(exc)[0])

    def done(self, result: int) -> None:
        super().done(result)
        if not self._working:
            self.deleteLater()


class TemplatesDialog(QDialog):
    """Every template, grouped by audience segment, with Add, Edit and Remove."""

    changed = Signal()  # a template was added, edited or removed

    def __init__(self, core: Curator, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.templates: list[Template] = []
        self.loaded = False
        self.edit_dialog: TemplateEditDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._select_id: int | None = None
        self.setWindowTitle(self.tr("Templates"))
        self.setMinimumWidth(480)
        self.resize(560, 420)

        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.itemDoubleClicked.connect(lambda item, _col: self._double_clicked(item))
        self.tree.currentItemChanged.connect(self._update_enabled)
        self.tree.currentItemChanged.connect(self._show_body)
        self.body_view = QPlainTextEdit()
        self.body_view.setReadOnly(True)
        self.body_view.setMaximumHeight(110)

        self.add_button = QPushButton(self.tr("&Add…"))
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.remove_button = QPushButton(self.tr("&Remove…"))
        self.add_button.clicked.connect(lambda: self.add_template())
        self.edit_button.clicked.connect(lambda: self.edit_template())
        self.remove_button.clicked.connect(lambda: self.remove_template())
        side = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            side.addWidget(button)
        side.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.tree, 1)
        top.addLayout(side)

        self.hint = QLabel(
            self.tr(
                "Templates are approved messages for an audience. Placeholders such as "
                "{commentary}, {title} and {url} take each post's values."
            )
        )
        self.hint.setWordWrap(True)
        self.status = InlineStatus()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(top, 1)
        layout.addWidget(self.body_view)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._update_enabled()
        self.reload()

    # ---- the list ------------------------------------------------------------------------

    def reload(self) -> None:
        run_in_background(
            self.core.list_templates, on_success=self._loaded, on_error=self._failed, parent=self
        )

    def _loaded(self, templates: list[Template]) -> None:
        current = self.current_template()
        select_id = self._select_id or (current.id if current else None)
        self._select_id = None
        self.templates = templates
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        selected = None
        for template in templates:  # the core sorts them by segment, then name
            group = groups.get(template.segment)
            if group is None:
                group = QTreeWidgetItem(self.tree, [segment_name(template.segment)])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                groups[template.segment] = group
            row = QTreeWidgetItem(group, [template.name])
            row.setData(0, TemplateRole, template)
            row.setToolTip(0, template.body)
            if template.id == select_id:
                selected = row
        self.tree.expandAll()
        if selected is None and templates:
            selected = self.tree.topLevelItem(0).child(0)
        if selected is not None:
            self.tree.setCurrentItem(selected)
        self.loaded = True
        self._update_enabled()

    def segments(self) -> list[str]:
        return sorted({t.segment for t in self.templates if t.segment}, key=str.casefold)

    def current_template(self) -> Template | None:
        item = self.tree.currentItem()
        data = item.data(0, TemplateRole) if item is not None else None
        return data if isinstance(data, Template) else None

    def group_texts(self) -> dict[str, list[str]]:
        """{segment as shown: [template names]}, in the tree's order (for tests and checks)."""
        out: dict[str, list[str]] = {}
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            out[group.text(0)] = [group.child(j).text(0) for j in range(group.childCount())]
        return out

    def _show_body(self) -> None:
        template = self.current_template()
        self.body_view.setPlainText(template.body if template else "")

    def _update_enabled(self) -> None:
        has = self.current_template() is not None
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    def _double_clicked(self, item: QTreeWidgetItem) -> None:
        if isinstance(item.data(0, TemplateRole), Template):
            self.edit_template()

    def _failed(self, exc: BaseException) -> None:
        self.status.error(errors.describe(exc)[0])

    # ---- add, edit, remove ---------------------------------------------------------------

    def _open_editor(self, template: Template | None) -> TemplateEditDialog:
        current = self.current_template()
        dialog = TemplateEditDialog(
            self.core,
            template,
            self.segments(),
            self,
            segment=current.segment if current and template is None else "",
        )
        dialog.saved.connect(self._saved)
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    def add_template(self) -> TemplateEditDialog:
        return self._open_editor(None)

    def edit_template(self) -> TemplateEditDialog | None:
        template = self.current_template()
        return self._open_editor(template) if template is not None else None

    def _saved(self, template: Template) -> None:
        self._select_id = template.id
        self.status.idle()
        self.changed.emit()
        self.reload()

    def remove_template(self) -> QMessageBox | None:
        """Ask, then remove the selected template (drafts that used it keep their text)."""
        template = self.current_template()
        if template is None:
            return None
        box = ask_to_remove(
            self,
            title=self.tr("Remove template"),
            text=self.tr("Remove the template “{name}”?").format(name=template.name),
            details=self.tr(
                "Drafts written with it keep their text; accounts using it as their "
                "default get none."
            ),
            answered=lambda confirmed: self._remove_answered(confirmed, template),
        )
        self.confirm_box = box
        return box

    def _remove_answered(self, confirmed: bool, template: Template) -> None:
        self.confirm_box = None
        if not confirmed:
            return
        core, template_id = self.core, template.id
        run_in_background(
            lambda: core.remove_template(template_id),
            on_success=lambda _t: self._removed(),
            on_error=self._failed,
            parent=self,
        )

    def _removed(self) -> None:
        self.status.idle()
        self.changed.emit()
        self.reload()
