"""Background operations: run core calls on a thread pool, deliver results on the main thread."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from . import errors

MAX_THREADS = 4  # a refresh or an add can hold one thread for seconds; reads keep flowing


class Change(enum.Flag):
    """What a finished operation changed, so each view knows whether it must reload."""

    FEEDS = enum.auto()  # subscriptions or their state (title, error, unread counts)
    ITEMS = enum.auto()  # items were added or removed
    READ = enum.auto()  # read/starred flags of items the initiator already updated


class TaskSignals(QObject):
    """Created on the main thread, so connected callbacks run there (queued)."""

    succeeded = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    """One call of fn on a pool thread. Never touches widgets: it only emits its signals."""

    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        # Python owns the runnable (kept in _running until its result is delivered), so Qt
        # must not delete it behind our back when run() returns.
        self.setAutoDelete(False)
        self.fn = fn
        self.signals = TaskSignals()

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # every failure reaches on_error; none dies in the pool
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)


_pool: QThreadPool | None = None
_running: dict[int, Task] = {}
_undelivered: set[int] = set()
_keys = itertools.count()


def pool() -> QThreadPool:
    """The pool every core call runs on (a few long-lived threads, not the global pool)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(MAX_THREADS)
        # Long-lived threads: the core keeps one SQLite connection per thread.
        _pool.setExpiryTimeout(-1)
    return _pool


def run_in_background(
    fn: Callable[[], Any],
    *,
    on_success: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    parent: QObject | None = None,
) -> Task:
    """Run fn() off the UI thread; then on_success(result) or on_error(exc) on the main thread.

    Without on_error, errors go to errors.show_error(parent, exc). When parent has been
    deleted by the time the result arrives, neither callback runs.
    """
    task = Task(fn)
    key = next(_keys)

    # The callbacks hold the key, not the task: a task -> signals -> callback -> task cycle
    # through C++ would never be collected.
    def deliver(callback: Callable[[], None]) -> None:
        _undelivered.discard(key)
        # Drop our reference later: deleting the signals object inside its own emission
        # is not safe.
        QTimer.singleShot(0, lambda: _running.pop(key, None))
        if parent is not None and not shiboken6.isValid(parent):
            return
        callback()

    def succeeded(result: Any) -> None:
        deliver(lambda: on_success(result) if on_success else None)

    def failed(exc: BaseException) -> None:
        deliver(lambda: on_error(exc) if on_error else errors.show_error(parent, exc))

    task.signals.succeeded.connect(succeeded)
    task.signals.failed.connect(failed)
    _running[key] = task
    _undelivered.add(key)
    pool().start(task)
    return task


def pending() -> int:
    """Operations started whose callbacks have not run yet."""
    return len(_undelivered)


def wait_for_done(msecs: int = -1) -> bool:
    """Block until the pool is idle (at exit, before the core is closed)."""
    return pool().waitForDone(msecs)
