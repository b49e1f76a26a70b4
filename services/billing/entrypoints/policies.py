"""Kafka policies of the billing service."""

from __future__ import annotations

import uuid
from dataclasses import replace

from l2c.v1 import deals_pb2, erp_pb2

from kernel.consumer import Inbound, PolicyConsumer
from kernel.contracts import money_from_proto
from kernel.domain import command_context, current_context
from kernel.errors import ContractError
from kernel.settings import Settings
from kernel.topics import DEALS, ERP_INBOUND
from services.billing.adapters.erp import decode_erp_record
from services.billing.application import BillingApplication


def book_order_when_deal_won(app: BillingApplication, settings: Settings) -> PolicyConsumer:
    def handle(message: Inbound, idempotency_key: str) -> None:
        if not isinstance(message.body, deals_pb2.DealWon):
            return
        won = message.body
        app.book_order_for_deal(
            deal_id=uuid.UUID(won.deal_id),
            amount=money_from_proto(won.amount),
            company=won.company,
            idempotency_key=idempotency_key,
        )

    return PolicyConsumer("billing.book-order-when-deal-won", DEALS, handle, settings)


def apply_payment_when_erp_reports_it(
    app: BillingApplication, settings: Settings
) -> PolicyConsumer:
    def handle(message: Inbound, idempotency_key: str) -> None:
        payment = message.body
        if not isinstance(payment, erp_pb2.ErpPaymentReceived):
            raise ContractError(f"unexpected ERP message {message.message_type}")
        # The payment happened at the bank's value date: that is the event's time.
        with command_context(replace(current_context(), occurred_at=message.occurred_at)):
            app.apply_payment(
                uuid.UUID(payment.invoice_id),
                payment_id=payment.payment_id,
                amount=money_from_proto(payment.amount),
                idempotency_key=idempotency_key,
            )

    return PolicyConsumer(
        "billing.apply-erp-payment", ERP_INBOUND, handle, settings, decode=decode_erp_record
    )
