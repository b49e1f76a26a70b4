"""Routing: which team a qualified lead goes to (first matching rule, else the default
queue) and which rep in it (round-robin or least-loaded by open leads), and the board that
knows each team's open assignments and first-touch deadlines.

The board is folded from the leads' own events (``Lead.Routed`` and what ends an
assignment), not kept in an aggregate of its own: commands on different leads never write
to a common stream, so they never conflict. ``TeamDesk`` is the aggregate earlier releases
wrote for the same purpose; it is kept only so that stores holding its events can be read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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


@dataclass
class Desk:
    """One team's open assignments (lead id -> rep), the first-touch deadlines still
    running, and how many assignments the team has made (the round-robin turn)."""

    team: str
    turns: int = 0
    open: dict[str, str] = field(default_factory=dict)
    deadlines: dict[str, datetime] = field(default_factory=dict)

    def pick(self, team: Team, excluded: set[str], pending: Sequence[str] = ()) -> str | None:
        """The rep the team's strategy names; ``pending``: reps of assignments decided but
        not yet stored (they count as turns taken and as load)."""
        candidates = [r for r in team.reps if r not in excluded]
        if not candidates:
            return None
        if team.strategy == "least_loaded":
            load = {rep: 0 for rep in candidates}
            for rep in [*self.open.values(), *pending]:
                if rep in load:
                    load[rep] += 1
            return min(candidates, key=lambda r: (load[r], candidates.index(r)))
        return candidates[(self.turns + len(pending)) % len(candidates)]


@dataclass(frozen=True)
class Overdue:
    team: str
    lead_id: str
    deadline: datetime


class DeskBoard:
    """Every team's desk, changed by the facts of the leads' lives (pure: the application
    feeds it the stored events in store order)."""

    def __init__(self) -> None:
        self.desks: dict[str, Desk] = {}
        self._team_of: dict[str, str] = {}  # open lead id -> team

    def desk(self, team: str) -> Desk:
        return self.desks.setdefault(team, Desk(team))

    def routed(self, lead_id: str, team: str, rep: str, deadline: datetime | None) -> None:
        self.released(lead_id)
        desk = self.desk(team)
        desk.turns += 1
        desk.open[lead_id] = rep
        if deadline is not None:
            desk.deadlines[lead_id] = deadline
        self._team_of[lead_id] = team

    def released(self, lead_id: str) -> None:
        """The lead left its rep: accepted work ended (converted, rejected), it was
        returned, re-routed, queued for manual routing or merged into another."""
        team = self._team_of.pop(lead_id, None)
        if team is not None:
            desk = self.desks[team]
            desk.open.pop(lead_id, None)
            desk.deadlines.pop(lead_id, None)

    def touched(self, lead_id: str) -> None:
        """Sales acted on the lead (accepted it, or its deadline was flagged): the
        first-touch clock stops; the lead stays in its rep's load until released."""
        team = self._team_of.get(lead_id)
        if team is not None:
            self.desks[team].deadlines.pop(lead_id, None)

    def overdue(self, now: datetime) -> list[Overdue]:
        return sorted(
            (
                Overdue(desk.team, lead, due)
                for desk in self.desks.values()
                for lead, due in desk.deadlines.items()
                if due <= now
            ),
            key=lambda o: (o.deadline, o.lead_id),
        )


class TeamDesk(L2CAggregate):
    """Written by earlier releases (one stream per team, shared by every lead command of
    the team: a hot spot). Nothing writes it now; kept so that its stored events decode
    (the relay and audits read every event of the store)."""

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

    @event("Assigned")
    def _assigned(self, lead_id: str, rep: str, deadline_at: datetime) -> None:
        self.turns += 1
        self.open[lead_id] = rep
        self.deadlines[lead_id] = deadline_at

    @event("Released")
    def _released(self, lead_id: str, rep: str, why: str) -> None:
        self.open.pop(lead_id, None)
        self.deadlines.pop(lead_id, None)

    @event("FirstTouch")
    def _first_touch(self, lead_id: str) -> None:
        self.deadlines.pop(lead_id, None)

    @event("DeadlineMissed")
    def _deadline_missed(self, lead_id: str) -> None:
        self.missed.append(lead_id)
