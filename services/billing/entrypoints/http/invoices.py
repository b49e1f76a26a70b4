"""Invoices over HTTP (lists, credit notes, account credit) and the ERP webhooks that feed
l2c.erp.inbound.v1 for an ERP without a Kafka client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from l2c.v1 import erp_pb2

from kernel.history import AS_OF_QUERY, add_history_route, state_as_of
from kernel.http import MAX_CURSOR, idempotency_key
from kernel.kafka import LazyProducer
from kernel.routing import service_router
from kernel.scope import current_scope
from services.billing.adapters.contracts import BILLING_CONTRACTS
from services.billing.adapters.directory import BillingDirectory
from services.billing.adapters.erp import (
    ErpInboundPublisher,
    invoice_posted_message,
    milestone_message,
    payment_message,
    shipment_message,
)
from services.billing.application import BillingApplication, invoice_view
from services.billing.domain.invoice import Invoice
from services.billing.entrypoints.http.schemas import (
    ErpInvoicePostedRequest,
    ErpMilestoneRequest,
    ErpPaymentRequest,
    ErpShipmentRequest,
)
from services.billing.entrypoints.http.scope import require_deal


def routes(
    app: BillingApplication, directory: BillingDirectory, producer: LazyProducer
) -> APIRouter:
    router = service_router()

    @router.get(
        "/invoices",
        tags=["invoices"],
        summary="List invoices, oldest first; overdue=true: past due and unpaid",
    )
    def list_invoices(
        status: str = "",
        order_id: str = "",
        account: str = "",
        erp_number: str = "",
        overdue: bool = False,
        cursor: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.rows(
            "invoices",
            filters={
                "status": status,
                "order_id": order_id,
                "account": account,
                "erp_number": erp_number,
            },
            after=cursor,
            limit=limit,
            overdue_on=datetime.now(UTC).date() if overdue else None,
            scope=current_scope(),
        )

    @router.get("/invoices/{invoice_id}", tags=["invoices"])
    def get_invoice(invoice_id: uuid.UUID, as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        return invoice_view(state_as_of(app, Invoice, scoped_invoice(invoice_id), as_of))

    def scoped_invoice(invoice_id: uuid.UUID) -> uuid.UUID:
        invoice = app.get_invoice(invoice_id)
        require_deal(app, app.get_order(invoice.order_id).deal_id, f"invoice {invoice_id}")
        return invoice_id

    add_history_route(
        router,
        "/invoices/{invoice_id}/history",
        app=app,
        cls=Invoice,
        contracts=BILLING_CONTRACTS,
        kind="invoice",
        resolve=scoped_invoice,
    )

    async def queue(msg: erp_pb2.ErpInboundMessage) -> dict[str, str]:
        await ErpInboundPublisher(await producer.get()).publish(msg)
        return {"message_id": msg.message_id, "status": "queued"}

    def message_id(key: str | None) -> str:
        # Same key, same message id: the consumer applies a resent webhook once.
        return (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"erp-webhook:{key}")) if key else str(uuid.uuid4())
        )

    @router.post(
        "/integrations/erp/payments",
        status_code=202,
        tags=["erp"],
        summary="ERP webhook: a payment was received",
    )
    async def erp_payment(
        body: ErpPaymentRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, str]:
        return await queue(
            payment_message(
                message_id(key),
                body.payment_id,
                body.invoice_id,
                body.amount.to_domain(),
                body.received_at,
            )
        )

    @router.post(
        "/integrations/erp/invoices-posted",
        status_code=202,
        tags=["erp"],
        summary="ERP webhook: our invoice was posted under the ERP's number",
    )
    async def erp_invoice_posted(
        body: ErpInvoicePostedRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, str]:
        return await queue(
            invoice_posted_message(
                message_id(key),
                body.invoice_id,
                body.erp_invoice_number,
                body.amount.to_domain(),
                body.posted_at,
            )
        )

    @router.post(
        "/integrations/erp/shipments",
        status_code=202,
        tags=["erp"],
        summary="ERP webhook: a shipment was posted",
    )
    async def erp_shipment(
        body: ErpShipmentRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, str]:
        return await queue(
            shipment_message(
                message_id(key), body.order_id, body.shipment_id, body.milestone, body.shipped_at
            )
        )

    @router.post(
        "/integrations/erp/milestones",
        status_code=202,
        tags=["erp"],
        summary="ERP or project system webhook: a milestone delivered or accepted",
    )
    async def erp_milestone(
        body: ErpMilestoneRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, str]:
        return await queue(
            milestone_message(
                message_id(key),
                body.order_id,
                body.milestone,
                body.status,
                body.reported_at,
                body.reported_by,
                body.reference,
            )
        )

    return router
