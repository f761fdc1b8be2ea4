"""`curator accounts` as real subprocesses, against the real Secret Service that
scripts/test.sh starts (the subprocesses inherit its private D-Bus session). The secret must
end up in the keyring and nowhere else: not in the data dir's files (SQLite DB, WAL, SHM),
not on stdout, not on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring
import pytest

from curator.secrets import service_name

SECRETO = "tok-ÑandúSecreto-123"

pytestmark = pytest.mark.skipif(
    not os.environ.get("CURATOR_TEST_KEYRING"),
    reason="needs the private, unlocked Secret Service that `bash scripts/test.sh` starts "
    "(tests never touch your desktop's keyring)")


class CLI:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.outputs: list[str] = []  # every stdout and stderr, to search for the secret

    def run(self, *args: str, ok: bool = True, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
        full_env.pop("CURATOR_DATA_DIR", None)
        proc = subprocess.run(
            [sys.executable, "-m", "curator", "--data-dir", str(self.data_dir), *args],
            capture_output=True, text=True, encoding="utf-8", timeout=60, env=full_env,
            input=stdin if stdin is not None else "", cwd=self.data_dir.parent)
        self.outputs += [proc.stdout, proc.stderr]
        if ok:
            assert proc.returncode == 0, proc.stderr
            assert "Traceback" not in proc.stderr
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def fails(self, *args: str, **kw: Any) -> str:
        proc = self.run(*args, ok=False, **kw)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        return lines[0]

    def secret(self, account_id: int, kind: str = "access_token") -> str | None:
        return keyring.get_password(service_name(self.data_dir), f"{account_id}/{kind}")

    def assert_secret_nowhere(self, secret: str = SECRETO) -> None:
        needles = [secret.encode("utf-8"), secret.encode("utf-16-le"),
                   "ÑandúSecreto".encode(), b"Secreto-123"]
        files = [f for f in self.data_dir.rglob("*") if f.is_file()]
        assert files, "the data dir should hold the database"
        for f in files:
            data = f.read_bytes()
            for needle in needles:
                assert needle not in data, f"the secret is in {f.name}"
        for out in self.outputs:
            assert "Secreto" not in out, out


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[CLI]:
    c = CLI(tmp_path / "datos")
    yield c
    from curator.secrets import SecretStore

    for account_id in range(1, 6):  # leave the test keyring clean
        SecretStore(c.data_dir).delete_all(account_id)


def test_add_list_remove_keeps_the_secret_in_the_keyring_only(cli: CLI) -> None:
    proc = cli.run("accounts", "add", "mastodon", "--name", "Inés en Mastodon",
                   "--instance", "mastodon.example", "--secret-stdin", stdin=SECRETO + "\n")
    assert "Inés en Mastodon" in proc.stdout and "keyring" in proc.stdout
    cli.run("accounts", "add", "bluesky", "--name", "Cielo", "--handle", "ines.bsky.social")
    listed = cli.json("accounts", "list")
    assert [(a["name"], a["network"], a["has_secret"], a["state"]) for a in listed] == [
        ("Cielo", "bluesky", False, "no_secret"),
        ("Inés en Mastodon", "mastodon", True, "ready")]
    ines = listed[1]
    assert ines["api_base"] == "https://mastodon.example" and ines["handle"] is None
    assert {"id", "name", "network", "handle", "api_base"} <= set(ines)
    # Stored exactly as given, minus the final newline of the pipe.
    assert cli.secret(ines["id"]) == SECRETO
    text = cli.run("accounts", "list").stdout
    assert "secret in keyring" in text and "no secret" in text
    cli.assert_secret_nowhere()

    cli.run("accounts", "remove", "Inés en Mastodon")
    assert cli.secret(ines["id"]) is None
    assert [a["name"] for a in cli.json("accounts", "list")] == ["Cielo"]
    cli.run("accounts", "remove", "Cielo")
    assert cli.json("accounts", "list") == []
    cli.assert_secret_nowhere()


def test_each_network_stores_its_own_kind_of_secret(cli: CLI) -> None:
    for network, name, kind in (("bluesky", "Cielo", "app_password"),
                                ("webhook", "Intranet", "webhook_secret"),
                                ("linkedin", "Empresa", "access_token"),
                                ("x", "Equis", "access_token")):
        a = json.loads(cli.run("accounts", "add", network, "--name", name, "--secret-stdin",
                               "--json", stdin=f"{SECRETO}-{network}").stdout)
        assert a["has_secret"] is True and a["network"] == network
        assert cli.secret(a["id"], kind) == f"{SECRETO}-{network}"
    cli.assert_secret_nowhere()


def test_rename_keeps_the_secret_and_a_new_one_replaces_it(cli: CLI) -> None:
    cli.run("accounts", "add", "x", "--name", "Equis", "--secret-stdin", stdin=SECRETO)
    cli.run("accounts", "edit", "Equis", "--rename", "Equis España")
    assert cli.secret(1) == SECRETO
    cli.run("accounts", "edit", "Equis España", "--secret-stdin", stdin="token-nuevo\r\n")
    assert cli.secret(1) == "token-nuevo"
    assert cli.json("accounts", "list")[0]["name"] == "Equis España"
    cli.assert_secret_nowhere()


def test_an_empty_secret_is_refused_and_nothing_is_added(cli: CLI) -> None:
    line = cli.fails("accounts", "add", "mastodon", "--name", "Inés", "--instance",
                     "mastodon.example", "--secret-stdin", stdin="\n")
    assert "empty" in line
    assert cli.json("accounts", "list") == []


def test_a_secret_is_never_taken_from_the_command_line(cli: CLI) -> None:
    proc = cli.run("accounts", "add", "x", "--name", "Equis", "--token", "abc", ok=False)
    assert proc.returncode == 2  # argparse: no such option
    assert cli.json("accounts", "list") == []


def test_without_a_keyring_one_sentence_and_nothing_written(cli: CLI) -> None:
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    line = cli.fails("accounts", "add", "mastodon", "--name", "Inés", "--instance",
                     "mastodon.example", "--secret-stdin", stdin=SECRETO, env=no_keyring)
    assert line.startswith("curator: No system keyring is available")
    assert "apt install gnome-keyring" in line
    assert cli.json("accounts", "list") == []
    assert cli.secret(1) is None
    cli.assert_secret_nowhere()

    # With a secret stored, removing without the keyring is refused (nothing orphaned)...
    cli.run("accounts", "add", "mastodon", "--name", "Inés", "--instance",
            "mastodon.example", "--secret-stdin", stdin=SECRETO)
    line = cli.fails("accounts", "remove", "Inés", env=no_keyring)
    assert "gnome-keyring" in line
    assert cli.secret(1) == SECRETO
    # ...listing still works and says so...
    proc = cli.run("accounts", "list", "--json", env=no_keyring)
    assert json.loads(proc.stdout)[0]["has_secret"] is None
    assert "No system keyring" in proc.stderr
    # ...and the user can choose to drop the profile anyway.
    cli.run("accounts", "remove", "Inés", "--keep-secrets", env=no_keyring)
    assert cli.json("accounts", "list") == []
    cli.assert_secret_nowhere()


class MastodonVerify(BaseHTTPRequestHandler):
    """GET /api/v1/accounts/verify_credentials as Mastodon documents it: Bearer token in
    the Authorization header, the Account entity (acct, username) in JSON; 401 otherwise."""

    token = SECRETO

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        ok = (self.path == "/api/v1/accounts/verify_credentials"
              and self.headers.get("Authorization") == f"Bearer {self.token}")
        body = (json.dumps({"id": "1", "username": "ines", "acct": "ines"}) if ok
                else json.dumps({"error": "The access token is invalid"})).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def mastodon() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), MastodonVerify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_verify_signs_in_with_the_keyring_secret(cli: CLI, mastodon: str) -> None:
    cli.run("accounts", "add", "mastodon", "--name", "Inés", "--instance", mastodon,
            "--secret-stdin", stdin=SECRETO + "\n")
    assert "signed in as ines" in cli.run("accounts", "verify", "Inés").stdout
    assert cli.json("accounts", "list")[0]["handle"] == "ines"  # filled in
    cli.run("accounts", "edit", "Inés", "--secret-stdin", stdin="token-caducado")
    line = cli.fails("accounts", "verify", "Inés")
    assert line.startswith("curator: ")
    cli.assert_secret_nowhere()
    assert all("token-caducado" not in out for out in cli.outputs)
