"""Where the insights worker keeps its projection: one SQLite file.

Each batch of events is committed in one transaction together with the Kafka positions
it reached and the outputs it produced (an outbox), so after a crash the worker resumes
from exactly what it had applied: records, positions and unpublished outputs agree. The
read models are disposable — ``python -m services.insights rebuild`` recreates the file
from the topics.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from services.insights.domain.state import Projection

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value BLOB NOT NULL
);
"""


class ReadModelStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

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
        self.db.close()

    def load(self) -> Projection:
        records: dict[str, dict[str, dict[str, Any]]] = {}
        for kind, key, data in self.db.execute("SELECT kind, id, data FROM records"):
            records.setdefault(kind, {})[key] = json.loads(data)
        meta = {
            key: json.loads(value) for key, value in self.db.execute("SELECT key, value FROM meta")
        }
        return Projection(records, meta)

    def commit(self, projection: Projection, outbox: Iterable[tuple[str, bytes]] = ()) -> None:
        """Persist what changed since the last commit, and queue outputs, atomically."""
        cur = self.db.cursor()
        cur.execute("BEGIN")
        try:
            for kind, key, record in projection.take_dirty():
                if record is None:
                    cur.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, key))
                else:
                    cur.execute(
                        "INSERT OR REPLACE INTO records (kind, id, data) VALUES (?, ?, ?)",
                        (kind, key, json.dumps(record, sort_keys=True)),
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
        """Replace everything with ``projection`` (used by rebuild on a fresh file)."""
        for kind, records in projection.records.items():
            for key in records:
                projection.dirty.add((kind, key))
        projection.meta_dirty = True
        self.commit(projection)
