"""Autosaved draft text survives a process killed mid-typing (SIGKILL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curator import Curator

# The "composer": saves the text after each keystroke and reports each save once it returned.
TYPIST = """
import sys
from curator import Curator

core = Curator(sys.argv[1])
draft_id = int(sys.argv[2])
text = ""
n = 0
while True:
    n += 1
    text += "ñ" if n % 7 else " ¿sí? "
    core.save_draft_text(draft_id, f"{n}|{text}")
    print(n, flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("saves_before_kill", [1, 150])
def test_killed_while_typing_keeps_the_last_saved_text(tmp_path: Path,
                                                       saves_before_kill: int) -> None:
    data = tmp_path / "datos"
    with Curator(data) as core:
        core.add_account("mastodon", name="Mastodon")
        core.add_account("x", name="Equis")
        draft = core.new_draft(text="")
        core.add_variant(draft.id, "Mastodon")  # follows the draft's text
        core.add_variant(draft.id, "Equis", text="Texto propio para X")

    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-c", TYPIST, str(data), str(draft.id)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    last_reported = 0
    deadline = time.monotonic() + 60
    try:
        while last_reported < saves_before_kill and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            last_reported = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, err = proc.communicate(timeout=30)
    assert last_reported >= saves_before_kill, err
    # Saves reported after the one we stopped reading at were committed too.
    last_reported = max([last_reported, *(int(n) for n in rest.split())])

    conn = sqlite3.connect(data / "curator.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    with Curator(data) as core:
        kept = core.get_draft(draft.id)
    saved_n = int(kept.text.split("|", 1)[0])
    # The last reported save is there; at most one more that was committed, unreported.
    assert saved_n in (last_reported, last_reported + 1), (saved_n, last_reported)
    assert kept.text.endswith("ñ") or kept.text.endswith(" ¿sí? ")
    by_synced = {v.synced: v.text for v in kept.variants}
    assert by_synced[True] == kept.text  # the synced variant moved in the same transaction
    assert by_synced[False] == "Texto propio para X"
