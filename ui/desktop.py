"""The app icon, and the Linux desktop entry (`curator-gui --install-desktop-entry`).

The entry follows the freedesktop.org Desktop Entry Specification (1.4 keys): it goes to
`$XDG_DATA_HOME/applications/curator.desktop` and its icon, by name (`Icon=curator`), to
`$XDG_DATA_HOME/icons/hicolor/scalable/apps/curator.svg` (the Icon Theme Specification's
per-user fallback theme), so the menu shows it without root.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from PySide6.QtGui import QIcon

ICON_FILE = Path(__file__).with_name("icons") / "curator.svg"
APP_ID = "curator"  # the .desktop file's and the icon's name
GUI_SCRIPT = "curator-gui"  # pyproject's [project.gui-scripts] entry point


def app_icon() -> QIcon:
    """Curator's SVG icon: sharp at every size and scale factor."""
    return QIcon(str(ICON_FILE))


def data_home() -> Path:
    """$XDG_DATA_HOME, or ~/.local/share when unset or not absolute (as the spec says)."""
    value = os.environ.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def launch_command(data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """How the menu starts this installation of Curator: the curator-gui script installed
    with this interpreter, else this interpreter running the checkout's main.py or ui.app."""
    interpreter = Path(sys.executable).absolute()
    script = interpreter.parent / GUI_SCRIPT
    checkout_main = Path(__file__).absolute().parent.parent / "main.py"
    if script.is_file() and os.access(script, os.X_OK):
        command = [str(script)]
    elif checkout_main.is_file():  # not installed: the checkout's own starter
        command = [str(interpreter), str(checkout_main)]
    else:
        command = [str(interpreter), "-m", "ui.app"]
    if data_dir:  # a profile chosen on the command line stays the entry's profile
        command += ["--data-dir", str(Path(data_dir).expanduser().absolute())]
    return command


def exec_line(command: Sequence[str]) -> str:
    """The Exec= value: arguments quoted as the spec's "The Exec key" section requires."""
    reserved = set(" \t\n\"'\\><~|&;$*?#()`")
    parts = []
    for arg in command:
        arg = arg.replace("%", "%%")  # a literal % is written %% (field codes start with %)
        if not arg or any(ch in reserved for ch in arg):
            escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
            arg = f'"{escaped}"'
        parts.append(arg)
    # The whole value is also a "string": its backslashes are escaped once more.
    return " ".join(parts).replace("\\", "\\\\")


def desktop_entry(command: Sequence[str]) -> str:
    """The text of curator.desktop."""
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",  # nothing of 1.5 is used; older validators know only up to 1.4
        "Name=Curator",
        "GenericName=Feed Reader and Post Scheduler",
        "Comment=Read feeds offline and share them in your own voice",
        f"Exec={exec_line(command)}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "StartupNotify=true",
        "StartupWMClass=Curator",
        "Categories=Network;News;Office;",
        "Keywords=RSS;Atom;feeds;news;social;Mastodon;Bluesky;LinkedIn;",
        "",
    ])


def install_desktop_entry(data_dir: str | os.PathLike[str] | None = None,
                          target: Path | None = None) -> list[Path]:
    """Write the .desktop file and the icon under target ($XDG_DATA_HOME); the paths written.

    Raises OSError when a file cannot be written.
    """
    base = target if target is not None else data_home()
    entry = base / "applications" / f"{APP_ID}.desktop"
    icon = base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICON_FILE, icon)
    entry.write_text(desktop_entry(launch_command(data_dir)), encoding="utf-8")
    return [entry, icon]


def run_install(data_dir: str | None) -> int:
    """The --install-desktop-entry option: write, say what was written, exit code."""
    try:
        written = install_desktop_entry(data_dir)
    except OSError as exc:
        _say(f"curator-gui: cannot install the desktop entry: {exc.strerror or exc}: "
             f"{exc.filename or ''}".rstrip(": "), sys.stderr)
        return 1
    for path in written:
        _say(f"wrote {path}", sys.stdout)
    return 0


def _say(line: str, stream: TextIO | None) -> None:
    # A gui-script on Windows has no console: sys.stdout is None there.
    if stream is not None:
        print(line, file=stream)
