"""The billing service's commands: what each one says.

Each command is a message (``kernel.commands.Command``) validated wherever it comes from;
where it is offered, who may send it and how it is carried out is declared in the
catalog (``application/catalog.py``). Nothing here does I/O.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from kernel.commands import Command, EventTime, MoneyModel
from services.billing.domain.pricing import LineRequest
from services.billing.domain.schedule import InstallmentTerms

Name = Field(min_length=1, max_length=200)


class LineModel(BaseModel):
    item: str = Field(min_length=1, max_length=40, description="product SKU or bundle id")
    quantity: int = Field(ge=1, le=1_000_000)
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100, decimal_places=2)

    def to_domain(self) -> LineRequest:
        return LineRequest(self.item, self.quantity, self.discount_percent)


class InstallmentModel(BaseModel):
    label: str = Field(min_length=1, max_length=100)
    percent: Decimal = Field(gt=0, le=100, decimal_places=4)
    trigger: Literal["on_booking", "on_date", "on_milestone"] = "on_booking"
    due_date: date | None = None
    milestone: str = Field("", max_length=100)

    def to_domain(self) -> InstallmentTerms:
        return InstallmentTerms(
            self.label, self.percent, self.trigger, self.due_date, self.milestone
        )


def _on_booking() -> list[InstallmentModel]:
    return [InstallmentModel(label="on booking", percent=Decimal(100))]


# -- quotes ----------------------------------------------------------------------------------------


class CreateQuote(Command):
    """Quote a deal's needs: configuration checked, every line priced."""

    deal_id: uuid.UUID
    lines: list[LineModel] = Field(min_length=1, max_length=200)
    requester_role: str = Field("sales_rep", max_length=50)
    payment_plan: list[InstallmentModel] = Field(
        default_factory=_on_booking, min_length=1, max_length=24
    )
    valid_until: date | None = None


class ReviseQuote(Command):
    """Revise a draft or rejected quote (an approved one is frozen)."""

    quote_id: uuid.UUID
    lines: list[LineModel] = Field(min_length=1, max_length=200)
    payment_plan: list[InstallmentModel] = Field(
        default_factory=_on_booking, min_length=1, max_length=24
    )
    valid_until: date | None = None


class SubmitQuote(Command):
    """Submit: approved at once within thresholds, else pending approval."""

    quote_id: uuid.UUID


class ApproveQuote(Command):
    quote_id: uuid.UUID
    by: str = Name
    role: str = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


class RejectQuote(Command):
    quote_id: uuid.UUID
    by: str = Name
    role: str = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


class AcceptQuote(Command):
    """The customer accepts; a won deal's order is booked at once."""

    quote_id: uuid.UUID
    accepted_by: str = Name


# -- deals, as the deals service reports them ------------------------------------------------------


class RecordDealOpened(Command):
    deal_id: uuid.UUID
    account: str = Field("", max_length=200)
    owner_id: str = Field("", max_length=100)
    name: str = Field("", max_length=200)
    team: str = Field("", max_length=100)


class RecordDealWon(Command):
    deal_id: uuid.UUID
    amount: MoneyModel
    closed_at: datetime
    account: str = Field("", max_length=200)


class RecordDealLost(Command):
    deal_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=200)


# -- orders and credit -----------------------------------------------------------------------


class ReleaseCreditHold(Command):
    """Finance releases an order held by the credit check."""

    order_id: uuid.UUID
    by: str = Name
    reason: str = Field(min_length=1, max_length=2000)
    payment_terms: str = Field("finance_release", min_length=1, max_length=40)
    net_days: int = Field(30, ge=0, le=365)


class CancelOrder(Command):
    order_id: uuid.UUID
    by: str = Name
    reason: str = Field(min_length=1, max_length=2000)


class ReportMilestone(Command):
    """Report a delivery milestone delivered or accepted; acceptance invoices its
    installment at once."""

    order_id: uuid.UUID
    milestone: str = Field(min_length=1, max_length=100)
    status: Literal["delivered", "accepted"]
    at: EventTime
    by: str = Name
    reference: str = Field("", max_length=200)


class RecordErpMilestone(Command):
    """A milestone as the ERP or project system reports it."""

    order_id: uuid.UUID
    milestone: str = Field(min_length=1, max_length=100)
    status: Literal["delivered", "accepted"]
    at: datetime
    by: str = Field("erp", max_length=200)
    reference: str = Field("", max_length=200)


class PostShipment(Command):
    order_id: uuid.UUID
    shipment_id: str = Field(min_length=1, max_length=100)
    milestone: str = Field("", max_length=100)
    at: datetime


class InvoiceDue(Command):
    """The invoicing clock: issue the invoices whose date has come (safe to repeat)."""

    order_id: uuid.UUID


class AmendOrder(Command):
    """Change the lines (contract prices); open installments re-planned."""

    order_id: uuid.UUID
    lines: list[LineModel] = Field(min_length=1, max_length=200)
    by: str = Name
    reason: str = Field(min_length=1, max_length=2000)


class ReturnLines(Command):
    """Take back quantities of lines: credit notes for what was invoiced."""

    order_id: uuid.UUID
    return_id: str = Field(min_length=1, max_length=100, description="the RMA number")
    lines: dict[int, int] = Field(min_length=1, description="order line number -> quantity")
    reason: str = Field(min_length=1, max_length=2000)


class SetCreditLimit(Command):
    account: str = Field(min_length=1, max_length=200)
    limit: MoneyModel
    by: str = Name
    reason: str = Field(min_length=1, max_length=2000)


# -- invoices and cash --------------------------------------------------------------------------


class PostInvoice(Command):
    """The ERP posted our invoice under its own number."""

    invoice_id: uuid.UUID
    erp_number: str = Field(min_length=1, max_length=100)
    amount: MoneyModel
    posted_at: datetime


class ApplyPayment(Command):
    """A payment received; what exceeds the outstanding amount becomes account credit."""

    invoice_id: uuid.UUID
    payment_id: str = Field(min_length=1, max_length=100)
    amount: MoneyModel


class ApplyAccountCredit(Command):
    """Settle from the account's unapplied cash (overpayments, credit notes)."""

    invoice_id: uuid.UUID
    amount: MoneyModel


class IssueCreditNote(Command):
    invoice_id: uuid.UUID
    amount: MoneyModel
    reason: str = Field(min_length=1, max_length=2000)
