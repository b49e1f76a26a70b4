"""How each command on a lead is carried out: the lead's change (``lead_use_case`` routes
the lead when it just qualified), captures that create leads, merges of two leads,
engagement and enrichment. Declared in ``catalog.py``. A command on one lead writes that
lead only: the team desks are folded from the leads' events (``desks.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from kernel.domain import L2CAggregate, current_context, utcnow
from kernel.errors import InvalidCommand, RuleViolation
from kernel.store import Result
from services.leads.application.views import lead_view
from services.leads.domain import commands
from services.leads.domain.lead import Channel, Contact, Lead, LeadStatus
from services.leads.domain.matching import match_keys

Change = Callable[[Any, Lead, Any], None]


def lead_use_case(change: Change, answer: Callable[[Lead], Result]) -> Any:
    """A command on one lead: load it (checking If-Match), apply ``change``, route the lead
    if it just qualified, save it."""

    def use_case(
        app: Any, c: Any, expected_version: int | None
    ) -> tuple[list[L2CAggregate], Result]:
        lead = app.load(Lead, c.lead_id, expected_version)
        change(app, lead, c)
        app._route_if_due(lead)
        return [lead], answer(lead)

    return use_case


# -- what each command does to a lead ---------------------------------------------------------


def qualify(app: Any, lead: Lead, c: commands.QualifyLead) -> None:
    lead.qualify_as_mql(c.note)


def accept(app: Any, lead: Lead, c: commands.AcceptLead) -> None:
    lead.accept_as_sql(c.note)  # the first touch came in time: the desk's clock stops


def reject(app: Any, lead: Lead, c: commands.RejectLead) -> None:
    lead.reject_by_sales(c.reason.value, c.note)


def convert(app: Any, lead: Lead, c: commands.ConvertLead) -> None:
    lead.convert(
        c.deal_name,
        c.expected_amount.to_domain(),
        c.owner_id,
        c.qualification.model_dump(),
        c.process_id,
    )


def reject_assignment(app: Any, lead: Lead, c: commands.RejectAssignment) -> None:
    lead.reject_assignment(c.rep_id, c.reason)


def return_lead(app: Any, lead: Lead, c: commands.ReturnLead) -> None:
    lead.return_to_nurture(c.rep_id, c.reason)


def assign(app: Any, lead: Lead, c: commands.AssignLead) -> None:
    """Route a lead by hand: to a rep of the team, with a fresh first-touch deadline."""
    rules = app.current_routing()
    if c.team not in rules.teams or c.rep_id not in rules.teams[c.team].reps:
        raise InvalidCommand(f"{c.rep_id!r} is not a rep of team {c.team!r}")
    if lead.status is not LeadStatus.MQL:
        raise RuleViolation(f"lead {lead.id} is {lead.status.value}; only MQLs are routed")
    now = current_context().occurred_at or utcnow()
    deadline = now + timedelta(minutes=rules.minutes_to_first_touch(lead.score.get("grade", "")))
    app.desks.reserve(lead.id, c.team, c.rep_id)
    lead.route_to(c.team, c.rep_id, f"assigned manually: {c.note}".strip(), deadline)


def flag_missed_deadline(
    app: Any, c: commands.FlagMissedDeadline, _: int | None
) -> tuple[list[L2CAggregate], Result]:
    lead = app.load(Lead, c.lead_id)
    missed = lead.miss_speed_to_lead(c.deadline)
    return [lead], {"missed": missed}


def merge_leads(
    app: Any, c: commands.MergeLeads, expected_version: int | None
) -> tuple[list[Lead], Result]:
    """The duplicate is folded into the survivor (``lead_id``; If-Match is its version)."""
    survivor = app.load(Lead, c.lead_id, expected_version)
    duplicate = app.load(Lead, c.duplicate_id)
    duplicate.merge_into(survivor)
    return [duplicate, survivor], {"survivor": lead_view(survivor), "merged": lead_view(duplicate)}


def undo_merge(
    app: Any, c: commands.UndoMerge, expected_version: int | None
) -> tuple[list[Lead], Result]:
    duplicate = app.load(Lead, c.lead_id, expected_version)
    if duplicate.merged_into is None:
        raise InvalidCommand(f"lead {c.lead_id} is not merged")
    survivor = app.load(Lead, duplicate.merged_into)
    duplicate.undo_merge(survivor)
    return [duplicate, survivor], {
        "survivor": lead_view(survivor),
        "restored": lead_view(duplicate),
    }


def erase_personal_data(
    app: Any, c: commands.ErasePersonalData, expected_version: int | None
) -> tuple[list[L2CAggregate], Result]:
    """The erasure event, and the lead's identity keys released (no later lead matches
    the person); the key that sealed their data is destroyed once this is stored."""
    lead = app.load(Lead, c.lead_id, expected_version)
    released = []
    if not lead.personal_data_erased:
        released = app._release_identity(
            "lead", lead.id, match_keys(lead.email, lead.phone, lead.company, lead.website)
        )
    lead.erase_personal_data(c.reason)
    return [lead, *released], {**lead_view(lead), "personal_data_erased": True}


def destroy_personal_key(app: Any, c: commands.ErasePersonalData) -> None:
    app.vault.erase(c.lead_id)


def _capture(
    app: Any, contact: Contact, channel: str, campaign_id: str, external_ref: str
) -> tuple[list[L2CAggregate], Result]:
    """Capture a lead; flag it when it matches known leads or accounts."""
    if campaign_id:
        app._known_campaign(campaign_id)
    lead = Lead.capture(contact, channel, campaign_id, external_ref)
    keys, matches = app._claim_identity(
        "lead",
        lead.id,
        match_keys(contact.email, contact.phone, contact.company, contact.website),
    )
    lead.flag_duplicates(matches)
    return [lead, *keys], {**lead_view(lead), "duplicates": list(lead.duplicates)}


def capture(app: Any, c: commands.Capture, _: int | None) -> tuple[list[L2CAggregate], Result]:
    return _capture(app, c.to_domain(), c.channel.value, c.campaign_id, c.external_ref)


def capture_from_form(
    app: Any, c: commands.CaptureLead, _: int | None
) -> tuple[list[L2CAggregate], Result]:
    return _capture(app, c.to_domain(), c.source.value, c.campaign_id, "")


def register_for_campaign(
    app: Any, c: commands.RegisterForCampaign, _: int | None
) -> tuple[list[L2CAggregate], Result]:
    return _capture(app, c.to_domain(), Channel.EVENT.value, c.campaign_id, "")


def enrich(app: Any, lead: Lead, c: commands.EnrichLead) -> None:
    lead.enrich(c.industry, c.company_size, c.headcount, c.region, c.provider)
    app._rescore(lead, c.as_of)


def enrichment_failed(app: Any, lead: Lead, c: commands.RecordEnrichmentFailure) -> None:
    lead.record_enrichment_failure(c.reason, c.attempts, c.retryable)
    app._rescore(lead, c.as_of)


def engage(app: Any, lead: Lead, c: commands.RecordEngagement) -> None:
    if lead.record_engagement(c.kind.value, c.occurred_at, c.ref):
        app._rescore(lead, c.occurred_at)
