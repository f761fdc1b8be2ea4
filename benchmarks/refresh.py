"""Feed-refresh benchmark: Curator beside other readers, through the shared harness's run.sh."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
PHASES = ("cold", "warm", "warm2")


def check_harness(bench: Path) -> None:
    """Refuse early, saying what is missing, rather than fail minutes into a run."""
    missing = [f for f in ("run.sh", "bench.py", "run_curator.py") if not (bench / f).is_file()]
    if missing:
        raise SystemExit(f"{bench} is not the feed-refresh harness: no {', '.join(missing)}")
    # bench.py only runs peers its make_peer() knows; an unknown name aborts it after the
    # feeds were generated and the server started.
    if '"curator"' not in (bench / "bench.py").read_text(encoding="utf-8"):
        raise SystemExit(f"{bench / 'bench.py'} has no 'curator' branch in make_peer(): it "
                         "needs `if spec == \"curator\": return PythonPeer(spec, "
                         "\"run_curator.py\")`")


def running_on(out: str) -> list[int]:
    """PIDs of a bench.py already writing into runs/<out>: run.sh starts by deleting that
    folder, so a second run of the same N and latency would wreck the first."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"bench.py") for a in args) and f"runs/{out}".encode() in args:
            pids.append(int(proc.name))
    return pids


def summarize(res: dict[str, Any]) -> str:
    """The compact table and the Curator / fastest-peer ratios for one results.json."""
    items = {p["peer"]: p["items"] for p in res["peers"]}
    last_phase = {r["peer"]: r["phase"] for r in res["runs"]}
    lines = ["| peer | phase | wall s | CPU s | peak RSS MB | requests | 304s | other CPU s | "
             "items check (after the last phase) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in res["runs"]:
        m, st = r["measure"], r["server"]
        check = ""
        if r["phase"] == last_phase[r["peer"]]:
            c = items[r["peer"]]
            check = (f"{c['items_stored']} items; well-formed feeds exact "
                     f"{c['wellformed_feeds_exact']}/{c['wellformed_feeds']}")
        exit_note = " (TIMEOUT)" if m["timed_out"] else (f" (rc={m['rc']})" if m["rc"] else "")
        lines.append(f"| {r['peer']} | {r['phase']}{exit_note} | {m['wall_s']} | {m['cpu_s']} | "
                     f"{m['peak_rss_mb']} | {st['requests']} | "
                     f"{st['by_status'].get('304', 0)} | {m.get('other_cpu_s', '')} | {check} |")
    lines.append("")
    wall = {(r["peer"], r["phase"]): r["measure"]["wall_s"] for r in res["runs"]}
    for phase in PHASES:
        mine = wall.get(("curator", phase))
        others = {p: w for (p, ph), w in wall.items() if ph == phase and p != "curator"}
        if mine is None or not others:
            continue
        best = min(others, key=lambda p: others[p])
        lines.append(f"Curator {phase} wall / fastest peer {phase} wall ({best}): "
                     f"{mine} / {others[best]} = {mine / others[best]:.2f}"
                     f"{'' if mine <= others[best] else '  (Curator slower)'}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000, help="number of feeds (1000)")
    ap.add_argument("--latency", type=int, default=50, help="ms added to every request (50)")
    ap.add_argument("--peers", default="curator reader-w8 newsboat-t8",
                    help='bench.py peer names; curator is added if missing '
                         '("curator reader-w8 newsboat-t8")')
    ap.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench",
                    help="the shared harness (default ../shared/bench from the repo root)")
    ap.add_argument("--curator", type=Path, default=REPO / ".venv" / "bin" / "curator",
                    help="the Curator CLI to benchmark (this repo's .venv/bin/curator)")
    ap.add_argument("--workers", type=int, help="WORKERS for run.sh (its default: 8)")
    ap.add_argument("--phases", help='PHASES for run.sh (its default: "cold warm warm2")')
    ap.add_argument("--summarize-only", action="store_true",
                    help="do not run; copy and summarize the harness's last results for N/latency")
    a = ap.parse_args()

    bench = a.bench.resolve()
    check_harness(bench)
    out = f"n{a.n}_lat{a.latency}"
    produced = bench / "runs" / out
    if not a.summarize_only:
        if not os.access(a.curator, os.X_OK):
            raise SystemExit(f"{a.curator} is not there: install Curator first "
                             "(python -m venv .venv && .venv/bin/pip install -e .)")
        busy = running_on(out)
        if busy:
            raise SystemExit(f"bench.py (pid {', '.join(map(str, busy))}) is already writing "
                             f"{produced}; wait for it or pick another --n/--latency")
        peers = a.peers.split()
        if "curator" not in peers:
            peers.insert(0, "curator")
        env = dict(os.environ, CURATOR_CMD=str(a.curator.resolve()), PEERS=" ".join(peers))
        if a.workers:
            env["WORKERS"] = str(a.workers)
        if a.phases:
            env["PHASES"] = a.phases
        print(f"[refresh] bash {bench / 'run.sh'} {a.n} {a.latency}  PEERS={env['PEERS']!r}",
              flush=True)
        rc = subprocess.run(["bash", str(bench / "run.sh"), str(a.n), str(a.latency)],
                            cwd=bench, env=env).returncode
        if rc:
            raise SystemExit(f"run.sh failed (exit {rc}); see {produced}/runs.log")
    src = produced / "results.json"
    if not src.is_file():
        raise SystemExit(f"no {src}: the harness has not finished a run for N={a.n}, "
                         f"latency {a.latency} ms")
    RESULTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, RESULTS / f"{out}.json")
    shutil.copyfile(produced / "results.md", RESULTS / f"{out}.md")
    res = json.loads(src.read_text(encoding="utf-8"))
    if not any(r["peer"] == "curator" for r in res["runs"]):
        print("[refresh] note: these results have no curator row", file=sys.stderr)
    print(f"\n## Feed refresh: N={a.n} feeds, latency {a.latency} ms "
          f"(full tables: benchmarks/results/{out}.md)\n")
    print(summarize(res))


if __name__ == "__main__":
    main()
