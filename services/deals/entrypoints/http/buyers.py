"""MEDDIC and the decision map."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from kernel.routing import service_router
from services.deals.application import DealsApplication
from services.deals.entrypoints.http.deals import in_scope


def routes(app: DealsApplication) -> APIRouter:
    router = service_router()

    @router.get(
        "/deals/{deal_id}/decision-map",
        tags=["decision map"],
        summary="Stakeholders, MEDDIC, and coverage: call high, call wide, opponents",
    )
    def decision_map(deal_id: uuid.UUID) -> dict[str, Any]:
        deal = in_scope(app, deal_id)
        return {
            "deal_id": str(deal.id),
            "stakeholders": list(deal.stakeholders.values()),
            "coverage": deal.coverage,
            "meddic": deal.meddic,
            "meddic_completeness": deal.meddic_completeness,
            "qualification": deal.qualification,
        }

    return router
