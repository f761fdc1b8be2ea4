"""The core never imports Qt: use it end to end in a fresh interpreter and list what loaded."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import json, sys
    from curator import Curator, FetchSettings, ItemQuery
    from curator import cli

    data_dir, url = sys.argv[1], sys.argv[2]
    with Curator(data_dir, fetch=FetchSettings(read_timeout=5, deadline=10)) as app:
        app.add_feed(url, fetch=False)
        result = app.refresh()
        items = app.list_items(ItemQuery(search="campaña"), with_content=True).items
        app.mark_items([it.id for it in items], read=True)
        opml = app.export_opml()
    code = cli.main(["--data-dir", data_dir, "items", "list"])
    loaded = sorted(m for m in sys.modules
                    if m.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6", "ui"))
    print(json.dumps({"ok": result.to_json()["ok"], "items": len(items), "code": code,
                      "opml": len(opml), "loaded": loaded}))
""")


def test_core_and_cli_never_import_qt(feed_server, tmp_path: Path) -> None:
    body = (Path(__file__).parent.parent / "data" / "feeds" / "rss20.xml").read_bytes()
    url = feed_server.add("/feeds/rss20.xml", body)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), url],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["ok"] == 1 and report["items"] >= 1 and report["code"] == 0  # it did run
    assert report["loaded"] == []


def test_qt_is_importable_here_so_the_check_means_something() -> None:
    # If PySide6 could not be imported at all, the test above would pass vacuously.
    proc = subprocess.run(
        [sys.executable, "-c", "import PySide6.QtCore, sys; print('PySide6' in sys.modules)"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.stdout.strip() == "True", proc.stderr
