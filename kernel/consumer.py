"""Policy consumers: read a topic, run a handler per message, never lose or repeat an effect.

* A record that does not decode (whatever the exception), or that a handler refuses with a
  domain error, goes to ``<topic>.dlq`` with the reason; the consumer carries on.
* A failure of the infrastructure (store or broker down) or a conflict is retried with
  back-off, without committing, so nothing is skipped. Any other handler failure is
  retried ``max_attempts`` times, then the record is dead-lettered with the error: one
  record can never stop a consumer.
* Handlers run inside a :class:`CommandContext` whose causation id is the message id and
  whose idempotency key is ``<policy>:<message id>``: a redelivered message finds its earlier
  result and appends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    IllegalStateError,
    KafkaError,
)
from aiokafka.structs import ConsumerRecord
from eventsourcing.persistence import InterfaceError, OperationalError
from opentelemetry.trace import SpanKind

from kernel.contracts import decode_envelope, event_time, received_at
from kernel.domain import CommandContext, command_context
from kernel.errors import ConcurrencyConflict, ContractError, DomainError
from kernel.kafka import DeadLetters, consumer, dead_letter_reason, idempotent_producer
from kernel.metrics import CONSUMER_LAG, CONSUMER_RECORDS
from kernel.settings import Settings
from kernel.telemetry import context_from_kafka_headers, current_trace_headers, tracer
from kernel.topics import TopicSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    """One decoded message, whatever its contract."""

    message_id: str
    message_type: str
    body: Any
    correlation_id: str = ""
    occurred_at: datetime | None = None
    envelope: Any = None

    def idempotency_key(self, policy: str) -> str:
        return f"{policy}:{self.message_id}"


def decode_event_record(record: ConsumerRecord) -> Inbound:
    envelope, payload = decode_envelope(record.value)
    return Inbound(
        message_id=envelope.event_id,
        message_type=envelope.event_type,
        body=payload,
        correlation_id=envelope.correlation_id,
        occurred_at=event_time(envelope.occurred_at, received_at(record)),
        envelope=envelope,
    )


# Failures of the infrastructure, not of the record: retried until they pass, never
# dead-lettered (the store or the broker comes back).
TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    OperationalError,
    InterfaceError,
    KafkaError,
)


Handler = Callable[[Inbound, str], None]
"""``handler(message, idempotency_key)``; raises DomainError to refuse the message."""


class PolicyConsumer:
    def __init__(
        self,
        name: str,
        topic: TopicSpec,
        handler: Handler,
        settings: Settings,
        decode: Callable[[ConsumerRecord], Inbound] = decode_event_record,
        max_backoff_seconds: float = 10.0,
        max_attempts: int = 3,
        reacts_to: tuple[type, ...] | None = None,
    ) -> None:
        """``reacts_to``: the payload types the handler acts on (None: every one); the
        others are passed over on the event loop, without a worker-thread hop each."""
        self.name = name
        self.topic = topic
        self.handler = handler
        self.settings = settings
        self.decode = decode
        self.max_backoff_seconds = max_backoff_seconds
        self.max_attempts = max_attempts
        self.reacts_to = reacts_to

    async def run(self, stop: asyncio.Event) -> None:
        kafka_consumer = consumer(self.settings, self.name, self.topic.name)
        producer = idempotent_producer(self.settings, client_id=f"{self.name}-dlq")
        await producer.start()
        await kafka_consumer.start()
        dead_letters = DeadLetters(producer, self.name)
        log.info("%s consuming %s", self.name, self.topic.name)
        try:
            while not stop.is_set():
                batches = await kafka_consumer.getmany(timeout_ms=300, max_records=200)
                for partition, records in batches.items():
                    done = 0
                    for record in records:
                        if not await self._process(record, dead_letters, stop):
                            break  # stopping: what is done is committed, the rest is not
                        done += 1
                    # One commit per partition and batch, after every record of it is done.
                    if done and not await self._commit(
                        kafka_consumer, partition, records[done - 1].offset + 1
                    ):
                        break
                    self._measure(kafka_consumer, partition, records, done)
                    if done < len(records):
                        return
        finally:
            await kafka_consumer.stop()
            await producer.stop()

    def _measure(self, kafka_consumer: Any, partition: Any, records: list[Any], done: int) -> None:
        CONSUMER_RECORDS.labels(self.name, partition.topic).inc(done)
        end = kafka_consumer.highwater(partition)
        if end is not None and done:
            lag = max(0, end - (records[done - 1].offset + 1))
            CONSUMER_LAG.labels(self.name, partition.topic, str(partition.partition)).set(lag)

    async def _commit(self, kafka_consumer: Any, partition: Any, offset: int) -> bool:
        """Commit ``offset`` for the partition; False when the group moved on without us."""
        try:
            await kafka_consumer.commit({partition: offset})
            return True
        except (CommitFailedError, IllegalGenerationError, IllegalStateError) as exc:
            # The group moved on without us (a rebalance, or this batch took longer than
            # the poll interval) or the partition is no longer ours (IllegalStateError):
            # whoever owns the partition now re-reads from the last commit, and the
            # idempotency keys make the repeats no-ops. Drop the rest of this poll; should
            # the partition still be ours, read on from the record after the batch.
            log.info("%s: partitions moved (%s); carrying on", self.name, exc)
            if partition in kafka_consumer.assignment():
                kafka_consumer.seek(partition, offset)
            return False

    async def _process(
        self, record: ConsumerRecord, dead: DeadLetters, stop: asyncio.Event
    ) -> bool:
        """True when the record is done with (handled, ignored or dead-lettered)."""
        parent = context_from_kafka_headers(record.headers)
        with tracer().start_as_current_span(
            f"{self.name} process", context=parent, kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.source.name", record.topic)
            try:
                message = self.decode(record)
            except Exception as exc:  # noqa: BLE001 - whatever a record holds, it cannot stop us
                await dead.send(record, f"undecodable: {dead_letter_reason(exc)}")
                return True
            span.set_attribute("l2c.message_type", message.message_type)
            if self.reacts_to is not None and not isinstance(message.body, self.reacts_to):
                return True
            trace_headers = current_trace_headers()
            # A reaction happens at the business time of the fact it reacts to (a deal
            # opens when its lead converted, also when that is replayed or migrated).
            ctx = CommandContext(
                correlation_id=message.correlation_id or message.message_id,
                causation_id=message.message_id,
                occurred_at=message.occurred_at,
                actor_id=self.name,
                actor_kind="policy",
                traceparent=trace_headers.get("traceparent", ""),
                tracestate=trace_headers.get("tracestate", ""),
            )
            backoff = 0.2
            failures = 0
            while True:
                try:
                    with command_context(ctx):
                        await asyncio.to_thread(
                            self.handler, message, message.idempotency_key(self.name)
                        )
                    return True
                except ConcurrencyConflict:
                    log.info("%s: conflict on %s, retrying", self.name, message.message_id)
                except (DomainError, ContractError) as exc:
                    await dead.send(record, f"{type(exc).__name__}: {exc}")
                    return True
                except TRANSIENT:
                    log.exception("%s failed on %s; will retry", self.name, message.message_id)
                except Exception as exc:
                    # Not the infrastructure: the record itself makes the handler fail. Retry
                    # a few times (it may be a race), then set it aside rather than stall.
                    failures += 1
                    log.exception("%s failed on %s", self.name, message.message_id)
                    if failures >= self.max_attempts:
                        await dead.send(
                            record, f"handler failed {failures} times: {dead_letter_reason(exc)}"
                        )
                        return True
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                if stop.is_set():
                    return False
                backoff = min(backoff * 2, self.max_backoff_seconds)
