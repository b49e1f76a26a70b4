"""Billing events -> protobuf payloads on l2c.billing.v1."""

from __future__ import annotations

from l2c.v1 import billing_pb2

from kernel.contracts import EventContracts, money_to_proto, timestamp
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order


def _booked(e: Order.Booked) -> billing_pb2.OrderBooked:  # type: ignore[name-defined]
    return billing_pb2.OrderBooked(
        order_id=str(e.originator_id),
        deal_id=str(e.deal_id),
        amount=money_to_proto(e.amount),
        company=e.company,
    )


def _issued(e: Invoice.Issued) -> billing_pb2.InvoiceIssued:  # type: ignore[name-defined]
    return billing_pb2.InvoiceIssued(
        invoice_id=str(e.originator_id),
        order_id=str(e.order_id),
        amount=money_to_proto(e.amount),
        due_at=timestamp(e.due_at),
    )


def _payment(e: Invoice.PaymentApplied) -> billing_pb2.PaymentApplied:  # type: ignore[name-defined]
    return billing_pb2.PaymentApplied(
        invoice_id=str(e.originator_id),
        order_id=str(e.order_id),
        payment_id=e.payment_id,
        amount=money_to_proto(e.amount),
        outstanding=money_to_proto(e.outstanding),
    )


def _paid(e: Invoice.Paid) -> billing_pb2.InvoicePaid:  # type: ignore[name-defined]
    return billing_pb2.InvoicePaid(invoice_id=str(e.originator_id), order_id=str(e.order_id))


# Order.Invoiced is the order's own bookkeeping; InvoiceIssued tells the world.
BILLING_CONTRACTS = EventContracts(
    "billing",
    {
        Order.Booked: _booked,  # type: ignore[attr-defined]
        Invoice.Issued: _issued,  # type: ignore[attr-defined]
        Invoice.PaymentApplied: _payment,  # type: ignore[attr-defined]
        Invoice.Paid: _paid,  # type: ignore[attr-defined]
    },
)
