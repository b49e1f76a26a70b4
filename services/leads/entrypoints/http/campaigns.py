"""Campaigns: launch, cost, registrations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from kernel.history import AS_OF_QUERY, add_history_route, state_as_of
from kernel.http import MAX_CURSOR
from kernel.routing import service_router
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.domain.campaign import Campaign
from services.leads.entrypoints.http.wiring import Wiring


def routes(w: Wiring) -> APIRouter:
    app, directory = w.app, w.directory
    router = service_router()

    @router.get("/campaigns", tags=["campaigns"])
    def list_campaigns(
        channel_type: str = "",
        cursor: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.campaigns(channel_type=channel_type, after=cursor, limit=limit)

    @router.get("/campaigns/{campaign_id}", tags=["campaigns"])
    def get_campaign(campaign_id: str, as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        c = state_as_of(app, Campaign, Campaign.create_id(campaign_id), as_of)
        return {
            "campaign_id": c.slug,
            "name": c.name,
            "channel_type": c.channel_type,
            "cost": str(c.cost.amount),
            "currency": c.cost.currency,
            "starts_on": c.starts_on.isoformat(),
            "ends_on": c.ends_on.isoformat(),
            "version": c.version,
        }

    add_history_route(
        router,
        "/campaigns/{campaign_id}/history",
        app=app,
        cls=Campaign,
        contracts=LEAD_CONTRACTS,
        kind="campaign",
        resolve=Campaign.create_id,
        key_type=str,
    )

    return router
