"""How each command on an order is carried out, with its account's credit: holds,
cancellations, milestones, shipments, amendments, returns; invoices issued when an
installment becomes invoiceable. Declared in ``catalog.py``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from kernel.domain import L2CAggregate
from kernel.errors import InvalidCommand, RuleViolation
from kernel.store import Result
from services.billing.application.views import order_view
from services.billing.domain import commands
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order, OrderStatus

OrderChange = Callable[[Any, Order, CreditAccount, Any], object]


def order_use_case(change: OrderChange) -> Any:
    """A command on one order: load it (checking If-Match) and its account's credit,
    apply ``change``, invoice what became ready, save all together."""

    def use_case(
        app: Any, c: Any, expected_version: int | None
    ) -> tuple[list[L2CAggregate], Result]:
        order = app.load(Order, c.order_id, expected_version)
        credit = app.credit_account(order.account)
        change(app, order, credit, c)
        invoices = app._invoice_ready(order, credit)
        result = order_view(order)
        result["invoices_issued"] = [str(i.id) for i in invoices]
        return [order, credit, *invoices], result

    return use_case


def release(app: Any, order: Order, credit: CreditAccount, c: commands.ReleaseCreditHold) -> None:
    order.release(c.by, c.reason, c.payment_terms, c.net_days)
    credit.change("order_released", str(order.id), uninvoiced=order.uninvoiced)


def cancel(app: Any, order: Order, credit: CreditAccount, c: commands.CancelOrder) -> None:
    released = order.cancel(c.by, c.reason)
    credit.change("order_cancelled", str(order.id), uninvoiced=-released)


def milestone_from(source: str) -> OrderChange:
    def report(app: Any, order: Order, credit: CreditAccount, c: Any) -> None:
        if c.status == "delivered":
            order.report_delivered(c.milestone, c.at, source, c.reference)
        else:
            order.accept_milestone(c.milestone, c.at, c.by, source, c.reference)

    return report


def ship(app: Any, order: Order, credit: CreditAccount, c: commands.PostShipment) -> None:
    order.post_shipment(c.shipment_id, c.milestone, c.at)


def amend(app: Any, order: Order, credit: CreditAccount, c: commands.AmendOrder) -> None:
    """New lines at the contract's prices (the rule versions the quote used); the open
    installments are re-planned so the schedule adds up to the new total."""
    lines = [line.to_domain() for line in c.lines]
    _, priced = app.price(lines, order.booked_on, app.rules_at(order.rule_versions))
    delta = order.amend(priced, c.by, c.reason)
    if order.status is OrderStatus.CONFIRMED:
        credit.change("order_amended", str(order.id), uninvoiced=delta)


def return_lines(
    app: Any, c: commands.ReturnLines, expected_version: int | None
) -> tuple[list[L2CAggregate], Result]:
    """Goods come back: the invoiced part of their value is credited by credit notes on
    the order's invoices (newest first), the rest leaves the schedule."""
    if not c.return_id.strip():
        raise InvalidCommand("a return needs an id (the RMA number)")
    order = app.load(Order, c.order_id, expected_version)
    credit = app.credit_account(order.account)
    to_credit, uninvoiced_delta = order.return_lines(c.return_id, c.lines, c.reason)
    credit.change("return", c.return_id, uninvoiced=uninvoiced_delta)
    invoices: list[Invoice] = []
    notes: list[str] = []
    for invoice_id in reversed(order.invoice_ids):
        if not to_credit.is_positive:
            break
        inv = app.load(Invoice, invoice_id)
        share = to_credit.min(inv.amount - inv.credited)
        if not share.is_positive:
            continue
        note_id = str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"return:{order.id}:{c.return_id}:{invoice_id}")
        )
        before = inv.outstanding
        refund = inv.issue_credit_note(note_id, share, f"return {c.return_id}: {c.reason}")
        credit.change("credit_note", note_id, unpaid=-(before - inv.outstanding), cash=refund)
        to_credit = to_credit - share
        invoices.append(inv)
        notes.append(note_id)
    if to_credit.is_positive:
        raise RuleViolation(f"{to_credit} of return {c.return_id} found no invoice to credit")
    result = order_view(order)
    result["credit_notes"] = notes
    return [order, credit, *invoices], result
