"""Deals: lists, reads, the sales process, closing."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query

from kernel.contracts import envelope_as_dict
from kernel.http import MAX_CURSOR, expected_version, idempotency_key
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.adapters.directory import DealDirectory
from services.deals.application import DealsApplication, deal_state
from services.deals.domain.deal import Deal
from services.deals.entrypoints.http.schemas import (
    ActionRequest,
    AdvanceRequest,
    DealState,
    DealView,
    KeyEventRequest,
    LoseRequest,
    MigrateRequest,
    MoveBackRequest,
    NoDecisionRequest,
)


def routes(app: DealsApplication, directory: DealDirectory) -> APIRouter:
    router = APIRouter()

    @router.get("/deals", summary="List deals, filtered, oldest first; follow next_cursor")
    def list_deals(
        status: str = "",
        stage: str = "",
        process_id: str = "",
        owner_id: str = "",
        company: str = "",
        forecast_category: str = "",
        cursor: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.deals(
            filters={
                "status": status,
                "stage": stage,
                "process_id": process_id,
                "owner_id": owner_id,
                "company": company,
                "forecast_category": forecast_category,
            },
            after=cursor,
            limit=limit,
        )

    def view(deal: Deal) -> DealView:
        return DealView(
            **deal_state(deal),
            lead_id=deal.lead_id,
            name=deal.name,
            currency=deal.amount.currency,
            owner_id=deal.owner_id,
            company=deal.company,
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
        return app.advance_deal(
            deal_id,
            body.stage,
            override_by=body.override.by if body.override else "",
            override_reason=body.override.reason if body.override else "",
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/move-back",
        response_model=DealState,
        summary="Move the deal to an earlier stage, saying why",
    )
    def move_back(
        deal_id: uuid.UUID,
        body: MoveBackRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.move_deal_back(
            deal_id, body.stage, body.reason, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/actions",
        response_model=DealState,
        summary="A standard action (exit criterion) of the deal's process is done",
    )
    def complete_action(
        deal_id: uuid.UUID,
        body: ActionRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.complete_action(
            deal_id, body.action, body.note, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/key-events",
        response_model=DealState,
        summary="Record a key event of the sales conversation",
    )
    def record_key_event(
        deal_id: uuid.UUID,
        body: KeyEventRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.record_key_event(
            deal_id, body.kind, body.source, body.ref, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/migrate",
        response_model=DealState,
        summary="Move the deal onto the current version of a process",
    )
    def migrate(
        deal_id: uuid.UUID,
        body: MigrateRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.migrate_deal(
            deal_id, body.process_id, idempotency_key=key, expected_version=version
        )

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

    @router.post(
        "/deals/{deal_id}/no-decision",
        response_model=DealState,
        summary="Close the deal: the customer decided nothing",
    )
    def no_decision(
        deal_id: uuid.UUID,
        body: NoDecisionRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.close_without_decision(
            deal_id, body.note, idempotency_key=key, expected_version=version
        )

    return router
