"""Settlement: the ERP posts invoices, payments arrive (fully, partly, in excess), credit is
applied, credit notes and returns give value back."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation
from kernel.store import Result
from services.billing.application.orders import OrderUseCases, money
from services.billing.application.views import invoice_view, order_view
from services.billing.domain import commands
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order

InvoiceChange = Callable[[Invoice, CreditAccount, "Order | None", Any], object]


def invoice_use_case(change: InvoiceChange, with_order: bool = False) -> Any:
    """A command on one invoice: load it (checking If-Match), its account's credit and,
    when needed, its order; apply ``change``; save all together."""

    def use_case(
        app: SettlementUseCases, c: Any, expected_version: int | None
    ) -> tuple[list[L2CAggregate], Result]:
        invoice = app.load(Invoice, c.invoice_id, expected_version)
        credit = app.credit_account(invoice.account)
        order = app.load(Order, invoice.order_id) if with_order else None
        extra = change(invoice, credit, order, c)
        result = invoice_view(invoice)
        if isinstance(extra, dict):
            result.update(extra)
        return [invoice, credit, *([order] if order else [])], result

    return use_case


def post(inv: Invoice, credit: CreditAccount, order: Order | None, c: commands.PostInvoice) -> Any:
    return {"changed": inv.post(c.erp_number, c.amount.to_domain(), c.posted_at)}


def pay(
    inv: Invoice, credit: CreditAccount, order: Order | None, c: commands.ApplyPayment
) -> dict[str, object]:
    """Apply a payment; what exceeds the outstanding amount is kept as the account's
    credit. A payment id seen before changes nothing."""
    before = inv.outstanding
    excess = inv.apply_payment(c.payment_id, c.amount.to_domain())
    if excess is None:
        return {"applied": False, "excess": "0"}
    credit.change("payment_applied", c.payment_id, unpaid=-(before - inv.outstanding), cash=excess)
    return {"applied": True, "excess": str(excess.amount)}


def settle_from_credit(
    inv: Invoice, credit: CreditAccount, order: Order | None, c: commands.ApplyAccountCredit
) -> None:
    amount = c.amount.to_domain()
    inv.apply_credit(amount, credit.unapplied_cash(inv.currency))
    credit.change("credit_applied", str(inv.id), unpaid=-amount, cash=-amount)


def credit_note(
    inv: Invoice, credit: CreditAccount, order: Order | None, c: commands.IssueCreditNote
) -> dict[str, object]:
    assert order is not None  # loaded: with_order=True
    # One id per credit note: the invoice's version at issue tells them apart.
    note_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"credit-note:{inv.id}:{inv.version}"))
    amount = c.amount.to_domain()
    before = inv.outstanding
    refund = inv.issue_credit_note(note_id, amount, c.reason)
    order.record_credit_note(note_id, inv.id, amount)
    credit.change("credit_note", note_id, unpaid=-(before - inv.outstanding), cash=refund)
    return {"credit_note_id": note_id, "to_account_credit": str(refund.amount)}


def return_lines(
    app: SettlementUseCases, c: commands.ReturnLines, expected_version: int | None
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


class SettlementUseCases(OrderUseCases):
    # -- in-process callers (the ERP policy, tools) send the catalog's commands -----------

    def post_invoice(
        self,
        invoice_id: uuid.UUID,
        *,
        erp_number: str,
        amount: Money,
        posted_at: datetime,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.send(
            commands.PostInvoice,
            idempotency_key,
            invoice_id=invoice_id,
            erp_number=erp_number,
            amount=money(amount),
            posted_at=posted_at,
        )

    def apply_payment(
        self,
        invoice_id: uuid.UUID,
        *,
        payment_id: str,
        amount: Money,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.send(
            commands.ApplyPayment,
            idempotency_key,
            invoice_id=invoice_id,
            payment_id=payment_id,
            amount=money(amount),
        )

    def apply_account_credit(
        self, invoice_id: uuid.UUID, *, amount: Money, idempotency_key: str | None = None
    ) -> Result:
        return self.send(
            commands.ApplyAccountCredit,
            idempotency_key,
            invoice_id=invoice_id,
            amount=money(amount),
        )

    def issue_credit_note(
        self,
        invoice_id: uuid.UUID,
        *,
        amount: Money,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.send(
            commands.IssueCreditNote,
            idempotency_key,
            invoice_id=invoice_id,
            amount=money(amount),
            reason=reason,
        )

    def return_lines(
        self,
        order_id: uuid.UUID,
        *,
        return_id: str,
        quantities: Mapping[int, int],
        reason: str,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.send(
            commands.ReturnLines,
            idempotency_key,
            order_id=order_id,
            return_id=return_id,
            lines=dict(quantities),
            reason=reason,
        )

    def get_invoice(self, invoice_id: uuid.UUID) -> Invoice:
        return self.load(Invoice, invoice_id)
