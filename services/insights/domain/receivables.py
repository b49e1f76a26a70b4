"""Reconciliation of orders, invoices, the ERP's postings and cash; aging and DSO.

Per order: booked (its current value, after amendments and returns), scheduled (its
installments), invoiced, credited, posted by the ERP, paid, outstanding. Mismatch classes:

* ``invoice_not_posted`` — issued more than N hours ago and not posted by the ERP;
* ``amount_differs`` — the ERP posted the invoice with another amount or currency;
* ``payment_without_invoice`` — the ERP reports a payment for an invoice we never issued;
* ``overpayment`` — payments on an invoice exceeded what it asked for;
* ``installment_overdue`` — an invoice is past its due date with money outstanding, or a
  dated installment's day has passed without an invoice.

Aging puts each invoice's outstanding amount in a bucket by days past its due date; DSO =
receivables ÷ invoiced in the last D days × D, per team and product line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from services.insights.domain.events import parse_day, parse_time
from services.insights.domain.slicing import Slice, cents
from services.insights.domain.state import Projection, Record, main_product_line

BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")


@dataclass(frozen=True)
class Thresholds:
    invoice_not_posted_hours: float = 24
    dso_days: int = 90


def bucket(days_past_due: int) -> str:
    """An invoice due today is not overdue yet (the overdue rule says the same: due < today)."""
    if days_past_due <= 0:
        return "not_due"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


def invoice_outstanding(invoice: Record) -> Decimal:
    return max(
        Decimal(0),
        Decimal(invoice.get("amount", "0"))
        - Decimal(invoice.get("credited", "0"))
        - Decimal(invoice.get("paid", "0")),
    )


def order_dims(p: Projection, order: Record) -> dict[str, str]:
    deal = p.get("deal", order.get("deal_id", ""))
    dims = (
        p.deal_dims(deal)
        if deal
        else {
            "team": p.team_of_rep(order.get("owner", "")) or "unassigned",
            "rep": order.get("owner") or "unassigned",
        }
    )
    return {**dims, "product_line": main_product_line(order) or dims.get("product_line", "unknown")}


def mismatches_of(
    p: Projection, order: Record, invoices: list[Record], now: datetime, limits: Thresholds
) -> list[dict[str, str]]:
    found = []
    today = now.date()
    for invoice in sorted(invoices, key=lambda i: i["id"]):
        issued = parse_time(invoice.get("issued_at"))
        if issued is None:
            continue
        if not invoice.get("posted_at") and now - issued > timedelta(
            hours=limits.invoice_not_posted_hours
        ):
            hours = (now - issued).total_seconds() / 3600
            found.append(
                _mismatch(
                    "invoice_not_posted", invoice, f"not posted by the ERP after {hours:.0f} h"
                )
            )
        erp = p.get("erp_invoice", invoice["id"])
        if erp and (
            Decimal(erp["amount"]) != Decimal(invoice["amount"])
            or erp["currency"] != invoice.get("currency")
        ):
            found.append(
                _mismatch(
                    "amount_differs",
                    invoice,
                    f"ERP posted {erp['currency']} {erp['amount']}, we invoiced "
                    f"{invoice.get('currency')} {invoice['amount']}",
                )
            )
        if Decimal(invoice.get("excess", "0")) > 0:
            found.append(
                _mismatch("overpayment", invoice, f"paid {invoice['excess']} more than asked")
            )
        due = parse_day(invoice.get("due_on"))
        if due and due < today and invoice_outstanding(invoice) > 0:
            found.append(
                _mismatch(
                    "installment_overdue",
                    invoice,
                    f"{cents(invoice_outstanding(invoice))} outstanding, due {due.isoformat()}",
                )
            )
    if not order.get("cancelled_at"):
        for item in order.get("installments", []):
            due = parse_day(item.get("due_date"))
            if (
                item.get("trigger") == "on_date"
                and item.get("status") == "planned"
                and due
                and due < today
            ):
                found.append(
                    {
                        "class": "installment_overdue",
                        "invoice_id": "",
                        "detail": f"installment {item['number']} due {due} not invoiced",
                    }
                )
    return found


def _mismatch(kind: str, invoice: Record, detail: str) -> dict[str, str]:
    return {"class": kind, "invoice_id": invoice["id"], "detail": detail}


def order_rows(
    p: Projection, scope: Slice, limits: Thresholds, order_id: str | None = None
) -> list[dict[str, Any]]:
    """Reconciliation rows of every order in scope, or of the one order ``order_id``."""
    now = p.clock
    if now is None:
        return []
    rows = []
    if order_id is None:
        orders = list(p.all("order").values())
    else:
        one = p.get("order", order_id)
        orders = [one] if one is not None else []
    for order in orders:
        if not order.get("booked_at"):
            continue
        dims = order_dims(p, order)
        if not scope.matches(dims) or not scope.in_period(order["booked_at"]):
            continue
        invoices = [i for i in p.invoices_of_order(order["id"]) if i.get("issued_at")]
        invoiced = sum((Decimal(i["amount"]) for i in invoices), Decimal(0))
        credited = sum((Decimal(i.get("credited", "0")) for i in invoices), Decimal(0))
        paid = sum((Decimal(i.get("paid", "0")) for i in invoices), Decimal(0))
        posted = sum((Decimal(i["amount"]) for i in invoices if i.get("posted_at")), Decimal(0))
        outstanding = sum((invoice_outstanding(i) for i in invoices), Decimal(0))
        rows.append(
            {
                "order_id": order["id"],
                "deal_id": order.get("deal_id", ""),
                "team": dims["team"],
                "rep": dims["rep"],
                "product_line": dims["product_line"],
                "currency": order.get("currency", ""),
                "booked": cents(Decimal(order.get("amount", "0"))),
                "scheduled": cents(
                    sum((Decimal(i["amount"]) for i in order.get("installments", [])), Decimal(0))
                ),
                "invoiced": cents(invoiced),
                "credited": cents(credited),
                "erp_posted": cents(posted),
                "paid": cents(paid),
                "outstanding": cents(outstanding),
                "uninvoiced": cents(Decimal(order.get("amount", "0")) - invoiced + credited),
                "status": _status(order, invoiced, paid, outstanding),
                "mismatches": mismatches_of(p, order, invoices, now, limits),
            }
        )
    return sorted(rows, key=lambda r: r["order_id"])


def _status(order: Record, invoiced: Decimal, paid: Decimal, outstanding: Decimal) -> str:
    if order.get("cancelled_at"):
        return "cancelled"
    if order.get("held"):
        return "credit_hold"
    if invoiced and outstanding == 0 and invoiced >= Decimal(order.get("amount", "0")):
        return "paid"
    if paid:
        return "partially_paid"
    return "invoiced" if invoiced else "booked"


def unmatched_payments(p: Projection) -> list[dict[str, str]]:
    """ERP payments naming an invoice we never issued."""
    rows = []
    for payment in p.all("erp_payment").values():
        invoice = p.get("invoice", payment.get("invoice_id", ""))
        if invoice is None or not invoice.get("issued_at"):
            rows.append(
                {
                    "class": "payment_without_invoice",
                    "payment_id": payment["id"],
                    "invoice_id": payment.get("invoice_id", ""),
                    "amount": payment["amount"],
                    "currency": payment["currency"],
                    "received_at": payment["received_at"],
                }
            )
    return sorted(rows, key=lambda r: r["payment_id"])


def mismatch_counts(rows: list[dict[str, Any]], unmatched: list[dict[str, str]]) -> dict[str, int]:
    counts = {
        k: 0
        for k in (
            "invoice_not_posted",
            "amount_differs",
            "payment_without_invoice",
            "overpayment",
            "installment_overdue",
        )
    }
    for row in rows:
        for m in row["mismatches"]:
            counts[m["class"]] += 1
    counts["payment_without_invoice"] += len(unmatched)
    return counts


def receivables(
    p: Projection, scope: Slice, limits: Thresholds, group_by: str = "team"
) -> dict[str, Any]:
    """Aging buckets and DSO per team (or product line), in the reporting currency."""
    now = p.clock
    if now is None:
        return {
            "currency": scope.currency,
            "groups": [],
            "total": _aging_row("total", {}, Decimal(0), Decimal(0), limits),
        }
    today = now.date()
    window_start = today - timedelta(days=limits.dso_days)
    aging: dict[str, dict[str, Decimal]] = {}
    sales: dict[str, Decimal] = {}
    for order in p.all("order").values():
        if order.get("currency") != scope.currency or not order.get("booked_at"):
            continue
        dims = order_dims(p, order)
        if not scope.matches(dims):
            continue
        key = dims[group_by]
        for invoice in p.invoices_of_order(order["id"]):
            if not invoice.get("issued_at"):
                continue
            issued = parse_day(invoice.get("issued_on")) or today
            if window_start < issued <= today:
                sales[key] = sales.get(key, Decimal(0)) + Decimal(invoice["amount"])
            owed = invoice_outstanding(invoice)
            if owed > 0:
                due = parse_day(invoice.get("due_on")) or issued
                cell = aging.setdefault(key, {})
                name = bucket((today - due).days)
                cell[name] = cell.get(name, Decimal(0)) + owed
    groups = [
        _aging_row(
            key,
            aging.get(key, {}),
            sum(aging.get(key, {}).values(), Decimal(0)),
            sales.get(key, Decimal(0)),
            limits,
        )
        for key in sorted(set(aging) | set(sales))
    ]
    totals: dict[str, Decimal] = {}
    for cell in aging.values():
        for name, amount in cell.items():
            totals[name] = totals.get(name, Decimal(0)) + amount
    total = _aging_row(
        "total", totals, sum(totals.values(), Decimal(0)), sum(sales.values(), Decimal(0)), limits
    )
    return {
        "currency": scope.currency,
        "as_of_day": today.isoformat(),
        "group_by": group_by,
        "groups": groups,
        "total": total,
    }


def _aging_row(
    key: str, cell: dict[str, Decimal], receivable: Decimal, sales: Decimal, limits: Thresholds
) -> dict[str, Any]:
    dso = None
    if sales > 0:
        dso = round(float(receivable / sales * limits.dso_days), 1)
    return {
        "group": key,
        "buckets": {name: cents(cell.get(name, Decimal(0))) for name in BUCKETS},
        "receivable": cents(receivable),
        "invoiced_in_window": cents(sales),
        "dso_days": dso,
    }
