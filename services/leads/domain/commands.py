"""The leads service's commands: what each one says.

Each command is a message (``kernel.commands.Command``) validated wherever it comes from.
Where it is offered, who may send it and how it is carried out (a lead's change, then
routing when it just qualified) is declared in the catalog
(``application/catalog.py``); nothing here does I/O.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from kernel.commands import Command, EventTime, MoneyModel
from services.leads.domain.account import Account
from services.leads.domain.campaign import Campaign, ChannelType
from services.leads.domain.lead import Channel, Contact, SalesRejection
from services.leads.domain.scoring import EngagementKind

# -- capture ------------------------------------------------------------------------------------

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ContactModel(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    email: str = Field("", max_length=254, pattern=f"({EMAIL})|^$")
    phone: str = Field("", max_length=40, pattern=r"^[0-9+()\-. /]*$")
    company: str = Field("", max_length=200)
    website: str = Field("", max_length=200)
    job_title: str = Field("", max_length=200)
    region: str = Field("", max_length=60)
    product_interest: str = Field("", max_length=60)

    def to_domain(self) -> Contact:
        return Contact(**{name: getattr(self, name) for name in ContactModel.model_fields})


class CaptureLead(Command, ContactModel):
    """Capture a lead (web form, referral, ...); duplicates are flagged."""

    source: Channel = Field(Channel.WEB_FORM, description="the channel the lead came through")
    campaign_id: str = Field("", max_length=64)


class RegisterForCampaign(Command, ContactModel):
    """Someone registered for a campaign's event: a lead from channel 'event'."""

    campaign_id: str = Field(min_length=1, max_length=64)


class Capture(Command, ContactModel):
    """A lead from an import row or an unknown caller, with the record it came from."""

    channel: Channel
    campaign_id: str = Field("", max_length=64)
    external_ref: str = Field("", max_length=300)


# -- qualification and conversion --------------------------------------------------------------


class QualifyLead(Command):
    """Marketing qualifies the lead (MQL)."""

    lead_id: uuid.UUID
    note: str = Field("", max_length=2000)


class AcceptLead(Command):
    """Sales accepts the lead (SQL)."""

    lead_id: uuid.UUID
    note: str = Field("", max_length=2000)


class RejectLead(Command):
    """Sales rejects the MQL, with a reason."""

    lead_id: uuid.UUID
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


class ConvertLead(Command):
    """Convert the lead; the deals service opens a deal from the event."""

    lead_id: uuid.UUID
    deal_name: str = Field(min_length=1, max_length=200)
    expected_amount: MoneyModel
    owner_id: str = Field(min_length=1, max_length=100)
    qualification: QualificationModel = Field(default_factory=QualificationModel)
    process_id: str = Field("", max_length=64, description="sales process (empty: default)")


# -- routing decisions ------------------------------------------------------------------------


class RejectAssignment(Command):
    """The rep rejects a mismatched lead: it is routed again without them."""

    lead_id: uuid.UUID
    rep_id: str = Field(min_length=1, max_length=100, description="the rep the lead is with")
    reason: str = Field(min_length=1, max_length=500)


class ReturnLead(Command):
    """The rep returns an immature lead: it goes back to a nurture pool."""

    lead_id: uuid.UUID
    rep_id: str = Field(min_length=1, max_length=100, description="the rep the lead is with")
    reason: str = Field(min_length=1, max_length=500)


class AssignLead(Command):
    """Route a lead by hand (manual queue, or a manager moving it)."""

    lead_id: uuid.UUID
    team: str = Field(min_length=1, max_length=80)
    rep_id: str = Field(min_length=1, max_length=100)
    note: str = Field("", max_length=500)


# -- duplicates ------------------------------------------------------------------------------------


class MergeLeads(Command):
    """Merge a duplicate into this lead (both keep their histories)."""

    lead_id: uuid.UUID = Field(description="the lead that survives")
    duplicate_id: uuid.UUID = Field(description="the lead to fold into this one")


class UndoMerge(Command):
    """Undo the merge of this lead (compensating events)."""

    lead_id: uuid.UUID


class ErasePersonalData(Command):
    """Forget the person behind this lead: their name, e-mail, phone and job title can no
    longer be read anywhere (their key is destroyed); the lead stays in the figures."""

    lead_id: uuid.UUID
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="the request or legal ground (e.g. 'GDPR art. 17 request #4711')",
    )


# -- accounts and territories ---------------------------------------------------------------


class RegisterAccount(Command):
    """A new account, placed in its territory (refused when one has its name and domain)."""

    name: str = Field(min_length=1, max_length=200)
    website: str = Field(min_length=3, max_length=200)
    region: str = Field("", max_length=60)
    industry: str = Field("", max_length=60)


class RecordVisit(Command):
    """A rep visited the account (resets its public-pool clock)."""

    account_id: uuid.UUID
    rep_id: str = Field(min_length=1, max_length=100)
    at: EventTime


def record_visit(account: Account, c: RecordVisit) -> None:
    account.record_visit(c.rep_id, c.at)


class ClaimAccount(Command):
    """Take an account from the public pool."""

    account_id: uuid.UUID
    rep_id: str = Field(min_length=1, max_length=100)


class PlaceAccount(Command):
    """Place an account under a version of the territory rules."""

    account_id: uuid.UUID
    rules_version: int = Field(ge=1)


# -- engagement and campaigns -------------------------------------------------------------------


class RecordEngagement(Command):
    """Record an engagement signal; the lead is re-scored on event time."""

    lead_id: uuid.UUID
    kind: EngagementKind
    occurred_at: EventTime = Field(description="when it happened (event time)")
    ref: str = Field("", max_length=200, description="the signal's own id; repeats are ignored")


class LaunchCampaign(Command):
    campaign_id: str = Field(
        min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]+$", examples=["spring-expo-2026"]
    )
    name: str = Field(min_length=1, max_length=200)
    channel_type: ChannelType
    cost: MoneyModel | None = None
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    starts_on: date
    ends_on: date


class RecordCampaignCost(Command):
    """The campaign's cost to date (not a delta)."""

    campaign_id: str = Field(min_length=2, max_length=64)
    cost: MoneyModel


def record_campaign_cost(campaign: Campaign, c: RecordCampaignCost) -> None:
    campaign.record_cost(c.cost.to_domain())


# -- enrichment -------------------------------------------------------------------------------


class EnrichLead(Command):
    """What a firmographics provider knows of the lead's company; the lead is re-scored."""

    lead_id: uuid.UUID
    industry: str = Field("", max_length=100)
    company_size: str = Field("", max_length=40)
    headcount: int = Field(0, ge=0, le=10_000_000)
    region: str = Field("", max_length=60)
    provider: str = Field(min_length=1, max_length=100)
    as_of: datetime


class RecordEnrichmentFailure(Command):
    """Enrichment failed; the lead is scored on what it has and may be retried later."""

    lead_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=1000)
    attempts: int = Field(ge=0, le=1000)
    retryable: bool
    as_of: datetime


# -- the clocks (sent by the service's own timers) ------------------------------------------------


class FlagMissedDeadline(Command):
    """The speed-to-lead clock: the lead's first-touch deadline passed untouched."""

    lead_id: uuid.UUID
    team: str = Field(min_length=1, max_length=80)
    deadline: datetime


class ReturnToPublicPool(Command):
    """The public-pool clock: the owner let the account's days pass without a visit."""

    account_id: uuid.UUID
    now: datetime
