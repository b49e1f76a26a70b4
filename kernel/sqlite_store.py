"""SQLite as the ``eventsourcing`` library opens it (WAL journal), plus the one setting it
leaves out: how often commits reach the disk (``PRAGMA synchronous``).

* ``full`` (the default): every commit is on disk before the command answers; a power cut
  loses nothing that was answered.
* ``normal``: in WAL mode a commit is written to the log but synced only at checkpoints:
  a crash of the process loses nothing, a power cut or kernel crash can lose the last
  commits (and they may already be on Kafka). Several times more commits per second.

Selected by ``PERSISTENCE_MODULE=kernel.sqlite_store:DurableSQLiteFactory`` with
``SQLITE_SYNCHRONOUS`` (``kernel.store.persistence_env`` sets both).
"""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment, EnvType

SYNCHRONOUS = ("full", "normal")


class _SyncedPool(SQLiteConnectionPool):
    def __init__(self, *, db_name: str, lock_timeout: int | None, synchronous: str) -> None:
        super().__init__(db_name=db_name, lock_timeout=lock_timeout)
        self.synchronous = synchronous

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous.upper()};")
        return connection


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
