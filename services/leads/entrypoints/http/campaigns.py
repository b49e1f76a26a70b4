"""Campaigns: launch, cost, registrations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from kernel.http import MAX_CURSOR, idempotency_key
from services.leads.adapters.contact_schema import ContactModel
from services.leads.domain.lead import Channel
from services.leads.entrypoints.http.schemas import (
    CaptureAccepted,
)
from services.leads.entrypoints.http.wiring import Wiring


def routes(w: Wiring) -> APIRouter:
    app, directory = w.app, w.directory
    router = APIRouter()

    @router.get("/campaigns", tags=["campaigns"])
    def list_campaigns(
        channel_type: str = "",
        cursor: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.campaigns(channel_type=channel_type, after=cursor, limit=limit)

    @router.get("/campaigns/{campaign_id}", tags=["campaigns"])
    def get_campaign(campaign_id: str) -> dict[str, Any]:
        c = app.get_campaign(campaign_id)
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

    @router.post(
        "/campaigns/{campaign_id}/registrations",
        status_code=201,
        response_model=CaptureAccepted,
        tags=["campaigns"],
        summary="Someone registered for a campaign's event: a lead from channel 'event'",
    )
    def register(
        campaign_id: str, body: ContactModel, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.capture_lead(
            body.to_domain(), Channel.EVENT.value, campaign_id=campaign_id, idempotency_key=key
        )

    return router
