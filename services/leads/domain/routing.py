"""Routing: which team a qualified lead goes to (first matching rule, else the default
queue) and which rep in it (round-robin or least-loaded by open leads), and the desk that
remembers each team's assignments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from eventsourcing.domain import event

from kernel.domain import L2CAggregate
from services.leads.domain.scoring import Profile

_DESK_NAMESPACE = uuid.UUID("2f7c0f66-3a5e-4f43-9d7f-5b8a4c3e1d92")


@dataclass(frozen=True)
class RoutingRule:
    id: str
    team: str
    company_size: tuple[str, ...] = ()
    product_line: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    min_headcount: int | None = None

    def matches(self, profile: Profile) -> bool:
        def within(value: str, allowed: tuple[str, ...]) -> bool:
            return not allowed or value.lower() in {a.lower() for a in allowed}

        return (
            within(profile.company_size, self.company_size)
            and within(profile.product_interest, self.product_line)
            and within(profile.region, self.region)
            and (self.min_headcount is None or profile.headcount >= self.min_headcount)
        )


@dataclass(frozen=True)
class Team:
    name: str
    strategy: str  # "round_robin" or "least_loaded"
    reps: tuple[str, ...]


@dataclass(frozen=True)
class RoutingRules:
    version: int
    rules: tuple[RoutingRule, ...]
    default_queue: str
    teams: dict[str, Team]
    speed_to_lead_minutes: dict[str, int] = field(default_factory=dict)

    def team_for(self, profile: Profile) -> tuple[str, str]:
        """(team, why): the first rule that matches, else the default queue."""
        for rule in self.rules:
            if rule.matches(profile):
                return rule.team, f"rule {rule.id} (routing rules v{self.version})"
        return self.default_queue, f"no rule matched: default queue (routing rules v{self.version})"

    def minutes_to_first_touch(self, grade: str) -> int:
        return self.speed_to_lead_minutes.get(
            grade or "D", max(self.speed_to_lead_minutes.values(), default=1440)
        )


class TeamDesk(L2CAggregate):
    """A team's assignments: who holds which open lead, and whose turn is next."""

    @staticmethod
    def create_id(team: str) -> uuid.UUID:
        return uuid.uuid5(_DESK_NAMESPACE, team)

    @event("Opened")
    def __init__(self, team: str) -> None:
        self.team = team
        self.turns = 0
        self.open: dict[str, str] = {}  # lead id -> rep
        self.deadlines: dict[str, datetime] = {}
        self.missed: list[str] = []

    def pick(self, team: Team, excluded: set[str]) -> str | None:
        candidates = [r for r in team.reps if r not in excluded]
        if not candidates:
            return None
        if team.strategy == "least_loaded":
            load = {rep: 0 for rep in candidates}
            for rep in self.open.values():
                if rep in load:
                    load[rep] += 1
            return min(candidates, key=lambda r: (load[r], candidates.index(r)))
        return candidates[self.turns % len(candidates)]

    def assign(self, lead_id: uuid.UUID, rep: str, deadline_at: datetime) -> None:
        self._assigned(lead_id=str(lead_id), rep=rep, deadline_at=deadline_at)

    @event("Assigned")
    def _assigned(self, lead_id: str, rep: str, deadline_at: datetime) -> None:
        self.turns += 1
        self.open[lead_id] = rep
        self.deadlines[lead_id] = deadline_at

    def release(self, lead_id: uuid.UUID, why: str) -> None:
        if str(lead_id) in self.open:
            self._released(lead_id=str(lead_id), rep=self.open[str(lead_id)], why=why)

    @event("Released")
    def _released(self, lead_id: str, rep: str, why: str) -> None:
        self.open.pop(lead_id, None)
        self.deadlines.pop(lead_id, None)

    def touched(self, lead_id: uuid.UUID) -> None:
        """Sales acted on the lead before its deadline: nothing left to watch."""
        if str(lead_id) in self.deadlines:
            self._first_touch(lead_id=str(lead_id))

    @event("FirstTouch")
    def _first_touch(self, lead_id: str) -> None:
        self.deadlines.pop(lead_id, None)

    def overdue(self, now: datetime) -> list[str]:
        return [
            lead for lead, due in self.deadlines.items() if due <= now and lead not in self.missed
        ]

    def note_missed(self, lead_id: uuid.UUID) -> None:
        self._deadline_missed(lead_id=str(lead_id))

    @event("DeadlineMissed")
    def _deadline_missed(self, lead_id: str) -> None:
        self.missed.append(lead_id)
