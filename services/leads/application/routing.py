"""Qualification (MQL, SQL, conversion) and routing to teams and reps, with the
speed-to-lead clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from kernel.domain import L2CAggregate, Money, command_context, current_context, utcnow
from kernel.errors import InvalidCommand, RuleViolation
from kernel.store import Result, fingerprint_of
from services.leads.application.base import LeadsBase
from services.leads.application.views import (
    lead_view,
    routed_view,
)
from services.leads.domain.lead import Lead, LeadStatus
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

    def _update_lead(
        self,
        name: str,
        lead_id: uuid.UUID,
        change: Callable[[Lead], list[L2CAggregate] | None],
        answer: Callable[[Lead], Result],
        *,
        idempotency_key: str | None,
        expected_version: int | None = None,
        request: Sequence[Any] = (),
    ) -> Result:
        """Change one lead (and whatever desks it touches), then route it if it just
        qualified; all in one transaction."""

        def decide() -> tuple[list[L2CAggregate], Result]:
            lead = self.load(Lead, lead_id, expected_version)
            extra = change(lead) or []
            extra += [d for d in self._route_if_due(lead, extra) if d not in extra]
            return [lead, *extra], answer(lead)

        return self.execute(
            name,
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of(name, lead_id, *request),
            retries=2 if expected_version is None else 0,
        )

    def reject_assignment(
        self, lead_id: uuid.UUID, rep: str, reason: str, *, idempotency_key: str | None = None
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            released = self._release(lead, f"rejected by {rep}: {reason}")
            lead.reject_assignment(rep, reason)
            return released

        return self._update_lead(
            "reject_assignment",
            lead_id,
            change,
            routed_view,
            idempotency_key=idempotency_key,
            request=[rep, reason],
        )

    def return_lead(
        self, lead_id: uuid.UUID, rep: str, reason: str, *, idempotency_key: str | None = None
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            released = self._release(lead, f"returned by {rep}: {reason}")
            lead.return_to_nurture(rep, reason)
            return released

        return self._update_lead(
            "return_lead",
            lead_id,
            change,
            routed_view,
            idempotency_key=idempotency_key,
            request=[rep, reason],
        )

    def assign_lead(
        self,
        lead_id: uuid.UUID,
        team: str,
        rep: str,
        note: str,
        *,
        idempotency_key: str | None = None,
    ) -> Result:
        """Manual routing (the manual queue, or a manager moving a lead)."""
        rules = self.current_routing()
        if team not in rules.teams or rep not in rules.teams[team].reps:
            raise InvalidCommand(f"{rep!r} is not a rep of team {team!r}")

        def change(lead: Lead) -> list[L2CAggregate]:
            if lead.status is not LeadStatus.MQL:
                raise RuleViolation(f"lead {lead.id} is {lead.status.value}; only MQLs are routed")
            released = self._release(lead, f"reassigned to {rep}")
            desk = next(
                (d for d in released if isinstance(d, TeamDesk) and d.team == team), None
            ) or self._desk(team)
            now = current_context().occurred_at or utcnow()
            deadline = now + timedelta(
                minutes=rules.minutes_to_first_touch(lead.score.get("grade", ""))
            )
            desk.assign(lead.id, rep, deadline)
            lead.route_to(team, rep, f"assigned manually: {note}".strip(), deadline)
            return [*released, desk] if desk not in released else released

        return self._update_lead(
            "assign_lead",
            lead_id,
            change,
            routed_view,
            idempotency_key=idempotency_key,
            request=[team, rep, note],
        )

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
        desk = self._desk(team)
        deadline = desk.deadlines[str(lead_id)]

        def decide() -> tuple[list[L2CAggregate], Result]:
            lead, desk_now = self.load(Lead, lead_id), self._desk(team)
            missed = lead.miss_speed_to_lead(deadline)
            desk_now.note_missed(lead_id)
            return [lead, desk_now], {"missed": missed}

        with command_context(
            replace(
                current_context(),
                occurred_at=deadline,
                actor_id="leads.speed-to-lead-clock",
                actor_kind="policy",
            )
        ):
            result = self.execute(
                "flag_missed_deadline",
                decide,
                retries=2,
                idempotency_key=f"speed-to-lead:{lead_id}:{deadline.isoformat()}",
            )
        return bool(result["missed"])

    def qualify_lead(
        self,
        lead_id: uuid.UUID,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self._update_lead(
            "qualify_lead",
            lead_id,
            lambda lead: lead.qualify_as_mql(note),
            routed_view,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[note],
        )

    def accept_lead(
        self,
        lead_id: uuid.UUID,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            lead.accept_as_sql(note)
            if not lead.team:
                return []
            desk = self._desk(lead.team)
            desk.touched(lead.id)  # the first touch came in time: stop the clock
            return [desk]

        return self._update_lead(
            "accept_lead",
            lead_id,
            change,
            lead_view,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[note],
        )

    def reject_lead(
        self,
        lead_id: uuid.UUID,
        reason: str,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            lead.reject_by_sales(reason, note)
            return self._release(lead, f"rejected by sales: {reason}")

        return self._update_lead(
            "reject_lead",
            lead_id,
            change,
            lead_view,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[reason, note],
        )

    def convert_lead(
        self,
        lead_id: uuid.UUID,
        *,
        deal_name: str,
        expected_amount: Money,
        owner_id: str,
        qualification: dict[str, str] | None = None,
        process_id: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            lead.convert(deal_name, expected_amount, owner_id, qualification, process_id)
            return self._release(lead, "converted")

        return self._update_lead(
            "convert_lead",
            lead_id,
            change,
            lead_view,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[deal_name, str(expected_amount), owner_id, qualification, process_id],
        )

    def get_lead(self, lead_id: uuid.UUID) -> Lead:
        return self.load(Lead, lead_id)
