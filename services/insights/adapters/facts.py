"""Published events (protobuf) -> facts the insights read models understand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from google.protobuf.message import Message
from l2c.v1 import billing_pb2, deals_pb2, envelope_pb2, leads_pb2

from kernel.contracts import from_timestamp
from services.insights.domain.funnel import Fact


def fact_of(envelope: envelope_pb2.EventEnvelope, payload: Message) -> Fact | None:
    """The fact one event contributes, or None when the read models ignore it."""
    base = {"event_id": envelope.event_id, "occurred_at": from_timestamp(envelope.occurred_at)}
    if isinstance(payload, leads_pb2.LeadCaptured):
        return Fact(kind="lead_captured", **base)
    if isinstance(payload, leads_pb2.LeadMarketingQualified):
        return Fact(kind="lead_marketing_qualified", **base)
    if isinstance(payload, leads_pb2.LeadSalesAccepted):
        return Fact(kind="lead_sales_accepted", **base)
    if isinstance(payload, deals_pb2.DealOpened):
        return Fact(kind="deal_opened", **base)
    if isinstance(payload, deals_pb2.DealWon):
        return Fact(kind="deal_won", **base)
    if isinstance(payload, billing_pb2.OrderBooked):
        return Fact(
            kind="order_booked",
            order_id=payload.order_id,
            amount=Decimal(payload.amount.amount),
            currency=payload.amount.currency,
            **base,
        )
    if isinstance(payload, billing_pb2.InvoiceIssued):
        return Fact(
            kind="invoice_issued",
            order_id=payload.order_id,
            amount=Decimal(payload.amount.amount),
            currency=payload.amount.currency,
            **base,
        )
    if isinstance(payload, billing_pb2.PaymentApplied):
        return Fact(
            kind="payment_applied",
            order_id=payload.order_id,
            amount=Decimal(payload.amount.amount),
            currency=payload.amount.currency,
            **base,
        )
    return None


def fact_to_data(fact: Fact) -> dict[str, str]:
    return {
        "event_id": fact.event_id,
        "kind": fact.kind,
        "occurred_at": fact.occurred_at.isoformat(),
        "order_id": fact.order_id,
        "amount": str(fact.amount),
        "currency": fact.currency,
    }


def fact_from_data(data: dict[str, str]) -> Fact:
    return Fact(
        event_id=data["event_id"],
        kind=data["kind"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        order_id=data["order_id"],
        amount=Decimal(data["amount"]),
        currency=data["currency"],
    )
