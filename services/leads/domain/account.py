"""Accounts: the companies we sell to. A new lead that names a known account's company
and web domain is flagged as matching it. Each account sits in a territory with an owner;
one nobody visits for the territory's N days goes back to the public pool."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import event

from kernel.domain import L2CAggregate
from kernel.errors import InvalidCommand, RuleViolation
from services.leads.domain.matching import normalise_company, web_domain
from services.leads.domain.territory import Territory, due_back_at


class Account(L2CAggregate):
    @classmethod
    def register(cls, name: str, website: str, region: str, industry: str) -> Account:
        if not normalise_company(name):
            raise InvalidCommand("an account needs a company name")
        domain = web_domain(website)
        if not domain:
            raise InvalidCommand("an account needs its website (for matching leads to it)")
        return cls(
            name=name.strip(),
            domain=domain,
            region=region.strip(),
            industry=industry.strip().lower(),
        )

    @event("Registered")
    def __init__(self, name: str, domain: str, region: str, industry: str) -> None:
        self.name = name
        self.domain = domain
        self.region = region
        self.industry = industry
        self.territory = ""
        self.owner = ""
        self.pool_after_days = 0
        self.held_since: datetime | None = None
        self.last_visit_at: datetime | None = None
        self.in_public_pool = False

    def place(self, territory: Territory | None, rules_version: int, at: datetime) -> None:
        """Put the account in the territory the rules give it (no event if unchanged)."""
        target = (territory.id, territory.owner) if territory else ("", "")
        if target == (self.territory, self.owner) and not self.in_public_pool:
            return
        self._territory_assigned(
            territory=target[0],
            owner=target[1],
            public_pool_after_days=territory.public_pool_after_days if territory else 0,
            rules_version=rules_version,
            at=at,
        )

    @event("TerritoryAssigned")
    def _territory_assigned(
        self,
        territory: str,
        owner: str,
        public_pool_after_days: int,
        rules_version: int,
        at: datetime,
    ) -> None:
        self.territory, self.owner = territory, owner
        self.pool_after_days = public_pool_after_days
        self.held_since = at
        self.in_public_pool = False

    def record_visit(self, rep: str, at: datetime) -> None:
        if at.tzinfo is None:
            raise InvalidCommand("a visit's time must carry a time zone")
        self._visited(rep=rep, at=at)

    @event("Visited")
    def _visited(self, rep: str, at: datetime) -> None:
        if self.last_visit_at is None or at > self.last_visit_at:
            self.last_visit_at = at

    def due_back_at(self) -> datetime | None:
        if self.in_public_pool or not self.owner or not self.pool_after_days or not self.held_since:
            return None
        return due_back_at(self.last_visit_at, self.held_since, self.pool_after_days)

    def return_to_public_pool_if_idle(self, now: datetime) -> datetime | None:
        """When the owner let N days pass without a visit: back to the public pool, dated
        at the moment it became due (event time). Returns that moment, or None."""
        due = self.due_back_at()
        if due is None or due > now:
            return None
        self._returned_to_public_pool(
            previous_owner=self.owner, due_at=due, days_without_visit=self.pool_after_days
        )
        return due

    @event("ReturnedToPublicPool")
    def _returned_to_public_pool(
        self, previous_owner: str, due_at: datetime, days_without_visit: int
    ) -> None:
        self.owner = ""
        self.in_public_pool = True

    def claim(self, rep: str, at: datetime) -> None:
        if not self.in_public_pool:
            raise RuleViolation(
                f"account {self.id} is held by {self.owner or 'nobody'}, not in the public pool"
            )
        self._claimed(rep=rep, at=at)

    @event("Claimed")
    def _claimed(self, rep: str, at: datetime) -> None:
        self.owner = rep
        self.in_public_pool = False
        self.held_since = at

    def snapshot(self) -> dict[str, Any]:
        due = self.due_back_at()
        return {
            "account_id": str(self.id),
            "version": self.version,
            "name": self.name,
            "domain": self.domain,
            "region": self.region,
            "industry": self.industry,
            "territory": self.territory,
            "owner": self.owner,
            "in_public_pool": self.in_public_pool,
            "last_visit_at": self.last_visit_at.isoformat() if self.last_visit_at else None,
            "due_back_to_pool_at": due.isoformat() if due else None,
        }
