"""Deals: lists, reads, the sales process, closing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kernel.contracts import envelope_as_dict
from kernel.history import AS_OF_QUERY, add_history_route, state_as_of
from kernel.http import MAX_CURSOR
from kernel.routing import service_router
from kernel.scope import current_scope
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.adapters.directory import DealDirectory
from services.deals.application import DealsApplication, deal_state
from services.deals.domain.deal import Deal
from services.deals.entrypoints.http.schemas import (
    DealView,
)


def in_scope(app: DealsApplication, deal_id: uuid.UUID) -> Deal:
    """The deal, if the caller's scope reaches it (404 as for a missing one if not)."""
    deal = app.get_deal(deal_id)
    current_scope().require(deal.owner_id, getattr(deal, "team", ""), f"deal {deal_id}")
    return deal


def guard(app: DealsApplication) -> Callable[[BaseModel], None]:
    """A deal command reaches only deals in the caller's scope (404 otherwise)."""

    def check(command: BaseModel) -> None:
        deal_id = getattr(command, "deal_id", None)
        if isinstance(deal_id, uuid.UUID):
            in_scope(app, deal_id)

    return check


def routes(app: DealsApplication, directory: DealDirectory) -> APIRouter:
    router = service_router()

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
            scope=current_scope(),
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
    def get_deal(deal_id: uuid.UUID, as_of: str | None = AS_OF_QUERY) -> DealView:
        in_scope(app, deal_id)
        return view(state_as_of(app, Deal, deal_id, as_of))

    @router.get(
        "/deals/by-lead/{lead_id}",
        response_model=DealView,
        summary="The deal opened from a converted lead (404 until it is opened)",
    )
    def deal_for_lead(lead_id: uuid.UUID) -> DealView:
        return view(in_scope(app, app.deal_id_for_lead(lead_id)))

    @router.get(
        "/deals/{deal_id}/events",
        summary="The deal's events with their metadata, oldest first (audit)",
    )
    def deal_events(deal_id: uuid.UUID) -> list[dict[str, object]]:
        in_scope(app, deal_id)
        envelopes = (DEAL_CONTRACTS.envelope(e, 0) for e in app.history(Deal, deal_id))
        return [envelope_as_dict(env) for env in envelopes if env is not None]

    add_history_route(
        router,
        "/deals/{deal_id}/history",
        app=app,
        cls=Deal,
        contracts=DEAL_CONTRACTS,
        kind="deal",
        resolve=lambda deal_id: in_scope(app, deal_id).id,
    )

    return router
