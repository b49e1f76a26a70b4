"""Erasing a stakeholder as a person: their name and phone (and the notes on their
changes) are nowhere afterwards — store, topic, answers — while the deal keeps its
decision map, replays, and verifies; the number no longer leads telephony to the deal,
another stakeholder's still does."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kernel import audit
from kernel.domain import ERASED
from kernel.errors import NotFound
from kernel.kafka import ensure_topics
from kernel.relay import Relay
from kernel.settings import Settings, audit_key_path
from kernel.topics import AUDIT, TopicSpec
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.application import DealsApplication
from services.deals.domain.deal import Deal
from services.deals.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer
from tests.integration.deals.test_processes_api import open_deal
from tests.integration.leads.test_erasure import raw_store
from tests.kafka_support import eventually, read_topic

TRACES = (b"Zelda", b"zelda", b"5550199", b"Quintrell")
ZELDA = {
    "stakeholder_id": "plant-head",
    "name": "Zelda Quintrell",
    "level": "director",
    "role": "economic_buyer",
    "phone": "+49 170 5550199",
}
OTTO = {**ZELDA, "stakeholder_id": "cfo", "name": "Otto Brenner", "phone": "+49 170 5550123"}


def test_an_erased_stakeholder_is_nowhere_and_the_deal_still_works(
    kafka_settings: Settings,
) -> None:
    asyncio.run(_scenario(kafka_settings))


async def _scenario(settings: Settings) -> None:
    topic = TopicSpec(f"test.deals.{uuid.uuid4().hex[:8]}", "deal id", "l2c.v1.EventEnvelope", "")
    await ensure_topics(settings, [topic, AUDIT])
    app = DealsApplication(settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    for person in (ZELDA, OTTO):
        added = http.post(f"/deals/{deal}/stakeholders", json=person)
        assert added.status_code == 201, added.text
    changed = http.patch(
        f"/deals/{deal}/stakeholders/plant-head",
        json={"attitude": "supporter", "note": "Zelda Quintrell now backs us"},
    )
    assert changed.status_code == 200, changed.text
    assert app.deal_for_contact("+49 170 5550199") == uuid.UUID(deal)

    relay = Relay(app, DEAL_CONTRACTS, topic, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await eventually(lambda: relay.backlog() == 0)

    url = f"/deals/{deal}/stakeholders/plant-head/erasure"
    refused = http.post(url, json={"reason": "x"}, headers=bearer("rep-7", ["rep"]))
    assert refused.status_code == 403, refused.text
    erased = http.post(url, json={"reason": "GDPR art. 17 request 4712"})
    assert erased.status_code == 200, erased.text
    await eventually(lambda: relay.backlog() == 0)
    seal = relay.seal
    assert seal is not None
    await eventually(lambda: seal.last()[0] == app.recorder.max_notification_id())
    stop.set()
    await task

    answers = [
        http.get(f"/deals/{deal}"),
        http.get(f"/deals/{deal}/decision-map"),
        http.get(f"/deals/{deal}/history"),
        http.get(f"/deals/{deal}/history", headers={"Accept": "text/csv"}),
        http.get(f"/deals/{deal}/events"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert all(trace not in answer.content for trace in TRACES), answer.text[:2000]

    assert b"Otto Brenner" in answers[1].content  # the others on the map are still named
    published = b"".join(r.value for r in await read_topic(settings.kafka_bootstrap, topic.name))
    assert all(trace not in published for trace in TRACES)
    assert b"Otto" not in published  # sealed, not erased
    assert b"DealStakeholderErased" in published
    stored = raw_store(settings, app)  # type: ignore[arg-type]
    assert b"Line automation" in stored
    assert all(trace not in stored for trace in TRACES)

    replayed: Deal = DealsApplication(settings).repository.get(uuid.UUID(deal))
    kept = replayed.stakeholders["plant-head"]
    assert (kept["name"], kept["phone"], kept["role"]) == (ERASED, ERASED, "economic_buyer")
    assert replayed.stakeholders["cfo"]["name"] == "Otto Brenner"
    public = audit.load_public_key(audit.public_path(audit_key_path(settings)))
    report = audit.verify("deals", app.recorder, [public])
    assert report.ok and report.chained == report.events, report.summary()

    with pytest.raises(NotFound):
        app.deal_for_contact("+49 170 5550199")
    assert app.deal_for_contact("+49 170 5550123") == uuid.UUID(deal)
