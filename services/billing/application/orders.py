"""Orders and contracts: booking from a won deal's accepted quote, the credit check,
finance's holds, delivery milestones, and invoices issued the moment an installment
becomes invoiceable."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand
from kernel.store import Result, fingerprint_of
from services.billing.application.quotes import QuoteUseCases
from services.billing.application.views import credit_view, order_view
from services.billing.domain.closing import DealClosing
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order, OrderStatus
from services.billing.domain.pricing import LineRequest
from services.billing.domain.quote import Quote


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
        """Deals says the deal is won; with an accepted quote the order is booked now,
        otherwise when the customer accepts one."""

        def decide() -> tuple[list[L2CAggregate], Result]:
            closing_id = DealClosing.create_id(deal_id)
            if self.exists(closing_id):
                closing = self.load(DealClosing, closing_id)
            else:
                closing = DealClosing.open(deal_id, account, "", "")
            if not closing.won(amount, closed_at):
                return [], {"deal_id": str(deal_id), "order_id": None}
            booked = self._book_if_ready(closing)
            return [closing, *booked], {
                "deal_id": str(deal_id),
                "order_id": str(booked[0].id) if booked else None,
            }

        return self.execute(
            "record_deal_won",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("won", deal_id, str(amount), closed_at, account),
            retries=2,
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

    def _order_command(
        self,
        name: str,
        order_id: uuid.UUID,
        change: Callable[[Order, CreditAccount], object],
        *,
        idempotency_key: str | None,
        expected_version: int | None,
        request: Sequence[object],
    ) -> Result:
        """Load the order and its account's credit, change, invoice what became ready."""

        def decide() -> tuple[list[L2CAggregate], Result]:
            order = self.load(Order, order_id, expected_version)
            credit = self.credit_account(order.account)
            change(order, credit)
            invoices = self._invoice_ready(order, credit)
            result = order_view(order)
            result["invoices_issued"] = [str(i.id) for i in invoices]
            return [order, credit, *invoices], result

        return self.execute(
            name,
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of(name, order_id, *request),
            retries=2 if expected_version is None else 0,
        )

    # -- credit ------------------------------------------------------------------------

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
        def change(order: Order, credit: CreditAccount) -> None:
            order.release(by, reason, terms, net_days)
            credit.change("order_released", str(order.id), uninvoiced=order.uninvoiced)

        return self._order_command(
            "release_credit_hold",
            order_id,
            change,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[by, reason, terms, net_days],
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
        def change(order: Order, credit: CreditAccount) -> None:
            released = order.cancel(by, reason)
            credit.change("order_cancelled", str(order.id), uninvoiced=-released)

        return self._order_command(
            "cancel_order",
            order_id,
            change,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[by, reason],
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
        def decide() -> tuple[list[CreditAccount], Result]:
            credit = self.credit_account(account)
            credit.set_limit(limit, by, reason)
            return [credit], credit_view(credit)

        return self.execute(
            "set_credit_limit",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("limit", account, str(limit), by, reason),
            retries=2,
        )

    def get_credit(self, account: str) -> CreditAccount:
        return self.credit_account(account)

    # -- delivery ----------------------------------------------------------------------

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
        if status not in ("delivered", "accepted"):
            raise InvalidCommand(f"a milestone is reported delivered or accepted, not {status!r}")

        def change(order: Order, credit: CreditAccount) -> None:
            if status == "delivered":
                order.report_delivered(milestone, at, source, reference)
            else:
                order.accept_milestone(milestone, at, by, source, reference)

        return self._order_command(
            "report_milestone",
            order_id,
            change,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[milestone, status, at, by, source, reference],
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
        return self._order_command(
            "post_shipment",
            order_id,
            lambda order, credit: order.post_shipment(shipment_id, milestone, at),
            idempotency_key=idempotency_key,
            expected_version=None,
            request=[shipment_id, milestone, at],
        )

    def invoice_due(self, order_id: uuid.UUID) -> Result:
        """Issue the invoices whose date has come (the clock calls this; safe to repeat)."""
        return self._order_command(
            "invoice_due",
            order_id,
            lambda order, credit: None,
            idempotency_key=None,
            expected_version=None,
            request=[],
        )

    # -- amendments --------------------------------------------------------------------

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
        """New lines at the contract's prices (the rule versions the quote used); the
        open installments are re-planned so the schedule adds up to the new total."""

        def change(order: Order, credit: CreditAccount) -> None:
            _, priced = self.price(lines, order.booked_on, self.rules_at(order.rule_versions))
            delta = order.amend(priced, by, reason)
            if order.status is OrderStatus.CONFIRMED:
                credit.change("order_amended", str(order.id), uninvoiced=delta)

        return self._order_command(
            "amend_order",
            order_id,
            change,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[lines, by, reason],
        )

    def get_order(self, order_id: uuid.UUID) -> Order:
        return self.load(Order, order_id)

    def order_id_for_deal(self, deal_id: uuid.UUID) -> uuid.UUID:
        return Order.create_id(deal_id)
