"""Backup and restore (curator/backup.py): a round trip keeps everything, a bad zip is refused
with the data untouched, and no secret ever lands in the zip."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from corehelp import T0, Clock, add, entry, open_curator, store

from curator import Curator
from curator._schema import VERSION
from curator.backup import BackupError, create_backup, inspect_backup, restore_backup

TOKEN = "tok-ÑandúSecreto-9f8e7d"


class _MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring() -> Iterator[_MemoryKeyring]:
    previous = keyring.get_keyring()
    memory = _MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _filled(path: Path) -> Curator:
    cur = open_curator(path, Clock())
    feed = add(cur, "noticias", folder="Mercado")
    store(cur, feed, [entry(1, title="Subida de tipos en España"), entry(2, title="Año récord")])
    item = cur.list_items().items[0]
    cur.add_account("mastodon", name="Mi cuenta", api_base="https://mastodon.example",
                    handle="@yo")
    draft = cur.new_draft(item_id=item.id, text="Mi opinión: ¡léanlo!")
    cur.queue_post(draft.id, "Mi cuenta", T0 + timedelta(days=2))
    cur.new_draft(text="Borrador sin publicar, con eñes")
    cur.set_setting("overdue_grace_minutes", 45)
    return cur


def _snapshot(cur: Curator) -> dict[str, object]:
    return {
        "feeds": [(f.url, f.title, f.folder) for f in cur.list_feeds()],
        "items": sorted(it.title or "" for it in cur.list_items().items),
        "drafts": sorted(d.text for d in cur.list_drafts()),
        "posts": [(p.text, p.scheduled_at, p.state) for p in cur.list_queue()],
        "accounts": [(a.name, a.network, a.api_base, a.handle) for a in cur.list_accounts()],
        "grace": cur.get_setting("overdue_grace_minutes"),
    }


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    settings = tmp_path / "Curator.conf"
    settings.write_text("[refresh]\ninterval_minutes=15\n", encoding="utf-8")
    with _filled(tmp_path / "a") as cur:
        before = _snapshot(cur)
        info = cur.backup(tmp_path / "copia.zip", extra_files=[settings])
    assert info.schema_version == VERSION
    assert set(info.members) == {"curator.db", "settings/Curator.conf"}

    restored_settings = tmp_path / "nuevo" / "Curator.conf"
    with open_curator(tmp_path / "b") as other:  # a fresh install, restored into
        add(other, "otro")
        result = other.restore(tmp_path / "copia.zip",
                               settings_targets={"Curator.conf": restored_settings})
        assert _snapshot(other) == before  # the same core works on, reopened
    assert result.previous == tmp_path / "b" / "curator.db.before-restore"
    assert restored_settings.read_text(encoding="utf-8") == "[refresh]\ninterval_minutes=15\n"
    with open_curator(tmp_path / "b") as reopened:
        assert _snapshot(reopened) == before
    old = sqlite3.connect(result.previous)  # the previous data is kept, whole
    assert old.execute("SELECT url FROM feeds").fetchall() == [("https://otro.example.com/feed",)]
    old.close()


def test_manifest_lists_checksums_and_versions(tmp_path: Path) -> None:
    with _filled(tmp_path / "a") as cur:
        cur.backup(tmp_path / "copia.zip")
    with zipfile.ZipFile(tmp_path / "copia.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        db = zf.read("curator.db")
    assert manifest["format"] == "curator-backup" and manifest["format_version"] == 1
    assert manifest["schema_version"] == VERSION and manifest["app_version"]
    assert manifest["created_at"].endswith("Z")
    assert manifest["files"]["curator.db"]["sha256"] == hashlib.sha256(db).hexdigest()


def test_backup_holds_writes_still_in_the_wal(tmp_path: Path) -> None:
    with open_curator(tmp_path / "a") as cur:
        add(cur, "recien")  # committed, likely only in curator.db-wal so far
        assert (tmp_path / "a" / "curator.db-wal").exists()
        cur.backup(tmp_path / "copia.zip")
    out = tmp_path / "x"
    with zipfile.ZipFile(tmp_path / "copia.zip") as zf:
        zf.extract("curator.db", out)
    db = sqlite3.connect(out / "curator.db")
    assert db.execute("SELECT url FROM feeds").fetchall() == [("https://recien.example.com/feed",)]
    db.close()


def test_no_secret_in_the_zip(tmp_path: Path, memory_keyring: _MemoryKeyring) -> None:
    settings = tmp_path / "Curator.conf"
    settings.write_text(f"[cuentas]\nidioma=es\napi_token={TOKEN}\nPassword = {TOKEN}\n",
                        encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "tokens.json").write_text(json.dumps({"t": TOKEN}))  # never collected
    with open_curator(tmp_path / "a") as cur:
        cur.add_account("mastodon", name="Mi cuenta", api_base="https://mastodon.example",
                        secret=TOKEN)
        assert TOKEN in memory_keyring.entries.values()  # it really is in the keyring
        cur.backup(tmp_path / "copia.zip", extra_files=[settings])
    raw = (tmp_path / "copia.zip").read_bytes()
    assert TOKEN.encode() not in raw
    with zipfile.ZipFile(tmp_path / "copia.zip") as zf:
        for name in zf.namelist():
            assert TOKEN.encode() not in zf.read(name), name
        kept = zf.read("settings/Curator.conf").decode()
    assert "idioma=es" in kept and "api_token" not in kept and "Password" not in kept


def _bad_zips(tmp_path: Path, good: Path) -> dict[str, Path]:
    def rewrite(name: str, change) -> Path:  # type: ignore[no-untyped-def]
        out = tmp_path / name
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
            members = {n: src.read(n) for n in src.namelist()}
            for n, data in change(members).items():
                dst.writestr(n, data)
        return out

    garbage = tmp_path / "basura.zip"
    garbage.write_bytes(b"esto no es un zip" * 10)
    truncated = tmp_path / "cortado.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    foreign = tmp_path / "ajeno.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("fotos/vacaciones.txt", "nada que ver")

    def flip_db(m: dict[str, bytes]) -> dict[str, bytes]:
        db = bytearray(m["curator.db"])
        db[5000] ^= 0xFF
        return m | {"curator.db": bytes(db)}

    def newer(m: dict[str, bytes]) -> dict[str, bytes]:
        manifest = json.loads(m["manifest.json"])
        manifest["schema_version"] = VERSION + 1
        return m | {"manifest.json": json.dumps(manifest).encode()}

    def not_sqlite(m: dict[str, bytes]) -> dict[str, bytes]:
        junk = b"SQLite format 3\x00" + b"\x00" * 5000
        manifest = json.loads(m["manifest.json"])
        manifest["files"]["curator.db"]["sha256"] = hashlib.sha256(junk).hexdigest()
        return {"manifest.json": json.dumps(manifest).encode(), "curator.db": junk}

    def traversal(m: dict[str, bytes]) -> dict[str, bytes]:
        manifest = json.loads(m["manifest.json"])
        manifest["files"]["settings/../../etc/evil"] = {"sha256": "0" * 64}
        return m | {"manifest.json": json.dumps(manifest).encode()}

    return {
        "basura": garbage, "cortado": truncated, "ajeno": foreign,
        "suma": rewrite("suma.zip", flip_db),
        "sin_manifiesto": rewrite("sin.zip", lambda m: {"curator.db": m["curator.db"]}),
        "nuevo": rewrite("nuevo.zip", newer),
        "no_sqlite": rewrite("nosql.zip", not_sqlite),
        "ruta": rewrite("ruta.zip", traversal),
    }


def test_bad_zips_are_refused_with_the_data_untouched(tmp_path: Path) -> None:
    with _filled(tmp_path / "origen") as cur:
        cur.backup(tmp_path / "bueno.zip")
    data = tmp_path / "datos"
    with open_curator(data) as cur:
        add(cur, "mio")
        before = _snapshot(cur)
    db_sum = _sha(data / "curator.db")
    for label, bad in _bad_zips(tmp_path, tmp_path / "bueno.zip").items():
        with open_curator(data) as cur:
            with pytest.raises(BackupError) as caught:
                cur.restore(bad)
            message = str(caught.value)
            assert message.count(". ") == 0 and message.endswith("."), (label, message)
            assert "Traceback" not in message
            assert _snapshot(cur) == before, label
        assert _sha(data / "curator.db") == db_sum, label
        assert not (data / "curator.db.before-restore").exists(), label
        assert not list(data.glob(".curator-restore-*")), label


def test_restore_refused_while_another_connection_has_the_database(tmp_path: Path) -> None:
    with _filled(tmp_path / "origen") as cur:
        cur.backup(tmp_path / "bueno.zip")
    data = tmp_path / "datos"
    with open_curator(data) as running:  # another program (the GUI) with the data open
        add(running, "mio")
        with pytest.raises(BackupError, match="open in another program"):
            restore_backup(tmp_path / "bueno.zip", data)
        assert [f.url for f in running.list_feeds()] == ["https://mio.example.com/feed"]
        add(running, "sigue")  # it still writes, in WAL mode
    assert not (data / "curator.db.before-restore").exists()
    with open_curator(data) as cur:
        assert len(cur.list_feeds()) == 2


def test_inspect_and_create_from_a_plain_connection(tmp_path: Path) -> None:
    _filled(tmp_path / "a").close()
    conn = sqlite3.connect(tmp_path / "a" / "curator.db")
    info = create_backup(conn, tmp_path / "copia.zip")
    conn.close()
    assert inspect_backup(tmp_path / "copia.zip").schema_version == info.schema_version
    with pytest.raises(BackupError, match="does not exist"):
        create_backup(sqlite3.connect(":memory:"), tmp_path / "no" / "copia.zip")
