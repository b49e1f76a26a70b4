"""HTTP API of the leads service: payload -> use case -> status."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query
from l2c.v1 import telephony_pb2
from pydantic import AwareDatetime, BaseModel, Field

from kernel.contracts import envelope_as_dict, timestamp
from kernel.domain import Money, utcnow
from kernel.http import MoneyModel, create_api, expected_version, idempotency_key
from kernel.kafka import LazyProducer
from services.leads.adapters.contact_schema import ContactModel
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.adapters.csv_import import parse_csv
from services.leads.adapters.directory import LeadDirectory
from services.leads.adapters.firmographics import ReferenceFileProvider
from services.leads.adapters.telephony import TelephonyPublisher
from services.leads.application import FirmographicsProvider, LeadsApplication
from services.leads.domain.campaign import ChannelType
from services.leads.domain.lead import Channel, Lead, SalesRejection
from services.leads.domain.scoring import EngagementKind


class CaptureLeadRequest(ContactModel):
    source: Channel = Field(Channel.WEB_FORM, description="the channel the lead came through")
    campaign_id: str = Field("", max_length=64)


class NoteRequest(BaseModel):
    note: str = Field("", max_length=2000)


class RejectRequest(BaseModel):
    reason: SalesRejection
    note: str = Field("", max_length=2000)


class QualificationModel(BaseModel):
    """BANT (and, for processes that ask for BANTCC, company situation and competitors)."""

    budget: str = Field("", max_length=500)
    authority: str = Field("", max_length=500, description="who decides and who takes part")
    need: str = Field("", max_length=1000, description="the business problem to solve")
    timeline: str = Field("", max_length=200, description="when they must buy")
    company_situation: str = Field("", max_length=1000)
    competitors: str = Field("", max_length=500)


class ConvertLeadRequest(BaseModel):
    deal_name: str = Field(min_length=1, max_length=200)
    expected_amount: MoneyModel
    owner_id: str = Field(min_length=1, max_length=100)
    qualification: QualificationModel = Field(default_factory=QualificationModel)
    process_id: str = Field("", max_length=64, description="sales process (empty: default)")


class MergeRequest(BaseModel):
    duplicate_id: uuid.UUID = Field(description="the lead to fold into this one")


class CampaignRequest(BaseModel):
    campaign_id: str = Field(
        min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]+$", examples=["spring-expo-2026"]
    )
    name: str = Field(min_length=1, max_length=200)
    channel_type: ChannelType
    cost: MoneyModel | None = None
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    starts_on: date
    ends_on: date


class CostRequest(BaseModel):
    cost: MoneyModel


class AccountRequest(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    website: str = Field(min_length=3, max_length=200)
    region: str = Field("", max_length=60)
    industry: str = Field("", max_length=60)


class EngagementRequest(BaseModel):
    kind: EngagementKind
    occurred_at: AwareDatetime = Field(description="when it happened (event time)")
    ref: str = Field("", max_length=200, description="the signal's own id; repeats are ignored")


class PublishRulesRequest(BaseModel):
    document: dict[str, Any]
    note: str = Field("", max_length=500, description="why the rules change")


class RepDecision(BaseModel):
    rep_id: str = Field(min_length=1, max_length=100, description="the rep the lead is with")
    reason: str = Field(min_length=1, max_length=500)


class AssignRequest(BaseModel):
    team: str = Field(min_length=1, max_length=80)
    rep_id: str = Field(min_length=1, max_length=100)
    note: str = Field("", max_length=500)


class VisitRequest(BaseModel):
    rep_id: str = Field(min_length=1, max_length=100)
    at: AwareDatetime


class ClaimRequest(BaseModel):
    rep_id: str = Field(min_length=1, max_length=100)


class InboundCallRequest(BaseModel):
    call_id: str = Field(min_length=1, max_length=100)
    caller_number: str = Field(min_length=7, max_length=40, pattern=r"^[0-9+()\-. /]*$")
    caller_name: str = Field("", max_length=200)
    dialled_number: str = Field("", max_length=40)
    campaign_id: str = Field("", max_length=64)
    started_at: AwareDatetime
    answered: bool = True
    duration_seconds: int = Field(0, ge=0)


class CommandAccepted(BaseModel):
    lead_id: uuid.UUID
    version: int
    status: str


class CaptureAccepted(CommandAccepted):
    duplicates: list[dict[str, str]]


def build_router(
    app: LeadsApplication, provider: FirmographicsProvider, directory: LeadDirectory,
    producer: LazyProducer,
) -> APIRouter:
    router = APIRouter()

    @router.get("/leads", tags=["leads"],
                summary="List leads, filtered, oldest first; follow next_cursor for more")
    def list_leads(
        status: str = "", source: str = "", campaign_id: str = "", grade: str = "",
        temperature: str = "", pool: str = "", team: str = "", rep: str = "", region: str = "",
        duplicate: bool | None = None, q: str = Query("", max_length=100),
        cursor: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        filters = {"status": status, "source": source, "campaign_id": campaign_id,
                   "grade": grade, "temperature": temperature, "pool": pool, "team": team,
                   "rep": rep, "region": region}
        return directory.leads(filters=filters, duplicate=duplicate, q=q, after=cursor,
                               limit=limit)

    @router.post("/integrations/telephony/calls", status_code=202, tags=["telephony"],
                 summary="Telephony webhook: an inbound call (queued on l2c.telephony.v1)")
    async def inbound_call(
        body: InboundCallRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, str]:
        message_id = key or f"call:{body.call_id}"
        message = telephony_pb2.TelephonyInboundMessage(
            message_id=message_id,
            inbound_call=telephony_pb2.InboundCall(
                call_id=body.call_id, caller_number=body.caller_number,
                caller_name=body.caller_name, dialled_number=body.dialled_number,
                campaign_id=body.campaign_id, started_at=timestamp(body.started_at),
                answered=body.answered, duration_seconds=body.duration_seconds),
        )
        await TelephonyPublisher(await producer.get()).publish(message)
        return {"message_id": message_id, "status": "queued"}

    @router.get("/reports/mql-acceptance", tags=["reports"],
                summary="MQL -> SQL hand-off: accepted, rejected and acceptance rate")
    def mql_acceptance(
        by: str = Query("campaign", pattern="^(campaign|channel)$"),
    ) -> list[dict[str, Any]]:
        return directory.acceptance(by)

    @router.get("/campaigns", tags=["campaigns"])
    def list_campaigns(
        channel_type: str = "", cursor: int = Query(0, ge=0),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.campaigns(channel_type=channel_type, after=cursor, limit=limit)

    @router.get("/accounts", tags=["accounts"])
    def list_accounts(
        territory: str = "", owner: str = "", in_public_pool: bool | None = None,
        cursor: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.accounts(territory=territory, owner=owner,
                                  in_public_pool=in_public_pool, after=cursor, limit=limit)

    @router.get("/accounts/{account_id}", tags=["accounts"])
    def get_account(account_id: uuid.UUID) -> dict[str, Any]:
        return app.get_account(account_id).snapshot()

    @router.post("/accounts/{account_id}/visits", tags=["accounts"],
                 summary="A rep visited the account (resets its public-pool clock)")
    def record_visit(
        account_id: uuid.UUID, body: VisitRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.record_visit(account_id, body.rep_id, body.at, idempotency_key=key)

    @router.post("/accounts/{account_id}/claim", tags=["accounts"],
                 summary="Take an account from the public pool")
    def claim_account(
        account_id: uuid.UUID, body: ClaimRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.claim_account(account_id, body.rep_id, idempotency_key=key)

    @router.get("/rules/territories", tags=["territories"])
    def territory_rules() -> dict[str, Any]:
        version, rules = app.territory_rules.current()
        return {"name": "territories", "version": version,
                "document": rules.model_dump(mode="json")}

    @router.post("/territories/preview", tags=["territories"],
                 summary="Which accounts proposed territory rules would move (writes nothing)")
    def preview_territories(body: PublishRulesRequest) -> dict[str, Any]:
        return app.preview_territories(body.document, directory.account_ids())

    @router.put("/rules/territories", tags=["territories"],
                summary="Activate new territory rules: a new version, accounts re-placed")
    def activate_territories(
        body: PublishRulesRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.activate_territories(body.document, body.note, directory.account_ids(),
                                        idempotency_key=key)

    @router.post(
        "/leads",
        status_code=201,
        response_model=CaptureAccepted,
        tags=["leads"],
        summary="Capture a lead (web form, referral, ...); duplicates are flagged",
    )
    def capture_lead(
        body: CaptureLeadRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        contact = ContactModel.model_validate(body.model_dump(exclude={"source", "campaign_id"}))
        return app.capture_lead(
            contact.to_domain(),
            body.source.value,
            campaign_id=body.campaign_id,
            idempotency_key=key,
        )

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

    @router.get("/leads/{lead_id}", tags=["leads"])
    def get_lead(lead_id: uuid.UUID) -> dict[str, Any]:
        return app.get_lead(lead_id).snapshot()

    @router.post(
        "/leads/{lead_id}/qualify",
        response_model=CommandAccepted,
        tags=["leads"],
        summary="Marketing qualifies the lead (MQL)",
    )
    def qualify_lead(
        lead_id: uuid.UUID,
        body: NoteRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, Any]:
        return app.qualify_lead(lead_id, body.note, idempotency_key=key, expected_version=version)

    @router.post(
        "/leads/{lead_id}/accept",
        response_model=CommandAccepted,
        tags=["leads"],
        summary="Sales accepts the lead (SQL)",
    )
    def accept_lead(
        lead_id: uuid.UUID,
        body: NoteRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, Any]:
        return app.accept_lead(lead_id, body.note, idempotency_key=key, expected_version=version)

    @router.post(
        "/leads/{lead_id}/reject",
        response_model=CommandAccepted,
        tags=["leads"],
        summary="Sales rejects the MQL, with a reason",
    )
    def reject_lead(
        lead_id: uuid.UUID,
        body: RejectRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, Any]:
        return app.reject_lead(
            lead_id, body.reason.value, body.note, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/leads/{lead_id}/convert",
        response_model=CommandAccepted,
        tags=["leads"],
        summary="Convert the lead; the deals service opens a deal from the event",
    )
    def convert_lead(
        lead_id: uuid.UUID,
        body: ConvertLeadRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, Any]:
        return app.convert_lead(
            lead_id,
            deal_name=body.deal_name,
            expected_amount=body.expected_amount.to_domain(),
            owner_id=body.owner_id,
            qualification=body.qualification.model_dump(),
            process_id=body.process_id,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/leads/{lead_id}/merges",
        tags=["duplicates"],
        summary="Merge a duplicate into this lead (both keep their histories)",
    )
    def merge_leads(
        lead_id: uuid.UUID, body: MergeRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.merge_leads(lead_id, body.duplicate_id, idempotency_key=key)

    @router.post(
        "/leads/{lead_id}/unmerge",
        tags=["duplicates"],
        summary="Undo the merge of this lead (compensating events)",
    )
    def undo_merge(
        lead_id: uuid.UUID, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.undo_merge(lead_id, idempotency_key=key)

    @router.get(
        "/leads/{lead_id}/events",
        tags=["leads"],
        summary="The lead's events as published, oldest first",
    )
    def lead_events(lead_id: uuid.UUID) -> list[dict[str, Any]]:
        return [
            envelope_as_dict(env)
            for env in (LEAD_CONTRACTS.envelope(e, 0) for e in app.history(Lead, lead_id))
            if env is not None
        ]

    @router.post(
        "/leads/{lead_id}/engagements",
        tags=["scoring"],
        summary="Record an engagement signal; the lead is re-scored on event time",
    )
    def record_engagement(
        lead_id: uuid.UUID, body: EngagementRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.record_engagement(
            lead_id, body.kind.value, body.occurred_at, ref=body.ref, idempotency_key=key
        )

    @router.post(
        "/leads/{lead_id}/enrich",
        tags=["scoring"],
        summary="Retry enrichment now (it also runs by itself after capture)",
    )
    def enrich(lead_id: uuid.UUID, key: str | None = Depends(idempotency_key)) -> dict[str, Any]:
        return app.enrich_from(lead_id, provider, as_of=utcnow(), attempts=1, idempotency_key=key)

    @router.get(
        "/leads/{lead_id}/score",
        tags=["scoring"],
        summary="The latest score, each rule's points, and the same score recomputed",
    )
    def explain_score(lead_id: uuid.UUID) -> dict[str, Any]:
        return app.explain_score(lead_id)

    @router.post("/leads/{lead_id}/assignment/reject", tags=["routing"],
                 summary="The rep rejects a mismatched lead: it is routed again without them")
    def reject_assignment(
        lead_id: uuid.UUID, body: RepDecision, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.reject_assignment(lead_id, body.rep_id, body.reason, idempotency_key=key)

    @router.post("/leads/{lead_id}/return", tags=["routing"],
                 summary="The rep returns an immature lead: it goes back to a nurture pool")
    def return_lead(
        lead_id: uuid.UUID, body: RepDecision, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.return_lead(lead_id, body.rep_id, body.reason, idempotency_key=key)

    @router.post("/leads/{lead_id}/assign", tags=["routing"],
                 summary="Route a lead by hand (manual queue, or a manager moving it)")
    def assign_lead(
        lead_id: uuid.UUID, body: AssignRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.assign_lead(lead_id, body.team, body.rep_id, body.note, idempotency_key=key)

    @router.get("/rules/routing", tags=["rules"])
    def routing_rules() -> dict[str, Any]:
        version, rules = app.routing_rules.current()
        return {"name": "routing", "version": version, "document": rules.model_dump(mode="json")}

    @router.put("/rules/routing", tags=["rules"],
                summary="Publish a new version of the routing rules (validated; evented)")
    def publish_routing_rules(
        body: PublishRulesRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.routing_rules.publish(body.document, body.note, key)

    @router.get("/rules/scoring", tags=["rules"])
    def scoring_rules() -> dict[str, Any]:
        version, rules = app.scoring_rules.current()
        return {"name": "scoring", "version": version, "document": rules.model_dump(mode="json")}

    @router.get("/rules/scoring/versions/{number}", tags=["rules"])
    def scoring_rules_version(number: int) -> dict[str, Any]:
        rules = app.scoring_rules.version(number)
        return {"name": "scoring", "version": number, "document": rules.model_dump(mode="json")}

    @router.put(
        "/rules/scoring",
        tags=["rules"],
        summary="Publish a new version of the scoring rules (validated; evented)",
    )
    def publish_scoring_rules(
        body: PublishRulesRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.scoring_rules.publish(body.document, body.note, key)

    @router.post("/campaigns", status_code=201, tags=["campaigns"])
    def launch_campaign(
        body: CampaignRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        cost = body.cost.to_domain() if body.cost else Money.zero(body.currency)
        return app.launch_campaign(
            body.campaign_id,
            name=body.name,
            channel_type=body.channel_type.value,
            cost=cost,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            idempotency_key=key,
        )

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

    @router.put("/campaigns/{campaign_id}/cost", tags=["campaigns"])
    def record_cost(
        campaign_id: str, body: CostRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.record_campaign_cost(campaign_id, body.cost.to_domain(), idempotency_key=key)

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

    @router.post("/accounts", status_code=201, tags=["accounts"])
    def register_account(
        body: AccountRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.register_account(
            name=body.name,
            website=body.website,
            region=body.region,
            industry=body.industry,
            idempotency_key=key,
        )

    return router


def build_api(
    app: LeadsApplication,
    provider: FirmographicsProvider | None = None,
    directory: LeadDirectory | None = None,
) -> FastAPI:
    api = create_api(
        "L2C leads service",
        "Capture leads from every channel, flag and merge duplicates, qualify and convert.",
    )
    directory = directory or LeadDirectory(
        app, app.settings.data_dir / "leads-directory.sqlite")
    producer = LazyProducer(app.settings, "leads-telephony-webhook")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await producer.close()

    api.router.lifespan_context = lifespan
    api.include_router(build_router(app, provider or ReferenceFileProvider(), directory,
                                    producer))
    return api
