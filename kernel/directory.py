"""Directories: queryable read models a service builds from its own notification log.

Each lives in a SQLite file beside the data (one per process; disposable: delete it and it
is rebuilt from the log). A catch-up reads the log after its recorded position, loads every
aggregate the new events touched and upserts its row, in the same transaction that moves
the position, so rows are never half-updated. Queries catch up first, so a client reads
its own writes. Subclasses say which tables exist and how an aggregate becomes a row.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from kernel.errors import NotFound
from kernel.http import ErrorBody
from kernel.routing import service_router
from kernel.scope import Scope
from kernel.store import ServiceApplication

MAX_PAGE = 500
EXTERNAL_IDS = (
    "CREATE TABLE IF NOT EXISTS external_ids (kind TEXT NOT NULL, external_id TEXT NOT NULL,"
    " aggregate_id TEXT NOT NULL, PRIMARY KEY (kind, external_id));"
)


class Directory:
    schema = ""  # CREATE TABLE statements (each table has seq, a unique id and a JSON row)
    aggregates: tuple[str, ...] = ()  # aggregate class names whose events touch a row
    # Raise it when the schema changes: a file of another version is rebuilt from the log.
    version = 1

    def __init__(self, app: ServiceApplication, path: Path) -> None:
        self.app = app
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            found = db.execute("PRAGMA user_version").fetchone()[0]
            tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            if found != self.version and tables:
                for (name,) in tables:
                    if name != "sqlite_sequence":
                        db.execute(f'DROP TABLE "{name}"')
            db.executescript(
                "CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 1),"
                " value INTEGER);" + EXTERNAL_IDS + self.schema
            )
            db.execute(f"PRAGMA user_version = {int(self.version)}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        # What a row held before it changed (an erased person's name) is overwritten on
        # disk, not left in free pages.
        db.execute("PRAGMA secure_delete = ON")
        try:
            with db:
                yield db
        finally:
            db.close()

    def position(self) -> int:
        with self._connect() as db:
            row = db.execute("SELECT value FROM position WHERE id = 1").fetchone()
        return int(row["value"]) if row else 0

    def catch_up(self, batch: int = 2000) -> int:
        """Apply what the log holds after our position; returns how many records it read."""
        read = 0
        with self._lock:
            while True:
                notes = self.app.recorder.select_notifications(self.position() + 1, batch)
                if not notes:
                    return read
                touched = {n.originator_id: n.topic for n in notes}
                with self._connect() as db:
                    self._index_external_ids(db, notes)
                    for aggregate_id, topic in touched.items():
                        if topic.rsplit(":", 1)[-1].split(".")[0] in self.aggregates:
                            self.upsert(db, self.app.repository.get(aggregate_id))  # type: ignore[arg-type]
                    db.execute(
                        "INSERT INTO position (id, value) VALUES (1, ?) ON CONFLICT (id)"
                        " DO UPDATE SET value = excluded.value",
                        (notes[-1].id,),
                    )
                read += len(notes)

    def upsert(self, db: sqlite3.Connection, aggregate: Any) -> None:
        raise NotImplementedError

    def _index_external_ids(self, db: sqlite3.Connection, notes: Sequence[Any]) -> None:
        """The callers' ids of the records (``External-Id`` on a command): the first
        record of each kind an external id named keeps it."""
        for note in notes:
            if b"external_id" not in note.state:
                continue  # most events: not worth decoding
            event = self.app.sealed_mapper.to_domain_event(note)  # metadata only
            external = getattr(event, "metadata", {}).get("external_id", "")
            kind = type(event).__qualname__.split(".")[0]
            if external and kind in self.aggregates:  # not the bookkeeping a command keeps
                db.execute(
                    "INSERT OR IGNORE INTO external_ids (kind, external_id, aggregate_id)"
                    " VALUES (?, ?, ?)",
                    (kind, external, str(note.originator_id)),
                )

    def by_external_id(self, external_id: str) -> list[dict[str, str]]:
        """The records (kind and id) a caller's external id names in this service."""
        self.catch_up()
        with self._connect() as db:
            rows = db.execute(
                "SELECT kind, aggregate_id FROM external_ids WHERE external_id = ? ORDER BY kind",
                (external_id,),
            ).fetchall()
        return [{"kind": r["kind"], "id": r["aggregate_id"]} for r in rows]

    def page(
        self,
        table: str,
        filters: dict[str, Any],
        after: int,
        limit: int,
        extra: tuple[list[str], list[Any]] = ([], []),
    ) -> dict[str, Any]:
        """One page of rows, oldest first; ``next_cursor`` continues after it."""
        self.catch_up()
        where, params = list(extra[0]), list(extra[1])
        for column, value in filters.items():
            if value is not None and value != "":
                where.append(f"{column} = ?")
                params.append(value)
        limit = max(1, min(limit, MAX_PAGE))
        clause = " AND ".join(["seq > ?", *where])
        with self._connect() as db:
            rows = db.execute(
                f"SELECT seq, row FROM {table} WHERE {clause} ORDER BY seq LIMIT ?",
                [after, *params, limit + 1],
            ).fetchall()
        more = len(rows) > limit
        return {
            "items": [json.loads(r["row"]) for r in rows[:limit]],
            "next_cursor": rows[limit - 1]["seq"] if more else None,
        }


def scope_clause(scope: Scope, owner: str, team: str | None) -> tuple[list[str], list[Any]]:
    """The SQL condition (for ``page``'s ``extra``) keeping a caller's rows only: its own
    (``owner`` column), its managed teams' and its teams' unassigned ones (``team``
    column; None where the table has no team)."""
    if scope.everything:
        return [], []
    alternatives, params = [f"{owner} = ?"], [scope.subject]
    if team is not None and scope.managed_teams:
        marks = ", ".join("?" for _ in scope.managed_teams)
        alternatives.append(f"{team} IN ({marks})")
        params += sorted(scope.managed_teams)
    if team is not None and scope.member_teams:
        marks = ", ".join("?" for _ in scope.member_teams)
        alternatives.append(f"(COALESCE({owner}, '') = '' AND {team} IN ({marks}))")
        params += sorted(scope.member_teams)
    if team is not None and scope.manager:
        alternatives.append(f"(COALESCE({owner}, '') = '' AND COALESCE({team}, '') = '')")
    return [f"({' OR '.join(alternatives)})"], params


def external_id_routes(service: str, directory: Directory) -> APIRouter:
    """``GET /external-ids/<service>/{external_id}``: which records of the service a
    caller's external id names (404 when none)."""
    router = service_router()

    @router.get(
        f"/external-ids/{service}/{{external_id}}",
        tags=["audit"],
        summary="The records an External-Id sent with their commands names",
        responses={404: {"model": ErrorBody, "description": "No record has this external id"}},
    )
    def records_by_external_id(
        external_id: str = PathParam(min_length=1, max_length=200),
    ) -> dict[str, Any]:
        found = directory.by_external_id(external_id)
        if not found:
            raise NotFound(f"no record of the {service} service has external id {external_id!r}")
        return {"external_id": external_id, "records": found}

    return router
