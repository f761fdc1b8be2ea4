"""`curator backup` and `curator restore` run as real subprocesses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path


def curator(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("CURATOR_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "curator", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=60)


def test_backup_then_restore_into_another_folder(tmp_path: Path) -> None:
    origen, destino = tmp_path / "origen", tmp_path / "destino"
    assert curator(origen, "feeds", "add", "https://prensa.example.es/feed",
                   "--no-fetch", "--folder", "Economía").returncode == 0
    made = curator(origen, "drafts", "new", "--text", "Mi comentario: ¡léanlo!", "--json")
    assert made.returncode == 0, made.stderr
    zip_path = tmp_path / "copia de seguridad.zip"
    out = curator(origen, "backup", str(zip_path), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["members"] == ["curator.db"]

    assert curator(destino, "feeds", "add", "https://otro.example.com/feed",
                   "--no-fetch").returncode == 0
    out = curator(destino, "restore", str(zip_path), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["previous"].endswith("curator.db.before-restore")
    feeds = json.loads(curator(destino, "feeds", "list", "--json").stdout)
    assert [(f["url"], f["folder"]) for f in feeds] == [
        ("https://prensa.example.es/feed", "Economía")]
    drafts = json.loads(curator(destino, "drafts", "list", "--json").stdout)
    assert [d["text"] for d in drafts] == ["Mi comentario: ¡léanlo!"]


def test_a_corrupt_zip_is_refused_in_one_sentence(tmp_path: Path) -> None:
    datos = tmp_path / "datos"
    assert curator(datos, "feeds", "add", "https://prensa.example.es/feed",
                   "--no-fetch").returncode == 0
    db = datos / "curator.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    bad = tmp_path / "roto.zip"
    bad.write_bytes(b"PK\x03\x04 esto no es una copia")
    out = curator(datos, "restore", str(bad), "--json")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip() == (
        "curator: roto.zip is not a Curator backup this Curator can restore: "
        "it is not a zip file.")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not (datos / "curator.db.before-restore").exists()
