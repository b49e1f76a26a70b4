"""How billing aggregates read over HTTP (plain JSON: amounts are decimal strings)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order
from services.billing.domain.quote import Quote


def quote_view(q: Quote) -> dict[str, Any]:
    return {
        "quote_id": str(q.id),
        "deal_id": str(q.deal_id),
        "account": q.account,
        "owner_id": q.owner_id,
        "status": q.status.value,
        "currency": q.currency,
        "total": str(q.total.amount),
        "lines": q.lines,
        "approval_needed": q.needs,
        "decisions": q.decisions,
        "payment_plan": q.plan,
        "rule_versions": q.rule_versions,
        "quoted_on": q.quoted_on.isoformat(),
        "valid_until": q.valid_until.isoformat(),
        "version": q.version,
    }


def order_view(o: Order) -> dict[str, Any]:
    return {
        "order_id": str(o.id),
        "deal_id": str(o.deal_id),
        "quote_id": str(o.quote_id),
        "account": o.account,
        "company": o.account,
        "owner_id": o.owner_id,
        "contract_number": o.contract_number,
        "status": o.status.value,
        "payment_terms": {"name": o.terms_name, "net_days": o.net_days},
        "credit_note": o.credit_note,
        "currency": o.currency,
        "amount": str(o.amount.amount),
        "booked_amount": str(o.booked_amount.amount),
        "invoiced": str(o.invoiced.amount),
        "credited": str(o.credited.amount),
        "uninvoiced": str(o.uninvoiced.amount),
        "lines": o.lines,
        "installments": [i.as_dict() for i in o.installments],
        "milestones": o.milestones,
        "shipments": o.shipments,
        "invoice_ids": [str(i) for i in o.invoice_ids],
        "amendments": o.amendments,
        "booked_on": o.booked_on.isoformat(),
        "version": o.version,
    }


def invoice_view(i: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": str(i.id),
        "number": i.number,
        "order_id": str(i.order_id),
        "installment": i.installment,
        "account": i.account,
        "currency": i.currency,
        "amount": str(i.amount.amount),
        "paid": str(i.paid.amount),
        "credited": str(i.credited.amount),
        "outstanding": str(i.outstanding.amount),
        "status": i.status.value,
        "issued_on": i.issued_on.isoformat(),
        "due_on": i.due_on.isoformat(),
        "erp_number": i.erp_number,
        "payment_ids": i.payment_ids,
        "credit_notes": i.credit_notes,
        "description": i.description,
        "version": i.version,
    }


def credit_view(c: CreditAccount) -> dict[str, Any]:
    return {
        "account": c.account,
        "by_currency": {
            cur: {
                "limit": str(c.limits[cur].amount) if cur in c.limits else None,
                "open_orders_uninvoiced": str(c.open_uninvoiced(cur).amount),
                "unpaid_invoices": str(c.unpaid_invoices(cur).amount),
                "unapplied_cash": str(c.unapplied_cash(cur).amount),
                "exposure": str(c.exposure(cur).amount),
            }
            for cur in c.currencies()
        },
        "version": c.version,
    }


# -- typed answers of the commands (the fields every caller can rely on; the views above
# carry more, which the answers keep) ----------------------------------------------------------


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class QuoteAnswer(_Answer):
    quote_id: uuid.UUID
    deal_id: uuid.UUID
    status: str
    currency: str
    total: str
    version: int


class OrderAnswer(_Answer):
    order_id: uuid.UUID
    deal_id: uuid.UUID
    status: str
    currency: str
    amount: str
    version: int


class InvoiceAnswer(_Answer):
    invoice_id: uuid.UUID
    order_id: uuid.UUID
    status: str
    currency: str
    amount: str
    outstanding: str
    version: int


class CreditAnswer(_Answer):
    account: str
    by_currency: dict[str, dict[str, str | None]]
    version: int
