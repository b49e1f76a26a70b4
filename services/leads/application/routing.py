"""Qualification (MQL, SQL, conversion) and routing to teams and reps, with the
speed-to-lead clock."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from eventsourcing.application import AggregateNotFoundError

from kernel.domain import L2CAggregate, command_context, current_context, utcnow
from services.leads.application.base import LeadsBase
from services.leads.domain import commands
from services.leads.domain.lead import Lead
from services.leads.domain.routing import RoutingRules, TeamDesk


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
