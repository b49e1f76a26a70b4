"""Request bodies of the billing API (validated at the edge; amounts are decimals)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from kernel.commands import EventTime, MoneyModel
from services.billing.domain.commands import InstallmentModel, LineModel, Name
from services.billing.domain.pricing import LineRequest
from services.billing.domain.schedule import InstallmentTerms


class PreviewRequest(BaseModel):
    lines: list[LineModel] = Field(min_length=1, max_length=200)
    requester_role: str = Field("sales_rep", max_length=50)


class QuoteRequest(PreviewRequest):
    deal_id: uuid.UUID
    payment_plan: list[InstallmentModel] = Field(
        default_factory=lambda: [InstallmentModel(label="on booking", percent=Decimal(100))],
        min_length=1,
        max_length=24,
    )
    valid_until: date | None = None

    def lines_domain(self) -> list[LineRequest]:
        return [line.to_domain() for line in self.lines]

    def plan_domain(self) -> list[InstallmentTerms]:
        return [i.to_domain() for i in self.payment_plan]


class ReviseQuoteRequest(BaseModel):
    lines: list[LineModel] = Field(min_length=1, max_length=200)
    payment_plan: list[InstallmentModel] = Field(
        default_factory=lambda: [InstallmentModel(label="on booking", percent=Decimal(100))],
        min_length=1,
        max_length=24,
    )
    valid_until: date | None = None


class DecisionRequest(BaseModel):
    by: str = Name
    role: str = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


class AcceptRequest(BaseModel):
    accepted_by: str = Name


class ReleaseRequest(BaseModel):
    by: str = Name
    reason: str = Field(min_length=1, max_length=2000)
    payment_terms: str = Field("finance_release", min_length=1, max_length=40)
    net_days: int = Field(30, ge=0, le=365)


class CancelRequest(BaseModel):
    by: str = Name
    reason: str = Field(min_length=1, max_length=2000)


class MilestoneRequest(BaseModel):
    status: Literal["delivered", "accepted"]
    at: EventTime
    by: str = Name
    reference: str = Field("", max_length=200)


class AmendRequest(BaseModel):
    lines: list[LineModel] = Field(min_length=1, max_length=200)
    by: str = Name
    reason: str = Field(min_length=1, max_length=2000)


class ReturnRequest(BaseModel):
    return_id: str = Field(min_length=1, max_length=100, description="the RMA number")
    lines: dict[int, int] = Field(min_length=1, description="order line number -> quantity")
    reason: str = Field(min_length=1, max_length=2000)


class CreditNoteRequest(BaseModel):
    amount: MoneyModel
    reason: str = Field(min_length=1, max_length=2000)


class ApplyCreditRequest(BaseModel):
    amount: MoneyModel


class CreditLimitRequest(BaseModel):
    limit: MoneyModel
    by: str = Name
    reason: str = Field(min_length=1, max_length=2000)


class PublishRulesRequest(BaseModel):
    document: dict[str, Any]
    note: str = Field(min_length=1, max_length=500)


class ErpPaymentRequest(BaseModel):
    payment_id: str = Field(min_length=1, max_length=100, description="bank reference")
    invoice_id: uuid.UUID
    amount: MoneyModel
    received_at: EventTime = Field(description="value date at the bank")


class ErpInvoicePostedRequest(BaseModel):
    invoice_id: uuid.UUID
    erp_invoice_number: str = Field(min_length=1, max_length=100)
    amount: MoneyModel
    posted_at: EventTime


class ErpShipmentRequest(BaseModel):
    order_id: uuid.UUID
    shipment_id: str = Field(min_length=1, max_length=100)
    milestone: str = Field("", max_length=100)
    shipped_at: EventTime


class ErpMilestoneRequest(BaseModel):
    order_id: uuid.UUID
    milestone: str = Field(min_length=1, max_length=100)
    status: Literal["delivered", "accepted"]
    reported_at: EventTime
    reported_by: str = Field("", max_length=200)
    reference: str = Field("", max_length=200)
