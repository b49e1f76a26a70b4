"""Qualification (MQL, SQL, conversion) and routing to teams and reps, with the
speed-to-lead clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from kernel.domain import L2CAggregate, command_context, current_context, utcnow
from kernel.errors import InvalidCommand, RuleViolation
from kernel.store import Result
from services.leads.application.base import LeadsBase
from services.leads.domain import commands
from services.leads.domain.lead import Lead, LeadStatus
from services.leads.domain.routing import RoutingRules, TeamDesk

Change = Callable[[Any, Lead, Any], "list[L2CAggregate] | None"]


def lead_use_case(change: Change, answer: Callable[[Lead], Result]) -> Any:
    """A command on one lead: load it (checking If-Match), apply ``change`` (which returns
    the team desks it touched), route the lead if it just qualified, save all together."""

    def use_case(
        app: RoutingUseCases, c: Any, expected_version: int | None
    ) -> tuple[list[L2CAggregate], Result]:
        lead = app.load(Lead, c.lead_id, expected_version)
        extra = list(change(app, lead, c) or [])
        extra += [d for d in app._route_if_due(lead, extra) if d not in extra]
        return [lead, *extra], answer(lead)

    return use_case


# -- what each command does to a lead and its team desks -------------------------------------


def qualify(app: RoutingUseCases, lead: Lead, c: commands.QualifyLead) -> None:
    lead.qualify_as_mql(c.note)


def accept(app: RoutingUseCases, lead: Lead, c: commands.AcceptLead) -> list[L2CAggregate]:
    lead.accept_as_sql(c.note)
    if not lead.team:
        return []
    desk = app._desk(lead.team)
    desk.touched(lead.id)  # the first touch came in time: stop the clock
    return [desk]


def reject(app: RoutingUseCases, lead: Lead, c: commands.RejectLead) -> list[L2CAggregate]:
    lead.reject_by_sales(c.reason.value, c.note)
    return app._release(lead, f"rejected by sales: {c.reason.value}")


def convert(app: RoutingUseCases, lead: Lead, c: commands.ConvertLead) -> list[L2CAggregate]:
    lead.convert(
        c.deal_name,
        c.expected_amount.to_domain(),
        c.owner_id,
        c.qualification.model_dump(),
        c.process_id,
    )
    return app._release(lead, "converted")


def reject_assignment(
    app: RoutingUseCases, lead: Lead, c: commands.RejectAssignment
) -> list[L2CAggregate]:
    released = app._release(lead, f"rejected by {c.rep_id}: {c.reason}")
    lead.reject_assignment(c.rep_id, c.reason)
    return released


def return_lead(app: RoutingUseCases, lead: Lead, c: commands.ReturnLead) -> list[L2CAggregate]:
    released = app._release(lead, f"returned by {c.rep_id}: {c.reason}")
    lead.return_to_nurture(c.rep_id, c.reason)
    return released


def assign(app: RoutingUseCases, lead: Lead, c: commands.AssignLead) -> list[L2CAggregate]:
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
    app: RoutingUseCases, c: commands.FlagMissedDeadline, _: int | None
) -> tuple[list[L2CAggregate], Result]:
    lead, desk = app.load(Lead, c.lead_id), app._desk(c.team)
    missed = lead.miss_speed_to_lead(c.deadline)
    desk.note_missed(c.lead_id)
    return [lead, desk], {"missed": missed}


class RoutingUseCases(LeadsBase):
    def current_routing(self) -> RoutingRules:
        version, schema = self.routing_rules.current()
        return schema.to_domain(version)

    def _desk(self, team: str) -> TeamDesk:
        try:
            desk: TeamDesk = self.repository.get(TeamDesk.create_id(team))
        except AggregateNotFoundError:
            desk = TeamDesk(team=team)
        return desk

    def _route_if_due(self, lead: Lead, loaded: Sequence[L2CAggregate] = ()) -> list[L2CAggregate]:
        """A lead that just became an MQL goes to a team and a rep, with a deadline.
        ``loaded``: aggregates the command already holds (a desk must be saved once)."""
        if not lead.awaits_routing:
            return []
        rules = self.current_routing()
        team_name, why = rules.team_for(lead.profile)
        desk = next(
            (a for a in loaded if isinstance(a, TeamDesk) and a.team == team_name), None
        ) or self._desk(team_name)
        rep = desk.pick(rules.teams[team_name], set(lead.rejected_by))
        if rep is None:
            lead.queue_for_manual_routing(team_name, f"every rep of {team_name} rejected it; {why}")
            return []
        now = current_context().occurred_at or utcnow()
        grade = lead.score.get("grade", "")
        deadline = now + timedelta(minutes=rules.minutes_to_first_touch(grade))
        desk.assign(lead.id, rep, deadline)
        lead.route_to(team_name, rep, why, deadline)
        return [desk]

    def _release(self, lead: Lead, why: str) -> list[L2CAggregate]:
        if not lead.team:
            return []
        desk = self._desk(lead.team)
        desk.release(lead.id, why)
        return [desk]

    def flag_missed_deadlines(self, now: datetime) -> list[str]:
        """The speed-to-lead clock: every lead whose first-touch deadline passed without
        sales accepting or rejecting it gets a SpeedToLeadMissed event, at the deadline."""
        flagged = []
        for team in self.current_routing().teams:
            if not self.exists(TeamDesk.create_id(team)):
                continue
            for lead_key in self._desk(team).overdue(now):
                if self._flag_missed(team, uuid.UUID(lead_key)):
                    flagged.append(lead_key)
        return flagged

    def _flag_missed(self, team: str, lead_id: uuid.UUID) -> bool:
        deadline = self._desk(team).deadlines[str(lead_id)]
        with command_context(
            replace(
                current_context(),
                occurred_at=deadline,
                actor_id="leads.speed-to-lead-clock",
                actor_kind="policy",
            )
        ):
            result = self.dispatch(
                commands.FlagMissedDeadline(lead_id=lead_id, team=team, deadline=deadline),
                idempotency_key=f"speed-to-lead:{lead_id}:{deadline.isoformat()}",
            )
        return bool(result["missed"])

    def get_lead(self, lead_id: uuid.UUID) -> Lead:
        return self.load(Lead, lead_id)
