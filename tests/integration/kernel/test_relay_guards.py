"""A stored event always publishes: commands whose events cannot be encoded or would not
fit in a Kafka record are refused (422) before anything is stored, and a relay that
cannot publish makes the service not ready instead of stalling silently."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import pytest

from kernel.errors import InvalidCommand
from kernel.http import add_readiness
from kernel.relay import Relay
from kernel.settings import Settings
from kernel.topics import TopicSpec
from services.deals.__main__ import build
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.application import DealsApplication
from services.deals.domain.commands import LogActivity
from tests.auth_support import TestClient
from tests.integration.deals.test_processes_api import open_deal


def test_an_activity_whose_duration_cannot_be_encoded_is_refused_and_not_stored(
    store_settings: Settings,
) -> None:
    parts = build(store_settings)
    assert parts.api is not None
    http = TestClient(parts.api)
    app = _app_of(parts)
    try:
        deal_id = open_deal(app)
        before = app.recorder.max_notification_id()
        # At the edge: the schema's bound is the contract's (uint32) ...
        answer = http.post(
            f"/deals/{deal_id}/activities",
            json={"kind": "call", "at": "2026-11-20T10:00:00Z", "duration_seconds": 2**40},
        )
        assert answer.status_code == 422, answer.text
        # ... and a use case called any other way meets the encode check before the append
        with pytest.raises(InvalidCommand, match="cannot be published"):
            # Past the command's own validation (model_construct), as a bug could be.
            app.dispatch(
                LogActivity.model_construct(
                    deal_id=uuid.UUID(deal_id),
                    kind="call",
                    at=datetime(2026, 11, 20, 10, tzinfo=UTC),
                    duration_seconds=2**40,
                )
            )
        assert app.recorder.max_notification_id() == before  # nothing half-written
        ok = http.post(
            f"/deals/{deal_id}/activities",
            json={"kind": "call", "at": "2026-11-20T10:00:00Z", "duration_seconds": 600},
        )
        assert ok.status_code in (200, 201), ok.text
    finally:
        app.close()


def test_an_event_larger_than_a_kafka_record_allows_is_refused(store_settings: Settings) -> None:
    settings = store_settings.model_copy(update={"max_event_bytes": 64 * 1024})
    parts = build(settings)
    assert parts.api is not None
    http = TestClient(parts.api)
    app = _app_of(parts)
    try:
        deal_id = open_deal(app)
        before = app.recorder.max_notification_id()
        answer = http.put(f"/deals/{deal_id}/meddic", json={"metrics": "x" * (100 * 1024)})
        assert answer.status_code == 422, answer.text
        assert app.recorder.max_notification_id() == before
    finally:
        app.close()


def test_a_relay_that_cannot_publish_makes_the_service_not_ready(
    kafka_settings: Settings,
) -> None:
    # Given a relay whose topic the broker refuses (an invalid topic name)
    settings = kafka_settings.model_copy(update={"relay_stall_seconds": 1.0})
    app = DealsApplication(settings)
    relay = Relay(app, DEAL_CONTRACTS, TopicSpec("not a valid topic!", "", "", ""), settings)
    api = TestClient(_readiness_api(relay))
    assert api.get("/readyz").status_code == 200
    open_deal(app)

    async def run_for(seconds: float) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.wait_for(task, 30)

    # When it has tried for longer than relay_stall_seconds
    began = time.monotonic()
    asyncio.run(run_for(3.0))
    assert time.monotonic() - began >= 3.0
    # Then /readyz says not ready, naming the relay and the backlog
    probe = api.get("/readyz")
    app.close()
    assert probe.status_code == 503, probe.text
    assert "has not published" in probe.json()["message"]


def _app_of(parts: object) -> DealsApplication:
    """The application behind a built service (its relay holds it)."""
    relay_run = parts.relays[0]  # type: ignore[attr-defined]
    relay: Relay = relay_run.__self__
    app = relay.app
    assert isinstance(app, DealsApplication)
    return app


def _readiness_api(relay: Relay) -> object:
    from kernel.http import create_api

    api = create_api("t", "t")
    add_readiness(api, relay.readiness)
    return api
