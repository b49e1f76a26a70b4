"""MEDDIC and the decision map."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends

from kernel.http import expected_version, idempotency_key
from services.deals.application import DealsApplication
from services.deals.entrypoints.http.schemas import (
    ContactRequest,
    DealState,
    MeddicRequest,
    StakeholderChange,
    StakeholderRequest,
)


def routes(app: DealsApplication) -> APIRouter:
    router = APIRouter()

    @router.put(
        "/deals/{deal_id}/meddic",
        response_model=DealState,
        tags=["qualification"],
        summary="Set MEDDIC elements (only those sent change)",
    )
    def update_meddic(
        deal_id: uuid.UUID,
        body: MeddicRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        values = {k: v for k, v in body.model_dump().items() if v is not None}
        return app.update_meddic(deal_id, values, idempotency_key=key, expected_version=version)

    @router.post(
        "/deals/{deal_id}/stakeholders",
        response_model=DealState,
        status_code=201,
        tags=["decision map"],
    )
    def add_stakeholder(
        deal_id: uuid.UUID,
        body: StakeholderRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.add_stakeholder(
            deal_id, **body.model_dump(), idempotency_key=key, expected_version=version
        )

    @router.patch(
        "/deals/{deal_id}/stakeholders/{stakeholder_id}",
        response_model=DealState,
        tags=["decision map"],
        summary="A stakeholder's role or attitude changed",
    )
    def change_stakeholder(
        deal_id: uuid.UUID,
        stakeholder_id: str,
        body: StakeholderChange,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.change_stakeholder(
            deal_id,
            stakeholder_id,
            **body.model_dump(),
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/stakeholders/{stakeholder_id}/contacts",
        response_model=DealState,
        tags=["decision map"],
    )
    def record_contact(
        deal_id: uuid.UUID,
        stakeholder_id: str,
        body: ContactRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.record_contact(
            deal_id, stakeholder_id, body.channel, idempotency_key=key, expected_version=version
        )

    @router.get(
        "/deals/{deal_id}/decision-map",
        tags=["decision map"],
        summary="Stakeholders, MEDDIC, and coverage: call high, call wide, opponents",
    )
    def decision_map(deal_id: uuid.UUID) -> dict[str, Any]:
        deal = app.get_deal(deal_id)
        return {
            "deal_id": str(deal.id),
            "stakeholders": list(deal.stakeholders.values()),
            "coverage": deal.coverage,
            "meddic": deal.meddic,
            "meddic_completeness": deal.meddic_completeness,
            "qualification": deal.qualification,
        }

    return router
