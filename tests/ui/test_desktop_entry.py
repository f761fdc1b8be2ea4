"""`curator-gui --install-desktop-entry`: the .desktop file and SVG icon under $XDG_DATA_HOME,
valid by the Desktop Entry Specification; the window uses the same icon."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtSvg import QSvgRenderer

from ui import app, desktop


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def test_install_writes_the_entry_and_the_icon(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "compartido"))
    assert app.main(["--install-desktop-entry"]) == 0

    entry_file = tmp_path / "compartido" / "applications" / "curator.desktop"
    icon_file = tmp_path / "compartido" / "icons" / "hicolor" / "scalable" / "apps" / "curator.svg"
    out = capsys.readouterr().out
    assert f"wrote {entry_file}" in out and f"wrote {icon_file}" in out

    entry = read_entry(entry_file)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Curator"
    assert entry["Icon"] == "curator"
    assert entry["Categories"] == "Network;News;Office;"
    assert entry["Terminal"] == "false"
    program = shlex.split(entry["Exec"].replace("\\\\", "\\"))[0]
    assert os.path.isabs(program) and os.access(program, os.X_OK)
    assert Path(program).parent == Path(sys.executable).absolute().parent  # this installation

    assert icon_file.read_bytes() == desktop.ICON_FILE.read_bytes()
    assert QSvgRenderer(str(icon_file)).isValid()

    validator = shutil.which("desktop-file-validate")
    if validator:  # the reference checker, where it is installed
        result = subprocess.run([validator, str(entry_file)], capture_output=True, text=True)
        # Hints may remain: the brief's Network;News;Office; names two main categories.
        assert result.returncode == 0 and "error:" not in result.stdout, result.stdout


def test_a_chosen_data_folder_stays_in_the_entry(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    profile = tmp_path / "perfil de Lucía"
    assert app.main(["--data-dir", str(profile), "--install-desktop-entry"]) == 0
    entry = read_entry(tmp_path / "applications" / "curator.desktop")
    # Spaces mean quotes (the spec's Exec rules); unquoted, it is the same folder.
    assert f'--data-dir "{profile}"' in entry["Exec"]
    assert shlex.split(entry["Exec"])[-2:] == ["--data-dir", str(profile)]
    assert not profile.exists()  # installing the entry opens no database


@pytest.mark.parametrize("arg, written", [
    ("/opt/curator/bin/curator-gui", "/opt/curator/bin/curator-gui"),
    ("/home/ana/mis cosas/python", '"/home/ana/mis cosas/python"'),
    ("/tmp/100%", "/tmp/100%%"),
    ('/tmp/di"jo$x', '"/tmp/di\\\\"jo\\\\$x"'),
])
def test_exec_arguments_are_quoted_as_the_spec_says(arg, written):
    assert desktop.exec_line([arg]) == written


def test_an_unwritable_target_is_one_sentence(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "archivo"
    blocker.write_text("no es una carpeta")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert app.main(["--install-desktop-entry"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("curator-gui: cannot install the desktop entry")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_the_app_icon_is_the_svg(qapp):
    icon = desktop.app_icon()
    assert not icon.isNull()
    assert not icon.pixmap(256, 256).isNull()  # scalable: any size
