"""One app per data folder: a second launch (here a real `ui.app.main` in a subprocess, and
ui.single's own client) asks the first to raise its window and exits 0; another data folder
runs side by side; a socket file left by a crash does not block the next start."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from PySide6.QtNetwork import QLocalServer

from ui import single
from ui.tray import Tray

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def first(tmp_path):
    instances = []

    def claim(data_dir):
        instance = single.claim(data_dir)
        if instance is not None:
            instances.append(instance)
        return instance

    yield claim
    for instance in instances:
        instance.close()


def test_names_follow_the_data_folder(tmp_path):
    mine, other = tmp_path / "curación", tmp_path / "otra carpeta"
    assert single.server_name(mine) == single.server_name(tmp_path / "." / "curación")
    assert single.server_name(mine) != single.server_name(other)
    assert "/" not in single.server_name(mine)


def test_a_second_launch_raises_the_first_window(qtbot, window, tmp_path, first):
    data = tmp_path / "datos"
    instance = first(data)
    assert instance is not None and instance.server.isListening()
    tray = Tray(window, tray_available=lambda: False, quit_app=lambda: None)
    instance.raise_requested.connect(tray.show_window)
    window.hide()

    with qtbot.waitSignal(instance.raise_requested, timeout=5_000):
        assert single.claim(data) is None  # the second launch: exit, the first comes forward
    assert window.isVisible()

    # Another data folder is another app: it runs alongside.
    assert first(tmp_path / "otros datos") is not None
    window.publishing.scheduler.stop()


def test_a_real_second_curator_gui_exits_0(qtbot, tmp_path, first):
    data = tmp_path / "datos"
    instance = first(data)
    raised = []
    instance.raise_requested.connect(lambda: raised.append(True))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    code = "import sys; from ui.app import main; sys.exit(main(sys.argv[1:]))"
    launch = subprocess.Popen([sys.executable, "-c", code, "--data-dir", str(data)], env=env,
                              cwd=ROOT)
    # The first instance's event loop runs meanwhile: it answers and notes the request.
    qtbot.waitUntil(lambda: launch.poll() is not None, timeout=30_000)
    assert launch.returncode == 0
    qtbot.waitUntil(lambda: raised == [True], timeout=5_000)
    assert not data.exists()  # it left before opening the database


def test_a_stale_socket_from_a_crash_does_not_block_the_start(qtbot, tmp_path, first):
    data = tmp_path / "datos"
    name = single.server_name(data)
    path = os.path.join(QDir.tempPath(), name)
    # What a crash leaves: a bound socket file nobody listens on.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()
    try:
        assert not single.ask_running_instance(name)  # refused at once: nobody runs
        plain = QLocalServer()
        assert not plain.listen(name)  # what would block us without removeServer
        instance = first(data)
        assert instance is not None and instance.server.isListening()
        with qtbot.waitSignal(instance.raise_requested, timeout=5_000):
            assert single.ask_running_instance(name)
    finally:
        if os.path.exists(path):
            QLocalServer.removeServer(name)
