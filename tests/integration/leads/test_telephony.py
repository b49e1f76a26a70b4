"""Inbound calls on l2c.telephony.v1: new callers become leads, known callers engage, bad
messages are dead-lettered with the reason and the consumer carries on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from l2c.v1 import telephony_pb2

from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, TELEPHONY_INBOUND
from services.leads.application import LeadsApplication
from services.leads.domain.lead import Lead
from services.leads.entrypoints.policies import capture_lead_when_call_arrives
from tests.kafka_support import eventually, produce, read_topic

RANG_AT = datetime(2026, 11, 20, 15, 4, tzinfo=UTC)


def call(
    message_id: str,
    call_id: str,
    number: str,
    *,
    name: str = "",
    campaign: str = "",
    answered: bool = True,
) -> bytes:
    started = Timestamp()
    started.FromDatetime(RANG_AT)
    return telephony_pb2.TelephonyInboundMessage(
        message_id=message_id,
        inbound_call=telephony_pb2.InboundCall(
            call_id=call_id,
            caller_number=number,
            caller_name=name,
            campaign_id=campaign,
            started_at=started,
            answered=answered,
            duration_seconds=120,
        ),
    ).SerializeToString()


async def test_inbound_calls_capture_new_callers_engage_known_ones_and_dead_letter_bad_ones(
    kafka_settings: Settings,
) -> None:
    await ensure_topics(kafka_settings, ALL_TOPICS)
    app = LeadsApplication(kafka_settings)
    run = uuid.uuid4().hex[:8]
    number = f"+4930{int(run, 16) % 10**8:08d}"
    key = number.encode()

    async def send(value: bytes) -> None:
        await produce(kafka_settings.kafka_bootstrap, TELEPHONY_INBOUND.name, value, key=key)

    await send(b"\x12\x34 not a call")
    await send(call(f"{run}-0", f"{run}-c0", "12"))  # no usable caller number
    await send(call(f"{run}-1", f"{run}-c1", number, name="Mei Chen"))
    await send(call(f"{run}-1", f"{run}-c1", number, name="Mei Chen"))  # delivered twice
    await send(call(f"{run}-2", f"{run}-c2", number, answered=False))
    await send(call(f"{run}-3", f"{run}-c3", number))  # she calls back: engagement
    await send(call(f"{run}-4", f"{run}-c4", number + "1", campaign="no-such-campaign"))

    stop = asyncio.Event()
    task = asyncio.create_task(capture_lead_when_call_arrives(app, kafka_settings).run(stop))
    try:
        lead_id = await eventually(lambda: app._lead_with_phone(number))
        await eventually(lambda: len(app.get_lead(lead_id).engagements) == 2)
        dead = await eventually(lambda: _dead(kafka_settings, key, 3))
    finally:
        stop.set()
        await task

    lead = app.get_lead(lead_id)
    assert (lead.full_name, lead.source, lead.external_ref) == (
        "Mei Chen",
        "inbound_call",
        f"call:{run}-c1",
    )
    assert [(k, at, ref) for k, at, ref in lead.engagements] == [
        ("call_answered", RANG_AT, f"call:{run}-c1"),
        ("call_answered", RANG_AT, f"call:{run}-c3"),
    ]
    captured = [e for e in app.history(Lead, lead_id) if type(e).__name__ == "Captured"][0]
    assert captured.metadata["occurred_at"] == RANG_AT.isoformat()
    reasons = sorted(dict(r.headers)["dlq.reason"].decode() for r in dead)
    assert reasons[0].startswith("InvalidCommand: unknown campaign 'no-such-campaign'")
    assert "no usable caller number" in reasons[1]
    assert reasons[2].startswith("undecodable:")


async def _dead(settings: Settings, key: bytes, expected: int) -> list | None:  # type: ignore[type-arg]
    records = await read_topic(settings.kafka_bootstrap, TELEPHONY_INBOUND.dead_letter.name)
    mine = [r for r in records if r.key == key or r.key == key + b"1"]
    return mine if len(mine) >= expected else None
