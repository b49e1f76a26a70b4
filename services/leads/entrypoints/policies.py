"""Kafka policies of the leads service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from l2c.v1 import leads_pb2

from kernel.consumer import Inbound, PolicyConsumer
from kernel.domain import utcnow
from kernel.settings import Settings
from kernel.topics import LEADS
from services.leads.application import FirmographicsProvider, LeadsApplication

log = logging.getLogger(__name__)


def enrich_lead_when_captured(
    app: LeadsApplication,
    provider: FirmographicsProvider,
    settings: Settings,
    attempts: int = 3,
    backoff_seconds: float = 0.5,
) -> PolicyConsumer:
    """Asynchronous enrichment: the lead is usable at once; its firmographics (or the reason
    there are none) arrive as events a moment later, and the lead is scored then."""

    def handle(message: Inbound, idempotency_key: str) -> None:
        if not isinstance(message.body, leads_pb2.LeadCaptured):
            return
        app.enrich_from(
            uuid.UUID(message.body.lead_id),
            provider,
            as_of=message.occurred_at or utcnow(),
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            idempotency_key=idempotency_key,
        )

    return PolicyConsumer("leads.enrich-lead-when-captured", LEADS, handle, settings)


def watch_speed_to_lead(
    app: LeadsApplication, every_seconds: float = 30.0
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """The speed-to-lead clock: a periodic tick that records each missed first-touch
    deadline as an event dated at the deadline (so replays agree)."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                missed = await asyncio.to_thread(app.flag_missed_deadlines, utcnow())
                if missed:
                    log.info("speed to lead missed for %d leads", len(missed))
            except Exception:
                log.exception("speed-to-lead tick failed; next tick retries")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), every_seconds)

    return run
