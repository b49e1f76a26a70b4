"""What the deals use cases answer: a deal's state for its caller."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

from services.deals.domain.deal import Deal


class DealState(BaseModel):
    deal_id: uuid.UUID
    status: str
    stage: str
    win_probability_percent: int
    process: dict[str, Any]
    actions_done: list[str]
    key_events: list[str]
    meddic_completeness: float
    close_date: str | None
    amount: str
    forecast_category: str
    next_steps: list[dict[str, Any]]
    activities: int
    open_blockers: int
    version: int


class RelationshipView(BaseModel):
    account: str
    level: str
    relationship: str
    potential: str
    strategy: str


def deal_state(deal: Deal) -> dict[str, Any]:
    process = deal.pipeline_definition
    return {
        "deal_id": str(deal.id),
        "status": deal.status.value,
        "stage": deal.stage,
        "win_probability_percent": deal.win_probability_percent,
        "process": {"id": process.id, "version": process.version},
        "actions_done": list(deal.actions_done),
        "key_events": list(deal.key_events),
        "meddic_completeness": deal.meddic_completeness,
        "close_date": deal.close_date.isoformat() if deal.close_date else None,
        "amount": str(deal.amount.amount),
        "forecast_category": deal.forecast_category,
        "activities": deal.activities,
        "open_blockers": deal.open_blockers,
        "next_steps": [{**s, "due_at": s["due_at"].isoformat()} for s in deal.next_steps.values()],
        "version": deal.version,
    }
