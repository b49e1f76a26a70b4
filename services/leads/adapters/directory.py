"""The leads directory: a queryable read model of leads, accounts and campaigns.

Built from the service's own notification log into a SQLite file beside the data (one per
process; disposable: delete it and it is rebuilt from the log). Each catch-up reads the
log after its recorded position, loads every aggregate the new events touched, and upserts
its row in the same transaction that moves the position, so a row is never counted twice
and never half-updated. Queries catch up first, so a client reads its own writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services.leads.application import LeadsApplication
from services.leads.domain.account import Account
from services.leads.domain.campaign import Campaign
from services.leads.domain.lead import Lead

SCHEMA = """
CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER);
CREATE TABLE IF NOT EXISTS leads (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, lead_id TEXT UNIQUE, status TEXT, source TEXT,
  campaign_id TEXT, grade TEXT, temperature TEXT, score REAL, pool TEXT, team TEXT, rep TEXT,
  region TEXT, duplicate INTEGER, reached_mql INTEGER, search TEXT, row TEXT);
CREATE INDEX IF NOT EXISTS leads_status ON leads (status);
CREATE INDEX IF NOT EXISTS leads_campaign ON leads (campaign_id);
CREATE TABLE IF NOT EXISTS accounts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT UNIQUE, region TEXT, industry TEXT,
  territory TEXT, owner TEXT, in_public_pool INTEGER, search TEXT, row TEXT);
