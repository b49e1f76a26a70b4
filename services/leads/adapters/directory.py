"""The leads directory: leads, accounts and campaigns to list, filter and count (a
kernel Directory: rebuilt from the service's own log)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from kernel.directory import Directory, scope_clause
from kernel.scope import EVERYTHING, Scope
from services.leads.domain.account import Account
from services.leads.domain.campaign import Campaign
from services.leads.domain.lead import Lead

SCHEMA = """
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

LEAD_FILTERS = (
    "status",
    "source",
    "campaign_id",
    "grade",
    "temperature",
    "pool",
    "team",
    "rep",
    "region",
)


class LeadDirectory(Directory):
    schema = SCHEMA
    aggregates = ("Lead", "Account", "Campaign")

    def upsert(self, db: sqlite3.Connection, aggregate: Any) -> None:
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
                    **{
                        k: row[k]
                        for k in (
                            "lead_id",
                            "status",
                            "source",
                            "campaign_id",
                            "pool",
                            "team",
                            "rep",
                        )
                    },
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
                (
                    row["account_id"],
                    row["region"],
                    row["industry"],
                    row["territory"],
                    row["owner"],
                    int(row["in_public_pool"]),
                    f"{row['name']} {row['domain']}".lower(),
                    json.dumps(row),
                ),
            )
        elif isinstance(aggregate, Campaign):
            row = {
                "campaign_id": aggregate.slug,
                "name": aggregate.name,
                "channel_type": aggregate.channel_type,
                "cost": str(aggregate.cost.amount),
                "currency": aggregate.cost.currency,
                "starts_on": aggregate.starts_on.isoformat(),
                "ends_on": aggregate.ends_on.isoformat(),
            }
            db.execute(
                "INSERT INTO campaigns (campaign_id, channel_type, row) VALUES (?, ?, ?)"
                " ON CONFLICT (campaign_id) DO UPDATE SET channel_type = excluded.channel_type,"
                " row = excluded.row",
                (aggregate.slug, aggregate.channel_type, json.dumps(row)),
            )

    # -- queries ---------------------------------------------------------------------

    def leads(
        self,
        *,
        filters: dict[str, str],
        duplicate: bool | None = None,
        q: str = "",
        after: int = 0,
        limit: int = 50,
        scope: Scope = EVERYTHING,
    ) -> dict[str, Any]:
        unknown = set(filters) - set(LEAD_FILTERS)
        if unknown:
            raise ValueError(f"unknown filters {sorted(unknown)}")
        where, params = ([], []) if not q else (["search LIKE ?"], [f"%{q.lower()}%"])
        columns: dict[str, Any] = dict(filters)
        if duplicate is not None:
            columns["duplicate"] = int(duplicate)
        in_scope, scoped = scope_clause(scope, "rep", "team")
        return self.page("leads", columns, after, limit, (where + in_scope, params + scoped))

    def accounts(
        self,
        *,
        territory: str = "",
        owner: str = "",
        in_public_pool: bool | None = None,
        after: int = 0,
        limit: int = 50,
    ) -> dict[str, Any]:
        return self.page(
            "accounts",
            {
                "territory": territory,
                "owner": owner,
                "in_public_pool": None if in_public_pool is None else int(in_public_pool),
            },
            after,
            limit,
        )

    def account_ids(self) -> list[uuid.UUID]:
        self.catch_up()
        with self._connect() as db:
            return [
                uuid.UUID(r["account_id"])
                for r in db.execute("SELECT account_id FROM accounts ORDER BY seq")
            ]

    def campaigns(
        self, *, channel_type: str = "", after: int = 0, limit: int = 50
    ) -> dict[str, Any]:
        return self.page("campaigns", {"channel_type": channel_type}, after, limit)

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
                f" FROM leads GROUP BY {column} ORDER BY {column}"
            ).fetchall()
        report = []
        for r in rows:
            decided = (r["accepted"] or 0) + (r["rejected"] or 0)
            report.append(
                {
                    by: r["key"],
                    "mqls": r["mqls"] or 0,
                    "accepted": r["accepted"] or 0,
                    "rejected": r["rejected"] or 0,
                    "acceptance_rate": round(r["accepted"] / decided, 4) if decided else None,
                }
            )
        return report
