"""`curator check`: a post counted as each network counts it, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"


def curator(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "CURATOR_DATA_DIR": str(cwd / "data")}
    return subprocess.run([sys.executable, "-m", "curator", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=60, env=env, cwd=cwd,
                          input=stdin)


def check_json(*args: str, cwd: Path, stdin: str | None = None) -> dict:
    proc = curator("check", *args, "--json", cwd=cwd, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize(("network", "text", "expected"), [
    ("x", "¿Qué tal? https://ejemplo.es/una/ruta/larguísima", {"length": 33, "limit": 280,
                                                              "ok": True}),
    ("bluesky", f"¡Olé! {FAMILY}", {"length": 7, "limit": 300, "ok": True}),
    ("mastodon", "Hola @ana@mastodon.social", {"length": 9, "limit": 500, "ok": True}),
    ("linkedin", "Año (nuevo) #éxito", {"length": 18, "limit": 3000, "ok": True}),
])
def test_check_json_shape_per_network(tmp_path: Path, network: str, text: str,
                                      expected: dict) -> None:
    out = check_json("--network", network, "--text", text, cwd=tmp_path)
    assert out == expected
    assert list(out) == ["length", "limit", "ok"]
    assert isinstance(out["ok"], bool)
    assert not (tmp_path / "data").exists()  # counting needs no database


def test_check_limit_override_and_over_limit(tmp_path: Path) -> None:
    assert check_json("--network", "mastodon", "--limit", "5000", "--text", "ñ" * 600,
                      cwd=tmp_path) == {"length": 600, "limit": 5000, "ok": True}
    over = check_json("--network", "x", "--text", "日本" * 100, cwd=tmp_path)
    assert over == {"length": 400, "limit": 280, "ok": False}
    proc = curator("check", "--network", "x", "--text", "日本" * 100, cwd=tmp_path)
    assert proc.returncode == 0  # over the limit is an answer, not an error
    assert proc.stdout.strip() == "x: 400/280 over by 120"


def test_check_text_file_in_spanish(tmp_path: Path) -> None:
    post = tmp_path / "publicación.txt"
    post.write_text("¿Sabías que el ñandú corre a 60 km/h?\n¡Increíble! ejemplo.es\n",
                    encoding="utf-8")
    out = check_json("--network", "x", "--text-file", str(post), cwd=tmp_path)
    # Latin-1 weighs 1, the bare domain counts 23, the editor's final newline not at all.
    typed = len("¿Sabías que el ñandú corre a 60 km/h?\n¡Increíble! ")
    assert out == {"length": typed + 23, "limit": 280, "ok": True}
    stdin = check_json("--network", "bluesky", "--text-file", "-", cwd=tmp_path,
                       stdin="¡Hola, señor!")
    assert stdin["length"] == 13


@pytest.mark.parametrize(("args", "message"), [
    (["--network", "myspace", "--text", "hola"], "Unknown network 'myspace'"),
    (["--network", "x", "--limit", "0", "--text", "hola"], "at least 1"),
    (["--network", "x", "--text-file", "no-existe.txt"], "No such file"),
])
def test_check_bad_input_is_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    proc = curator("check", *args, cwd=tmp_path)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_check_rejects_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    post = tmp_path / "latin1.txt"
    post.write_bytes("año".encode("latin-1"))
    proc = curator("check", "--network", "x", "--text-file", str(post), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"curator: {post} is not UTF-8 text."


def test_check_needs_text(tmp_path: Path) -> None:
    proc = curator("check", "--network", "x", cwd=tmp_path)
    assert proc.returncode != 0 and "--text" in proc.stderr
