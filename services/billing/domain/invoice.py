"""The Invoice aggregate: one per installment, posted by the ERP, settled by payments,
credit applied from the account, or credit notes.

outstanding = amount - paid - credited (never below zero). A payment beyond what is
outstanding settles the invoice and the excess becomes the account's credit; so does the
part of a credit note that exceeds what was still owed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation

_INVOICE_OF_INSTALLMENT = uuid.UUID("b7e6f0a2-1c84-4f3e-9d65-0e2a4b7c9d18")


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CREDITED = "credited"  # settled by credit notes, nothing left to pay


class Invoice(L2CAggregate):
    @staticmethod
    def create_id(order_id: uuid.UUID, installment: int) -> uuid.UUID:
        """One invoice per installment: issuing it twice conflicts instead of billing twice."""
        return uuid.uuid5(_INVOICE_OF_INSTALLMENT, f"{order_id}:{installment}")

    @classmethod
    def issue(
        cls,
        *,
        order_id: uuid.UUID,
        installment: int,
        account: str,
        amount: Money,
        issued_on: date,
        net_days: int,
        description: str,
    ) -> Invoice:
        if not amount.is_positive:
            raise InvalidCommand(f"an invoice's amount must be positive, got {amount}")
        invoice_id = cls.create_id(order_id, installment)
        due = datetime.fromordinal(issued_on.toordinal() + net_days).date()
        return cls(
            order_id=order_id,
            installment=installment,
            number=f"INV-{invoice_id.hex[:10].upper()}",
            account=account,
            amount=amount,
            issued_on=issued_on,
            due_on=due,
            description=description,
        )

    @event("Issued")
    def __init__(
        self,
        order_id: uuid.UUID,
        installment: int,
        number: str,
        account: str,
        amount: Money,
        issued_on: date,
        due_on: date,
        description: str,
    ) -> None:
        self.order_id = order_id
        self.installment = installment
        self.number = number
        self.account = account
        self.amount = amount
        self.issued_on = issued_on
        self.due_on = due_on
        self.description = description
        self.paid = Money.zero(amount.currency)
        self.credited = Money.zero(amount.currency)
        self.payment_ids: list[str] = []
        self.credit_notes: list[dict[str, str]] = []
        self.erp_number = ""
        self.posted_at: datetime | None = None
        self.status = InvoiceStatus.OPEN

    @property
    def outstanding(self) -> Money:
        left = self.amount - self.paid - self.credited
        return left if left.is_positive else Money.zero(self.amount.currency)

    @property
    def currency(self) -> str:
        return self.amount.currency

    def _status_after(self) -> InvoiceStatus:
        if self.outstanding.is_positive:
            return InvoiceStatus.PARTIALLY_PAID if self.paid.is_positive else InvoiceStatus.OPEN
        return InvoiceStatus.PAID if self.paid.is_positive else InvoiceStatus.CREDITED

    # -- ERP ---------------------------------------------------------------------------

    def post(self, erp_number: str, amount: Money, posted_at: datetime) -> bool:
        """The ERP booked our invoice under its number; False when it said so before."""
        if not erp_number.strip():
            raise InvalidCommand("the ERP's invoice number is missing")
        if amount != self.amount:
            raise InvalidCommand(
                f"the ERP posted invoice {self.number} for {amount}, but it is for {self.amount}"
            )
        if self.erp_number:
            if self.erp_number == erp_number:
                return False
            raise RuleViolation(
                f"invoice {self.number} was posted as {self.erp_number}; the ERP now says "
                f"{erp_number}"
            )
        self._posted(erp_number=erp_number, posted_at=posted_at, order_id=self.order_id)
        return True

    @event("PostedByErp")
    def _posted(self, erp_number: str, posted_at: datetime, order_id: uuid.UUID) -> None:
        self.erp_number = erp_number
        self.posted_at = posted_at

    # -- payments ----------------------------------------------------------------------

    def apply_payment(self, payment_id: str, amount: Money) -> Money | None:
        """Apply a received payment. Returns the excess kept as the account's credit (zero
        when none), or None when this payment id was applied before (an ERP resend)."""
        if not payment_id.strip():
            raise InvalidCommand("a payment needs the ERP's payment reference")
        if payment_id in self.payment_ids:
            return None
        if amount.currency != self.currency:
            raise InvalidCommand(
                f"payment currency {amount.currency} differs from invoice currency {self.currency}"
            )
        if not amount.is_positive:
            raise InvalidCommand(f"a payment must be positive, got {amount}")
        applied = amount.min(self.outstanding)
        excess = amount - applied
        was_settled = not self.outstanding.is_positive
        self._payment_applied(
            payment_id=payment_id,
            received=amount,
            amount=applied,
            excess=excess,
            outstanding=self.outstanding - applied,
            order_id=self.order_id,
        )
        if not was_settled and not self.outstanding.is_positive:
            self._paid(order_id=self.order_id)
        return excess

    @event("PaymentApplied")
    def _payment_applied(
        self,
        payment_id: str,
        received: Money,
        amount: Money,
        excess: Money,
        outstanding: Money,
        order_id: uuid.UUID,
    ) -> None:
        self.paid = self.paid + amount
        self.payment_ids.append(payment_id)
        self.status = self._status_after()

    def apply_credit(self, amount: Money, available: Money) -> None:
        """Settle part of the invoice from the account's unapplied cash."""
        if not amount.is_positive:
            raise InvalidCommand("credit to apply must be positive")
        if amount > available:
            raise RuleViolation(f"the account has only {available} of credit to apply")
        if amount > self.outstanding:
            raise InvalidCommand(
                f"{amount} exceeds the {self.outstanding} outstanding on invoice {self.number}"
            )
        self._payment_applied(
            payment_id=f"credit:{len(self.payment_ids) + 1}",
            received=amount,
            amount=amount,
            excess=Money.zero(self.currency),
            outstanding=self.outstanding - amount,
            order_id=self.order_id,
        )
        if not self.outstanding.is_positive:
            self._paid(order_id=self.order_id)

    @event("Paid")
    def _paid(self, order_id: uuid.UUID) -> None:
        self.status = InvoiceStatus.PAID

    # -- credit notes ------------------------------------------------------------------

    def issue_credit_note(self, credit_note_id: str, amount: Money, reason: str) -> Money:
        """Credit part of the invoice. Returns the part that exceeds what was still owed
        (it becomes the account's credit)."""
        if not reason.strip():
            raise InvalidCommand("a credit note needs a reason")
        if not amount.is_positive:
            raise InvalidCommand("a credit note's amount must be positive")
        if any(c["credit_note_id"] == credit_note_id for c in self.credit_notes):
            raise RuleViolation(f"credit note {credit_note_id} was already issued")
        creditable = self.amount - self.credited
        if amount > creditable:
            raise InvalidCommand(
                f"{amount} exceeds the {creditable} still creditable on invoice {self.number}"
            )
        reduces = amount.min(self.outstanding)
        refund = amount - reduces
        self._credit_note_issued(
            credit_note_id=credit_note_id,
            number=f"CN-{uuid.UUID(credit_note_id).hex[:10].upper()}",
            amount=amount,
            reason=reason,
            outstanding=self.outstanding - reduces,
            to_account_credit=refund,
            order_id=self.order_id,
        )
        return refund

    @event("CreditNoteIssued")
    def _credit_note_issued(
        self,
        credit_note_id: str,
        number: str,
        amount: Money,
        reason: str,
        outstanding: Money,
        to_account_credit: Money,
        order_id: uuid.UUID,
    ) -> None:
        self.credited = self.credited + amount
        self.credit_notes.append(
            {
                "credit_note_id": credit_note_id,
                "number": number,
                "amount": str(amount.amount),
                "reason": reason,
            }
        )
        self.status = self._status_after()
