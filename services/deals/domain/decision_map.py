"""The decision map: everyone on the buyer's side who matters, and how well we reach them.

"Call high": the highest level we have contacted. "Call wide": the share of the decision
chain we have contacted."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any


class Level(IntEnum):
    STAFF = 1
    MANAGER = 2
    DIRECTOR = 3
    VP = 4
    C_LEVEL = 5


class BuyerRole(StrEnum):
    ECONOMIC_BUYER = "economic_buyer"
    POWER_SPONSOR = "power_sponsor"
    TECHNICAL_EVALUATOR = "technical_evaluator"
    USER = "user"
    COACH = "coach"


class Attitude(StrEnum):
    SUPPORTER = "supporter"
    NEUTRAL = "neutral"
    OPPONENT = "opponent"


def coverage(stakeholders: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Call high / call wide, and who still opposes us, from the stakeholders' state."""
    contacted = [s for s in stakeholders.values() if s.get("contacted")]
    highest = max((Level[s["level"].upper()] for s in contacted), default=None)
    return {
        "stakeholders": len(stakeholders),
        "contacted": len(contacted),
        "call_high": highest.name.lower() if highest else None,
        "call_wide": round(len(contacted) / len(stakeholders), 4) if stakeholders else 0.0,
        "roles_covered": sorted({s["role"] for s in contacted}),
        "opponents": sorted(
            s["name"] for s in stakeholders.values() if s["attitude"] == Attitude.OPPONENT.value
        ),
    }
