"""SQLite as the ``eventsourcing`` library opens it (WAL journal), plus the one setting it
leaves out: how often commits reach the disk (``PRAGMA synchronous``).

* ``full`` (the default): every commit is on disk before the command answers; a power cut
  loses nothing that was answered.
* ``normal``: in WAL mode a commit is written to the log but synced only at checkpoints:
  a crash of the process loses nothing, a power cut or kernel crash can lose the last
  commits (and they may already be on Kafka). Several times more commits per second.

Selected by ``PERSISTENCE_MODULE=kernel.sqlite_store:DurableSQLiteFactory`` with
``SQLITE_SYNCHRONOUS`` (``kernel.store.persistence_env`` sets both).

Reads run as the single statement each of them is. The library wraps every read in
``BEGIN`` and ``ROLLBACK``, and each of the three statements hands the GIL to another
thread and back: with eight threads reading cached aggregates (a fast-forward query each)
a read cost 138 µs of CPU with them and 66-78 µs without, measured here. One SQLite
statement in autocommit mode is its own transaction, reading one consistent snapshot;
every read of the library and of this project is one statement (writes keep their
transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteFactory,
    SQLiteTransaction,
)
from eventsourcing.utils import Environment, EnvType

SYNCHRONOUS = ("full", "normal")


class _Read(SQLiteTransaction):
    """The library's transaction without its ``BEGIN``: its exit still turns sqlite3's
    errors into the library's, and its rollback does nothing outside a transaction."""

    def __enter__(self) -> SQLiteCursor:
        return self.connection.cursor()


class _Connection(SQLiteConnection):
    """A pooled connection whose reads (``transaction(commit=False)``) run in autocommit
    mode, without ``BEGIN`` and ``ROLLBACK`` around their one statement."""

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        if commit:
            with super().transaction(commit=True) as cursor:
                yield cursor
            return
        with _Read(self, commit=False) as cursor, cursor:
            yield cursor


class _SyncedPool(SQLiteConnectionPool):
    def __init__(self, *, db_name: str, lock_timeout: int | None, synchronous: str) -> None:
        super().__init__(db_name=db_name, lock_timeout=lock_timeout)
        self.synchronous = synchronous

    def _create_connection(self) -> SQLiteConnection:
        made = super()._create_connection()._sqlite_conn
        made.execute(f"PRAGMA synchronous={self.synchronous.upper()};")
        return _Connection(sqlite_conn=made, max_age=self.max_age)


class DurableSQLiteFactory(SQLiteFactory):
    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        synchronous = (self.env.get(self.SQLITE_SYNCHRONOUS) or "full").lower()
        if synchronous not in SYNCHRONOUS:
            raise OSError(f"SQLITE_SYNCHRONOUS is {synchronous!r}; expected one of {SYNCHRONOUS}")
        unused = self.datastore.pool  # no connection is opened before the first query
        self.datastore.pool = _SyncedPool(
            db_name=unused.db_name, lock_timeout=unused.lock_timeout, synchronous=synchronous
        )
        unused.close()
