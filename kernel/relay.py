"""The relay: publishes a service's stored events to its topic, in store order, resumably.

* Reads the store's notification log after the last published position.
* Sends each event as the record its contracts make (an :class:`EventEnvelope` keyed by
  aggregate id on an event topic; an integration's own message on e.g. the ERP's outbound
  topic) with the idempotent producer, then waits for every acknowledgement of the batch.
* Only then records the new position (a tracking record in the service's own database).

A crash between sending and recording republishes the tail of the batch: delivery is
at-least-once and never skips; consumers drop the repeats by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import (
    InfrastructureFactory,
    Notification,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, resolve_topic
from opentelemetry.trace import SpanKind

from kernel import audit, registry
from kernel.contracts import Outbound, event_record_headers
from kernel.kafka import idempotent_producer
from kernel.metrics import RELAY_BACKLOG, RELAY_PUBLISHED
from kernel.settings import Settings, audit_key_path
from kernel.store import ServiceApplication
from kernel.telemetry import context_from_carrier, current_trace_headers, tracer
from kernel.topics import AUDIT, TopicSpec

log = logging.getLogger(__name__)


def position_recorder(app: ServiceApplication, settings: Settings) -> TrackingRecorder:
    """Where the relay keeps its position: the service's own database when it has a
    tracking table (SQLite, PostgreSQL), else a SQLite file beside the data (KurrentDB)."""
    try:
        return app.factory.tracking_recorder()
    except (NotImplementedError, AttributeError, TypeError):
        path = Path(settings.data_dir) / f"{app.name}-relay-position.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        env = Environment(
            app.name, {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        )
        return InfrastructureFactory.construct(env).tracking_recorder()


def open_seal(service: str, recorder: Any, settings: Settings) -> audit.Seal | None:
    """The audit seal of a service's store, signing with the settings' key; None for a
    store it does not seal (KurrentDB)."""
    try:
        key = audit.signing_key(audit_key_path(settings))
        return audit.Seal(service, recorder, key, settings.audit_checkpoint_every)
    except audit.NotSealable as exc:
        log.info("%s: %s", service, exc)
        return None


SEAL_GAP_SECONDS = 0.5  # between two sealing rounds
SEAL_IDLE_SECONDS = 5.0  # a sealing round without anything published (a safety net)


async def _first_of(a: asyncio.Event, b: asyncio.Event, timeout: float) -> None:
    """Return when either event is set or ``timeout`` seconds have passed."""
    waits = {asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())}
    _, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for waiting in pending:
        waiting.cancel()


class RelayStalled(Exception):
    """The relay has a backlog and has not moved for longer than allowed."""


class Relay:
    def __init__(
        self,
        app: ServiceApplication,
        contracts: Outbound,
        topic: TopicSpec,
        settings: Settings,
        seals: bool = True,
    ) -> None:
        """``seals``: this relay also keeps the store's audit chain (one relay per store
        needs to; a second one on the same store passes False)."""
        self.app = app
        self.contracts = contracts
        self.topic = topic
        self.settings = settings
        self.name = f"relay:{topic.name}"
        self._positions = position_recorder(app, settings)
        app.published_by(contracts)
        # When the relay last moved (or found nothing to move): a backlog that does not
        # shrink for relay_stall_seconds makes the service not ready.
        self._progressed_at = time.monotonic()
        self._last_error = ""
        self.seal = open_seal(app.name, app.recorder, settings) if seals else None
        self._frame = registry.Framer(settings, topic.name, topic.value)

    def position(self) -> int:
        """Store position of the last event known to be on the topic (0: none yet)."""
        return self._positions.max_tracking_id(self.name) or 0

    def readiness(self) -> dict[str, Any]:
        """Facts for the service's readiness probe (raises when the store is unreachable)."""
        recorded = self.app.recorder.max_notification_id() or 0
        position = self.position()
        backlog = max(0, recorded - position)
        stalled = time.monotonic() - self._progressed_at
        if backlog and stalled > self.settings.relay_stall_seconds:
            raise RelayStalled(
                f"{self.name} has not published for {stalled:.0f}s with {backlog} events "
                f"waiting after store position {position}: {self._last_error or 'no error'}"
            )
        return {"store_position": recorded, "relay_position": position, "relay_backlog": backlog}

    def backlog(self, position: int | None = None) -> int:
        """Events recorded but not yet published (relay lag, for metrics and probes), after
        ``position`` (default: the recorded one)."""
        reached = self.position() if position is None else position
        return max(0, (self.app.recorder.max_notification_id() or 0) - reached)

    async def run(self, stop: asyncio.Event) -> None:
        producer = idempotent_producer(self.settings, client_id=self.name)
        await producer.start()
        log.info("%s starting after position %s", self.name, self.position())
        # Commits of this process wake the relay at once; the poll finds what other
        # processes on the same store commit.
        loop, committed = asyncio.get_running_loop(), asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(committed.set)

        stop_listening = self.app.on_commit(wake)
        # Sealing runs beside publishing, woken after each batch: it never holds it up.
        published_some = asyncio.Event()
        sealing = asyncio.create_task(self._seal_loop(producer, stop, published_some))
        try:
            while not stop.is_set():
                committed.clear()
                try:
                    published = await self._unless_stopped(self.publish_next_batch(producer), stop)
                    if published is None:
                        break  # stopping: the unrecorded tail is sent again next time
                    self._progressed_at, self._last_error = time.monotonic(), ""
                    if published:
                        published_some.set()
                except Exception as exc:
                    self._last_error = f"{type(exc).__name__}: {exc}"
                    log.exception(
                        "%s failed after store position %s; retrying from there",
                        self.name,
                        self.position(),
                    )
                    published = 0
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), 2.0)
                if published < self.settings.relay_batch_size:
                    # Drained when it was read: wait for a commit (one made meanwhile has
                    # already set the event) or the poll.
                    await _first_of(stop, committed, self.settings.relay_poll_seconds)
        finally:
            stop_listening()
            sealing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sealing
            await producer.stop()

    async def _seal_loop(
        self, producer: AIOKafkaProducer, stop: asyncio.Event, published: asyncio.Event
    ) -> None:
        """Chain what was stored since the last seal and copy new signed checkpoints to
        the audit topic (see ``kernel.audit``), at start and after each published batch.
        A failure is logged and tried again at the next wake."""
        if self.seal is None:
            return
        while not stop.is_set():
            try:
                while await asyncio.to_thread(self.seal.extend):
                    pass
                await asyncio.wait_for(self._publish_checkpoints(producer), 30)
            except Exception:
                log.exception("%s: sealing the store for audit failed", self.app.name)
            # Woken by what the relay published (everything stored is published), at most
            # about twice a second: audit checkpoints need not follow every batch.
            await _first_of(stop, published, SEAL_IDLE_SECONDS)
            published.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), SEAL_GAP_SECONDS)

    async def _publish_checkpoints(self, producer: AIOKafkaProducer) -> None:
        """Copy the signed checkpoints to the audit topic (at least once: a copy sent
        twice is the same record)."""
        assert self.seal is not None
        unpublished = await asyncio.to_thread(self.seal.unpublished)
        for checkpoint in unpublished:
            key, value = audit.checkpoint_record(checkpoint)
            await producer.send_and_wait(AUDIT.name, value=value, key=key)
        if unpublished:
            await asyncio.to_thread(self.seal.mark_published, [c.position for c in unpublished])

    @staticmethod
    async def _unless_stopped(work: Coroutine[Any, Any, int], stop: asyncio.Event) -> int | None:
        """The batch's result, or None when ``stop`` came first (a send that waits on an
        unreachable broker must not hold up shutdown; the position was not recorded)."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None

    async def publish_next_batch(self, producer: AIOKafkaProducer) -> int:
        """Publish up to one batch; returns how many store records it moved past."""
        await self._frame.ready()  # with a schema registry: the value schema registered
        notifications = await asyncio.to_thread(self._unpublished)
        if not notifications:
            return 0
        acks = []
        for notification in notifications:
            # Bookkeeping (idempotency records, ...) is never published: not decoded.
            if not self.contracts.publishes(resolve_topic(notification.topic)):
                continue
            domain_event = self.app.sealed_mapper.to_domain_event(notification)  # sealed
            record = self.contracts.outbound(domain_event, notification.id)
            if record is None:
                continue
            parent = context_from_carrier(
                {"traceparent": record.traceparent, "tracestate": record.tracestate}
                if record.traceparent
                else {}
            )
            with tracer().start_as_current_span(
                f"publish {self.topic.name}", context=parent, kind=SpanKind.PRODUCER
            ) as span:
                span.set_attribute("messaging.destination.name", self.topic.name)
                span.set_attribute("l2c.event_type", record.event_type)
                span.set_attribute("l2c.event_id", record.event_id)
                headers = event_record_headers(
                    record.event_id, record.event_type, current_trace_headers(), record.content_type
                )
                acks.append(
                    await producer.send(
                        self.topic.name,
                        value=self._frame(record.value),
                        key=record.key,
                        headers=headers,
                    )
                )
        await asyncio.gather(*acks)
        backlog = await asyncio.to_thread(self._published_up_to, notifications[-1].id)
        RELAY_PUBLISHED.labels(self.app.name, self.topic.name).inc(len(acks))
        RELAY_BACKLOG.labels(self.app.name, self.topic.name).set(backlog)
        return len(notifications)

    # The store work of a batch is done in two thread hops, one before sending and one
    # after: each hop hands the GIL over, and on a busy process that costs more than the
    # queries do.

    def _unpublished(self) -> list[Notification]:
        return list(
            self.app.recorder.select_notifications(
                self.position() + 1, self.settings.relay_batch_size
            )
        )

    def _published_up_to(self, last: int) -> int:
        """Record the position; the backlog left after it."""
        self._positions.insert_tracking(Tracking(self.name, last))
        return self.backlog(last)
