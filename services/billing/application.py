"""Use cases of the billing service."""

from __future__ import annotations

import uuid
from datetime import datetime

from kernel.domain import Money
from kernel.errors import RuleViolation
from kernel.store import Result, ServiceApplication, fingerprint_of
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order


class BillingApplication(ServiceApplication):
    name = "billing"

    def book_order_for_deal(
        self,
        *,
        deal_id: uuid.UUID,
        amount: Money,
        company: str,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[Order], Result]:
            if self.exists(Order.create_id(deal_id)):
                raise RuleViolation(f"deal {deal_id} already has an order")
            order = Order.book(deal_id, amount, company)
            return [order], {"order_id": str(order.id), "version": order.version}

        return self.execute(
            "book_order",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("book", deal_id, str(amount), company),
        )

    def issue_invoice(
        self,
        order_id: uuid.UUID,
        *,
        amount: Money,
        due_at: datetime,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[Order | Invoice], Result]:
            order = self.load(Order, order_id)
            invoice = Invoice.issue(order.id, amount, due_at)
            order.record_invoice(invoice.id, amount)
            return [order, invoice], {
                "invoice_id": str(invoice.id),
                "order_id": str(order.id),
                "status": invoice.status.value,
                "version": invoice.version,
            }

        return self.execute(
            "issue_invoice",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("invoice", order_id, str(amount), due_at),
        )

    def apply_payment(
        self,
        invoice_id: uuid.UUID,
        *,
        payment_id: str,
        amount: Money,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.update(
            "apply_payment",
            Invoice,
            invoice_id,
            lambda invoice: invoice.apply_payment(payment_id, amount),
            lambda invoice: {
                "invoice_id": str(invoice.id),
                "status": invoice.status.value,
                "outstanding": str(invoice.outstanding.amount),
                "version": invoice.version,
            },
            idempotency_key=idempotency_key,
            request=[payment_id, str(amount)],
        )

    def get_order(self, order_id: uuid.UUID) -> Order:
        return self.load(Order, order_id)

    def get_invoice(self, invoice_id: uuid.UUID) -> Invoice:
        return self.load(Invoice, invoice_id)

    def order_id_for_deal(self, deal_id: uuid.UUID) -> uuid.UUID:
        return Order.create_id(deal_id)
