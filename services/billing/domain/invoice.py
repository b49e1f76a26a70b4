"""The Invoice aggregate: issued against an order, settled by payments from the ERP."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"


class Invoice(L2CAggregate):
    @classmethod
    def issue(cls, order_id: uuid.UUID, amount: Money, due_at: datetime) -> Invoice:
        if due_at.tzinfo is None:
            raise InvalidCommand("due date must carry a time zone")
        return cls(order_id=order_id, amount=amount, due_at=due_at)

    @event("Issued")
    def __init__(self, order_id: uuid.UUID, amount: Money, due_at: datetime) -> None:
        self.order_id = order_id
        self.amount = amount
        self.due_at = due_at
        self.paid = Money.zero(amount.currency)
        self.payment_ids: list[str] = []
        self.status = InvoiceStatus.OPEN

    @property
    def outstanding(self) -> Money:
        return self.amount - self.paid

    def apply_payment(self, payment_id: str, amount: Money) -> bool:
        """Apply a payment; False when this payment id was applied before (an ERP resend)."""
        if not payment_id.strip():
            raise InvalidCommand("a payment needs the ERP's payment reference")
        if payment_id in self.payment_ids:
            return False
        if self.status is InvoiceStatus.PAID:
            raise RuleViolation(f"invoice {self.id} is already paid; payment {payment_id} refused")
        if amount.currency != self.amount.currency:
            raise InvalidCommand(
                f"payment currency {amount.currency} differs from invoice currency "
                f"{self.amount.currency}"
            )
        if not amount.is_positive:
            raise InvalidCommand(f"a payment must be positive, got {amount}")
        if amount > self.outstanding:
            raise InvalidCommand(
                f"payment {payment_id} of {amount} exceeds the {self.outstanding} outstanding "
                f"on invoice {self.id}"
            )
        self._payment_applied(
            payment_id=payment_id,
            amount=amount,
            outstanding=self.outstanding - amount,
            order_id=self.order_id,
        )
        if not self.outstanding.is_positive:
            self._paid(order_id=self.order_id)
        return True

    @event("PaymentApplied")
    def _payment_applied(
        self, payment_id: str, amount: Money, outstanding: Money, order_id: uuid.UUID
    ) -> None:
        self.paid = self.paid + amount
        self.payment_ids.append(payment_id)

    @event("Paid")
    def _paid(self, order_id: uuid.UUID) -> None:
        self.status = InvoiceStatus.PAID