CREATE TABLE IF NOT EXISTS campaigns (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, campaign_id TEXT UNIQUE, channel_type TEXT, row TEXT);
"""

LEAD_FILTERS = ("status", "source", "campaign_id", "grade", "temperature", "pool", "team", "rep",
                "region")
MAX_PAGE = 500


class LeadDirectory:
    def __init__(self, app: LeadsApplication, path: Path) -> None:
        self.app = app
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
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
                start = self.position()
                notes = self.app.recorder.select_notifications(start + 1, batch)
                if not notes:
                    return read
                touched = {n.originator_id: n.topic for n in notes}
                with self._connect() as db:
                    for aggregate_id, topic in touched.items():
                        self._upsert(db, aggregate_id, topic)
                    db.execute("INSERT INTO position (id, value) VALUES (1, ?) ON CONFLICT (id)"
                               " DO UPDATE SET value = excluded.value", (notes[-1].id,))
                read += len(notes)

    def _upsert(self, db: sqlite3.Connection, aggregate_id: Any, topic: str) -> None:
        kind = topic.rsplit(":", 1)[-1].split(".")[0]
        if kind not in ("Lead", "Account", "Campaign"):
            return
        aggregate: Any = self.app.repository.get(aggregate_id)
        if isinstance(aggregate, Lead):
            row = aggregate.snapshot()
            db.execute(
                "INSERT INTO leads (lead_id, status, source, campaign_id, grade, temperature,"
                " score, pool, team, rep, region, duplicate, reached_mql, search, row)"
                " VALUES (:lead_id, :status, :source, :campaign_id, :grade, :temperature, :score,"
                " :pool, :team, :rep, :region, :duplicate, :reached_mql, :search, :row)"
                " ON CONFLICT (lead_id) DO UPDATE SET status = excluded.status,"
                " source = excluded.source, campaign_id = excluded.campaign_id,"
                " grade = excluded.grade, temperature = excluded.temperature,"
                " score = excluded.score, pool = excluded.pool, team = excluded.team,"
                " rep = excluded.rep, region = excluded.region, duplicate = excluded.duplicate,"
                " reached_mql = max(leads.reached_mql, excluded.reached_mql),"
                " search = excluded.search, row = excluded.row",
                {
                    **{k: row[k] for k in ("lead_id", "status", "source", "campaign_id", "pool",
                                           "team", "rep")},
                    "grade": row["score"].get("grade", ""),
                    "temperature": row["score"].get("temperature", ""),
                    "score": row["score"].get("total"),
                    "region": aggregate.profile.region,
                    "duplicate": int(bool(row["duplicates"])),
                    "reached_mql": int(row["status"] in ("mql", "sql", "rejected", "converted")),
                    "search": " ".join([row["full_name"], row["email"], row["company"]]).lower(),
                    "row": json.dumps(row),
                },
            )
        elif isinstance(aggregate, Account):
            row = aggregate.snapshot()
            db.execute(
                "INSERT INTO accounts (account_id, region, industry, territory, owner,"
                " in_public_pool, search, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (account_id) DO UPDATE SET region = excluded.region,"
                " industry = excluded.industry, territory = excluded.territory,"
                " owner = excluded.owner, in_public_pool = excluded.in_public_pool,"
                " search = excluded.search, row = excluded.row",
                (row["account_id"], row["region"], row["industry"], row["territory"],
                 row["owner"], int(row["in_public_pool"]),
                 f"{row['name']} {row['domain']}".lower(), json.dumps(row)),
            )
        elif isinstance(aggregate, Campaign):
            row = {"campaign_id": aggregate.slug, "name": aggregate.name,
                   "channel_type": aggregate.channel_type, "cost": str(aggregate.cost.amount),
                   "currency": aggregate.cost.currency,
                   "starts_on": aggregate.starts_on.isoformat(),
                   "ends_on": aggregate.ends_on.isoformat()}
            db.execute(
                "INSERT INTO campaigns (campaign_id, channel_type, row) VALUES (?, ?, ?)"
                " ON CONFLICT (campaign_id) DO UPDATE SET channel_type = excluded.channel_type,"
                " row = excluded.row",
                (aggregate.slug, aggregate.channel_type, json.dumps(row)),
            )

    # -- queries ---------------------------------------------------------------------

    def _page(self, table: str, where: list[str], params: list[Any], after: int,
              limit: int) -> dict[str, Any]:
        self.catch_up()
        limit = max(1, min(limit, MAX_PAGE))
        clause = " AND ".join(["seq > ?", *where])
        with self._connect() as db:
            rows = db.execute(f"SELECT seq, row FROM {table} WHERE {clause} ORDER BY seq LIMIT ?",
                              [after, *params, limit + 1]).fetchall()
        items = [json.loads(r["row"]) for r in rows[:limit]]
        more = len(rows) > limit
        return {"items": items, "next_cursor": rows[limit - 1]["seq"] if more else None}

    def leads(self, *, filters: dict[str, str], duplicate: bool | None = None, q: str = "",
              after: int = 0, limit: int = 50) -> dict[str, Any]:
        where: list[str] = []
        params: list[Any] = []
        for name, value in filters.items():
            if name not in LEAD_FILTERS:
                raise ValueError(f"unknown filter {name}")
            if value:
                where.append(f"{name} = ?")
                params.append(value)
        if duplicate is not None:
            where.append("duplicate = ?")
            params.append(int(duplicate))
        if q:
            where.append("search LIKE ?")
            params.append(f"%{q.lower()}%")
        return self._page("leads", where, params, after, limit)

    def accounts(self, *, territory: str = "", owner: str = "", in_public_pool: bool | None = None,
                 after: int = 0, limit: int = 50) -> dict[str, Any]:
        where: list[str] = []
        params: list[Any] = []
        for name, value in (("territory", territory), ("owner", owner)):
            if value:
                where.append(f"{name} = ?")
                params.append(value)
        if in_public_pool is not None:
            where.append("in_public_pool = ?")
            params.append(int(in_public_pool))
        return self._page("accounts", where, params, after, limit)

    def account_ids(self) -> list[uuid.UUID]:
        self.catch_up()
        with self._connect() as db:
            return [uuid.UUID(r["account_id"]) for r in
                    db.execute("SELECT account_id FROM accounts ORDER BY seq")]

    def campaigns(self, *, channel_type: str = "", after: int = 0, limit: int = 50) -> dict[
            str, Any]:
        where, params = ([["channel_type = ?"], [channel_type]] if channel_type else [[], []])
        return self._page("campaigns", where, params, after, limit)

    def acceptance(self, by: str) -> list[dict[str, Any]]:
        """MQL -> SQL hand-off per campaign or channel: how many MQLs sales accepted and
        rejected, and the acceptance rate of those decided."""
        column = {"campaign": "campaign_id", "channel": "source"}[by]
        self.catch_up()
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {column} AS key, sum(reached_mql) AS mqls,"
                " sum(status IN ('sql', 'converted')) AS accepted,"
                " sum(status = 'rejected') AS rejected"
                f" FROM leads GROUP BY {column} ORDER BY {column}").fetchall()
        report = []
        for r in rows:
            decided = (r["accepted"] or 0) + (r["rejected"] or 0)
            report.append({by: r["key"], "mqls": r["mqls"] or 0, "accepted": r["accepted"] or 0,
                           "rejected": r["rejected"] or 0,
                           "acceptance_rate": round(r["accepted"] / decided, 4) if decided
                           else None})
        return report
