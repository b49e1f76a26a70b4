"""Scale-out is normal: a second policy consumer joining and leaving the group while
records flow stops neither, and every converted lead opens exactly one deal."""

from __future__ import annotations

import asyncio

from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, LEADS
from services.deals.application import DealsApplication
from services.deals.domain.deal import Deal
from services.deals.entrypoints.policies import open_deal_when_lead_converted
from tests.integration.deals.test_open_deal_policy import converted_lead_envelope
from tests.kafka_support import eventually, produce


async def test_a_member_joining_and_leaving_the_group_loses_and_repeats_nothing(
    kafka_settings: Settings,
) -> None:
    await ensure_topics(kafka_settings, ALL_TOPICS)
    # A group of its own (a deployment name), so earlier tests' records do not count
    settings = kafka_settings.model_copy(update={"deployment": f"t{id(kafka_settings) % 10**8}"})
    app = DealsApplication(settings)
    bootstrap = settings.kafka_bootstrap
    leads = []

    async def send(count: int) -> None:
        for _ in range(count):
            lead, record, _ = converted_lead_envelope()
            leads.append(lead)
            await produce(bootstrap, LEADS.name, record, key=str(lead.id).encode())

    def opened() -> int:
        return sum(app.exists(Deal.create_id(lead.id)) for lead in leads)

    first_stop, second_stop = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(open_deal_when_lead_converted(app, settings).run(first_stop))
    await send(20)
    await eventually(lambda: opened() >= 5, timeout=60)
    # When a second member joins while records flow ...
    second = asyncio.create_task(open_deal_when_lead_converted(app, settings).run(second_stop))
    await send(20)
    await asyncio.sleep(3)
    # ... and leaves again
    second_stop.set()
    await asyncio.wait_for(second, 60)
    await send(20)
    try:
        await eventually(lambda: opened() == 60, timeout=90)
        assert not first.done(), "the first member stopped"
    finally:
        first_stop.set()
        await asyncio.wait_for(first, 60)
    # Then each lead opened one deal, once: exactly one event per deal in the store
    for lead in leads:
        history = app.history(Deal, Deal.create_id(lead.id))
        assert [type(e).__name__ for e in history] == ["Opened"]
    app.close()
