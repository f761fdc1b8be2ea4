"""`curator packs` run as real subprocesses: validate, subscribe (local HTTP server and a
local file), list, export, and the export -> subscribe round trip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PACKS = Path(__file__).parent.parent / "data" / "packs"
GOOD = PACKS / "good.json"


class CLI:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        env.pop("CURATOR_DATA_DIR", None)
        proc = subprocess.run(
            [sys.executable, "-m", "curator", "--data-dir", str(self.data_dir), *args],
            capture_output=True, text=True, encoding="utf-8", timeout=60, env=env,
            cwd=self.data_dir.parent)
        if ok:
            assert proc.returncode == 0, proc.stderr
            assert "Traceback" not in proc.stderr
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def fails(self, *args: str) -> str:
        proc = self.run(*args, ok=False)
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        return lines[0]


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path / "data")


def test_validate_a_good_and_a_bad_pack(cli: CLI) -> None:
    info = cli.json("packs", "validate", str(GOOD))
    assert info["valid"] is True and info["items"] == 3 and info["templates"] == 2
    assert "Valid pack: Campaña de otoño" in cli.run("packs", "validate", str(GOOD)).stdout
    line = cli.fails("packs", "validate", str(PACKS / "bad-expires.json"))
    assert line.startswith('curator: item 1 (id "q4-report"): _curator.expires: not an RFC 3339')
    line = cli.fails("packs", "validate", str(PACKS / "no-such-pack.json"))
    assert "No such file" in line


def test_subscribe_over_http_then_list(cli: CLI, feed_server) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.add("/aprobado.json", GOOD.read_bytes(),
                          content_type="application/feed+json")
    feed = cli.json("packs", "subscribe", url)
    assert feed["role"] == "approved" and feed["new_items"] == 3
    [info] = cli.json("packs", "list")
    assert info["publisher"] == "Marketing Iberia" and info["items"] == 3
    assert "Marketing Iberia" in cli.run("packs", "list").stdout
    [listed] = [f for f in cli.json("feeds", "list") if f["id"] == feed["id"]]
    assert listed["role"] == "approved"
    bad = feed_server.add("/malo.json", (PACKS / "bad-network.json").read_bytes(),
                          content_type="application/feed+json")
    line = cli.fails("packs", "subscribe", bad)
    assert "is not a valid content pack: item 2" in line and "_curator.networks[1]" in line
    assert len(cli.json("feeds", "list")) == 1  # nothing half-imported


def test_export_then_subscribe_the_file(cli: CLI, tmp_path: Path) -> None:
    cli.run("packs", "subscribe", str(GOOD))
    items = {i["title"]: i["id"] for i in cli.json("items", "list")}
    q4 = items["Informe trimestral: crecimiento del 12 %"]
    guide = items["Guía de ciberseguridad para pymes"]
    out = tmp_path / "exportado.json"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"items": [
        {"item_id": guide, "commentary": [{"text": "Consejos útiles.", "segment": "Pymes"}],
         "networks": ["bluesky"]}]}, ensure_ascii=False), "utf-8")
    done = cli.json("packs", "export", "--item", str(q4), "--commentary", "Récord trimestral.",
                    "--segment-commentary", "CFOs", "Margen al alza.",
                    "--expires", "2030-06-30T23:59:00+02:00", "--disclaimer", "Aviso legal.",
                    "--networks", "x,linkedin", "--hashtags", "Resultados",
                    "--template", "Lanzamiento", "--from-json", str(spec),
                    "--title", "Paquete exportado", "--publisher", "Legal", "--out", str(out))
    assert done["items"] == 2
    assert cli.fails("packs", "export", "--item", str(q4), "--networks", "myspace",
                     "--title", "X", "--out", str(tmp_path / "x.json")).startswith(
        "curator: Unknown network 'myspace'")

    other = CLI(tmp_path / "otro")
    assert other.json("packs", "subscribe", str(out))["new_items"] == 2
    doc = json.loads(out.read_text("utf-8"))
    by_title = {i["title"]: i for i in doc["items"]}
    ext = by_title["Informe trimestral: crecimiento del 12 %"]["_curator"]
    assert ext == {"commentary": [{"text": "Récord trimestral."},
                                  {"text": "Margen al alza.", "segment": "CFOs"}],
                   "networks": ["x", "linkedin"], "expires": "2030-06-30T21:59:00Z",
                   "disclaimer": "Aviso legal.", "hashtags": ["Resultados"]}
    assert by_title["Guía de ciberseguridad para pymes"]["_curator"]["networks"] == ["bluesky"]
    assert doc["_curator"]["templates"][0]["name"] == "Lanzamiento"
    [info] = other.json("packs", "list")
    assert (info["publisher"], info["templates"], info["items"]) == ("Legal", 1, 2)
    # An approved draft starts from the suggested commentary; Mastodon is not allowed.
    [copy] = [i for i in other.json("items", "list") if i["title"].startswith("Informe")]
    draft = other.json("drafts", "new", "--item", str(copy["id"]))
    assert draft["text"] == "Récord trimestral."
