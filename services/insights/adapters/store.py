"""Where the insights worker keeps its projection: one SQLite file.

Each batch of events is committed in one transaction together with the Kafka positions
it reached and the outputs it produced (an outbox), so after a crash the worker resumes
from exactly what it had applied: records, positions and unpublished outputs agree. The
read models are disposable — ``python -m services.insights rebuild`` recreates the file
from the topics.

The file is also the projection's shelf: the kinds that grow with the business are read
from it when the worker's bounded cache does not hold them, and queries read a consistent
snapshot of it through a connection of their own (``reading``), off the loop that folds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services.insights.domain.state import CACHED_RECORDS, LINKS, SHELVED, Projection, Record

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value BLOB NOT NULL
);
""" + "".join(
    # The joins' links, one partial index each (kind and attribute are constants).
    f"CREATE INDEX IF NOT EXISTS records_{kind}_{attribute} "
    f"ON records (json_extract(data, '$.{attribute}')) WHERE kind = '{kind}';\n"
    for kind, attribute in LINKS
)
_SHELVED = ", ".join(f"'{kind}'" for kind in sorted(SHELVED))
QUERY_CACHE = 1000  # shelved records a query keeps at hand besides its scans


class SQLiteShelf:
    """The shelved records of one connection (see ``state.Shelf``)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def fetch(self, kind: str, key: str) -> Record | None:
        row = self.db.execute(
            "SELECT data FROM records WHERE kind = ? AND id = ?", (kind, key)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def scan(self, kind: str) -> Iterator[tuple[str, Record]]:
        for key, data in self.db.execute("SELECT id, data FROM records WHERE kind = ?", (kind,)):
            yield key, json.loads(data)

    def scan_keys(self, kind: str) -> Iterator[str]:
        for (key,) in self.db.execute("SELECT id FROM records WHERE kind = ?", (kind,)):
            yield key

    def linked(self, kind: str, attribute: str, value: str) -> list[str]:
        assert (kind, attribute) in LINKS, (kind, attribute)
        rows = self.db.execute(
            f"SELECT id FROM records WHERE kind = '{kind}' "  # noqa: S608 - constants
            f"AND json_extract(data, '$.{attribute}') = ?",
            (value,),
        )
        return [key for (key,) in rows]

    def kinds(self) -> list[str]:
        return [kind for (kind,) in self.db.execute("SELECT DISTINCT kind FROM records")]

    def projection(self, cached: int, frozen: bool) -> Projection:
        """The resident records and the meta, with the rest on this shelf (a frozen
        projection, a query's, reads even the resident kinds when it first needs them)."""
        records: dict[str, dict[str, dict[str, Any]]] = {}
        if frozen:
            return Projection(records, self.meta(), shelf=self, cached=cached, frozen=True)
        for kind, key, data in self.db.execute(
            f"SELECT kind, id, data FROM records WHERE kind NOT IN ({_SHELVED})"  # noqa: S608
        ):
            records.setdefault(kind, {})[key] = json.loads(data)
        return Projection(records, self.meta(), shelf=self, cached=cached, frozen=frozen)

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}


class ReadModelStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._reader: sqlite3.Connection | None = None
        self._reading = threading.Lock()

    def generation(self) -> int:
        """The store's generation, which names the worker's consumer group: a new store (or
        a rebuilt one) starts a new generation and so reads the topics from the start."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        if row is not None:
            return int(json.loads(row[0]))
        generation = int(time.time())
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES ('generation', ?)", (str(generation),)
        )
        return generation

    def close(self) -> None:
        with self._reading:
            if self._reader is not None:
                self._reader.close()
        self.db.close()

    def load(self, cached: int = CACHED_RECORDS) -> Projection:
        """The worker's projection: resident kinds in memory, shelved ones read from this
        file through a cache of ``cached`` records."""
        return SQLiteShelf(self.db).projection(cached, frozen=False)

    def load_whole(self) -> Projection:
        """Every record in memory, on no shelf (for comparisons and tools; the file may go
        away afterwards)."""
        shelf = SQLiteShelf(self.db)
        records: dict[str, dict[str, dict[str, Any]]] = {}
        for kind in shelf.kinds():
            records[kind] = dict(shelf.scan(kind))
        return Projection(records, shelf.meta())

    @contextmanager
    def reading(self) -> Iterator[Projection]:
        """A query's projection: what was committed when it began, read through a
        connection of its own (from any thread; one reader at a time)."""
        with self._reading:
            if self._reader is None:
                self._reader = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
                self._reader.execute("PRAGMA query_only=ON")
            self._reader.execute("BEGIN")  # one snapshot for the whole query
            try:
                yield SQLiteShelf(self._reader).projection(QUERY_CACHE, frozen=True)
            finally:
                self._reader.execute("COMMIT")

    def commit(self, projection: Projection, outbox: Iterable[tuple[str, bytes]] = ()) -> None:
        """Persist what changed since the last commit, and queue outputs, atomically."""
        cur = self.db.cursor()
        cur.execute("BEGIN")
        try:
            gone, kept = [], []
            for kind, key, record in projection.take_dirty():
                if record is None:
                    gone.append((kind, key))
                else:
                    kept.append((kind, key, json.dumps(record, separators=(",", ":"))))
            cur.executemany("DELETE FROM records WHERE kind = ? AND id = ?", gone)
            cur.executemany(
                "INSERT OR REPLACE INTO records (kind, id, data) VALUES (?, ?, ?)", kept
            )
            if projection.meta_dirty:
                cur.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [(k, json.dumps(v, sort_keys=True)) for k, v in projection.meta.items()],
                )
                projection.meta_dirty = False
            cur.executemany("INSERT INTO outbox (key, value) VALUES (?, ?)", list(outbox))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def pending(self, limit: int = 500) -> list[tuple[int, str, bytes]]:
        return list(
            self.db.execute("SELECT seq, key, value FROM outbox ORDER BY seq LIMIT ?", (limit,))
        )

    def unpublished(self) -> int:
        """How many outputs are committed but not yet sent."""
        return int(self.db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def published(self, up_to: int) -> None:
        self.db.execute("DELETE FROM outbox WHERE seq <= ?", (up_to,))

    def write_all(self, projection: Projection) -> None:
        """Replace everything with ``projection`` (an in-memory one; used by rebuild on a
        fresh file)."""
        assert projection.shelf is None
        for kind, records in projection.records.items():
            for key in records:
                projection.dirty.add((kind, key))
        projection.meta_dirty = True
        self.commit(projection)
