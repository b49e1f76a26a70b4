"""Territories: region x industry matching rules that give each account an owner, and the
public pool that takes back accounts nobody visited for N days (on event time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Territory:
    id: str
    owner: str
    public_pool_after_days: int
    regions: tuple[str, ...] = ()  # empty: any region
    industries: tuple[str, ...] = ()  # empty: any industry

    def covers(self, region: str, industry: str) -> bool:
        def within(value: str, allowed: tuple[str, ...]) -> bool:
            return not allowed or value.lower() in {a.lower() for a in allowed}

        return within(region, self.regions) and within(industry, self.industries)


@dataclass(frozen=True)
class TerritoryRules:
    version: int
    territories: tuple[Territory, ...]

    def territory_for(self, region: str, industry: str) -> Territory | None:
        """The first territory that covers the account (the order is the precedence)."""
        return next((t for t in self.territories if t.covers(region, industry)), None)


def preview_moves(accounts: list[dict[str, Any]], proposed: TerritoryRules) -> list[dict[str, Any]]:
    """Which accounts the proposed rules would move, from where to where (nothing changes)."""
    moves = []
    for account in accounts:
        target = proposed.territory_for(account["region"], account["industry"])
        to_territory, to_owner = (target.id, target.owner) if target else ("", "")
        if (to_territory, to_owner) != (account["territory"], account["owner"]):
            moves.append(
                {
                    "account_id": account["account_id"],
                    "name": account["name"],
                    "from_territory": account["territory"],
                    "from_owner": account["owner"],
                    "to_territory": to_territory,
                    "to_owner": to_owner,
                }
            )
    return moves


def due_back_at(last_visit_at: datetime | None, held_since: datetime, days: int) -> datetime:
    """When an account returns to the public pool: N days after its last visit, or after
    it was last taken on when nobody has visited yet."""
    return (last_visit_at or held_since) + timedelta(days=days)
