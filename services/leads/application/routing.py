"""Qualification (MQL, SQL, conversion) and routing to teams and reps, with the
speed-to-lead clock."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta

from kernel.domain import command_context, current_context, utcnow
from kernel.settings import Settings
from services.leads.application.base import LeadsBase
from services.leads.application.desks import DeskFollower
from services.leads.domain import commands
from services.leads.domain.lead import Lead
from services.leads.domain.routing import RoutingRules


class RoutingUseCases(LeadsBase):
    def __init__(self, settings: Settings) -> None:
        self.desks = DeskFollower(self)  # before the base publishes its rule sets
        super().__init__(settings)
        # Fold the team desks now, before the first request: on a long history the first
        # routing decision would otherwise read every assignment ever made while it waits.
        self.desks.catch_up()

    def attempt_scope(self) -> AbstractContextManager[None]:
        return self.desks.command()  # a pick's reservation lasts as long as one attempt

    def current_routing(self) -> RoutingRules:
        version, schema = self.routing_rules.current()
        return schema.to_domain(version)

    def _route_if_due(self, lead: Lead) -> None:
        """A lead that just became an MQL goes to a team and a rep, with a deadline."""
        if not lead.awaits_routing:
            return
        rules = self.current_routing()
        team_name, why = rules.team_for(lead.profile)
        rep = self.desks.pick_and_reserve(lead.id, rules.teams[team_name], set(lead.rejected_by))
        if rep is None:
            lead.queue_for_manual_routing(team_name, f"every rep of {team_name} rejected it; {why}")
            return
        now = current_context().occurred_at or utcnow()
        grade = lead.score.get("grade", "")
        deadline = now + timedelta(minutes=rules.minutes_to_first_touch(grade))
        lead.route_to(team_name, rep, why, deadline)

    def flag_missed_deadlines(self, now: datetime) -> list[str]:
        """The speed-to-lead clock: every lead whose first-touch deadline passed without
        sales accepting or rejecting it gets a SpeedToLeadMissed event, at the deadline."""
        return [
            late.lead_id
            for late in self.desks.overdue(now)
            if self._flag_missed(late.team, uuid.UUID(late.lead_id), late.deadline)
        ]

    def _flag_missed(self, team: str, lead_id: uuid.UUID, deadline: datetime) -> bool:
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
