"""The deals service opens a deal from LeadConverted on the real topic, once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from prometheus_client import REGISTRY

from kernel.contracts import decode_envelope
from kernel.domain import CommandContext, Money, command_context
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, LEADS
from services.deals.application import DealsApplication
from services.deals.domain.deal import Deal
from services.deals.entrypoints.policies import open_deal_when_lead_converted
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.domain.lead import Contact, Lead
from tests.kafka_support import eventually, produce, read_topic

BANT_OK = {"budget": "approved", "authority": "COO", "need": "downtime", "timeline": "Q3"}


def converted_lead_envelope() -> tuple[Lead, bytes, str]:
    with command_context(CommandContext(correlation_id=f"corr-{uuid.uuid4()}")):
        lead = Lead.capture(
            Contact("Ann", email="ann@example.com", company="Acme"), "web_form", "expo"
        )
        lead.qualify_as_mql("")
        lead.route_to("key-accounts", "rep-7", "rule", datetime.now(UTC) + timedelta(hours=1))
        lead.accept_as_sql("")
        lead.convert("Line automation", Money(Decimal("48000.00"), "EUR"), "rep-7", BANT_OK)
    converted = lead.collect_events()[-1]
    envelope = LEAD_CONTRACTS.envelope(converted, position=4)
    assert envelope is not None
    return lead, envelope.SerializeToString(), envelope.correlation_id


async def test_a_converted_lead_opens_one_deal_even_when_the_event_arrives_twice(
    kafka_settings: Settings,
) -> None:
    await ensure_topics(kafka_settings, ALL_TOPICS)
    app = DealsApplication(kafka_settings)
    lead, record, correlation_id = converted_lead_envelope()
    garbage_key = uuid.uuid4().hex.encode()
    bootstrap = kafka_settings.kafka_bootstrap
    await produce(bootstrap, LEADS.name, record, key=str(lead.id).encode())
    await produce(bootstrap, LEADS.name, b"\x00not an envelope", key=garbage_key)
    await produce(bootstrap, LEADS.name, record, key=str(lead.id).encode())  # redelivery

    labels = {
        "consumer": "deals.open-deal-when-lead-converted",
        "topic": LEADS.name,
        "reason": "undecodable",
    }
    # The session's broker is shared: other tests' garbage on l2c.leads.v1 is read (and
    # dead-lettered) by this consumer too, so the counter is held to the dead letters it
    # wrote in this run, and those must hold the garbage and never the lead's event.
    before = REGISTRY.get_sample_value("l2c_dead_letters_total", labels) or 0.0
    written_before = len(await _ours(bootstrap))
    stop = asyncio.Event()
    task = asyncio.create_task(open_deal_when_lead_converted(app, kafka_settings).run(stop))
    try:
        deal_id = Deal.create_id(lead.id)
        await eventually(lambda: app.exists(deal_id))
        dead = await eventually(lambda: _dead_letters(bootstrap, garbage_key))
    finally:
        stop.set()
        await task

    deal = app.get_deal(deal_id)
    assert (deal.stage, deal.amount, deal.company, deal.team) == (
        "contact",
        Money(Decimal("48000.00"), "EUR"),
        "Acme",
        "key-accounts",  # the lead's team travels with the conversion (managers' scope)
    )
    history = app.history(Deal, deal_id)
    assert len(history) == 1
    opened = history[0].metadata
    assert opened["correlation_id"] == correlation_id
    assert opened["actor_kind"] == "policy"
    assert opened["causation_id"] == decode_envelope(record)[0].event_id
    ours = [r.key for r in await _ours(bootstrap)]
    assert ours.count(garbage_key) == 1
    assert str(lead.id).encode() not in ours  # neither delivery of the event is a dead letter
    written = len(ours) - written_before
    assert REGISTRY.get_sample_value("l2c_dead_letters_total", labels) == before + written
    headers = dict(dead[0].headers)
    assert headers["dlq.reason"].decode().startswith("undecodable:")
    assert headers["dlq.consumer"] == b"deals.open-deal-when-lead-converted"


async def _ours(bootstrap: str) -> list:  # type: ignore[type-arg]
    """Every dead letter this policy has written on the session's broker."""
    return [
        r
        for r in await read_topic(bootstrap, LEADS.dead_letter.name)
        if dict(r.headers)["dlq.consumer"] == b"deals.open-deal-when-lead-converted"
    ]


async def _dead_letters(bootstrap: str, key: bytes) -> list:  # type: ignore[type-arg]
    return [r for r in await read_topic(bootstrap, LEADS.dead_letter.name) if r.key == key]
