"""One running app per data folder: a second launch brings the first window to the front
(QLocalServer/QLocalSocket) instead of a second process fighting over the database."""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

RAISE = b"raise\n"
CONNECT_TIMEOUT_MS = 1_000  # a live instance answers at once; a stale socket refuses at once


def server_name(data_dir: Path) -> str:
    """The local server's name for this user and data folder: two data folders (or two users)
    run side by side; a hash keeps the name short and free of path characters."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): the home folder will do
        user = str(Path.home())
    key = f"{user}\0{data_dir.expanduser().resolve()}".encode()
    return "curator-" + hashlib.sha256(key).hexdigest()[:24]


def ask_running_instance(name: str, timeout_ms: int = CONNECT_TIMEOUT_MS) -> bool:
    """A second launch's side: True when an instance listens on `name` and was asked to
    raise its window (this process should then exit 0); False when none answers."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(RAISE)
    sent = socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(timeout_ms)
    return sent


class SingleInstance(QObject):
    """The first launch's side: listens on `name`; `raise_requested` when another launch asks.

    Args:
        name: from server_name().
    """

    raise_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        # Only this user's processes may connect.
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._connected)

    def listen(self) -> bool:
        """Start listening; a socket file left by a crashed instance is removed first (the
        caller has checked that nobody answers on it)."""
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _connected(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.setParent(self)
            buffer = bytearray()

            def read(sock: QLocalSocket = socket, data: bytearray = buffer) -> None:
                data.extend(bytes(sock.readAll().data()))
                if b"\n" in data:
                    if bytes(data).split(b"\n", 1)[0].strip() == RAISE.strip():
                        self.raise_requested.emit()
                    data.clear()
                    sock.disconnectFromServer()

            socket.readyRead.connect(read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                read()


def claim(data_dir: Path) -> SingleInstance | None:
    """None when Curator already runs on `data_dir` (it was asked to come to the front: exit
    0); else this process's listening SingleInstance. Listening may fail (a read-only /tmp):
    the app then runs without it rather than not at all."""
    name = server_name(data_dir)
    if ask_running_instance(name):
        return None
    instance = SingleInstance(name)
    instance.listen()
    return instance

