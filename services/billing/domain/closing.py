"""What billing knows of one deal: its account and owner, the quote the customer accepted,
and whether it is won. When a won deal has an accepted quote, its order is booked."""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import RuleViolation

_CLOSING_OF_DEAL = uuid.UUID("0c6f5d1e-33a4-4d5e-9a0b-6f1f0f3c8e52")


class DealClosing(L2CAggregate):
    @staticmethod
    def create_id(deal_id: uuid.UUID) -> uuid.UUID:
        return uuid.uuid5(_CLOSING_OF_DEAL, str(deal_id))

    @classmethod
    def open(
        cls, deal_id: uuid.UUID, account: str, owner_id: str, name: str, team: str = ""
    ) -> DealClosing:
        return cls(deal_id=deal_id, account=account, owner_id=owner_id, name=name, team=team)

    @event("Opened")
    def __init__(
        self,
        deal_id: uuid.UUID,
        account: str,
        owner_id: str,
        name: str,
        team: str = "",  # recorded since access scopes (earlier deals have none)
    ) -> None:
        self.deal_id = deal_id
        self.account = account
        self.owner_id = owner_id
        self.team = team
        self.name = name
        self.status = "open"
        self.accepted_quote_id: uuid.UUID | None = None
        self.won_amount: Money | None = None
        self.closed_at: datetime | None = None

    @property
    def ready_to_book(self) -> bool:
        return self.status == "won" and self.accepted_quote_id is not None

    def quote_accepted(self, quote_id: uuid.UUID) -> None:
        if self.status == "lost":
            raise RuleViolation(f"deal {self.deal_id} is lost; its quote cannot be accepted")
        if self.accepted_quote_id is not None:
            raise RuleViolation(
                f"deal {self.deal_id} already has accepted quote {self.accepted_quote_id}"
            )
        self._quote_accepted(quote_id=quote_id)

    @event("QuoteAccepted")
    def _quote_accepted(self, quote_id: uuid.UUID) -> None:
        self.accepted_quote_id = quote_id

    def won(self, amount: Money, closed_at: datetime) -> bool:
        """False when the win is already known (a redelivered DealWon)."""
        if self.status == "won":
            return False
        self._won(amount=amount, closed_at=closed_at)
        return True

    @event("Won")
    def _won(self, amount: Money, closed_at: datetime) -> None:
        self.status = "won"
        self.won_amount = amount
        self.closed_at = closed_at

    def lost(self, reason: str) -> None:
        if self.status == "open":
            self._lost(reason=reason)

    @event("Lost")
    def _lost(self, reason: str) -> None:
        self.status = "lost"
