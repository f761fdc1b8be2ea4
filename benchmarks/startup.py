"""Desktop start-up on a large store: process start to the first page painted, search, scrolling.

Runs the real main window (offscreen unless a display is set) on a copy of the 100,000-item
store that benchmarks/search.py builds, beside a peer on the same file: a Qt window that loads
every item eagerly into a QStandardItemModel (benchmarks/startup_naive.py), the way a first
attempt at a desktop reader does. Each figure comes from a fresh process, so interpreter
start-up, imports, opening the database and loading the list are all counted. Curator and the
peer run alternately, so both meet the same background load.

  .venv/bin/python benchmarks/startup.py [--runs 5] [--store DIR] [--markdown FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = ROOT / "benchmarks" / "data" / "search-n100000-f500" / "curator"
PEER = ROOT / "benchmarks" / "startup_naive.py"
PEER_LABEL = "naive Qt (all rows eagerly)"

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
window.item_model.set_query(ItemQuery())
tasks.wait_for_done(10_000); app.processEvents()

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


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode:
        raise SystemExit(f"{args[1]} failed (rc={proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = [r["first_page_painted_s"] for r in runs]
    search = [ms for r in runs for ms in r["search_ms"]]
    frames = [ms for r in runs for ms in r["scroll_frame_ms"]]
    rss = [r["peak_rss_mb"] for r in runs]
    return {
        "first_paint_s": (statistics.median(first), max(first)),
        "search_ms": (statistics.median(search), pct(search, 0.95)),
        "frame_ms": (statistics.median(frames), pct(frames, 0.95)),
        "rss_mb": (statistics.median(rss), max(rss)),
        "rows": runs[0]["rows"],
    }


def host() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load {load}, Python {platform.python_version()}"


def render(store: Path, n_runs: int, cur: dict[str, Any], peer: dict[str, Any]) -> str:
    shown = store.relative_to(ROOT) if store.is_relative_to(ROOT) else store

    def cell(pair: tuple[float, float], fmt: str, unit: str) -> str:
        return f"{pair[0]:{fmt}} {unit} ({pair[1]:{fmt}})"

    rows = [
        ("process start to first page painted", "first_paint_s", ".2f", "s", "< 1.5 s"),
        ("search applied to results painted", "search_ms", ".1f", "ms", "< 150 ms"),
        ("scroll one page and repaint (a frame)", "frame_ms", ".1f", "ms", "< 16 ms"),
        ("peak RSS", "rss_mb", ".0f", "MB", "< 300 MB"),
    ]
    lines = [
        f"## Desktop start-up on a 100,000-item store: Curator vs {PEER_LABEL}",
        "",
        f"Store: `{shown}` (copied to a temp folder). {n_runs} fresh processes per side, "
        f"alternating; host: {host()}; QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM')}.",
        "Each cell: median (worst run for start-up and RSS, 95th percentile for search and "
        "frames).",
        "",
        "The peer is not another feed reader. Debian has QuiteRSS and RSS Guard (Qt) and "
        "Liferea and Akregator, but each pulls 100 to 380 packages (systemd, udev, "
        "ModemManager, a web engine), needs an X server, keeps its own schema, and has no "
        'moment to time as "first page painted" short of polling screenshots: not a fair '
        "or repeatable measurement here. The peer is instead the naive design a Qt app starts "
        "with, on the same SQLite file: every item read on the UI thread into a "
        "QStandardItemModel, search as a QSortFilterProxyModel substring filter on titles (less "
        "text than Curator's full-text search of title and summary, no accent folding).",
        "",
        f"| figure | Curator | {PEER_LABEL} | target |",
        "|---|---:|---:|---|",
    ]
    for label, key, fmt, unit, target in rows:
        lines.append(
            f"| {label} | {cell(cur[key], fmt, unit)} | {cell(peer[key], fmt, unit)} | {target} |"
        )
    lines.append(f"| rows loaded at first paint | {cur['rows']:,} | {peer['rows']:,} | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per side (5)")
    ap.add_argument(
        "--store",
        type=Path,
        default=DEFAULT_STORE,
        help="a Curator data folder (default: the one benchmarks/search.py builds)",
    )
    ap.add_argument("--markdown", type=Path, help="also write the table here")
    ap.add_argument("--json", type=Path, help="also write every run's figures here")
    a = ap.parse_args()
    if not (a.store / "curator.db").exists():
        raise SystemExit(
            f"No store at {a.store}: run benchmarks/search.py first (it builds it; "
            "`--peer like --reps 3` builds only Curator's, in about half a minute)."
        )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_QPA_PLATFORM", env["QT_QPA_PLATFORM"])
    curator_runs, peer_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(a.store, store)
        for i in range(a.runs):
            curator_runs.append(run_child([sys.executable, "-c", CHILD, str(store)], env))
            peer_runs.append(run_child([sys.executable, str(PEER), str(store)], env))
            print(
                f"[startup] run {i + 1}/{a.runs}: Curator "
                f"{curator_runs[-1]['first_page_painted_s']:.2f} s, peer "
                f"{peer_runs[-1]['first_page_painted_s']:.2f} s",
                flush=True,
            )
    report = render(a.store, a.runs, summary(curator_runs), summary(peer_runs))
    print("\n" + report)
    if a.markdown:
        a.markdown.write_text(report)
    if a.json:
        a.json.write_text(json.dumps({"curator": curator_runs, "peer": peer_runs}, indent=1))


if __name__ == "__main__":
    main()
