"""Update the translation sources from the code, then compile them for the app.

    .venv/bin/python scripts/translations.py          # lupdate + lrelease
    .venv/bin/python scripts/translations.py --check  # exit 1 when a .ts lags the code

curator_en.ts holds only the English plural forms ("%n feeds" -> "1 feed"): Qt fills %n
but does not pluralize without a translation. Other languages hold every string.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "ui" / "translations"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").glob("*.py"))


def lupdate(ts: Path) -> str:
    extra = ["-pluralonly"] if ts.name.endswith("_en.ts") else []
    done = subprocess.run(
        [_tool("pyside6-lupdate"), *sources(), "-locations", "none", "-no-obsolete", *extra,
         "-ts", str(ts)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return done.stdout + done.stderr


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([_tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)],
                   check=True, capture_output=True)


def lagging() -> list[str]:
    """The .ts files lupdate would change (strings added or removed in the code), and the
    .qm files that lag their .ts."""
    behind = []
    with tempfile.TemporaryDirectory() as tmp:
        for ts in sorted(FOLDER.glob("*.ts")):
            copy = Path(tmp) / ts.name
            shutil.copy(ts, copy)
            lupdate(copy)
            compiled = copy.with_suffix(".qm")
            lrelease(ts, compiled)
            qm = ts.with_suffix(".qm")
            if copy.read_bytes() != ts.read_bytes():
                behind.append(ts.name)
            elif not qm.exists() or qm.read_bytes() != compiled.read_bytes():
                behind.append(qm.name)
    return behind


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report lagging files")
    args = parser.parse_args()
    if args.check:
        behind = lagging()
        for name in behind:
            print(f"{name} lags the code: run scripts/translations.py", file=sys.stderr)
        return 1 if behind else 0
    for ts in sorted(FOLDER.glob("*.ts")):
        print(lupdate(ts).strip())
        lrelease(ts, ts.with_suffix(".qm"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
