"""show_error: a CuratorError is its own sentence; anything else is an "Unexpected error"."""

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from curator.errors import CuratorError, StorageError
from ui.errors import describe, show_error


@pytest.fixture
def boxes(monkeypatch):
    """Message boxes show_error opened, closed at once instead of waiting for a click."""
    opened = []

    def exec_(box):
        opened.append(box)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return opened


def test_a_curator_error_shows_its_message(qtbot, boxes):
    parent = QWidget()
    qtbot.addWidget(parent)
    show_error(parent, StorageError("The database is busy in another program; try again."))
    (box,) = boxes
    assert box.text() == "The database is busy in another program; try again."
    assert box.informativeText() == ""
    assert box.parent() is parent
    assert box.windowTitle() == "Curator"


def test_anything_else_is_an_unexpected_error_with_its_type(qtbot, boxes):
    try:
        raise ValueError("boom")
    except ValueError as e:
        show_error(None, e)
    (box,) = boxes
    assert box.text() == "Unexpected error"
    assert box.informativeText() == "ValueError: boom"
    assert "Traceback" in box.detailedText()


def test_describe():
    assert describe(CuratorError("One sentence.")) == ("One sentence.", None)
    assert describe(KeyError("k")) == ("Unexpected error", "KeyError: 'k'")
