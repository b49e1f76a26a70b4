"""What the use cases answer: the state a caller needs after a command."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict

from kernel.store import Result
from services.leads.domain.account import Account
from services.leads.domain.campaign import Campaign
from services.leads.domain.lead import Lead


class CommandAccepted(BaseModel):
    lead_id: uuid.UUID
    version: int
    status: str


class CaptureAccepted(CommandAccepted):
    duplicates: list[dict[str, str]]


def lead_view(lead: Lead) -> Result:
    return {"lead_id": str(lead.id), "status": lead.status.value, "version": lead.version}


def account_view(account: Account) -> Result:
    return account.snapshot()


def routed_view(lead: Lead) -> Result:
    return {
        **lead_view(lead),
        "team": lead.team,
        "rep": lead.rep,
        "deadline_at": lead.deadline_at.isoformat() if lead.deadline_at else None,
        "in_manual_queue": lead.in_manual_queue,
    }


def scored_view(lead: Lead) -> Result:
    return {
        **routed_view(lead),
        "score": lead.score.get("total"),
        "grade": lead.score.get("grade"),
        "temperature": lead.score.get("temperature"),
        "pool": lead.pool,
    }


def campaign_view(campaign: Campaign) -> Result:
    return {
        "campaign_id": campaign.slug,
        "name": campaign.name,
        "channel_type": campaign.channel_type,
        "cost": str(campaign.cost.amount),
        "currency": campaign.cost.currency,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "version": campaign.version,
    }


class _Answer(BaseModel):
    """A typed answer: the fields every caller can rely on (the view may carry more)."""

    model_config = ConfigDict(extra="allow")


class RoutedAnswer(_Answer):
    lead_id: uuid.UUID
    status: str
    version: int
    team: str
    rep: str
    deadline_at: str | None
    in_manual_queue: bool


class MergeAnswer(_Answer):
    survivor: CommandAccepted
    merged: CommandAccepted


class UnmergeAnswer(_Answer):
    survivor: CommandAccepted
    restored: CommandAccepted


class AccountAnswer(_Answer):
    account_id: uuid.UUID
    version: int
    name: str
    territory: str
    owner: str
    in_public_pool: bool


class CampaignAnswer(_Answer):
    campaign_id: str
    name: str
    channel_type: str
    cost: str
    currency: str
    version: int
