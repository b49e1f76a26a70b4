"""How each command on an invoice is carried out, with its account's credit: ERP
posting, payments, settling from account credit, credit notes. Declared in
``catalog.py``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from kernel.domain import L2CAggregate
from kernel.store import Result
from services.billing.application.views import invoice_view
from services.billing.domain import commands
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order

InvoiceChange = Callable[[Invoice, CreditAccount, "Order | None", Any], object]


def invoice_use_case(change: InvoiceChange, with_order: bool = False) -> Any:
    """A command on one invoice: load it (checking If-Match), its account's credit and,
    when needed, its order; apply ``change``; save all together."""

    def use_case(
        app: Any, c: Any, expected_version: int | None
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
