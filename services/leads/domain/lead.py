"""The Lead aggregate: from capture through MQL and SQL to conversion into a deal."""

from __future__ import annotations

import re
from enum import StrEnum

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class LeadStatus(StrEnum):
    NEW = "new"
    MQL = "mql"  # marketing qualified
    SQL = "sql"  # accepted by sales
    CONVERTED = "converted"


class Lead(L2CAggregate):
    @classmethod
    def capture(
        cls,
        full_name: str,
        email: str,
        company: str,
        phone: str,
        source: str,
        campaign_id: str,
    ) -> Lead:
        if not full_name.strip():
            raise InvalidCommand("a lead needs a name")
        if not (email.strip() or phone.strip()):
            raise InvalidCommand("a lead needs an email or a phone number to be followed up")
        if not _SLUG.match(source):
            raise InvalidCommand(
                f"source {source!r} must be a lowercase channel name such as 'web_form'"
            )
        return cls(
            full_name=full_name.strip(),
            email=email.strip().lower(),
            company=company.strip(),
            phone=phone.strip(),
            source=source,
            campaign_id=campaign_id.strip(),
        )

    @event("Captured")
    def __init__(
        self,
        full_name: str,
        email: str,
        company: str,
        phone: str,
        source: str,
        campaign_id: str,
    ) -> None:
        self.full_name = full_name
        self.email = email
        self.company = company
        self.phone = phone
        self.source = source
        self.campaign_id = campaign_id
        self.status = LeadStatus.NEW
        self.deal_name = ""

    def qualify_as_mql(self, note: str) -> None:
        self._check_status(LeadStatus.NEW, "be marketing-qualified")
        self._marketing_qualified(note=note)

    def accept_as_sql(self, note: str) -> None:
        self._check_status(LeadStatus.MQL, "be accepted by sales")
        self._sales_accepted(note=note)

    def convert(self, deal_name: str, expected_amount: Money, owner_id: str) -> None:
        self._check_status(LeadStatus.SQL, "be converted")
        if not deal_name.strip():
            raise InvalidCommand("a conversion needs a deal name")
        if not expected_amount.is_positive:
            raise InvalidCommand(f"expected amount must be positive, got {expected_amount}")
        if not owner_id.strip():
            raise InvalidCommand("a conversion needs the owning rep's id")
        # The event carries what downstream services need to act without asking us.
        self._converted(
            deal_name=deal_name.strip(),
            expected_amount=expected_amount,
            owner_id=owner_id.strip(),
            company=self.company,
            source=self.source,
            campaign_id=self.campaign_id,
        )

    def _check_status(self, required: LeadStatus, action: str) -> None:
        if self.status != required:
            raise RuleViolation(
                f"lead {self.id} is {self.status.value}; only a {required.value} lead can {action}"
            )

    @event("MarketingQualified")
    def _marketing_qualified(self, note: str) -> None:
        self.status = LeadStatus.MQL

    @event("SalesAccepted")
    def _sales_accepted(self, note: str) -> None:
        self.status = LeadStatus.SQL

    @event("Converted")
    def _converted(
        self,
        deal_name: str,
        expected_amount: Money,
        owner_id: str,
        company: str,
        source: str,
        campaign_id: str,
    ) -> None:
        self.status = LeadStatus.CONVERTED
        self.deal_name = deal_name
        self.expected_amount = expected_amount
        self.owner_id = owner_id
