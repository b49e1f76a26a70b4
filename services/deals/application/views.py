"""What the deals use cases answer: a deal's state for its caller."""

from __future__ import annotations

from typing import Any

from services.deals.domain.deal import Deal


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
