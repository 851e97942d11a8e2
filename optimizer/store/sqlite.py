"""A versioned SQLite file, whatever it holds: short-lived connections, busy retries, WAL, schema version, migrations."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reeplan.errors import ReeplanError
from reeplan.version import __version__

BUSY_TIMEOUT_S = 30.0  # sqlite waits this long for a lock before reporting "database is locked"
RETRY_FOR_S = 120.0  # then we retry whole transactions, with backoff, for this long

# migrations[v] brings a file from schema version v to v + 1 (v = 0: an empty file): SQL statements or a function.
Migrations = dict[int, list[str] | Callable[[sqlite3.Connection], None]]


class StoreError(ReeplanError):
    """The run store cannot be used as asked (not a store, unknown run id, ...)."""

    exit_code = 2


class StoreVersionError(StoreError):
    """The store was written by a newer reeplan (a schema this version does not know)."""


def utc_now() -> str:
    """The current time, UTC, to the second (ISO 8601)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------------
# connections, transactions, retries
# --------------------------------------------------------------------------------------------


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _retry(fn: Callable[[], Any], what: str) -> Any:
    """Run ``fn`` (one whole transaction) again while another writer holds the lock."""
    deadline = time.monotonic() + RETRY_FOR_S
    delay = 0.02
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise
            if time.monotonic() > deadline:
                raise StoreError(f"run store busy: could not {what} within {RETRY_FOR_S:.0f} s ({exc})") from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


class Database:
    """One SQLite file. Cheap to create: each operation opens its own short-lived connection."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def connect(self) -> sqlite3.Connection:
        """A new connection (autocommit, busy timeout, foreign keys on); the caller closes it."""
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot open run store {self.path}: {exc}") from None
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable at checkpoints, never corrupt
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = self.connect()
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
                raise
            raise StoreError(f"run store {self.path}: {exc}") from None
        finally:
            conn.close()

    def write(self, fn: Callable[[sqlite3.Connection], Any], what: str) -> Any:
        """Run ``fn(conn)`` in one ``BEGIN IMMEDIATE`` transaction, retried while the store is locked."""

        def attempt():
            with self._connection() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    out = fn(conn)
                    conn.execute("COMMIT")
                    return out
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

        return _retry(attempt, what)

    def read(self, fn: Callable[[sqlite3.Connection], Any], what: str) -> Any:
        """Run ``fn(conn)`` in one read transaction (a consistent snapshot)."""

        def attempt():
            with self._connection() as conn:
                conn.execute("BEGIN")
                try:
                    return fn(conn)
                finally:
                    conn.execute("ROLLBACK")

        return _retry(attempt, what)

    def enable_wal(self) -> str:
        """Switch the file to the WAL journal (readers see the last commit while a writer works); the mode set."""

        def wal():
            with self._connection() as conn:
                return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]

        return _retry(wal, "switch the run store to WAL mode")


# --------------------------------------------------------------------------------------------
# schema version and migrations
# --------------------------------------------------------------------------------------------


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version of the open file (0: empty); StoreError if it holds tables but no version."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in names:
        if names - {"sqlite_sequence"}:
            raise StoreError("not a reeplan run store (it has tables but no schema_version)")
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _check_not_newer(db: Database, version: int, known: int) -> None:
    if version > known:
        raise StoreVersionError(
            f"run store {db.path} has schema version {version}, written by a newer reeplan; this is "
            f"reeplan {__version__} (schema version {known}). Upgrade reeplan to read it, or use "
            "another store (--store PATH or REEPLAN_STORE)")


def ensure_schema(db: Database, version: int, migrations: Migrations) -> None:
    """Create or migrate the file to schema ``version``, one migration per transaction; refuse a newer schema."""
    try:
        current = db.read(schema_version, "read the schema version")
    except sqlite3.DatabaseError as exc:  # pragma: no cover - mapped by _connection
        raise StoreError(f"run store {db.path}: {exc}") from None
    _check_not_newer(db, current, version)
    if current < version:
        db.enable_wal()
    while current < version:

        def step(conn, expected=current):
            now = schema_version(conn)  # another process may have migrated meanwhile
            _check_not_newer(db, now, version)
            if now != expected:
                return now
            if now == 0:
                conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL, "
                             "reeplan_version TEXT NOT NULL)")
            migration = migrations[now]
            if callable(migration):
                migration(conn)
            else:
                for sql in migration:
                    conn.execute(sql)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", (now + 1, utc_now(), __version__))
            return now + 1

        current = db.write(step, f"migrate the run store to schema version {current + 1}")
