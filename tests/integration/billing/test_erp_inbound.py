"""ERP payments on l2c.erp.inbound.v1: applied once; bad messages dead-lettered with a reason."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from kernel.domain import Money
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, ERP_INBOUND
from services.billing.adapters.erp import payment_message
from services.billing.application import BillingApplication
from services.billing.entrypoints.policies import apply_payment_when_erp_reports_it
from tests.kafka_support import eventually, produce, read_topic

PAID_AT = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def open_invoice(app: BillingApplication, amount: str) -> uuid.UUID:
    order = app.book_order_for_deal(
        deal_id=uuid.uuid4(), amount=Money.of(amount, "EUR"), company="Acme"
    )
    invoice = app.issue_invoice(
        uuid.UUID(str(order["order_id"])),
        amount=Money.of(amount, "EUR"),
        due_at=datetime.now(UTC) + timedelta(days=30),
    )
    return uuid.UUID(str(invoice["invoice_id"]))


async def test_payments_are_applied_once_and_bad_messages_go_to_the_dead_letter_topic(
    kafka_settings: Settings,
) -> None:
    await ensure_topics(kafka_settings, ALL_TOPICS)
    app = BillingApplication(kafka_settings)
    invoice_id = open_invoice(app, "1000.00")
    bootstrap = kafka_settings.kafka_bootstrap
    key = str(invoice_id).encode()
    run = uuid.uuid4().hex

    async def send(msg: bytes) -> None:
        await produce(bootstrap, ERP_INBOUND.name, msg, key=key)

    def payment(
        message_id: str, payment_id: str, amount: str, invoice: uuid.UUID = invoice_id
    ) -> bytes:
        return payment_message(
            f"{run}-{message_id}", f"{run}-{payment_id}", invoice, Money.of(amount, "EUR"), PAID_AT
        ).SerializeToString()

    await send(b"\x08\x96\x01 not protobuf at all")
    await send(payment("m1", "unknown-invoice", "10.00", invoice=uuid.uuid4()))
    await send(payment("m2", "P1", "400.00"))
    await send(payment("m2", "P1", "400.00"))  # the same message delivered twice
    await send(payment("m3", "P1", "400.00"))  # the ERP resends the payment as a new message
    await send(payment("m4", "P2", "700.00"))  # more than the 600.00 outstanding
    await send(payment("m5", "P3", "600.00"))  # settles the invoice

    stop = asyncio.Event()
    task = asyncio.create_task(apply_payment_when_erp_reports_it(app, kafka_settings).run(stop))
    try:
        await eventually(lambda: app.get_invoice(invoice_id).status.value == "paid")
        dead = await eventually(lambda: _dead_for(bootstrap, key, expected=3))
    finally:
        stop.set()
        await task

    invoice = app.get_invoice(invoice_id)
    assert invoice.paid == Money.of("1000.00", "EUR")
    assert invoice.payment_ids == [f"{run}-P1", f"{run}-P3"]
    applied = [e for e in app.events.get(invoice_id) if type(e).__name__ == "PaymentApplied"]
    assert [e.metadata["occurred_at"] for e in applied] == [PAID_AT.isoformat()] * 2
    reasons = sorted(dict(r.headers)["dlq.reason"].decode() for r in dead)
    assert (
        reasons[0].startswith("InvalidCommand: payment") and "exceeds the 600.00 EUR" in reasons[0]
    )
    assert reasons[1].startswith("NotFound: Invoice")
    assert reasons[2].startswith("undecodable:")


async def _dead_for(bootstrap: str, key: bytes, expected: int) -> list | None:  # type: ignore[type-arg]
    dead = [r for r in await read_topic(bootstrap, ERP_INBOUND.dead_letter.name) if r.key == key]
    return dead if len(dead) >= expected else None
