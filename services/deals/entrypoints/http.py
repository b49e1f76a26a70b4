"""HTTP API of the deals service. Deals are opened by the lead-converted policy, not here."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import AwareDatetime, BaseModel, Field

from kernel.contracts import envelope_as_dict
from kernel.http import MoneyModel, create_api, expected_version, idempotency_key
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.adapters.directory import DealDirectory
from services.deals.application import DealsApplication, deal_state
from services.deals.domain.deal import Deal, LossReason


class Override(BaseModel):
    by: str = Field(min_length=1, max_length=100, description="the manager who overrides")
    reason: str = Field(min_length=1, max_length=500)


class AdvanceRequest(BaseModel):
    stage: str = Field(min_length=1, max_length=40, examples=["product_understanding"])
    override: Override | None = Field(
        None, description="advance without the exit criteria (recorded with who and why)"
    )


class MoveBackRequest(BaseModel):
    stage: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=500)


class ActionRequest(BaseModel):
    action: str = Field(min_length=1, max_length=60, examples=["need_confirmed"])
    note: str = Field("", max_length=2000)


class KeyEventRequest(BaseModel):
    kind: str = Field(min_length=1, max_length=40, examples=["customer_approval"])
    source: str = Field("rep", max_length=40)
    ref: str = Field("", max_length=200)


class MigrateRequest(BaseModel):
    process_id: str = Field(
        "",
        max_length=64,
        description="another process; empty: the current version of the deal's own",
    )


class MeddicRequest(BaseModel):
    metrics: str | None = None
    economic_buyer: str | None = None
    decision_criteria: str | None = None
    decision_process: str | None = None
    identified_pain: str | None = None
    champion: str | None = None


class StakeholderRequest(BaseModel):
    stakeholder_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    level: str = Field(examples=["vp"], description="staff, manager, director, vp, c_level")
    department: str = Field("", max_length=100)
    role: str = Field(examples=["power_sponsor"])
    attitude: str = Field("neutral", examples=["neutral"])
    phone: str = Field("", max_length=40, description="lets telephony find the deal")


class StakeholderChange(BaseModel):
    role: str = ""
    attitude: str = ""
    note: str = Field("", max_length=500)


class ContactRequest(BaseModel):
    channel: str = Field(pattern="^(visit|call|meeting|email|im)$")


class ForecastRequest(BaseModel):
    close_date: date | None = None
    amount: MoneyModel | None = None
    forecast_category: str = Field("", description="pipeline, best_case or commit")


class NextStepRequest(BaseModel):
    step_id: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=500)
    owner: str = Field(min_length=1, max_length=100)
    due_at: AwareDatetime


class RescheduleRequest(BaseModel):
    due_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=500)


class NoDecisionRequest(BaseModel):
    note: str = Field("", max_length=2000)


class ActivityRequest(BaseModel):
    kind: str = Field(pattern="^(visit|call|meeting|email|im)$")
    at: AwareDatetime
    summary: str = Field("", max_length=2000)
    stakeholder_id: str = ""
    duration_seconds: int = Field(0, ge=0)


class BlockerRequest(BaseModel):
    blocker_id: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=1000)


class ResolutionRequest(BaseModel):
    resolution: str = Field(min_length=1, max_length=1000)


class QuestionRequest(BaseModel):
    question_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    asked_at: AwareDatetime


class AnswerRequest(BaseModel):
    answered_at: AwareDatetime


class RelationshipRequest(BaseModel):
    level: str = Field(
        "",
        description="vendor, preferred_vendor, solution_consultant, "
        "strategic_contributor, trusted_partner",
    )
    relationship: str = Field("", description="good or bad")
    potential: str = Field("", description="big or small")


class PublishRulesRequest(BaseModel):
    document: dict[str, Any]
    note: str = Field("", max_length=500)


class LoseRequest(BaseModel):
    reason: LossReason
    competitor: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


class DealState(BaseModel):
    deal_id: uuid.UUID
    status: str
    stage: str
    win_probability_percent: int
    process: dict[str, Any]
    actions_done: list[str]
    key_events: list[str]
    meddic_completeness: float
    close_date: str | None
    amount: str
    forecast_category: str
    next_steps: list[dict[str, Any]]
    activities: int
    open_blockers: int
    version: int


class DealView(DealState):
    lead_id: uuid.UUID
    name: str
    currency: str
    owner_id: str
    company: str


def build_router(app: DealsApplication, directory: DealDirectory) -> APIRouter:
    router = APIRouter(tags=["deals"])

    @router.get("/deals", summary="List deals, filtered, oldest first; follow next_cursor")
    def list_deals(
        status: str = "",
        stage: str = "",
        process_id: str = "",
        owner_id: str = "",
        company: str = "",
        forecast_category: str = "",
        cursor: int = Query(0, ge=0),
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

    @router.put(
        "/deals/{deal_id}/forecast",
        response_model=DealState,
        tags=["forecast"],
        summary="Close date, amount, forecast category (each change an event)",
    )
    def plan_close(
        deal_id: uuid.UUID,
        body: ForecastRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.plan_close(
            deal_id,
            close_date=body.close_date,
            amount=body.amount.to_domain() if body.amount else None,
            category=body.forecast_category,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/next-steps",
        response_model=DealState,
        status_code=201,
        tags=["next steps"],
    )
    def agree_next_step(
        deal_id: uuid.UUID,
        body: NextStepRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.agree_next_step(
            deal_id, **body.model_dump(), idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/next-steps/{step_id}/done", response_model=DealState, tags=["next steps"]
    )
    def next_step_done(
        deal_id: uuid.UUID,
        step_id: str,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.complete_next_step(
            deal_id, step_id, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/next-steps/{step_id}/reschedule",
        response_model=DealState,
        tags=["next steps"],
    )
    def reschedule_next_step(
        deal_id: uuid.UUID,
        step_id: str,
        body: RescheduleRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.reschedule_next_step(
            deal_id,
            step_id,
            body.due_at,
            body.reason,
            idempotency_key=key,
            expected_version=version,
        )

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

    @router.post(
        "/deals/{deal_id}/activities",
        response_model=DealState,
        status_code=201,
        tags=["activities"],
        summary="A rep's visit, call, meeting or email",
    )
    def log_activity(
        deal_id: uuid.UUID,
        body: ActivityRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.log_activity(
            deal_id, **body.model_dump(), idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/blockers", response_model=DealState, status_code=201, tags=["activities"]
    )
    def raise_blocker(
        deal_id: uuid.UUID,
        body: BlockerRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.raise_blocker(
            deal_id,
            body.blocker_id,
            body.description,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/blockers/{blocker_id}/resolve",
        response_model=DealState,
        tags=["activities"],
    )
    def resolve_blocker(
        deal_id: uuid.UUID,
        blocker_id: str,
        body: ResolutionRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.resolve_blocker(
            deal_id, blocker_id, body.resolution, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/questions",
        response_model=DealState,
        status_code=201,
        tags=["activities"],
        summary="A customer question, and when it was asked",
    )
    def ask_question(
        deal_id: uuid.UUID,
        body: QuestionRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.ask_question(
            deal_id,
            body.question_id,
            body.text,
            body.asked_at,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/questions/{question_id}/answer",
        response_model=DealState,
        tags=["activities"],
    )
    def answer_question(
        deal_id: uuid.UUID,
        question_id: str,
        body: AnswerRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.answer_question(
            deal_id, question_id, body.answered_at, idempotency_key=key, expected_version=version
        )

    @router.put(
        "/relationships/{account}",
        tags=["accounts"],
        summary="Relationship level and customer quadrant (relationship x potential)",
    )
    def assess_relationship(
        account: str, body: RelationshipRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, object]:
        return app.assess_relationship(account, **body.model_dump(), idempotency_key=key)

    @router.get("/relationships/{account}", tags=["accounts"])
    def relationship(account: str) -> dict[str, str]:
        return app.relationship_of(account)

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

    @router.get(
        "/rules/processes",
        tags=["processes"],
        summary="The sales processes: stages, probabilities, exit criteria, key events",
    )
    def processes() -> dict[str, Any]:
        version, rules = app.processes.current()
        return {"name": "processes", "version": version, "document": rules.model_dump(mode="json")}

    @router.put(
        "/rules/processes",
        tags=["processes"],
        summary="Publish a new version of the processes (open deals keep theirs)",
    )
    def publish_processes(
        body: PublishRulesRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.processes.publish(body.document, body.note, key)

    return router


def build_api(app: DealsApplication, directory: DealDirectory | None = None) -> FastAPI:
    api = create_api(
        "L2C deals service",
        "Qualification gates, configurable sales processes, decision maps, activities, "
        "next steps and forecasts of deals opened from converted leads.",
    )
    directory = directory or DealDirectory(app, app.settings.data_dir / "deals-directory.sqlite")
    api.include_router(build_router(app, directory))
    return api
