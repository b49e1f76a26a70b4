"""Kafka policies of the billing service: deals it follows, and what the ERP reports."""

from __future__ import annotations

import uuid
from dataclasses import replace

from l2c.v1 import deals_pb2, erp_pb2

from kernel.consumer import Inbound, PolicyConsumer
from kernel.contracts import from_timestamp, money_from_proto
from kernel.domain import command_context, current_context, utcnow
from kernel.errors import ContractError
from kernel.settings import Settings
from kernel.topics import DEALS, ERP_INBOUND
from services.billing.adapters.erp import decode_erp_record
from services.billing.application import BillingApplication


def follow_deals(app: BillingApplication, settings: Settings) -> PolicyConsumer:
    """Opened deals can be quoted; a won deal with an accepted quote becomes an order."""

    def handle(message: Inbound, idempotency_key: str) -> None:
        body = message.body
        if isinstance(body, deals_pb2.DealOpened):
            app.record_deal_opened(
                uuid.UUID(body.deal_id),
                account=body.company,
                owner_id=body.owner_id,
                name=body.name,
                team=body.team,
                idempotency_key=idempotency_key,
            )
        elif isinstance(body, deals_pb2.DealWon):
            closed_at = (
                from_timestamp(body.closed_at)
                if body.HasField("closed_at")
                else message.occurred_at or utcnow()
            )
            with command_context(replace(current_context(), occurred_at=closed_at)):
                app.record_deal_won(
                    uuid.UUID(body.deal_id),
                    amount=money_from_proto(body.amount),
                    closed_at=closed_at,
                    account=body.company,
                    idempotency_key=idempotency_key,
                )
        elif isinstance(body, deals_pb2.DealLost | deals_pb2.DealClosedWithoutDecision):
            reason = getattr(body, "reason", "") or "no_decision"
            app.record_deal_lost(uuid.UUID(body.deal_id), reason, idempotency_key)

    return PolicyConsumer(
        "billing.follow-deals",
        DEALS,
        handle,
        settings,
        reacts_to=(
            deals_pb2.DealOpened,
            deals_pb2.DealWon,
            deals_pb2.DealLost,
            deals_pb2.DealClosedWithoutDecision,
        ),
    )


def handle_erp_inbound(app: BillingApplication, settings: Settings) -> PolicyConsumer:
    """Invoices posted, shipments, milestones and payments from l2c.erp.inbound.v1, each on
    the ERP's own time. Unknown documents and disagreeing amounts are dead-lettered."""

    def handle(message: Inbound, key: str) -> None:
        body = message.body
        with command_context(replace(current_context(), occurred_at=message.occurred_at)):
            if isinstance(body, erp_pb2.ErpPaymentReceived):
                app.apply_payment(
                    uuid.UUID(body.invoice_id),
                    payment_id=body.payment_id,
                    amount=money_from_proto(body.amount),
                    idempotency_key=key,
                )
            elif isinstance(body, erp_pb2.ErpInvoicePosted):
                app.post_invoice(
                    uuid.UUID(body.invoice_id),
                    erp_number=body.erp_invoice_number,
                    amount=money_from_proto(body.amount),
                    posted_at=from_timestamp(body.posted_at),
                    idempotency_key=key,
                )
            elif isinstance(body, erp_pb2.ErpShipmentPosted):
                app.post_shipment(
                    uuid.UUID(body.order_id),
                    shipment_id=body.shipment_id,
                    milestone=body.milestone,
                    at=from_timestamp(body.shipped_at),
                    idempotency_key=key,
                )
            elif isinstance(body, erp_pb2.ErpMilestoneReported):
                app.report_milestone(
                    uuid.UUID(body.order_id),
                    body.milestone,
                    status=body.status,
                    at=from_timestamp(body.reported_at),
                    by=body.reported_by or "erp",
                    source="erp",
                    reference=body.reference,
                    idempotency_key=key,
                )
            else:
                raise ContractError(f"unexpected ERP message {message.message_type}")

    return PolicyConsumer(
        "billing.erp-inbound", ERP_INBOUND, handle, settings, decode=decode_erp_record
    )
