"""The deals directory: deals to list and filter (a kernel Directory built from the log)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kernel.directory import Directory, scope_clause
from kernel.scope import EVERYTHING, Scope
from services.deals.application import deal_state
from services.deals.domain.deal import Deal

DEAL_FILTERS = ("status", "stage", "process_id", "owner_id", "company", "forecast_category")


class DealDirectory(Directory):
    schema = """
    CREATE TABLE IF NOT EXISTS deals (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, deal_id TEXT UNIQUE, status TEXT, stage TEXT,
      process_id TEXT, owner_id TEXT, company TEXT, forecast_category TEXT, team TEXT,
      row TEXT);
    CREATE INDEX IF NOT EXISTS deals_status ON deals (status);
    """
    aggregates = ("Deal",)
    version = 2  # 2: the deal's team (row-level scope)

    def upsert(self, db: sqlite3.Connection, aggregate: Any) -> None:
        if not isinstance(aggregate, Deal):
            return
        row = {
            **deal_state(aggregate),
            "name": aggregate.name,
            "company": aggregate.company,
            "owner_id": aggregate.owner_id,
            "team": getattr(aggregate, "team", ""),
            "lead_id": str(aggregate.lead_id),
            "currency": aggregate.amount.currency,
        }
        db.execute(
            "INSERT INTO deals (deal_id, status, stage, process_id, owner_id, company,"
            " forecast_category, team, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (deal_id) DO UPDATE SET status = excluded.status,"
            " stage = excluded.stage, process_id = excluded.process_id,"
            " owner_id = excluded.owner_id, company = excluded.company,"
            " forecast_category = excluded.forecast_category, team = excluded.team,"
            " row = excluded.row",
            (
                row["deal_id"],
                row["status"],
                row["stage"],
                row["process"]["id"],
                row["owner_id"],
                row["company"],
                row["forecast_category"],
                row["team"],
                json.dumps(row),
            ),
        )

    def deals(
        self,
        *,
        filters: dict[str, str],
        after: int = 0,
        limit: int = 50,
        scope: Scope = EVERYTHING,
    ) -> dict[str, Any]:
        unknown = set(filters) - set(DEAL_FILTERS)
        if unknown:
            raise ValueError(f"unknown filters {sorted(unknown)}")
        return self.page("deals", filters, after, limit, scope_clause(scope, "owner_id", "team"))
