"""The Order aggregate: booked from a won deal; guards that invoices never exceed it."""

from __future__ import annotations

import uuid

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand

_ORDER_FOR_DEAL = uuid.UUID("5a0f1b5e-9d7e-4c1a-8f43-7b0c8e2d9a21")


class Order(L2CAggregate):
    @staticmethod
    def create_id(deal_id: uuid.UUID) -> uuid.UUID:
        """One order per won deal: its id follows from the deal's."""
        return uuid.uuid5(_ORDER_FOR_DEAL, str(deal_id))

    @classmethod
    def book(cls, deal_id: uuid.UUID, amount: Money, company: str) -> Order:
        if not amount.is_positive:
            raise InvalidCommand(f"an order's amount must be positive, got {amount}")
        return cls(deal_id=deal_id, amount=amount, company=company)

    @event("Booked")
    def __init__(self, deal_id: uuid.UUID, amount: Money, company: str) -> None:
        self.deal_id = deal_id
        self.amount = amount
        self.company = company
        self.invoiced = Money.zero(amount.currency)
        self.invoice_ids: list[uuid.UUID] = []

    @property
    def uninvoiced(self) -> Money:
        return self.amount - self.invoiced

    def record_invoice(self, invoice_id: uuid.UUID, amount: Money) -> None:
        if amount.currency != self.amount.currency:
            raise InvalidCommand(
                f"invoice currency {amount.currency} differs from the order's "
                f"{self.amount.currency}"
            )
        if not amount.is_positive:
            raise InvalidCommand(f"an invoice's amount must be positive, got {amount}")
        if amount > self.uninvoiced:
            raise InvalidCommand(
                f"invoice of {amount} exceeds what is left to invoice on order {self.id} "
                f"({self.uninvoiced})"
            )
        self._invoiced(invoice_id=invoice_id, amount=amount)

    @event("Invoiced")
    def _invoiced(self, invoice_id: uuid.UUID, amount: Money) -> None:
        self.invoiced = self.invoiced + amount
        self.invoice_ids.append(invoice_id)
