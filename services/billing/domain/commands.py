"""The billing service's commands: what each one says.

Each command is a message (``kernel.commands.Command``) validated wherever it comes from;
where it is offered, who may send it and how it is carried out is declared in the
catalog (``application/catalog.py``). Nothing here does I/O.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from kernel.commands import Command
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
