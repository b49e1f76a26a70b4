"""Request bodies of the billing API (validated at the edge; amounts are decimals)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from kernel.commands import EventTime, MoneyModel
from services.billing.domain.commands import LineModel


class PreviewRequest(BaseModel):
    lines: list[LineModel] = Field(min_length=1, max_length=200)
    requester_role: str = Field("sales_rep", max_length=50)


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
