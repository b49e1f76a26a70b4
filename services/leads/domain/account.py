"""Accounts: the companies we sell to. A new lead that names a known account's company
and web domain is flagged as matching it."""

from __future__ import annotations

from eventsourcing.domain import event

from kernel.domain import L2CAggregate
from kernel.errors import InvalidCommand
from services.leads.domain.matching import normalise_company, web_domain


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
