"""The relationship with a customer account: its level (vendor -> trusted partner) and its
quadrant (relationship x business potential), which decides the strategy."""

from __future__ import annotations

import uuid
from enum import StrEnum

from eventsourcing.domain import event

from kernel.domain import L2CAggregate
from kernel.errors import InvalidCommand

_NAMESPACE = uuid.UUID("e3b1a7d2-40c6-4f8e-9a1b-6c5d4e3f2a10")

LEVELS = (
    "vendor",
    "preferred_vendor",
    "solution_consultant",
    "strategic_contributor",
    "trusted_partner",
)

STRATEGY = {
    ("good", "big"): "visit first and ask for the order",
    ("bad", "big"): "build the relationship first",
    ("good", "small"): "influence step by step (trial units)",
    ("bad", "small"): "keep in touch until an opportunity appears",
}


class Relationship(StrEnum):
    GOOD = "good"
    BAD = "bad"


class Potential(StrEnum):
    BIG = "big"
    SMALL = "small"


class AccountRelationship(L2CAggregate):
    """Keyed by the account's name as the deals service knows it (the company on deals)."""

    @staticmethod
    def create_id(account: str) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, account.strip().lower())

    @event("Started")
    def __init__(self, account: str) -> None:
        self.account = account.strip()
        self.level = LEVELS[0]
        self.relationship = Relationship.BAD.value
        self.potential = Potential.SMALL.value

    def assess(self, level: str = "", relationship: str = "", potential: str = "") -> None:
        if level and level not in LEVELS:
            raise InvalidCommand(f"relationship level {level!r} is not one of {', '.join(LEVELS)}")
        for value, kind in ((relationship, Relationship), (potential, Potential)):
            if value and value not in {m.value for m in kind}:
                raise InvalidCommand(f"{value!r} is not one of {', '.join(m.value for m in kind)}")
        if level and level != self.level:
            self._level_changed(account=self.account, previous=self.level, level=level)
        new = (relationship or self.relationship, potential or self.potential)
        if new != (self.relationship, self.potential):
            self._quadrant_changed(
                account=self.account, relationship=new[0], potential=new[1], strategy=STRATEGY[new]
            )

    @event("LevelChanged")
    def _level_changed(self, account: str, previous: str, level: str) -> None:
        self.level = level

    @event("QuadrantChanged")
    def _quadrant_changed(
        self, account: str, relationship: str, potential: str, strategy: str
    ) -> None:
        self.relationship, self.potential = relationship, potential

    @property
    def strategy(self) -> str:
        return STRATEGY[(self.relationship, self.potential)]

    def view(self) -> dict[str, str]:
        return {
            "account": self.account,
            "level": self.level,
            "relationship": self.relationship,
            "potential": self.potential,
            "strategy": self.strategy,
        }
