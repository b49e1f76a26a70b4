"""Request and response bodies of the deals API, validated at the edge."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from kernel.commands import EventTime, MoneyModel, PlannedTime
from services.deals.application.views import DealState
from services.deals.domain.deal import LossReason


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
    due_at: PlannedTime


class RescheduleRequest(BaseModel):
    due_at: PlannedTime
    reason: str = Field(min_length=1, max_length=500)


class NoDecisionRequest(BaseModel):
    note: str = Field("", max_length=2000)


class ActivityRequest(BaseModel):
    kind: str = Field(pattern="^(visit|call|meeting|email|im)$")
    at: EventTime
    summary: str = Field("", max_length=2000)
    stakeholder_id: str = ""
    duration_seconds: int = Field(0, ge=0, le=2**32 - 1)  # uint32 on the wire


class BlockerRequest(BaseModel):
    blocker_id: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=1000)


class ResolutionRequest(BaseModel):
    resolution: str = Field(min_length=1, max_length=1000)


class QuestionRequest(BaseModel):
    question_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    asked_at: EventTime


class AnswerRequest(BaseModel):
    answered_at: EventTime


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


class DealView(DealState):
    lead_id: uuid.UUID
    name: str
    currency: str
    owner_id: str
    company: str
