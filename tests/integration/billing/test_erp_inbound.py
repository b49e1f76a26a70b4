"""The ERP topics: inbound messages applied once, in any order the ERP sends them; bad ones
dead-lettered with a reason, then corrected and re-submitted with the CLI; outbound
documents on l2c.erp.outbound.v1."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from l2c.v1 import erp_pb2

from kernel import deadletters
from kernel.domain import Money
from kernel.kafka import ensure_topics, idempotent_producer
from kernel.relay import Relay
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, ERP_INBOUND, ERP_OUTBOUND
from services.billing.adapters.contracts import ERP_OUTBOUND_CONTRACTS
from services.billing.adapters.erp import (
    document_key,
    invoice_posted_message,
    milestone_message,
    payment_message,
    shipment_message,
)
from services.billing.application import BillingApplication
from services.billing.domain.pricing import LineRequest
from services.billing.entrypoints.policies import handle_erp_inbound
from tests.integration.billing.support import book_order
from tests.kafka_support import eventually, produce, read_topic

AT = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def eur(v: str) -> Money:
    return Money.of(v, "EUR")


async def test_erp_messages_apply_once_in_any_order_and_bad_ones_are_dead_lettered(
    kafka_settings: Settings,
) -> None:
    await ensure_topics(kafka_settings, ALL_TOPICS)
    app = BillingApplication(kafka_settings)
    # 12000 + 25 x 480 = 24000.00: advance 7200.00 invoiced on booking, go-live 16800.00
    order_id = book_order(app, [LineRequest("CRM-CLOUD", 1), LineRequest("CRM-SEAT", 25)])
    advance = app.get_order(order_id).invoice_ids[0]
    run = uuid.uuid4().hex
    bootstrap = kafka_settings.kafka_bootstrap

    async def send(msg: erp_pb2.ErpInboundMessage | bytes, key: bytes = b"") -> None:
        if isinstance(msg, bytes):
            await produce(bootstrap, ERP_INBOUND.name, msg, key=key or str(order_id).encode())
        else:
            await produce(
                bootstrap, ERP_INBOUND.name, msg.SerializeToString(), key=document_key(msg)
            )

    unknown_invoice = uuid.uuid4()
    await send(b"\x08\x96\x01 not protobuf at all")
    # The customer's acceptance arrives before the delivery report: delivery is implied.
    await send(milestone_message(f"{run}-m1", order_id, "go_live", "accepted", AT, "cto"))
    await send(milestone_message(f"{run}-m1", order_id, "go_live", "accepted", AT, "cto"))
    await send(milestone_message(f"{run}-m2", order_id, "go_live", "delivered", AT))
    await send(shipment_message(f"{run}-s1", order_id, f"{run}-SHIP-1", "go_live", AT))
    await send(shipment_message(f"{run}-s2", order_id, f"{run}-SHIP-1", "go_live", AT))
    # A payment that arrives before the ERP posted the invoice is still applied.
    await send(payment_message(f"{run}-p1", f"{run}-P1", advance, eur("5000.00"), AT))
    await send(invoice_posted_message(f"{run}-i0", advance, "ERP-9", eur("7100.00"), AT))
    await send(invoice_posted_message(f"{run}-i1", advance, "ERP-10", eur("7200.00"), AT))
    await send(invoice_posted_message(f"{run}-i2", advance, "ERP-10", eur("7200.00"), AT))
    await send(payment_message(f"{run}-p2", f"{run}-P1", advance, eur("5000.00"), AT))  # resent
    await send(payment_message(f"{run}-p3", f"{run}-P2", advance, eur("2500.00"), AT))  # +300
    await send(payment_message(f"{run}-p4", f"{run}-P3", unknown_invoice, eur("9.00"), AT))

    stop = asyncio.Event()
    consumer = asyncio.create_task(handle_erp_inbound(app, kafka_settings).run(stop))
    try:
        await eventually(lambda: app.get_invoice(advance).status.value == "paid")
        await eventually(lambda: len(app.get_order(order_id).invoice_ids) == 2)
        letters = await eventually(lambda: _letters(kafka_settings, run, order_id, 3))
    finally:
        stop.set()
        await consumer

    invoice = app.get_invoice(advance)
    assert (invoice.erp_number, invoice.paid, invoice.payment_ids) == (
        "ERP-10",
        eur("7200.00"),
        [f"{run}-P1", f"{run}-P2"],
    )
    order = app.get_order(order_id)
    assert order.milestones["go_live"]["status"] == "accepted"
    assert [s["shipment_id"] for s in order.shipments] == [f"{run}-SHIP-1"]
    go_live = app.get_invoice(order.invoice_ids[1])
    assert go_live.amount == eur("16800.00")
    credit = app.get_credit("Acme")
    assert credit.unapplied_cash("EUR") == eur("300.00")
    # one payment event per distinct payment, on the bank's value date
    applied = [e for e in app.events.get(advance) if type(e).__name__ == "PaymentApplied"]
    assert [e.metadata["occurred_at"] for e in applied] == [AT.isoformat()] * 2
    reasons = sorted(letter.reason for letter in letters)
    assert reasons[0].startswith("InvalidCommand: the ERP posted invoice INV-")
    assert "for 7100.00 EUR, but it is for 7200.00 EUR" in reasons[0]
    assert reasons[1].startswith("NotFound: Invoice")
    assert reasons[2].startswith("undecodable:")

    # The operator corrects the payment (it was for the go-live invoice) and re-submits it.
    wrong = next(letter for letter in letters if letter.reason.startswith("NotFound"))
    shown = wrong.as_dict(ERP_INBOUND.value)
    shown["message"]["payment_received"]["invoice_id"] = str(go_live.id)
    await deadletters.resubmit(kafka_settings, ERP_INBOUND.name, wrong.ref, shown["message"])
    stop = asyncio.Event()
    consumer = asyncio.create_task(handle_erp_inbound(app, kafka_settings).run(stop))
    try:
        await eventually(lambda: app.get_invoice(go_live.id).paid == eur("9.00"))
    finally:
        stop.set()
        await consumer

    # Outbound: the order to book and both invoices to post, keyed by order id, once each.
    producer = idempotent_producer(kafka_settings, "erp-outbound-test")
    await producer.start()
    try:
        relay = Relay(app, ERP_OUTBOUND_CONTRACTS, ERP_OUTBOUND, kafka_settings)
        while await relay.publish_next_batch(producer):
            pass
    finally:
        await producer.stop()
    mine = [
        r for r in await read_topic(bootstrap, ERP_OUTBOUND.name) if r.key == str(order_id).encode()
    ]
    bodies = []
    for record in mine:
        msg = erp_pb2.ErpOutboundMessage()
        msg.ParseFromString(record.value)
        bodies.append(msg.WhichOneof("body"))
    assert bodies == ["order_to_book", "invoice_to_post", "invoice_to_post"]


async def _letters(
    settings: Settings, run: str, order_id: uuid.UUID, expected: int
) -> list[deadletters.DeadLetter] | None:
    letters = [
        letter
        for letter in await deadletters.dead_letters(settings, ERP_INBOUND.name)
        if run in (letter.value or b"").decode(errors="replace")
        or letter.key == str(order_id).encode()
    ]
    return letters if len(letters) >= expected else None
