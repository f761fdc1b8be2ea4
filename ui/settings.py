"""The app's settings: typed values over QSettings, and a signal when one changes."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal

REFRESH_INTERVAL_KEY = "refresh/interval_minutes"
DEFAULT_REFRESH_INTERVAL = 30  # minutes
MAX_REFRESH_INTERVAL = 24 * 60


def default_store() -> QSettings:
    """The application's settings file (named by QCoreApplication's organization and
    application names). Tests replace this function so they never touch the user's file."""
    return QSettings()


class Settings(QObject):
    """Typed access to the user's settings. Reads fall back to the default when a value is
    missing or mangled (the file is the user's to edit); writes emit `changed(key)`.

    Args:
        store: where the values live; default the application's QSettings (its
            organization and application names decide the file). Tests pass their own.
    """

    changed = Signal(str)  # the key that changed

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store if store is not None else default_store()
        if store is not None and store.parent() is None:
            store.setParent(self)

    def _int(self, key: str, default: int, low: int, high: int) -> int:
        value = self.store.value(key, default)
        try:
            number = int(value)  # an INI file gives back strings
        except (TypeError, ValueError):
            return default
        return number if low <= number <= high else default

    def _set(self, key: str, value: object) -> None:
        if self.store.contains(key) and str(self.store.value(key)) == str(value):
            return  # unchanged: no write, no signal
        self.store.setValue(key, value)
        self.store.sync()  # another window, or the CLI's cron, may read it next
        self.changed.emit(key)

    @property
    def refresh_interval_minutes(self) -> int:
        """Minutes between automatic refreshes; 0 turns them off."""
        return self._int(REFRESH_INTERVAL_KEY, DEFAULT_REFRESH_INTERVAL, 0, MAX_REFRESH_INTERVAL)

    @refresh_interval_minutes.setter
    def refresh_interval_minutes(self, minutes: int) -> None:
        if not 0 <= minutes <= MAX_REFRESH_INTERVAL:
            raise ValueError(f"refresh interval out of range: {minutes}")
        self._set(REFRESH_INTERVAL_KEY, minutes)
