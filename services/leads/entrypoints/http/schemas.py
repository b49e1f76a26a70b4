"""Request and response bodies of the leads API, validated at the edge."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from kernel.commands import EventTime, MoneyModel
from services.leads.domain.campaign import ChannelType
from services.leads.domain.lead import SalesRejection
from services.leads.domain.scoring import EngagementKind


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
    occurred_at: EventTime = Field(description="when it happened (event time)")
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
    at: EventTime


class ClaimRequest(BaseModel):
    rep_id: str = Field(min_length=1, max_length=100)


class InboundCallRequest(BaseModel):
    call_id: str = Field(min_length=1, max_length=100)
    caller_number: str = Field(min_length=7, max_length=40, pattern=r"^[0-9+()\-. /]*$")
    caller_name: str = Field("", max_length=200)
    dialled_number: str = Field("", max_length=40)
    campaign_id: str = Field("", max_length=64)
    started_at: EventTime
    answered: bool = True
    duration_seconds: int = Field(0, ge=0, le=2**32 - 1)  # uint32 on the wire
