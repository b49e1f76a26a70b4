"""HTTP API of the billing service, and the ERP webhook that feeds l2c.erp.inbound.v1."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, FastAPI
from pydantic import AwareDatetime, BaseModel, Field

from kernel.http import MoneyModel, create_api, idempotency_key, webhook_producer
from kernel.kafka import LazyProducer
from kernel.settings import Settings
from services.billing.adapters.erp import ErpInboundPublisher, payment_message
from services.billing.application import BillingApplication
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order


class IssueInvoiceRequest(BaseModel):
    amount: MoneyModel
    due_at: AwareDatetime


class ErpPaymentRequest(BaseModel):
    payment_id: str = Field(min_length=1, max_length=100, description="ERP payment reference")
    invoice_id: uuid.UUID
    amount: MoneyModel
    received_at: AwareDatetime = Field(description="value date at the bank")


class OrderView(BaseModel):
    order_id: uuid.UUID
    deal_id: uuid.UUID
    amount: str
    currency: str
    company: str
    invoiced: str
    invoice_ids: list[uuid.UUID]
    version: int


class InvoiceView(BaseModel):
    invoice_id: uuid.UUID
    order_id: uuid.UUID
    amount: str
    currency: str
    paid: str
    outstanding: str
    status: str
    due_at: datetime
    version: int


def _order_view(order: Order) -> OrderView:
    return OrderView(
        order_id=order.id,
        deal_id=order.deal_id,
        amount=str(order.amount.amount),
        currency=order.amount.currency,
        company=order.company,
        invoiced=str(order.invoiced.amount),
        invoice_ids=list(order.invoice_ids),
        version=order.version,
    )


def _invoice_view(inv: Invoice) -> InvoiceView:
    return InvoiceView(
        invoice_id=inv.id,
        order_id=inv.order_id,
        amount=str(inv.amount.amount),
        currency=inv.amount.currency,
        paid=str(inv.paid.amount),
        outstanding=str(inv.outstanding.amount),
        status=inv.status.value,
        due_at=inv.due_at,
        version=inv.version,
    )


def build_router(app: BillingApplication, producer: LazyProducer) -> APIRouter:
    router = APIRouter()

    @router.get("/orders/{order_id}", response_model=OrderView, tags=["orders"])
    def get_order(order_id: uuid.UUID) -> OrderView:
        return _order_view(app.get_order(order_id))

    @router.get(
        "/orders/by-deal/{deal_id}",
        response_model=OrderView,
        tags=["orders"],
        summary="The order booked for a won deal (404 until it is booked)",
    )
    def order_for_deal(deal_id: uuid.UUID) -> OrderView:
        return _order_view(app.get_order(app.order_id_for_deal(deal_id)))

    @router.post("/orders/{order_id}/invoices", status_code=201, tags=["invoices"])
    def issue_invoice(
        order_id: uuid.UUID, body: IssueInvoiceRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, object]:
        return app.issue_invoice(
            order_id, amount=body.amount.to_domain(), due_at=body.due_at, idempotency_key=key
        )

    @router.get("/invoices/{invoice_id}", response_model=InvoiceView, tags=["invoices"])
    def get_invoice(invoice_id: uuid.UUID) -> InvoiceView:
        return _invoice_view(app.get_invoice(invoice_id))

    @router.post(
        "/integrations/erp/payments",
        status_code=202,
        tags=["erp"],
        summary="ERP webhook: a payment was received (queued on l2c.erp.inbound.v1)",
    )
    async def erp_payment_received(
        body: ErpPaymentRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, str]:
        erp = ErpInboundPublisher(await producer.get())
        # Same key, same message id: the consumer applies a resent webhook once.
        message_id = (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"erp-webhook:{key}")) if key else str(uuid.uuid4())
        )
        await erp.publish(
            payment_message(
                message_id,
                body.payment_id,
                body.invoice_id,
                body.amount.to_domain(),
                body.received_at,
            )
        )
        return {"message_id": message_id, "status": "queued"}

    return router


def build_api(app: BillingApplication, settings: Settings) -> FastAPI:
    api = create_api("L2C billing service", "Orders, invoices and ERP payments.")
    api.include_router(build_router(app, webhook_producer(api, settings, "billing-erp-webhook")))
    return api
