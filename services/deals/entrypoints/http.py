"""HTTP API of the deals service. Deals are opened by the lead-converted policy, not here."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel, Field

from kernel.contracts import envelope_as_dict
from kernel.http import create_api, expected_version, idempotency_key
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.application import DealsApplication
from services.deals.domain.deal import Deal, LossReason


class AdvanceRequest(BaseModel):
    stage: str = Field(min_length=1, max_length=40, examples=["needs_analysis"])


class LoseRequest(BaseModel):
    reason: LossReason
    competitor: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


class DealState(BaseModel):
    deal_id: uuid.UUID
    status: str
    stage: str
    win_probability_percent: int
    version: int


class DealView(DealState):
    lead_id: uuid.UUID
    name: str
    amount: str
    currency: str
    owner_id: str
    company: str
    pipeline_id: str


def build_router(app: DealsApplication) -> APIRouter:
    router = APIRouter(tags=["deals"])

    def view(deal: Deal) -> DealView:
        return DealView(
            deal_id=deal.id,
            status=deal.status.value,
            stage=deal.stage,
            win_probability_percent=deal.win_probability_percent,
            version=deal.version,
            lead_id=deal.lead_id,
            name=deal.name,
            amount=str(deal.amount.amount),
            currency=deal.amount.currency,
            owner_id=deal.owner_id,
            company=deal.company,
            pipeline_id=deal.pipeline_definition.id,
        )

    @router.get("/deals/{deal_id}", response_model=DealView)
    def get_deal(deal_id: uuid.UUID) -> DealView:
        return view(app.get_deal(deal_id))

    @router.get(
        "/deals/by-lead/{lead_id}",
        response_model=DealView,
        summary="The deal opened from a converted lead (404 until it is opened)",
    )
    def deal_for_lead(lead_id: uuid.UUID) -> DealView:
        return view(app.get_deal(app.deal_id_for_lead(lead_id)))

    @router.post("/deals/{deal_id}/advance", response_model=DealState)
    def advance_deal(
        deal_id: uuid.UUID,
        body: AdvanceRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.advance_deal(deal_id, body.stage, idempotency_key=key, expected_version=version)

    @router.post("/deals/{deal_id}/win", response_model=DealState)
    def win_deal(
        deal_id: uuid.UUID,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.win_deal(deal_id, idempotency_key=key, expected_version=version)

    @router.post("/deals/{deal_id}/lose", response_model=DealState)
    def lose_deal(
        deal_id: uuid.UUID,
        body: LoseRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.lose_deal(
            deal_id,
            reason=body.reason.value,
            competitor=body.competitor,
            note=body.note,
            idempotency_key=key,
            expected_version=version,
        )

    @router.get(
        "/deals/{deal_id}/events",
        summary="The deal's events with their metadata, oldest first (audit)",
    )
    def deal_events(deal_id: uuid.UUID) -> list[dict[str, object]]:
        envelopes = (DEAL_CONTRACTS.envelope(e, 0) for e in app.history(Deal, deal_id))
        return [envelope_as_dict(env) for env in envelopes if env is not None]

    @router.get("/pipelines/default", tags=["pipelines"])
    def default_pipeline() -> dict[str, object]:
        return app.pipeline.as_data()

    return router


def build_api(app: DealsApplication) -> FastAPI:
    api = create_api("L2C deals service", "Advance, win and lose deals opened from leads.")
    api.include_router(build_router(app))
    return api
