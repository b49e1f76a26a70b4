"""Kafka clients with the platform's delivery settings, kept in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.structs import ConsumerRecord

from kernel.settings import Settings
from kernel.topics import TopicSpec

log = logging.getLogger(__name__)


def idempotent_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    """acks=all + idempotence: no duplicates from producer retries, order kept per partition."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30000,
    )


def consumer(settings: Settings, group_id: str, *topics: str) -> AIOKafkaConsumer:
    """Manual commits after handling; new groups start from the beginning of the topic."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )


async def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> None:
    """Create the topics that do not exist yet (partition count and replication from settings)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(s.name, settings.topic_partitions, settings.topic_replication_factor)
            for s in specs
            if s.name not in existing
        ]
        if missing:
            # Another process may create them at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


class DeadLetters:
    """Sends a rejected record, unchanged, to ``<topic>.dlq`` with the reason in headers."""

    def __init__(self, producer: AIOKafkaProducer, consumer_name: str) -> None:
        self._producer = producer
        self._consumer_name = consumer_name

    async def send(self, record: ConsumerRecord, reason: str) -> None:
        headers: Sequence[tuple[str, bytes]] = [
            *(record.headers or ()),
            ("dlq.reason", reason.encode()),
            ("dlq.consumer", self._consumer_name.encode()),
            ("dlq.source.topic", record.topic.encode()),
            ("dlq.source.partition", str(record.partition).encode()),
            ("dlq.source.offset", str(record.offset).encode()),
            ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        log.warning(
            "dead-lettered %s[%s]@%s: %s", record.topic, record.partition, record.offset, reason
        )
        await self._producer.send_and_wait(
            record.topic + ".dlq", value=record.value, key=record.key, headers=list(headers)
        )


class LazyProducer:
    """An idempotent producer started on first use (an HTTP API that only sometimes
    produces, e.g. an integration webhook, starts without needing the broker)."""

    def __init__(self, settings: Settings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = idempotent_producer(self._settings, self._client_id)
                await producer.start()
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


async def read_all(bootstrap: str, topic: str, timeout: float = 30.0) -> list[ConsumerRecord]:
    """Every record currently on a topic, partition by partition, in offset order (no
    consumer group, nothing committed): for tools and audits, not for services."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        if topic not in await reader.topics():
            return []
        # The public partitions_for_topic() only knows topics the consumer subscribed to.
        partitions = await reader._client._wait_on_metadata(topic)  # noqa: SLF001
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        reader.assign(tps)
        ends = await reader.end_offsets(tps)
        for tp, offset in (await reader.beginning_offsets(tps)).items():
            reader.seek(tp, offset)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while [tp for tp in tps if await reader.position(tp) < ends[tp]]:
            for recs in (await reader.getmany(timeout_ms=500)).values():
                records.extend(recs)
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await reader.stop()
