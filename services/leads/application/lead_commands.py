"""How each command on a lead is carried out: the lead's change and the team desks it
touches (``lead_use_case`` routes the lead when it just qualified), captures that create
leads, merges of two leads, engagement and enrichment. Declared in ``catalog.py``."""

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
from services.leads.domain.routing import TeamDesk

Change = Callable[[Any, Lead, Any], "list[L2CAggregate] | None"]


def lead_use_case(change: Change, answer: Callable[[Lead], Result]) -> Any:
    """A command on one lead: load it (checking If-Match), apply ``change`` (which returns
    the team desks it touched), route the lead if it just qualified, save all together."""

    def use_case(
        app: Any, c: Any, expected_version: int | None
    ) -> tuple[list[L2CAggregate], Result]:
        lead = app.load(Lead, c.lead_id, expected_version)
        extra = list(change(app, lead, c) or [])
        extra += [d for d in app._route_if_due(lead, extra) if d not in extra]
        return [lead, *extra], answer(lead)

    return use_case


# -- what each command does to a lead and its team desks -------------------------------------


def qualify(app: Any, lead: Lead, c: commands.QualifyLead) -> None:
    lead.qualify_as_mql(c.note)


def accept(app: Any, lead: Lead, c: commands.AcceptLead) -> list[L2CAggregate]:
    lead.accept_as_sql(c.note)
    if not lead.team:
        return []
    desk = app._desk(lead.team)
    desk.touched(lead.id)  # the first touch came in time: stop the clock
    return [desk]


def reject(app: Any, lead: Lead, c: commands.RejectLead) -> list[L2CAggregate]:
    lead.reject_by_sales(c.reason.value, c.note)
    return app._release(lead, f"rejected by sales: {c.reason.value}")


def convert(app: Any, lead: Lead, c: commands.ConvertLead) -> list[L2CAggregate]:
    lead.convert(
        c.deal_name,
        c.expected_amount.to_domain(),
        c.owner_id,
        c.qualification.model_dump(),
        c.process_id,
    )
    return app._release(lead, "converted")


def reject_assignment(app: Any, lead: Lead, c: commands.RejectAssignment) -> list[L2CAggregate]:
    released = app._release(lead, f"rejected by {c.rep_id}: {c.reason}")
    lead.reject_assignment(c.rep_id, c.reason)
    return released


def return_lead(app: Any, lead: Lead, c: commands.ReturnLead) -> list[L2CAggregate]:
    released = app._release(lead, f"returned by {c.rep_id}: {c.reason}")
    lead.return_to_nurture(c.rep_id, c.reason)
    return released


def assign(app: Any, lead: Lead, c: commands.AssignLead) -> list[L2CAggregate]:
    """Route a lead by hand: to a rep of the team, with a fresh first-touch deadline."""
    rules = app.current_routing()
    if c.team not in rules.teams or c.rep_id not in rules.teams[c.team].reps:
        raise InvalidCommand(f"{c.rep_id!r} is not a rep of team {c.team!r}")
    if lead.status is not LeadStatus.MQL:
        raise RuleViolation(f"lead {lead.id} is {lead.status.value}; only MQLs are routed")
    released = app._release(lead, f"reassigned to {c.rep_id}")
    desk = next(
        (d for d in released if isinstance(d, TeamDesk) and d.team == c.team), None
    ) or app._desk(c.team)
    now = current_context().occurred_at or utcnow()
    deadline = now + timedelta(minutes=rules.minutes_to_first_touch(lead.score.get("grade", "")))
    desk.assign(lead.id, c.rep_id, deadline)
    lead.route_to(c.team, c.rep_id, f"assigned manually: {c.note}".strip(), deadline)
    return [*released, desk] if desk not in released else released


def flag_missed_deadline(
    app: Any, c: commands.FlagMissedDeadline, _: int | None
) -> tuple[list[L2CAggregate], Result]:
    lead, desk = app.load(Lead, c.lead_id), app._desk(c.team)
    missed = lead.miss_speed_to_lead(c.deadline)
    desk.note_missed(c.lead_id)
    return [lead, desk], {"missed": missed}


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
