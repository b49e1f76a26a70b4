"""Billing events -> protobuf: envelopes on l2c.billing.v1, and the ERP's own messages on
l2c.erp.outbound.v1 (orders to book, invoices to post, credit notes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from google.protobuf import message
from l2c.v1 import billing_pb2, erp_pb2

from kernel.contracts import (
    EventContracts,
    OutboundRecord,
    money_to_proto,
    rule_set_contracts,
    timestamp,
)
from kernel.domain import Money
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order
from services.billing.domain.quote import Quote

# Generated classes resolve at runtime; mypy sees the aggregates' dynamic event classes
# as attributes it cannot check.
QUOTE: Any = Quote
ORDER: Any = Order
INVOICE: Any = Invoice
CREDIT: Any = CreditAccount


def _money(amount: str, currency: str) -> Any:
    return money_to_proto(Money.of(amount, currency))


def lines_pb(lines: list[dict[str, Any]]) -> list[billing_pb2.QuoteLine]:
    return [
        billing_pb2.QuoteLine(
            number=d["number"],
            item=d["item"],
            kind=d["kind"],
            name=d["name"],
            product_line=d["product_line"],
            quantity=int(d["quantity"]),
            list_amount=_money(d["list_amount"], d["currency"]),
            discount_percent=d["discount_percent"],
            net_amount=_money(d["net_amount"], d["currency"]),
            promotion=d.get("promotion", ""),
            steps=[billing_pb2.PriceStep(**s) for s in d.get("steps", ())],
        )
        for d in lines
    ]


def installments_pb(installments: list[dict[str, Any]]) -> list[billing_pb2.Installment]:
    return [
        billing_pb2.Installment(
            number=d.get("number", n),
            label=d["label"],
            percent=d["percent"],
            trigger=d["trigger"],
            due_date=d.get("due_date", ""),
            milestone=d.get("milestone", ""),
            amount=_money(d["amount"], d["currency"]) if "amount" in d else None,
            status=d.get("status", ""),
            invoice_id=d.get("invoice_id", ""),
        )
        for n, d in enumerate(installments, start=1)
    ]


def _needs(needs: list[dict[str, str]]) -> list[billing_pb2.ApprovalNeed]:
    return [
        billing_pb2.ApprovalNeed(
            line=int(n["line"]),
            product_line=n["product_line"],
            discount_percent=n["discount_percent"],
            threshold_percent=n["threshold_percent"],
        )
        for n in needs
    ]


def _quote_content(e: Any, revision: bool) -> billing_pb2.QuoteDrafted:
    return billing_pb2.QuoteDrafted(
        quote_id=str(e.originator_id),
        deal_id=str(getattr(e, "deal_id", "")),
        account=getattr(e, "account", ""),
        owner_id=getattr(e, "owner_id", ""),
        lines=lines_pb(e.lines),
        total=money_to_proto(e.total),
        approval_needed=_needs(e.needs),
        payment_plan=installments_pb(e.plan),
        rule_versions=billing_pb2.RuleVersions(**e.rule_versions),
        quoted_on=e.quoted_on.isoformat(),
        valid_until=e.valid_until.isoformat(),
        revision=revision,
    )


def _at(day: date) -> Any:
    return timestamp(datetime.combine(day, time(), tzinfo=UTC))


def _issued(e: Any) -> billing_pb2.InvoiceIssued:
    return billing_pb2.InvoiceIssued(
        invoice_id=str(e.originator_id),
        order_id=str(e.order_id),
        amount=money_to_proto(e.amount),
        due_at=_at(e.due_on),
        number=e.number,
        installment=e.installment,
        account=e.account,
        issued_on=e.issued_on.isoformat(),
        due_on=e.due_on.isoformat(),
        description=e.description,
    )


def _booked(e: Any) -> billing_pb2.OrderBooked:
    return billing_pb2.OrderBooked(
        order_id=str(e.originator_id),
        deal_id=str(e.deal_id),
        amount=money_to_proto(e.amount),
        company=e.account,
        quote_id=str(e.quote_id),
        owner_id=e.owner_id,
        contract_number=e.contract_number,
        lines=lines_pb(e.lines),
        installments=installments_pb(e.installments),
        booked_on=e.booked_on.isoformat(),
    )


def _credit_note(e: Any) -> billing_pb2.CreditNoteIssued:
    return billing_pb2.CreditNoteIssued(
        credit_note_id=e.credit_note_id,
        number=e.number,
        invoice_id=str(e.originator_id),
        order_id=str(e.order_id),
        amount=money_to_proto(e.amount),
        reason=e.reason,
        outstanding=money_to_proto(e.outstanding),
        to_account_credit=money_to_proto(e.to_account_credit),
    )


def _id(e: Any) -> str:
    return str(e.originator_id)


_MAPPINGS: dict[type, Any] = {
    QUOTE.Drafted: lambda e: _quote_content(e, False),
    QUOTE.Revised: lambda e: _quote_content(e, True),
    QUOTE.Submitted: lambda e: billing_pb2.QuoteSubmitted(
        quote_id=_id(e), deal_id=str(e.deal_id), approval_needed=_needs(e.needs)
    ),
    QUOTE.Approved: lambda e: billing_pb2.QuoteApproved(
        quote_id=_id(e),
        deal_id=str(e.deal_id),
        approved_by=e.by,
        role=e.role,
        reason=e.reason,
        automatic=e.automatic,
    ),
    QUOTE.Rejected: lambda e: billing_pb2.QuoteRejected(
        quote_id=_id(e), deal_id=str(e.deal_id), rejected_by=e.by, role=e.role, reason=e.reason
    ),
    QUOTE.Accepted: lambda e: billing_pb2.QuoteAccepted(
        quote_id=_id(e), deal_id=str(e.deal_id), accepted_by=e.by, total=money_to_proto(e.total)
    ),
    ORDER.Booked: _booked,
    ORDER.CreditApproved: lambda e: billing_pb2.OrderCreditChecked(
        order_id=_id(e),
        approved=True,
        payment_terms=e.terms,
        net_days=e.net_days,
        exposure_after=money_to_proto(e.exposure),
        limit=e.limit,
        reason=e.reason,
    ),
    ORDER.CreditHeld: lambda e: billing_pb2.OrderCreditChecked(
        order_id=_id(e),
        approved=False,
        exposure_after=money_to_proto(e.exposure),
        limit=e.limit,
        reason=e.reason,
    ),
    ORDER.CreditReleased: lambda e: billing_pb2.OrderCreditReleased(
        order_id=_id(e),
        released_by=e.by,
        reason=e.reason,
        payment_terms=e.terms,
        net_days=e.net_days,
    ),
    ORDER.Cancelled: lambda e: billing_pb2.OrderCancelled(
        order_id=_id(e), cancelled_by=e.by, reason=e.reason
    ),
    ORDER.MilestoneDelivered: lambda e: billing_pb2.MilestoneDelivered(
        order_id=_id(e),
        milestone=e.milestone,
        delivered_at=timestamp(e.at),
        source=e.source,
        reference=e.reference,
    ),
    ORDER.MilestoneAccepted: lambda e: billing_pb2.MilestoneAccepted(
        order_id=_id(e),
        milestone=e.milestone,
        accepted_at=timestamp(e.at),
        accepted_by=e.by,
        source=e.source,
        reference=e.reference,
    ),
    ORDER.ShipmentPosted: lambda e: billing_pb2.ShipmentPosted(
        order_id=_id(e),
        shipment_id=e.shipment_id,
        milestone=e.milestone,
        shipped_at=timestamp(e.at),
    ),
    ORDER.InstallmentInvoiced: lambda e: billing_pb2.InstallmentInvoiced(
        order_id=_id(e),
        installment=e.number,
        invoice_id=str(e.invoice_id),
        amount=money_to_proto(e.amount),
    ),
    ORDER.Amended: lambda e: billing_pb2.OrderAmended(
        order_id=_id(e),
        amendment=e.number,
        lines=lines_pb(e.lines),
        amount=money_to_proto(e.amount),
        previous=money_to_proto(e.previous),
        installments=installments_pb(e.installments),
        amended_by=e.by,
        reason=e.reason,
    ),
    ORDER.Returned: lambda e: billing_pb2.OrderLinesReturned(
        order_id=_id(e),
        return_id=e.return_id,
        lines=[billing_pb2.ReturnedLine(**r) for r in e.lines],
        value=money_to_proto(e.value),
        credited=money_to_proto(e.credited),
        installments=installments_pb(e.installments),
        reason=e.reason,
    ),
    INVOICE.Issued: _issued,
    INVOICE.PostedByErp: lambda e: billing_pb2.InvoicePostedByErp(
        invoice_id=_id(e),
        order_id=str(e.order_id),
        erp_number=e.erp_number,
        posted_at=timestamp(e.posted_at),
    ),
    INVOICE.PaymentApplied: lambda e: billing_pb2.PaymentApplied(
        invoice_id=_id(e),
        order_id=str(e.order_id),
        payment_id=e.payment_id,
        amount=money_to_proto(e.amount),
        outstanding=money_to_proto(e.outstanding),
        received=money_to_proto(e.received),
        excess=money_to_proto(e.excess),
    ),
    INVOICE.Paid: lambda e: billing_pb2.InvoicePaid(invoice_id=_id(e), order_id=str(e.order_id)),
    INVOICE.CreditNoteIssued: _credit_note,
    CREDIT.LimitSet: lambda e: billing_pb2.CreditLimitSet(
        account=e.account, limit=money_to_proto(e.limit), set_by=e.by, reason=e.reason
    ),
    CREDIT.ExposureChanged: lambda e: billing_pb2.CreditExposureChanged(
        account=e.account,
        reason=e.reason,
        document_id=e.document_id,
        uninvoiced_delta=money_to_proto(e.uninvoiced),
        unpaid_delta=money_to_proto(e.unpaid),
        unapplied_cash_delta=money_to_proto(e.cash),
        exposure=money_to_proto(e.exposure),
    ),
}

# Order.Credited is the order's bookkeeping of a credit note (CreditNoteIssued tells it);
# DealClosing is billing's private view of a deal.
BILLING_CONTRACTS = EventContracts("billing", {**_MAPPINGS, **rule_set_contracts()})


class ErpOutboundContracts:
    """The documents the ERP must book, one ErpOutboundMessage per billing event that
    creates one, keyed by order id; message_id is the event id."""

    KINDS = frozenset({ORDER.Booked, INVOICE.Issued, INVOICE.CreditNoteIssued})

    def publishes(self, event_class: type) -> bool:
        return event_class in self.KINDS

    def outbound(self, domain_event: Any, position: int) -> OutboundRecord | None:
        body: message.Message
        kind = type(domain_event)
        if kind is ORDER.Booked:
            e = domain_event
            body = erp_pb2.ErpOrderToBook(
                order_id=str(e.originator_id),
                contract_number=e.contract_number,
                account=e.account,
                lines=lines_pb(e.lines),
                amount=money_to_proto(e.amount),
                installments=installments_pb(e.installments),
                booked_on=e.booked_on.isoformat(),
            )
            field, order_id = "order_to_book", str(e.originator_id)
        elif kind is INVOICE.Issued:
            e = domain_event
            body = erp_pb2.ErpInvoiceToPost(
                invoice_id=str(e.originator_id),
                number=e.number,
                order_id=str(e.order_id),
                account=e.account,
                amount=money_to_proto(e.amount),
                issued_on=e.issued_on.isoformat(),
                due_on=e.due_on.isoformat(),
                description=e.description,
            )
            field, order_id = "invoice_to_post", str(e.order_id)
        elif kind is INVOICE.CreditNoteIssued:
            e = domain_event
            body = erp_pb2.ErpCreditNoteToPost(
                credit_note_id=e.credit_note_id,
                number=e.number,
                invoice_id=str(e.originator_id),
                order_id=str(e.order_id),
                amount=money_to_proto(e.amount),
                reason=e.reason,
            )
            field, order_id = "credit_note_to_post", str(e.order_id)
        else:
            return None
        meta = domain_event.metadata
        msg = erp_pb2.ErpOutboundMessage(
            message_id=meta["event_id"],
            occurred_at=timestamp(datetime.fromisoformat(meta["occurred_at"])),
            correlation_id=meta.get("correlation_id", ""),
        )
        getattr(msg, field).CopyFrom(body)
        return OutboundRecord(
            key=order_id.encode(),
            value=msg.SerializeToString(),
            event_id=msg.message_id,
            event_type=body.DESCRIPTOR.full_name,
            content_type="application/x-protobuf; messageType=l2c.v1.ErpOutboundMessage",
            traceparent=meta.get("traceparent", ""),
            tracestate=meta.get("tracestate", ""),
        )


ERP_OUTBOUND_CONTRACTS = ErpOutboundContracts()
