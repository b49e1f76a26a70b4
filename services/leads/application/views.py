"""What the use cases answer: the state a caller needs after a command."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

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
