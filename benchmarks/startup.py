"""Desktop start-up on a large store: process start to the first page painted, search, scrolling.

Runs the real main window (offscreen unless a display is set) on a copy of the 100,000-item
store that benchmarks/search.py builds. Each figure comes from a fresh process, so imports,
opening the database and the first background page are all counted.

  .venv/bin/python benchmarks/startup.py [--runs 5] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = ROOT / "benchmarks" / "data" / "search-n100000-f500" / "curator"

# The child: timed from the kernel's record of when the process started, so interpreter
# start-up and imports count too.
CHILD = r"""
import os, sys, time, json, resource
def since_start():
    ticks = os.sysconf("SC_CLK_TCK")
    start = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]) / ticks
    uptime = float(open("/proc/uptime").read().split()[0])
    return uptime - start
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QElapsedTimer
from curator import Curator, ItemQuery
from ui import tasks
from ui.mainwindow import MainWindow
app = QApplication(["curator-gui"])
core = Curator(sys.argv[1])
window = MainWindow(core)
window.show()
while window.item_model.rowCount() == 0:
    app.processEvents()
    time.sleep(0.001)
window.repaint()
app.processEvents()
first_paint = since_start()
out = {"first_page_painted_s": first_paint, "rows": window.item_model.rowCount()}

# Search: from the query being applied (after the debounce) to the results painted.
timer = QElapsedTimer()
searches = []
for q in ["security", "campana", '"open source"', "quasar"]:
    window.item_model.set_query(ItemQuery())
    tasks.wait_for_done(10_000); app.processEvents()
    timer.start()
    window.item_model.set_query(ItemQuery(search=q))
    app.processEvents()
    while tasks.pending():
        app.processEvents()
    window.repaint(); app.processEvents()
    searches.append(timer.nsecsElapsed() / 1e6)
out["search_ms"] = searches

# Scrolling: one page of rows per frame, time to scroll and repaint the list.
view = window.items
frames = []
bar = view.verticalScrollBar()
for _ in range(60):
    timer.start()
    bar.setValue(bar.value() + bar.pageStep())
    view.viewport().repaint()
    app.processEvents()
    frames.append(timer.nsecsElapsed() / 1e6)
    while tasks.pending():  # a page fetched in the background is not a frame
        app.processEvents()
out["scroll_frame_ms"] = frames
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tasks.wait_for_done(10_000)
core.close()
print(json.dumps(out), flush=True)
os._exit(0)  # skip interpreter teardown of the Qt objects: not part of what is measured
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--store", type=Path, default=DEFAULT_STORE,
                    help="a Curator data folder (default: the one benchmarks/search.py builds)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args()
    if not (a.store / "curator.db").exists():
        raise SystemExit(f"No store at {a.store}: run benchmarks/search.py first (it builds it).")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(a.store, store)
        for _ in range(a.runs):
            proc = subprocess.run([sys.executable, "-c", CHILD, str(store)], env=env,
                                  capture_output=True, text=True, cwd=ROOT, check=False)
            if proc.returncode:
                raise SystemExit(proc.stderr[-2000:])
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    first = [r["first_page_painted_s"] for r in runs]
    search = [ms for r in runs for ms in r["search_ms"]]
    frames = [ms for r in runs for ms in r["scroll_frame_ms"]]
    rss = [r["peak_rss_mb"] for r in runs]
    p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95) - 1]  # noqa: E731
    print(f"## Desktop start-up on {a.store} ({a.runs} fresh processes)\n")
    print("| figure | median | p95 / max |")
    print("|---|---:|---:|")
    print(f"| process start to first page painted | {statistics.median(first):.2f} s "
          f"| {max(first):.2f} s |")
    print(f"| search applied to results painted | {statistics.median(search):.1f} ms "
          f"| {p95(search):.1f} ms |")
    print(f"| scroll one page and repaint | {statistics.median(frames):.1f} ms "
          f"| {p95(frames):.1f} ms |")
    print(f"| peak RSS | {statistics.median(rss):.0f} MB | {max(rss):.0f} MB |")
    if a.json:
        a.json.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
