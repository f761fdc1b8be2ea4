"""SQLite helpers with no business logic: connections per thread, transactions, migrations."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import StorageError


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is explicit.
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe against corruption
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    return db


class Database:
    """One SQLite file, one connection per thread.

    Keyed by thread id, not threading.local: Qt's pool threads drop their Python thread
    state after every task, which would open (and leak) a new connection per task. A thread
    id reused by a new thread only ever inherits an idle connection.
    """

    def __init__(self, path: Path):
        self.path = path
        self._conns: dict[int, sqlite3.Connection] = {}
        self._lock = threading.Lock()

    @property
    def conn(self) -> sqlite3.Connection:
        ident = threading.get_ident()
        db = self._conns.get(ident)
        if db is None:
            try:
                db = _connect(self.path)
            except sqlite3.Error as e:
                raise StorageError(f"Cannot open the database {self.path}: {e}.") from e
            with self._lock:
                self._conns[ident] = db
        return db

    def close(self) -> None:
        with self._lock:
            if self._conns:
                try:  # keeps the planner's statistics current (cheap; runs ANALYZE if useful)
                    next(iter(self._conns.values())).execute("PRAGMA optimize")
                except sqlite3.Error:
                    pass
            for db in self._conns.values():
                try:
                    db.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()

    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction; IMMEDIATE takes the write lock up front so it never deadlocks."""
        db = self.conn
        with wrap_errors():
            db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")


@contextmanager
def wrap_errors() -> Iterator[None]:
    """Turn environment errors the user can act on into StorageError; let bugs through."""
    try:
        yield
    except sqlite3.OperationalError as e:
        msg = str(e)
        if "locked" in msg or "busy" in msg:
            raise StorageError("The database is busy in another program; try again.") from e
        if "disk" in msg or "full" in msg or "readonly" in msg or "unable to open" in msg:
            raise StorageError(f"The database cannot be written: {msg}.") from e
        raise
    except sqlite3.DatabaseError as e:
        if "malformed" in str(e) or "not a database" in str(e):
            raise StorageError(f"The database is damaged: {e}.") from e
        raise


def migrate(
    db: Database,
    version: int,
    create_sql: str,
    migrations: Mapping[int, Callable[[sqlite3.Connection], None]],
) -> None:
    """Create the schema, or upgrade it step by step; back the file up before each step."""
    conn = db.conn
    with wrap_errors():
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current == version:
            return
        if current > version:
            raise StorageError(
                f"The database was written by a newer Curator (schema {current}, this one "
                f"knows {version}); upgrade Curator."
            )
        if current == 0:
            # executescript() commits first, so the DDL runs as one script with its own
            # BEGIN/COMMIT: a kill mid-way leaves an empty database, never half a schema.
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{create_sql}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
            return
        for n in range(current, version):
            backup(conn, db.path.with_name(f"{db.path.name}.v{n}.bak"))
            with db.transaction() as c:
                migrations[n](c)
                c.execute(f"PRAGMA user_version = {n + 1}")


def backup(conn: sqlite3.Connection, dest: Path) -> None:
    tmp = dest.with_suffix(dest.suffix + ".tmp")
    target = sqlite3.connect(tmp)
    try:
        conn.backup(target)
    finally:
        target.close()
    os.replace(tmp, dest)
