"""No record stops a consumer: a catalogue of poison records on l2c.leads.v1, each
dead-lettered with its reason, and the good record sent after them still opens its deal."""

from __future__ import annotations

import asyncio
import uuid

from google.protobuf import any_pb2
from l2c.v1 import envelope_pb2, erp_pb2, leads_pb2

from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, LEADS
from services.deals.application import DealsApplication
from services.deals.domain.deal import Deal
from services.deals.entrypoints.policies import open_deal_when_lead_converted
from tests.integration.deals.test_open_deal_policy import converted_lead_envelope
from tests.kafka_support import eventually, produce, read_topic


def variant(record: bytes, change: object) -> bytes:
    envelope = envelope_pb2.EventEnvelope()
    envelope.ParseFromString(record)
    envelope.event_id = str(uuid.uuid4())
    change(envelope)  # type: ignore[operator]
    return envelope.SerializeToString()


def with_payload(envelope: envelope_pb2.EventEnvelope, payload: object) -> None:
    packed = any_pb2.Any()
    packed.Pack(payload)  # type: ignore[arg-type]
    envelope.payload.CopyFrom(packed)


def poison_catalogue(record: bytes) -> dict[str, bytes | None]:
    def far_future(e: envelope_pb2.EventEnvelope) -> None:
        e.occurred_at.seconds = 253402300799  # 9999-12-31T23:59:59Z: valid, implausible

    def beyond_9999(e: envelope_pb2.EventEnvelope) -> None:
        e.occurred_at.seconds = 2**40  # not a moment Python can hold

    def before_floor(e: envelope_pb2.EventEnvelope) -> None:
        e.occurred_at.seconds = 0  # 1970

    def unknown_type(e: envelope_pb2.EventEnvelope) -> None:
        e.payload.type_url = "type.googleapis.com/l2c.v1.NoSuchEvent"

    def bad_amount(e: envelope_pb2.EventEnvelope) -> None:
        converted = leads_pb2.LeadConverted()
        e.payload.Unpack(converted)
        converted.expected_amount.amount = "abc"
        with_payload(e, converted)

    def huge_amount(e: envelope_pb2.EventEnvelope) -> None:
        converted = leads_pb2.LeadConverted()
        e.payload.Unpack(converted)
        converted.expected_amount.amount = "1e999999"
        with_payload(e, converted)

    wrong_message = erp_pb2.ErpInboundMessage(message_id="m-1").SerializeToString()
    return {
        "garbage": b"\x00\xff garbage bytes \xfe",
        "empty": b"",
        "tombstone": None,
        "wrong message type": wrong_message,
        "far-future time": variant(record, far_future),
        "time beyond year 9999": variant(record, beyond_9999),
        "time before the floor": variant(record, before_floor),
        "unknown payload type": variant(record, unknown_type),
        "amount not a number": variant(record, bad_amount),
        "amount out of range": variant(record, huge_amount),
        "oversized": b"\x0a" + b"\xff" * (600 * 1024),
    }


async def test_every_poison_record_is_dead_lettered_and_good_ones_still_count(
    kafka_settings: Settings,
) -> None:
    await ensure_topics(kafka_settings, ALL_TOPICS)
    app = DealsApplication(kafka_settings)
    bootstrap = kafka_settings.kafka_bootstrap
    _, template, _ = converted_lead_envelope()
    poison = poison_catalogue(template)
    keys = {name: f"poison-{uuid.uuid4().hex}".encode() for name in poison}
    for name, value in poison.items():
        await produce(bootstrap, LEADS.name, value, key=keys[name])  # type: ignore[arg-type]
    lead, good, _ = converted_lead_envelope()  # sent after all the poison
    await produce(bootstrap, LEADS.name, good, key=str(lead.id).encode())

    stop = asyncio.Event()
    task = asyncio.create_task(open_deal_when_lead_converted(app, kafka_settings).run(stop))
    try:
        await eventually(lambda: app.exists(Deal.create_id(lead.id)), timeout=60)

        async def all_dead() -> dict[bytes, str] | None:
            found = {
                r.key: dict(r.headers)["dlq.reason"].decode()
                for r in await read_topic(bootstrap, LEADS.dead_letter.name)
                if r.key in keys.values()
            }
            return found if len(found) == len(keys) else None

        reasons = await eventually(all_dead, timeout=60)
        assert not task.done(), "the consumer stopped"
    finally:
        stop.set()
        await task
        app.close()
    assert isinstance(reasons, dict)
    by_name = {name: reasons[key] for name, key in keys.items()}
    for name, reason in by_name.items():
        assert reason, name
    assert "after the record was received" in by_name["far-future time"]
    assert "not a valid moment" in by_name["time beyond year 9999"]
    assert "before 2000-01-01" in by_name["time before the floor"]
    assert "NoSuchEvent" in by_name["unknown payload type"]
    assert "invalid money" in by_name["amount not a number"]
    assert "invalid money" in by_name["amount out of range"]
