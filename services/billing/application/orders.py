"""Orders and contracts: booking from a won deal's accepted quote, the credit check,
finance's holds, delivery milestones, and invoices issued the moment an installment
becomes invoiceable."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from kernel.domain import L2CAggregate, Money
from kernel.store import Result
from services.billing.application.quotes import QuoteUseCases
from services.billing.domain import commands
from services.billing.domain.closing import DealClosing
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order, OrderStatus
from services.billing.domain.pricing import LineRequest
from services.billing.domain.quote import Quote


def money(amount: Money) -> dict[str, object]:
    return {"amount": amount.amount, "currency": amount.currency}


class OrderUseCases(QuoteUseCases):
    # -- booking -----------------------------------------------------------------------

    def record_deal_won(
        self,
        deal_id: uuid.UUID,
        *,
        amount: Money,
        closed_at: datetime,
        account: str,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.send(
            commands.RecordDealWon,
            idempotency_key,
            deal_id=deal_id,
            amount=money(amount),
            closed_at=closed_at,
            account=account,
        )

    def _book_if_ready(self, closing: DealClosing) -> list[L2CAggregate]:
        if not closing.ready_to_book or closing.accepted_quote_id is None:
            return []
        order_id = Order.create_id(closing.deal_id)
        if self.exists(order_id):
            return []
        quote = self.load(Quote, closing.accepted_quote_id)
        order = Order.book(
            deal_id=closing.deal_id,
            quote_id=quote.id,
            account=closing.account,
            owner_id=closing.owner_id,
            lines=quote.priced_lines(),
            terms=quote.terms(),
            rule_versions=quote.rule_versions,
            booked_on=self.today(),
        )
        credit = self.credit_account(order.account)
        _, policy = self.credit_policy.current()
        order.decide_credit(credit.check(order.amount, policy.payment_terms()))
        credit.change(
            "order_booked",
            str(order.id),
            uninvoiced=order.uninvoiced if order.status is OrderStatus.CONFIRMED else None,
        )
        return [order, credit, *self._invoice_ready(order, credit)]

    def _invoice_ready(self, order: Order, credit: CreditAccount) -> list[Invoice]:
        """Issue an invoice for every installment whose condition is met (in the same
        transaction as what met it: no hand-off between delivery and billing)."""
        invoices = []
        today = self.today()
        for inst in order.invoiceable(today):
            invoice_id = Invoice.create_id(order.id, inst.number)
            if inst.amount.is_zero:
                order.record_invoiced(inst.number, invoice_id)
                continue
            invoice = Invoice.issue(
                order_id=order.id,
                installment=inst.number,
                account=order.account,
                amount=inst.amount,
                issued_on=today,
                net_days=order.net_days,
                description=f"{order.contract_number} installment {inst.number}: "
                f"{inst.terms.label}",
            )
            order.record_invoiced(inst.number, invoice.id)
            credit.change(
                "invoice_issued", str(invoice.id), uninvoiced=-inst.amount, unpaid=inst.amount
            )
            invoices.append(invoice)
        return invoices

    # -- in-process callers (policies, clocks, tools) send the catalog's commands ----------

    def release_credit_hold(
        self,
        order_id: uuid.UUID,
        *,
        by: str,
        reason: str,
        terms: str,
        net_days: int,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.send(
            commands.ReleaseCreditHold,
            idempotency_key,
            expected_version,
            order_id=order_id,
            by=by,
            reason=reason,
            payment_terms=terms,
            net_days=net_days,
        )

    def cancel_order(
        self,
        order_id: uuid.UUID,
        *,
        by: str,
        reason: str,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.send(
            commands.CancelOrder,
            idempotency_key,
            expected_version,
            order_id=order_id,
            by=by,
            reason=reason,
        )

    def set_credit_limit(
        self,
        account: str,
        *,
        limit: Money,
        by: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.send(
            commands.SetCreditLimit,
            idempotency_key,
            account=account,
            limit=money(limit),
            by=by,
            reason=reason,
        )

    def get_credit(self, account: str) -> CreditAccount:
        return self.credit_account(account)

    def report_milestone(
        self,
        order_id: uuid.UUID,
        milestone: str,
        *,
        status: str,
        at: datetime,
        by: str,
        source: str,
        reference: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        message = commands.RecordErpMilestone if source == "erp" else commands.ReportMilestone
        return self.send(
            message,
            idempotency_key,
            expected_version,
            order_id=order_id,
            milestone=milestone,
            status=status,
            at=at,
            by=by,
            reference=reference,
        )

    def post_shipment(
        self,
        order_id: uuid.UUID,
        *,
        shipment_id: str,
        milestone: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.send(
            commands.PostShipment,
            idempotency_key,
            order_id=order_id,
            shipment_id=shipment_id,
            milestone=milestone,
            at=at,
        )

    def invoice_due(self, order_id: uuid.UUID) -> Result:
        """Issue the invoices whose date has come (the clock calls this; safe to repeat)."""
        return self.send(commands.InvoiceDue, None, order_id=order_id)

    def amend_order(
        self,
        order_id: uuid.UUID,
        *,
        lines: Sequence[LineRequest],
        by: str,
        reason: str,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.send(
            commands.AmendOrder,
            idempotency_key,
            expected_version,
            order_id=order_id,
            lines=[line.__dict__ for line in lines],
            by=by,
            reason=reason,
        )

    def get_order(self, order_id: uuid.UUID) -> Order:
        return self.load(Order, order_id)

    def order_id_for_deal(self, deal_id: uuid.UUID) -> uuid.UUID:
        return Order.create_id(deal_id)
