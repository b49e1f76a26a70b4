"""Settlement: the ERP posts invoices, payments arrive (fully, partly, in excess), credit is
applied, credit notes and returns give value back."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation
from kernel.store import Result, fingerprint_of
from services.billing.application.orders import OrderUseCases
from services.billing.application.views import invoice_view, order_view
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order


class SettlementUseCases(OrderUseCases):
    def _invoice_command(
        self,
        name: str,
        invoice_id: uuid.UUID,
        change: Callable[[Invoice, CreditAccount, Order | None], object],
        *,
        idempotency_key: str | None,
        expected_version: int | None = None,
        request: list[object],
        with_order: bool = False,
    ) -> Result:
        def decide() -> tuple[list[L2CAggregate], Result]:
            invoice = self.load(Invoice, invoice_id, expected_version)
            credit = self.credit_account(invoice.account)
            order = self.load(Order, invoice.order_id) if with_order else None
            extra = change(invoice, credit, order)
            result = invoice_view(invoice)
            if isinstance(extra, dict):
                result.update(extra)
            return [invoice, credit, *([order] if order else [])], result

        return self.execute(
            name,
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of(name, invoice_id, *request),
            retries=2 if expected_version is None else 0,
        )

    def post_invoice(
        self,
        invoice_id: uuid.UUID,
        *,
        erp_number: str,
        amount: Money,
        posted_at: datetime,
        idempotency_key: str | None = None,
    ) -> Result:
        return self._invoice_command(
            "post_invoice",
            invoice_id,
            lambda inv, credit, order: {"changed": inv.post(erp_number, amount, posted_at)},
            idempotency_key=idempotency_key,
            request=[erp_number, str(amount), posted_at],
        )

    def apply_payment(
        self,
        invoice_id: uuid.UUID,
        *,
        payment_id: str,
        amount: Money,
        idempotency_key: str | None = None,
    ) -> Result:
        """Apply a payment; what exceeds the outstanding amount is kept as the account's
        credit. A payment id seen before changes nothing."""

        def change(inv: Invoice, credit: CreditAccount, order: Order | None) -> dict[str, object]:
            before = inv.outstanding
            excess = inv.apply_payment(payment_id, amount)
            if excess is None:
                return {"applied": False, "excess": "0"}
            credit.change(
                "payment_applied", payment_id, unpaid=-(before - inv.outstanding), cash=excess
            )
            return {"applied": True, "excess": str(excess.amount)}

        return self._invoice_command(
            "apply_payment",
            invoice_id,
            change,
            idempotency_key=idempotency_key,
            request=[payment_id, str(amount)],
        )

    def apply_account_credit(
        self,
        invoice_id: uuid.UUID,
        *,
        amount: Money,
        idempotency_key: str | None = None,
    ) -> Result:
        def change(inv: Invoice, credit: CreditAccount, order: Order | None) -> None:
            inv.apply_credit(amount, credit.unapplied_cash(inv.currency))
            credit.change("credit_applied", str(inv.id), unpaid=-amount, cash=-amount)

        return self._invoice_command(
            "apply_account_credit",
            invoice_id,
            change,
            idempotency_key=idempotency_key,
            request=[str(amount)],
        )

    def issue_credit_note(
        self,
        invoice_id: uuid.UUID,
        *,
        amount: Money,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Result:
        credit_note_id = str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"credit-note:{idempotency_key}")
            if idempotency_key
            else uuid.uuid4()
        )

        def change(inv: Invoice, credit: CreditAccount, order: Order | None) -> dict[str, object]:
            assert order is not None  # loaded: with_order=True
            before = inv.outstanding
            refund = inv.issue_credit_note(credit_note_id, amount, reason)
            order.record_credit_note(credit_note_id, inv.id, amount)
            credit.change(
                "credit_note", credit_note_id, unpaid=-(before - inv.outstanding), cash=refund
            )
            return {"credit_note_id": credit_note_id, "to_account_credit": str(refund.amount)}

        return self._invoice_command(
            "issue_credit_note",
            invoice_id,
            change,
            idempotency_key=idempotency_key,
            request=[str(amount), reason],
            with_order=True,
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
        """Goods come back: the invoiced part of their value is credited by credit notes
        on the order's invoices (newest first), the rest leaves the schedule."""

        def decide() -> tuple[list[L2CAggregate], Result]:
            order = self.load(Order, order_id)
            credit = self.credit_account(order.account)
            to_credit, uninvoiced_delta = order.return_lines(return_id, quantities, reason)
            credit.change("return", return_id, uninvoiced=uninvoiced_delta)
            invoices: list[Invoice] = []
            notes: list[str] = []
            for invoice_id in reversed(order.invoice_ids):
                if not to_credit.is_positive:
                    break
                inv = self.load(Invoice, invoice_id)
                share = to_credit.min(inv.amount - inv.credited)
                if not share.is_positive:
                    continue
                note_id = str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"return:{order.id}:{return_id}:{invoice_id}")
                )
                before = inv.outstanding
                refund = inv.issue_credit_note(note_id, share, f"return {return_id}: {reason}")
                credit.change(
                    "credit_note", note_id, unpaid=-(before - inv.outstanding), cash=refund
                )
                to_credit = to_credit - share
                invoices.append(inv)
                notes.append(note_id)
            if to_credit.is_positive:
                raise RuleViolation(f"{to_credit} of return {return_id} found no invoice to credit")
            result = order_view(order)
            result["credit_notes"] = notes
            return [order, credit, *invoices], result

        if not return_id.strip():
            raise InvalidCommand("a return needs an id (the RMA number)")
        return self.execute(
            "return_lines",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("return", order_id, return_id, dict(quantities), reason),
            retries=2,
        )

    def get_invoice(self, invoice_id: uuid.UUID) -> Invoice:
        return self.load(Invoice, invoice_id)
