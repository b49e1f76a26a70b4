"""Leads: capture, import, qualification, routing, duplicates, scoring, lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel

from kernel.contracts import envelope_as_dict
from kernel.domain import utcnow
from kernel.history import AS_OF_QUERY, add_history_route, state_as_of
from kernel.http import MAX_CURSOR, idempotency_key
from kernel.routing import service_router
from kernel.scope import current_scope
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.adapters.csv_import import parse_csv
from services.leads.application import LeadsApplication
from services.leads.domain.lead import Lead
from services.leads.entrypoints.http.wiring import Wiring


def routes(w: Wiring) -> APIRouter:
    app, provider, directory = w.app, w.provider, w.directory
    router = service_router()

    @router.get(
        "/leads",
        tags=["leads"],
        summary="List leads, filtered, oldest first; follow next_cursor for more",
    )
    def list_leads(
        status: str = "",
        source: str = "",
        campaign_id: str = "",
        grade: str = "",
        temperature: str = "",
        pool: str = "",
        team: str = "",
        rep: str = "",
        region: str = "",
        duplicate: bool | None = None,
        q: str = Query("", max_length=100),
        cursor: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        filters = {
            "status": status,
            "source": source,
            "campaign_id": campaign_id,
            "grade": grade,
            "temperature": temperature,
            "pool": pool,
            "team": team,
            "rep": rep,
            "region": region,
        }
        return directory.leads(
            filters=filters,
            duplicate=duplicate,
            q=q,
            after=cursor,
            limit=limit,
            scope=current_scope(),
        )

    @router.get(
        "/reports/mql-acceptance",
        tags=["reports"],
        summary="MQL -> SQL hand-off: accepted, rejected and acceptance rate",
    )
    def mql_acceptance(
        by: str = Query("campaign", pattern="^(campaign|channel)$"),
    ) -> list[dict[str, Any]]:
        return directory.acceptance(by)

    @router.post(
        "/leads/imports",
        tags=["leads"],
        summary="Bulk import from CSV (header: full_name, email, phone, company, website, "
        "job_title, region, product_interest, campaign_id); reports every rejected row",
    )
    def import_leads(
        csv_text: str = Body(..., media_type="text/csv"),
        campaign_id: str = Query("", max_length=64, description="for rows that name none"),
        key: str | None = Depends(idempotency_key),
    ) -> dict[str, Any]:
        return app.import_leads(
            parse_csv(csv_text), import_key=key or str(uuid.uuid4()), default_campaign=campaign_id
        )

    def in_scope(lead_id: uuid.UUID) -> Lead:
        """The lead, if the caller's scope reaches it (404 as for a missing one if not)."""
        lead = app.get_lead(lead_id)
        current_scope().require(lead.rep, lead.team, f"lead {lead_id}")
        return lead

    @router.get("/leads/{lead_id}", tags=["leads"])
    def get_lead(lead_id: uuid.UUID, as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        in_scope(lead_id)
        return state_as_of(app, Lead, lead_id, as_of).snapshot()

    add_history_route(
        router,
        "/leads/{lead_id}/history",
        app=app,
        cls=Lead,
        contracts=LEAD_CONTRACTS,
        kind="lead",
        resolve=lambda lead_id: in_scope(lead_id).id,
    )

    @router.get(
        "/leads/{lead_id}/events",
        tags=["leads"],
        summary="The lead's events as published, oldest first",
    )
    def lead_events(lead_id: uuid.UUID) -> list[dict[str, Any]]:
        in_scope(lead_id)
        return [
            envelope_as_dict(env)
            for env in (LEAD_CONTRACTS.envelope(e, 0) for e in app.history(Lead, lead_id))
            if env is not None
        ]

    @router.post(
        "/leads/{lead_id}/enrich",
        tags=["scoring"],
        summary="Retry enrichment now (it also runs by itself after capture)",
    )
    def enrich(lead_id: uuid.UUID, key: str | None = Depends(idempotency_key)) -> dict[str, Any]:
        in_scope(lead_id)
        return app.enrich_from(lead_id, provider, as_of=utcnow(), attempts=1, idempotency_key=key)

    @router.get(
        "/leads/{lead_id}/score",
        tags=["scoring"],
        summary="The latest score, each rule's points, and the same score recomputed",
    )
    def explain_score(lead_id: uuid.UUID) -> dict[str, Any]:
        in_scope(lead_id)
        return app.explain_score(lead_id)

    return router


def guard(app: LeadsApplication) -> Callable[[BaseModel], None]:
    """A lead command reaches only leads in the caller's scope (404 otherwise)."""

    def check(command: BaseModel) -> None:
        lead_id = getattr(command, "lead_id", None)
        if isinstance(lead_id, uuid.UUID):
            lead = app.get_lead(lead_id)
            current_scope().require(lead.rep, lead.team, f"lead {lead_id}")

    return check
