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

Build = Callable[[Settings], tuple[Any, PolicyConsumer]]


def _leads_enrich(s: Settings) -> tuple[Any, PolicyConsumer]:
    app = LeadsApplication(s)
    return app, enrich_lead_when_captured(app, ReferenceFileProvider(), s)


def _leads_calls(s: Settings) -> tuple[Any, PolicyConsumer]:
    app = LeadsApplication(s)
    return app, capture_lead_when_call_arrives(app, s)


def _deals_open(s: Settings) -> tuple[Any, PolicyConsumer]:
    app = DealsApplication(s)
    return app, open_deal_when_lead_converted(app, s)


def _deals_calls(s: Settings) -> tuple[Any, PolicyConsumer]:
    app = DealsApplication(s)
    return app, attach_conversation_to_deal(app, s)


def _billing_deals(s: Settings) -> tuple[Any, PolicyConsumer]:
    app = BillingApplication(s)
    return app, follow_deals(app, s)


def _billing_erp(s: Settings) -> tuple[Any, PolicyConsumer]:
    app = BillingApplication(s)
    return app, handle_erp_inbound(app, s)


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


@pytest.mark.parametrize(
    "build",
    [_leads_enrich, _leads_calls, _deals_open, _deals_calls, _billing_deals, _billing_erp],
    ids=lambda b: b.__name__.strip("_"),
)
async def test_a_consumer_dead_letters_every_poison_record_and_keeps_going(
    build: Build, kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, kafka_bootstrap=kafka_broker.bootstrap)
    await ensure_topics(settings, ALL_TOPICS)
    app, consumer = build(settings)
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
