"""`curator watch ...` run as a real subprocess against a local feed server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def rss(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><title>{title}</title><link>https://e.com/{n}</link><guid>urn:{n}</guid>"
        f"<description>&lt;p&gt;{text}&lt;/p&gt;</description>"
        f"<pubDate>Mon, 0{1 + n} Apr 2024 10:00:00 GMT</pubDate></item>"
        for n, (title, text) in enumerate(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Noticias</title><link>https://e.com/</link>{body}</channel></rss>")


class CLI:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        env.pop("CURATOR_DATA_DIR", None)
        proc = subprocess.run([sys.executable, "-m", "curator", "--data-dir",
                               str(self.data_dir), *args], capture_output=True, text=True,
                              timeout=60, env=env)
        if ok:
            assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def fails(self, *args: str) -> str:
        proc = self.run(*args, ok=False)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        return lines[0]


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path / "data")


def test_watch_commands_end_to_end(cli: CLI, feed_server) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.add("/n.xml", rss([
        ("Telefónica gana", "Resultados"),
        ("Acmeist", "Nada"),
        ("Mercados", "El Banco\nSantander sube"),
    ]))
    cli.run("feeds", "add", url)
    added = cli.json("watch", "add", "Competidores", "TELEFONICA", "Banco Santander")
    assert added["name"] == "Competidores" and added["items"] == 2 and added["unread"] == 2
    out = cli.run("watch", "list").stdout
    assert "Competidores" in out and "2 unread" in out

    listed = cli.json("watch", "list")
    assert [(w["name"], w["terms"], w["unread"]) for w in listed] == [
        ("Competidores", ["TELEFONICA", "Banco Santander"], 2)]

    items = cli.json("watch", "items", "competidores")
    assert sorted(it["title"] for it in items) == ["Mercados", "Telefónica gana"]
    assert all(it["watched"] for it in items)
    assert {m["term"] for it in items for m in it["watch"]} == {"TELEFONICA", "Banco Santander"}
    text = cli.run("watch", "items", "Competidores").stdout
    assert "[Banco Santander]" in text

    # Edit: new terms are matched over the stored items.
    edited = cli.json("watch", "edit", "Competidores", "--add", "/acme\\w*/", "--drop",
                      "TELEFONICA")
    assert edited["terms"] == ["Banco Santander", "/acme\\w*/"] and edited["regex"]
    assert sorted(it["title"] for it in cli.json("watch", "items", "Competidores")) == [
        "Acmeist", "Mercados"]
    cli.json("watch", "edit", "Competidores", "--terms", "Acme", "--name", "Rivales")
    assert cli.json("watch", "items", "Rivales") == []  # "Acme" is not in "Acmeist"

    # items list takes the watch filters too.
    cli.run("watch", "edit", "Rivales", "--terms", "Mercados")
    assert [it["title"] for it in cli.json("items", "list", "--watch", "Rivales")] == ["Mercados"]
    assert [it["title"] for it in cli.json("items", "list", "--watched")] == ["Mercados"]

    # A refresh names the lists that new items mention.
    feed_server.add("/n.xml", rss([("Telefónica gana", "Resultados"), ("Acmeist", "Nada"),
                                   ("Mercados", "El Banco\nSantander sube"),
                                   ("Más", "Mercados hoy"), ("Otro", "nada")]))
    refreshed = cli.json("refresh")
    assert refreshed["mentions"] == {"Rivales": 1}

    assert cli.json("watch", "rematch") == {"items": 2}
    removed = cli.json("watch", "remove", "Rivales")
    assert removed["name"] == "Rivales" and cli.json("watch", "list") == []


def test_watch_errors_are_one_sentence(cli: CLI) -> None:
    message = cli.fails("watch", "add", "Mala", "Acme", "/acme(/")
    assert "'/acme(/'" in message and "regular expression" in message
    assert cli.json("watch", "list") == []  # nothing half-made
    cli.run("watch", "add", "Buena", "Acme")
    assert "already" in cli.fails("watch", "add", "BUENA", "Otra")
    assert "no watch list" in cli.fails("watch", "items", "Nadie")
    assert "Nothing to change" in cli.fails("watch", "edit", "Buena")
    assert "no term" in cli.fails("watch", "edit", "Buena", "--drop", "Globex")
    assert "no watch list" in cli.fails("items", "list", "--watch", "Nadie")


def test_refresh_text_summarises_mentions(cli: CLI, feed_server) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.add("/n.xml", rss([("Acme", "uno"), ("Más Acme", "dos")]))
    cli.run("feeds", "add", url, "--no-fetch")
    cli.run("watch", "add", "Rivales", "acme")
    out = cli.run("refresh").stdout
    assert "Mentions: Rivales 2." in out
