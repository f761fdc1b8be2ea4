"""Backup and restore: one zip holding a consistent copy of the database, the app's settings
files and a manifest of checksums. Never secrets: the OS keyring is not touched.

Zip layout (format_version 1):
    manifest.json     {"format": "curator-backup", "format_version": 1, "app_version",
                       "schema_version", "created_at", "files": {name: {"sha256", "size"}}}
    curator.db        the database, copied with SQLite's online backup API (never the live
                      file, whose recent writes may still sit in its -wal file)
    settings/NAME     settings files the caller passed (the GUI's QSettings ini)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__, _schema
from .errors import CuratorError

FORMAT = "curator-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = "curator.db"
SETTINGS_PREFIX = "settings/"
BEFORE_RESTORE_SUFFIX = ".before-restore"
MAX_MANIFEST_BYTES = 1 << 20
MAX_MEMBER_BYTES = 8 << 30  # a zip bomb stops here, whatever the manifest claims
_CHUNK = 1 << 20
# Lines of a settings file whose key looks like a secret are left out of the zip: secrets
# belong in the keyring only, and an old or hand-edited settings file must not leak one.
_SECRET_KEY = re.compile(
    r"^\s*[^=\n]*(token|secret|password|passwd|api[_-]?key|credential)[^=\n]*=", re.I)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,100}$")


class BackupError(CuratorError, ValueError):
    """The file is not a Curator backup this Curator can restore, or a backup cannot be
    written; str(e) is one sentence and the current data is untouched."""


@dataclass(frozen=True)
class BackupInfo:
    """A backup just written, or one read back by inspect_backup."""

    path: Path
    created_at: str
    app_version: str
    schema_version: int
    members: tuple[str, ...]  # archive names, the manifest excluded

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "created_at": self.created_at,
                "app_version": self.app_version, "schema_version": self.schema_version,
                "members": list(self.members)}


@dataclass(frozen=True)
class RestoreResult:
    """What a restore changed."""

    backup: BackupInfo
    database: Path
    previous: Path | None  # the database as it was, kept next to it; None if there was none
    settings_restored: tuple[Path, ...]
    settings_skipped: tuple[str, ...]  # settings in the zip nobody asked for (the CLI)

    def to_json(self) -> dict[str, Any]:
        return {"backup": self.backup.to_json(), "database": str(self.database),
                "previous": str(self.previous) if self.previous else None,
                "settings_restored": [str(p) for p in self.settings_restored],
                "settings_skipped": list(self.settings_skipped)}


def _utc_stamp(now: datetime | None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _scrubbed_settings(path: Path) -> bytes:
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    kept = [line for line in text.splitlines(keepends=True) if not _SECRET_KEY.match(line)]
    return "".join(kept).encode("utf-8", errors="surrogateescape")


def create_backup(
    source: sqlite3.Connection,
    dest: Path | str,
    *,
    extra_files: Sequence[Path | str] = (),
    now: datetime | None = None,
) -> BackupInfo:
    """Write a backup zip of the database `source` is connected to, plus `extra_files`
    (settings files; a missing one is skipped; lines whose key names a token, secret or
    password are left out). The zip appears at `dest` only once complete.

    Raises:
        BackupError: the destination cannot be written.
    """
    dest = Path(dest)
    extras = [Path(p) for p in extra_files]
    for p in extras:
        if not _SAFE_NAME.match(p.name) or p.name == DB_MEMBER:
            raise BackupError(f"Cannot back up a settings file named {p.name!r}.")
    if len({p.name for p in extras}) != len(extras):
        raise BackupError("Two settings files to back up have the same name.")
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise BackupError(f"Cannot write the backup: the folder {folder} does not exist.")
    try:
        with tempfile.TemporaryDirectory(prefix=".curator-backup-", dir=folder) as tmp:
            copy = Path(tmp) / DB_MEMBER
            target = sqlite3.connect(copy)
            try:
                source.backup(target)  # one read transaction: a consistent snapshot
                schema = target.execute("PRAGMA user_version").fetchone()[0]
                target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                target.close()
            payloads: dict[str, Path | bytes] = {DB_MEMBER: copy}
            for p in extras:
                if p.is_file():
                    payloads[SETTINGS_PREFIX + p.name] = _scrubbed_settings(p)
            files: dict[str, dict[str, Any]] = {}
            for name, payload in payloads.items():
                if isinstance(payload, bytes):
                    files[name] = {"sha256": hashlib.sha256(payload).hexdigest(),
                                   "size": len(payload)}
                else:
                    files[name] = {"sha256": _sha256_file(payload),
                                   "size": payload.stat().st_size}
            created = _utc_stamp(now)
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                        "app_version": __version__, "schema_version": schema,
                        "created_at": created, "files": files}
            partial = Path(tmp) / "backup.zip"
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
                for name, payload in payloads.items():
                    if isinstance(payload, bytes):
                        zf.writestr(name, payload)
                    else:
                        zf.write(payload, name)
            os.replace(partial, dest)
    except sqlite3.Error as e:
        raise BackupError(f"Cannot copy the database for the backup: {e}.") from e
    except OSError as e:
        raise BackupError(f"Cannot write the backup {dest}: {e.strerror or e}.") from e
    return BackupInfo(dest, created, __version__, schema, tuple(payloads))


# ---- reading and restoring ------------------------------------------------------------------


def _refuse(path: Path, why: str) -> BackupError:
    return BackupError(f"{path.name} is not a Curator backup this Curator can restore: {why}.")


def _read_manifest(zf: zipfile.ZipFile, path: Path) -> BackupInfo:
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise _refuse(path, "it has no manifest.json") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise _refuse(path, "its manifest.json is too large")
    try:
        manifest = json.loads(zf.read(info).decode("utf-8"))
    except (ValueError, zipfile.BadZipFile, OSError):
        raise _refuse(path, "its manifest.json cannot be read") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(path, "its manifest.json is not a Curator manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise _refuse(path, "its manifest.json has no format version")
    if version > FORMAT_VERSION:
        raise _refuse(path, f"it was written by a newer Curator (backup format {version})")
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema < 1:
        raise _refuse(path, "its manifest.json has no schema version")
    if schema > _schema.VERSION:
        raise _refuse(path, f"it was written by a newer Curator (schema {schema}, this one "
                      f"knows {_schema.VERSION}); upgrade Curator first")
    files = manifest.get("files")
    if not isinstance(files, dict) or DB_MEMBER not in files:
        raise _refuse(path, "its manifest.json lists no database")
    for name, meta in files.items():
        ok_name = name == DB_MEMBER or (
            name.startswith(SETTINGS_PREFIX) and _SAFE_NAME.match(name[len(SETTINGS_PREFIX):]))
        if not ok_name or not isinstance(meta, dict) \
                or not re.fullmatch(r"[0-9a-f]{64}", str(meta.get("sha256", ""))):
            raise _refuse(path, f"its manifest.json has a bad entry {name!r}")
    return BackupInfo(path, str(manifest.get("created_at", "")),
                      str(manifest.get("app_version", "")), schema, tuple(files))


@contextlib.contextmanager
def _open_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupError(f"There is no file {path}.") from None
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(path, "it is not a zip file") from None
    with zf:
        yield zf


def _extract(zf: zipfile.ZipFile, name: str, expected_sha: str, dest: Path, path: Path) -> None:
    """Copy one member to dest (a name we chose, never the member's path), checking its sum."""
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(name) as src, dest.open("wb") as out:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > MAX_MEMBER_BYTES:
                    raise _refuse(path, f"{name} is too large")
                digest.update(chunk)
                out.write(chunk)
    except KeyError:
        raise _refuse(path, f"{name} is missing from it") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise _refuse(path, f"{name} is damaged") from None
    except (NotImplementedError, RuntimeError):  # unknown compression, encrypted member
        raise _refuse(path, f"{name} cannot be read") from None
    if digest.hexdigest() != expected_sha:
        raise _refuse(path, f"{name} does not match its checksum")


def _check_database(db_path: Path, path: Path, schema: int) -> None:
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise _refuse(path, "its database is damaged") from None
    if [tuple(r) for r in result] != [("ok",)]:
        raise _refuse(path, "its database fails SQLite's integrity check")
    if version != schema or not {"feeds", "items"} <= tables:
        raise _refuse(path, "its database is not a Curator database")


def inspect_backup(source: Path | str) -> BackupInfo:
    """Read a backup's manifest (no checksums, no extraction): what a restore would bring.

    Raises:
        BackupError
    """
    path = Path(source)
    with _open_zip(path) as zf:
        return _read_manifest(zf, path)


@contextlib.contextmanager
def _exclusive(db_path: Path) -> Iterator[None]:
    """Hold the current database alone, out of WAL mode, so nothing can write it (or leave a
    -wal file that SQLite would replay onto the restored file) while it is replaced."""
    if not db_path.exists():
        yield
        return
    busy = BackupError("Curator's database is open in another program (the app or a "
                       "command); close it and try again.")
    try:
        conn = sqlite3.connect(db_path, timeout=5, isolation_level=None)
    except sqlite3.Error as e:
        raise BackupError(f"Cannot open the current database {db_path}: {e}.") from e
    try:
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # Leaving WAL mode needs the only connection: this fails while anyone has it open.
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            if str(mode).lower() != "delete":
                raise busy
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as e:
            raise busy from e
        except sqlite3.DatabaseError:
            pass  # the current file is damaged: restoring over it is the point
        yield
    finally:
        conn.close()


def _keep_previous(db_path: Path) -> Path | None:
    if not db_path.exists():
        return None
    previous = db_path.with_name(db_path.name + BEFORE_RESTORE_SUFFIX)
    staging = db_path.with_name(db_path.name + BEFORE_RESTORE_SUFFIX + ".tmp")
    staging.unlink(missing_ok=True)
    try:
        os.link(db_path, staging)  # instant and atomic where the file system allows it
    except OSError:
        shutil.copy2(db_path, staging)  # consistent: checkpointed and locked (_exclusive)
    os.replace(staging, previous)
    return previous


def restore_backup(
    source: Path | str,
    data_dir: Path | str,
    *,
    db_name: str = DB_MEMBER,
    settings_targets: Mapping[str, Path | str] | None = None,
) -> RestoreResult:
    """Replace data_dir's database with the backup's, after validating everything: a zip, its
    manifest, every checksum, SQLite's integrity check and a schema no newer than this
    Curator's. The current database is kept as `curator.db.before-restore`; until the final
    os.replace nothing of it changes. Every connection to it must be closed first (a
    Curator's close()); an older schema is migrated the next time a Curator opens it.

    settings_targets maps a settings file's name in the zip ("Curator.conf") to where it is
    restored (atomically, the old one kept with the same suffix); others are skipped.

    Raises:
        BackupError: the file is refused (the data is untouched), or the database is open.
    """
    path, folder = Path(source), Path(data_dir)
    targets = {k: Path(v) for k, v in (settings_targets or {}).items()}
    if not folder.is_dir():
        raise BackupError(f"The data folder {folder} does not exist.")
    try:
        return _restore(path, folder / db_name, targets)
    except OSError as e:
        raise BackupError(f"Cannot restore {path.name}: {e.strerror or e}.") from e


def _restore(path: Path, db_path: Path, targets: Mapping[str, Path]) -> RestoreResult:
    folder = db_path.parent
    restored: list[Path] = []
    skipped: list[str] = []
    with _open_zip(path) as zf, tempfile.TemporaryDirectory(
            prefix=".curator-restore-", dir=folder) as tmp:
        info = _read_manifest(zf, path)
        files = json.loads(zf.read(MANIFEST).decode("utf-8"))["files"]
        staged: dict[str, Path] = {}
        for n, name in enumerate(info.members):
            dest = Path(tmp) / f"{n}.part"
            _extract(zf, name, files[name]["sha256"], dest, path)
            staged[name] = dest
        _check_database(staged[DB_MEMBER], path, info.schema_version)
        # Everything is valid: now, and only now, the current data changes.
        with _exclusive(db_path):
            previous = _keep_previous(db_path)
            for suffix in ("-wal", "-shm"):  # none after _exclusive; never replay a stale one
                db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
            os.replace(staged.pop(DB_MEMBER), db_path)
        for name, staged_file in staged.items():
            short = name[len(SETTINGS_PREFIX):]
            target = targets.get(short)
            if target is None:
                skipped.append(short)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.copy2(target, target.with_name(target.name + BEFORE_RESTORE_SUFFIX))
            partial = target.with_name(target.name + ".restoring")  # same folder: atomic
            shutil.copyfile(staged_file, partial)
            os.replace(partial, target)
            restored.append(target)
    return RestoreResult(info, db_path, previous, tuple(restored), tuple(skipped))
