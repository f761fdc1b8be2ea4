"""`curator accounts` network options and `curator queue add --thread / --no-disclaimer`,
as real subprocesses (no secret involved: nothing here needs the keyring)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_drafts import CLI

from curator.counting import split_thread

LONG = " ".join(f"Frase número {n} sobre la campaña de otoño en Madrid." for n in range(12))


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path / "datos")


def test_network_options_from_the_command_line(cli: CLI) -> None:
    made = cli.json("accounts", "add", "mastodon", "--name", "Masto", "--instance",
                    "social.example", "--language", "es", "--visibility", "unlisted",
                    "--server-schedule")
    assert (made["language"], made["visibility"], made["server_schedule"]) == \
        ("es", "unlisted", True)
    edited = cli.json("accounts", "edit", "Masto", "--no-server-schedule", "--language", "ca")
    assert (edited["language"], edited["visibility"], edited["server_schedule"]) == \
        ("ca", "unlisted", False)
    li = cli.json("accounts", "add", "linkedin", "--name", "Perfil", "--api-version", "202611")
    assert li["api_version"] == "202611"
    assert "not a LinkedIn API version" in cli.fails("accounts", "edit", "Perfil",
                                                      "--api-version", "noviembre")
    assert "not a language tag" in cli.fails("accounts", "edit", "Masto", "--language", "es_ES!")


def test_queue_add_a_thread_and_without_the_optional_disclaimer(cli: CLI) -> None:
    cli.run("accounts", "add", "bluesky", "--name", "Cielo")
    cli.run("accounts", "edit", "Cielo")  # no change is fine
    cli.run("accounts", "add", "webhook", "--name", "Equipo", "--api-base",
            "http://127.0.0.1:9/hook", "--disclaimer", "Opiniones personales.")
    draft = cli.json("drafts", "new", "--text", LONG)["id"]
    refused = cli.fails("queue", "add", str(draft), "--account", "Cielo", "--at",
                        "2030-06-03T09:00Z")
    assert "split it into a thread" in refused
    thread = cli.json("queue", "add", str(draft), "--account", "Cielo", "--at",
                      "2030-06-03T09:00Z", "--thread")
    assert [thread["text"], *thread["thread"]] == split_thread("bluesky", LONG)
    said = cli.run("queue", "add", str(draft), "--account", "Cielo", "--at",
                   "2030-06-03T09:00Z", "--thread").stdout
    assert f"(a thread of {len(thread['thread']) + 1})" in said
    short = cli.json("drafts", "new", "--text", "Hoy leo esto")["id"]
    plain = cli.json("queue", "add", str(short), "--account", "Equipo", "--at",
                     "2030-06-03T09:00Z", "--no-disclaimer")
    assert plain["text"] == "Hoy leo esto"
    signed = cli.json("queue", "add", str(short), "--account", "Equipo", "--at",
                      "2030-06-03T09:00Z")
    assert signed["text"] == "Hoy leo esto\n\nOpiniones personales."
    cli.run("accounts", "edit", "Equipo", "--mandatory-disclaimer")
    forced = cli.json("queue", "add", str(short), "--account", "Equipo", "--at",
                      "2030-06-03T09:00Z", "--no-disclaimer")
    assert forced["text"] == signed["text"]
