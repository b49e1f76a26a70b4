"""Calls and key events from l2c.telephony.v1 land on their deal; unmatched and malformed
messages go to the dead-letter topic with the reason; the consumer carries on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from l2c.v1 import telephony_pb2

from kernel.domain import Money
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, TELEPHONY_INBOUND
from services.deals.application import DealsApplication
from services.deals.domain.commands import AddStakeholder
from services.deals.domain.deal import Deal
from services.deals.domain.qualification import Qualification
from services.deals.entrypoints.policies import attach_conversation_to_deal
from tests.kafka_support import eventually, produce, read_topic

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


async def test_calls_and_key_events_attach_to_deals_and_the_rest_is_dead_lettered(
    kafka_settings: Settings,
) -> None:
    await ensure_topics(kafka_settings, ALL_TOPICS)
    app = DealsApplication(kafka_settings)
    run = uuid.uuid4().hex[:8]
    phone = f"+4940{int(run, 16) % 10**8:08d}"
    deal_id = uuid.UUID(
        str(
            app.open_deal_for_lead(
                lead_id=uuid.uuid4(),
                name="Line automation",
                amount=Money.of("48000", "EUR"),
                owner_id="rep-7",
                company="Acme",
                qualification=Qualification(budget="b", authority="a", need="n", timeline="t"),
            )["deal_id"]
        )
    )
    app.dispatch(
        AddStakeholder(
            deal_id=deal_id,
            stakeholder_id="coo",
            name="COO",
            level="c_level",
            department="Ops",
            role="economic_buyer",
            attitude="neutral",
            phone=phone,
        )
    )
    key = run.encode()

    async def send(body: bytes) -> None:
        await produce(kafka_settings.kafka_bootstrap, TELEPHONY_INBOUND.name, body, key=key)

    def message(mid: str, **body: object) -> bytes:
        return telephony_pb2.TelephonyInboundMessage(
            message_id=f"{run}-{mid}", **body
        ).SerializeToString()

    await send(b"\xff\xfe garbage")
    await send(
        message(
            "1",
            call_recorded=telephony_pb2.CallRecorded(
                call_id=f"{run}-c1",
                contact_number=phone.replace("+49", "0049 "),
                rep_id="rep-7",
                started_at=ts(AT),
                duration_seconds=540,
                rep_talk_ratio=0.38,
            ),
        )
    )
    await send(
        message(
            "2",
            key_event_detected=telephony_pb2.KeyEventDetected(
                detection_id=f"{run}-k1",
                call_id=f"{run}-c1",
                deal_id=str(deal_id),
                kind="customer_approval",
                at=ts(AT),
                confidence=0.91,
            ),
        )
    )
    await send(
        message(
            "3",
            call_recorded=telephony_pb2.CallRecorded(
                call_id=f"{run}-c2", contact_number="+1 555 0100 999", started_at=ts(AT)
            ),
        )
    )
    await send(
        message(
            "4",
            call_recorded=telephony_pb2.CallRecorded(
                call_id=f"{run}-c3", deal_id=str(deal_id), started_at=ts(AT), rep_talk_ratio=1.7
            ),
        )
    )

    stop = asyncio.Event()
    task = asyncio.create_task(attach_conversation_to_deal(app, kafka_settings).run(stop))
    try:
        await eventually(lambda: "customer_approval" in app.get_deal(deal_id).key_events)
        dead = await eventually(lambda: _dead(kafka_settings, key, 3))
    finally:
        stop.set()
        await task

    deal = app.get_deal(deal_id)
    assert deal.activities == 1
    call = [e for e in app.history(Deal, deal_id) if type(e).__name__ == "ActivityLogged"][0]
    assert (call.kind, call.duration_seconds, call.rep_talk_ratio, call.source) == (
        "call",
        540,
        0.38,
        "telephony",
    )
    assert deal.stakeholders["coo"]["contacted"] is False  # a number is not a person
    reasons = sorted(dict(r.headers)["dlq.reason"].decode() for r in dead)
    assert reasons[0].startswith("NotFound: no deal has a stakeholder with number +15550100999")
    assert "rep_talk_ratio 1.7" in reasons[1]
    assert reasons[2].startswith("undecodable:")


async def _dead(settings: Settings, key: bytes, expected: int) -> list | None:  # type: ignore[type-arg]
    records = await read_topic(settings.kafka_bootstrap, TELEPHONY_INBOUND.dead_letter.name)
    mine = [r for r in records if r.key == key]
    return mine if len(mine) >= expected else None
