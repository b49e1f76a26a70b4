"""Published events (protobuf) -> facts the insights read models understand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from google.protobuf.message import Message
from l2c.v1 import billing_pb2, deals_pb2, envelope_pb2, leads_pb2

from kernel.contracts import from_timestamp
from services.insights.domain.funnel import Fact

FACT_KIND: dict[type[Message], str] = {
    leads_pb2.LeadCaptured: "lead_captured",
    leads_pb2.LeadMarketingQualified: "lead_marketing_qualified",
    leads_pb2.LeadRequalified: "lead_marketing_qualified",  # out of nurture, qualified again
    leads_pb2.LeadSalesAccepted: "lead_sales_accepted",
    deals_pb2.DealOpened: "deal_opened",
    deals_pb2.DealWon: "deal_won",
    # Order facts: these payloads all carry order_id and amount.
    billing_pb2.OrderBooked: "order_booked",
    billing_pb2.InvoiceIssued: "invoice_issued",
    billing_pb2.PaymentApplied: "payment_applied",
}
_ORDER_PAYLOADS = (billing_pb2.OrderBooked, billing_pb2.InvoiceIssued, billing_pb2.PaymentApplied)


def fact_of(envelope: envelope_pb2.EventEnvelope, payload: Message) -> Fact | None:
    """The fact one event contributes, or None when the read models ignore it."""
    kind = FACT_KIND.get(type(payload))
    if kind is None:
        return None
    occurred_at = from_timestamp(envelope.occurred_at)
    if isinstance(payload, _ORDER_PAYLOADS):
        return Fact(
            envelope.event_id,
            kind,
            occurred_at,
            order_id=payload.order_id,
            amount=Decimal(payload.amount.amount),
            currency=payload.amount.currency,
        )
    return Fact(envelope.event_id, kind, occurred_at)


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
