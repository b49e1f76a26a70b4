"""Every policy consumer of every topic survives a poison catalogue: each record is
dead-lettered with its reason under the consumer's name (the records spread over the
topic's partitions), and the consumer is still running afterwards.

(The deals policy's catalogue in tests/integration/deals/test_poison_records.py adds
contract-specific poison — times, money, payload types — and a good record after it.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from l2c.v1 import erp_pb2, telephony_pb2

from devenv.kafka import KafkaBroker
from kernel.consumer import PolicyConsumer
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS
from services.billing.application import BillingApplication
from services.billing.entrypoints.policies import follow_deals, handle_erp_inbound
from services.deals.application import DealsApplication
from services.deals.entrypoints.policies import (
    attach_conversation_to_deal,
    open_deal_when_lead_converted,
)
from services.leads.adapters.firmographics import ReferenceFileProvider
from services.leads.application import LeadsApplication
from services.leads.entrypoints.policies import (
    capture_lead_when_call_arrives,
    enrich_lead_when_captured,
)
from tests.kafka_support import eventually, produce, read_topic

# (application, its policy consumer) for every consumer of a topic
CONSUMERS: dict[str, Callable[[Settings], tuple[Any, PolicyConsumer]]] = {
    "leads-enrich": lambda s: _with(
        LeadsApplication(s), lambda a: enrich_lead_when_captured(a, ReferenceFileProvider(), s)
    ),
    "leads-calls": lambda s: _with(
        LeadsApplication(s), lambda a: capture_lead_when_call_arrives(a, s)
    ),
    "deals-open": lambda s: _with(
        DealsApplication(s), lambda a: open_deal_when_lead_converted(a, s)
    ),
    "deals-calls": lambda s: _with(
        DealsApplication(s), lambda a: attach_conversation_to_deal(a, s)
    ),
    "billing-deals": lambda s: _with(BillingApplication(s), lambda a: follow_deals(a, s)),
    "billing-erp": lambda s: _with(BillingApplication(s), lambda a: handle_erp_inbound(a, s)),
}


def _with(app: Any, policy: Callable[[Any], PolicyConsumer]) -> tuple[Any, PolicyConsumer]:
    return app, policy(app)


def poison() -> dict[str, bytes | None]:
    far = erp_pb2.ErpInboundMessage(message_id="m-far")
    far.payment_received.payment_id = "P"
    far.payment_received.invoice_id = str(uuid.uuid4())
    far.payment_received.amount.amount = "10.00"
    far.payment_received.amount.currency = "EUR"
    far.payment_received.received_at.seconds = 253402300799  # 9999-12-31
    call = telephony_pb2.TelephonyInboundMessage(message_id="t-far")
    call.inbound_call.call_id = "c"
    call.inbound_call.caller_number = "+4930123456"
    call.inbound_call.started_at.seconds = 2**40  # not a moment
    return {
        "garbage": b"\x00\xff not a message \xfe",
        "empty": b"",
        "tombstone": None,
        "an ERP message from year 9999": far.SerializeToString(),
        "a call at an impossible time": call.SerializeToString(),
        "oversized": b"\x0a" + b"\xff" * (600 * 1024),
    }


@pytest.mark.parametrize("name", sorted(CONSUMERS))
async def test_a_consumer_dead_letters_every_poison_record_and_keeps_going(
    name: str, kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, kafka_bootstrap=kafka_broker.bootstrap)
    await ensure_topics(settings, ALL_TOPICS)
    app, consumer = CONSUMERS[name](settings)
    topic = consumer.topic
    records = {**poison(), "sentinel": b"\x00 sentinel"}
    keys = {name: f"{name}-{uuid.uuid4().hex}".encode() for name in records}
    for name, value in records.items():
        await produce(kafka_broker.bootstrap, topic.name, value, key=keys[name])  # type: ignore[arg-type]

    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))

    async def dead_lettered() -> dict[bytes, str] | None:
        found = {}
        for r in await read_topic(kafka_broker.bootstrap, topic.dead_letter.name):
            headers = dict(r.headers or ())
            if r.key in keys.values() and headers.get("dlq.consumer") == consumer.name.encode():
                found[r.key] = headers["dlq.reason"].decode()
        return found if len(found) == len(keys) else None

    try:
        found = await eventually(dead_lettered, timeout=90)
        assert not task.done(), "the consumer stopped"
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
        app.close()
    assert isinstance(found, dict)
    assert all(reason for reason in found.values())
