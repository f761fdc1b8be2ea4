"""`curator drafts` and `curator templates` run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from curator import Curator


def rss(n: int) -> str:
    items = "".join(
        f"<item><title>Noticia {i}: la campaña de otoño</title>"
        f"<link>https://prensa.example.es/noticia/{i}</link>"
        f"<author>ines@example.es (Inés Muñoz)</author>"
        f"<description>Texto {i}</description>"
        f"<pubDate>Mon, 0{1 + i} Apr 2024 10:00:00 GMT</pubDate></item>"
        for i in range(n)
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Prensa Rival</title><link>https://prensa.example.es/</link>{items}"
            "</channel></rss>")


class CLI:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    def run(self, *args: str, ok: bool = True, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        env.pop("CURATOR_DATA_DIR", None)
        proc = subprocess.run(
            [sys.executable, "-m", "curator", "--data-dir", str(self.data_dir), *args],
            capture_output=True, text=True, encoding="utf-8", timeout=60, env=env,
            input=stdin, cwd=self.data_dir.parent)
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
    return CLI(tmp_path / "datos")


def test_drafts_new_list_show(cli: CLI, feed_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli.run("feeds", "add", feed_server.add("/rival.xml", rss(2)), "--role", "competitor")
    item = cli.json("items", "list")[0]

    draft = cli.json("drafts", "new", "--item", str(item["id"]),
                     "--text", "¿Habéis visto esto? ¡Ojo a la competencia!")
    assert {"id", "text"} <= set(draft)
    assert draft["text"] == "¿Habéis visto esto? ¡Ojo a la competencia!"
    assert draft["item_id"] == item["id"]
    assert draft["item_link"] == item["link"]
    assert draft["item_title"] == item["title"]
    assert draft["item_source"] == "Prensa Rival"
    assert draft["item_role"] == "competitor"

    text_file = tmp_path / "borrador.txt"
    text_file.write_text("Línea uno con ñ\nLínea dos\n", encoding="utf-8")
    blank = cli.json("drafts", "new", "--text-file", str(text_file))
    assert blank["text"] == "Línea uno con ñ\nLínea dos"  # the editor's last newline goes
    assert blank["item_id"] is None
    piped = cli.run("drafts", "new", "--text-file", "-", "--json", stdin="Desde la tubería¡\n")
    assert json.loads(piped.stdout)["text"] == "Desde la tubería¡"

    listed = cli.json("drafts", "list")
    assert [d["id"] for d in listed] == sorted([draft["id"], blank["id"],
                                                json.loads(piped.stdout)["id"]], reverse=True)
    out = cli.run("drafts", "list").stdout
    assert "¿Habéis visto esto?" in out and "Línea uno con ñ" in out

    shown = cli.json("drafts", "show", str(draft["id"]))
    assert shown == draft
    text = cli.run("drafts", "show", str(draft["id"])).stdout
    assert item["title"] in text and item["link"] in text and "competitor" in text


def test_templates_add_list_and_fill_a_draft(cli: CLI, feed_server) -> None:  # type: ignore[no-untyped-def]
    cli.run("feeds", "add", feed_server.add("/rival.xml", rss(1)))
    item = cli.json("items", "list")[0]
    added = cli.json("templates", "add", "Breve", "--body", "{commentary} — {title} {url}",
                     "--segment", "Directivos")
    assert added["segment"] == "Directivos" and added["name"] == "Breve"
    cli.run("templates", "add", "Llaves", "--body", "{{sin placeholder}} {url}")
    listed = cli.json("templates", "list")
    assert [(t["segment"], t["name"]) for t in listed] == [("", "Llaves"),
                                                           ("Directivos", "Breve")]
    out = cli.run("templates", "list").stdout
    assert out.index("Llaves") < out.index("Directivos:") < out.index("Breve")

    with Curator(cli.data_dir) as core:
        core.annotate(item["id"], commentary="Un buen resumen de la campaña")
    assert "C" in cli.run("items", "list").stdout.splitlines()[0][8:12]  # marked
    assert [i["id"] for i in cli.json("items", "list", "--annotated")] == [item["id"]]
    assert [i["id"] for i in cli.json("items", "list", "--search", "resumen")] == [item["id"]]

    filled = cli.json("drafts", "new", "--item", str(item["id"]), "--template", "Breve")
    assert filled["text"] == (f"Un buen resumen de la campaña — {item['title']} {item['link']}")
    assert filled["template_id"] == added["id"]
    kept = cli.json("drafts", "new", "--text", "Mi texto", "--template", "Breve")
    assert kept["text"] == "Mi texto" and kept["template_id"] == added["id"]


def test_errors_are_one_sentence(cli: CLI, tmp_path: Path) -> None:
    msg = cli.fails("templates", "add", "Mala", "--body", "Hola {titulo} {url}")
    assert "{titulo}" in msg
    assert cli.json("templates", "list") == []
    cli.run("templates", "add", "Breve", "--body", "{url}")
    assert "already" in cli.fails("templates", "add", "Breve", "--body", "{title}")
    assert "no draft" in cli.fails("drafts", "show", "404")
    assert "no item" in cli.fails("drafts", "new", "--item", "77", "--text", "hola")
    assert "template" in cli.fails("drafts", "new", "--text", "hola", "--template", "Ninguna")
    assert "--text" in cli.fails("drafts", "new")
    assert cli.fails("drafts", "new", "--text-file", str(tmp_path / "no-existe.txt"))
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("campaña".encode("latin-1"))
    assert "UTF-8" in cli.fails("drafts", "new", "--text-file", str(latin1))
    assert cli.json("drafts", "list") == []
