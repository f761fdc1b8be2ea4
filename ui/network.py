"""Whether the machine is online, as the operating system tells Qt (QNetworkInformation)."""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal
from PySide6.QtNetwork import QNetworkInformation

# "Local" means a network without the internet; "Site" an intranet, where feeds may live.
_OFFLINE = (QNetworkInformation.Reachability.Disconnected, QNetworkInformation.Reachability.Local)


class NetworkStatus(QObject):
    """Online or offline. Without a system backend (CI, some desktops) it says online:
    a refresh then simply fails per feed, which is what it would do anyway.

    Tests drive it with set_online_for_test(); from then on the system is not listened to.
    """

    online_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, use_system: bool = True):
        super().__init__(parent)
        self._online = True
        self._forced = False
        self._info: QNetworkInformation | None = None
        if use_system and QNetworkInformation.loadBackendByFeatures(
            QNetworkInformation.Feature.Reachability
        ):
            self._info = QNetworkInformation.instance()
        if self._info is not None:
            self._online = self._info.reachability() not in _OFFLINE
            self._info.reachabilityChanged.connect(self._reachability_changed)

    def _get_online(self) -> bool:
        return self._online

    online = Property(bool, _get_online, notify=online_changed)

    @property
    def backend(self) -> str | None:
        """The system backend's name ("networkmanager", "glib"...), None without one."""
        return self._info.backendName() if self._info is not None else None

    def set_online_for_test(self, online: bool) -> None:
        self._forced = True
        self._set(online)

    def _reachability_changed(self, reachability: QNetworkInformation.Reachability) -> None:
        if not self._forced:
            self._set(reachability not in _OFFLINE)

    def _set(self, online: bool) -> None:
        if online != self._online:
            self._online = online
            self.online_changed.emit(online)
