"""Settlement: the ERP posts invoices, payments arrive (fully, partly, in excess), credit is
applied, credit notes and returns give value back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from kernel.domain import Money
from kernel.store import Result
from services.billing.application.orders import OrderUseCases, money
from services.billing.domain import commands
from services.billing.domain.invoice import Invoice


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
