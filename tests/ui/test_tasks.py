"""Background operations: results on the main thread, runnables kept alive, errors shown."""

import gc
import os
import threading
import time

import pytest
import shiboken6
from PySide6.QtCore import QObject

from ui import tasks


def test_work_runs_off_the_main_thread_and_callbacks_on_it(qtbot):
    seen = {}

    def work():
        seen["work"] = threading.current_thread() is threading.main_thread()
        return 42

    def done(result):
        seen["callback"] = threading.current_thread() is threading.main_thread()
        seen["result"] = result

    tasks.run_in_background(work, on_success=done)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen == {"work": False, "callback": True, "result": 42}


def test_a_task_nobody_holds_still_delivers(qtbot):
    results = []
    tasks.run_in_background(lambda: time.sleep(0.1) or "done", on_success=results.append)
    gc.collect()
    qtbot.waitUntil(lambda: results == ["done"])


def test_errors_go_to_show_error_by_default(qtbot, shown_errors):
    parent = QObject()
    tasks.run_in_background(lambda: 1 / 0, parent=parent)
    qtbot.waitUntil(lambda: len(shown_errors) == 1)
    assert shown_errors[0][0] is parent
    assert isinstance(shown_errors[0][1], ZeroDivisionError)


def test_on_error_replaces_the_default(qtbot, shown_errors):
    failures = []
    tasks.run_in_background(lambda: {}["x"], on_error=failures.append)
    qtbot.waitUntil(lambda: len(failures) == 1)
    assert isinstance(failures[0], KeyError)
    assert shown_errors == []


def test_nothing_is_delivered_to_a_deleted_parent(qtbot, shown_errors):
    called = []
    parent = QObject()
    gate = threading.Event()
    tasks.run_in_background(lambda: gate.wait(5) and 1 / 0, on_error=called.append, parent=parent)
    tasks.run_in_background(lambda: gate.wait(5), on_success=called.append, parent=parent)
    parent.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(parent))
    gate.set()
    qtbot.waitUntil(lambda: tasks.pending() == 0)
    assert called == [] and shown_errors == []


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files via /proc")
def test_background_operations_do_not_leak_database_connections(qtbot, core):
    def open_files():
        return len(os.listdir("/proc/self/fd"))

    for _ in range(tasks.MAX_THREADS * 2):  # every pool thread has its connection
        tasks.run_in_background(core.count_items)
    qtbot.waitUntil(lambda: tasks.pending() == 0)
    before = open_files()
    for _ in range(60):
        tasks.run_in_background(core.count_items)
    qtbot.waitUntil(lambda: tasks.pending() == 0)
    assert open_files() - before < 10
