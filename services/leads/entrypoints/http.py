"""HTTP API of the leads service: payload -> use case -> status."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel, Field

from kernel.contracts import envelope_as_dict
from kernel.http import MoneyModel, create_api, expected_version, idempotency_key
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.application import LeadsApplication
from services.leads.domain.lead import Lead

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class CaptureLeadRequest(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    email: str = Field("", max_length=254, pattern=f"({EMAIL})|^$")
    company: str = Field("", max_length=200)
    phone: str = Field("", max_length=40)
    source: str = Field(min_length=1, max_length=40, examples=["web_form"])
    campaign_id: str = Field("", max_length=100)


class NoteRequest(BaseModel):
    note: str = Field("", max_length=2000)


class ConvertLeadRequest(BaseModel):
    deal_name: str = Field(min_length=1, max_length=200)
    expected_amount: MoneyModel
    owner_id: str = Field(min_length=1, max_length=100)


class CommandAccepted(BaseModel):
    lead_id: uuid.UUID
    version: int
    status: str = "new"


class LeadView(BaseModel):
    lead_id: uuid.UUID
    version: int
    status: str
    full_name: str
    email: str
    company: str
    phone: str
    source: str
    campaign_id: str


def build_router(app: LeadsApplication) -> APIRouter:
    router = APIRouter(prefix="/leads", tags=["leads"])

    @router.post("", status_code=201, response_model=CommandAccepted)
    def capture_lead(
        body: CaptureLeadRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, object]:
        return app.capture_lead(**body.model_dump(), idempotency_key=key)

    @router.get("/{lead_id}", response_model=LeadView)
    def get_lead(lead_id: uuid.UUID) -> LeadView:
        lead = app.get_lead(lead_id)
        return LeadView(
            lead_id=lead.id,
            version=lead.version,
            status=lead.status.value,
            full_name=lead.full_name,
            email=lead.email,
            company=lead.company,
            phone=lead.phone,
            source=lead.source,
            campaign_id=lead.campaign_id,
        )

    @router.post(
        "/{lead_id}/qualify",
        response_model=CommandAccepted,
        summary="Marketing qualifies the lead (MQL)",
    )
    def qualify_lead(
        lead_id: uuid.UUID,
        body: NoteRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.qualify_lead(lead_id, body.note, idempotency_key=key, expected_version=version)

    @router.post(
        "/{lead_id}/accept", response_model=CommandAccepted, summary="Sales accepts the lead (SQL)"
    )
    def accept_lead(
        lead_id: uuid.UUID,
        body: NoteRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.accept_lead(lead_id, body.note, idempotency_key=key, expected_version=version)

    @router.post(
        "/{lead_id}/convert",
        response_model=CommandAccepted,
        summary="Convert the lead; the deals service opens a deal from the event",
    )
    def convert_lead(
        lead_id: uuid.UUID,
        body: ConvertLeadRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.convert_lead(
            lead_id,
            deal_name=body.deal_name,
            expected_amount=body.expected_amount.to_domain(),
            owner_id=body.owner_id,
            idempotency_key=key,
            expected_version=version,
        )

    @router.get("/{lead_id}/events", summary="The lead's events as published, oldest first")
    def lead_events(lead_id: uuid.UUID) -> list[dict[str, object]]:
        return [
            envelope_as_dict(env)
            for env in (LEAD_CONTRACTS.envelope(e, 0) for e in app.history(Lead, lead_id))
            if env is not None
        ]

    return router


def build_api(app: LeadsApplication) -> FastAPI:
    api = create_api("L2C leads service", "Capture, qualify and convert leads.")
    api.include_router(build_router(app))
    return api
