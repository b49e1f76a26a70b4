"""Kafka clients with the platform's delivery settings, kept in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context
from aiokafka.partitioner import DefaultPartitioner, murmur2
from aiokafka.structs import ConsumerRecord

from kernel.errors import ContractError
from kernel.metrics import DEAD_LETTERS, reason_kind
from kernel.settings import Settings
from kernel.topics import TopicSpec

log = logging.getLogger(__name__)


def client_options(settings: Settings) -> dict[str, Any]:
    """How this process logs in to the brokers (nothing for PLAINTEXT)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return {}
    assert settings.kafka_password is not None  # the settings insist on it
    options: dict[str, Any] = {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_username,
        "sasl_plain_password": settings.kafka_password.get_secret_value(),
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        options["ssl_context"] = create_ssl_context()
    return options


@lru_cache(maxsize=1 << 14)
def _key_hash(key: bytes) -> int:
    return murmur2(key) & 0x7FFFFFFF


def key_partitioner(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """Kafka's default choice of partition (murmur2 of the key, as the Java client does),
    with the hash of recent keys kept: aiokafka computes it in Python at every send, and an
    aggregate's events, or a breach's announcements, share their key."""
    if key is None:
        return int(DefaultPartitioner()(key, all_partitions, available))
    return all_partitions[_key_hash(key) % len(all_partitions)]


def idempotent_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    """acks=all + idempotence: no duplicates from producer retries, order kept per partition."""
    return AIOKafkaProducer(
        **client_options(settings),
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=client_id,
        partitioner=key_partitioner,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30000,
    )


def consumer(settings: Settings, group_id: str, *topics: str) -> AIOKafkaConsumer:
    """Manual commits after handling; new groups start from the beginning of the topic."""
    return AIOKafkaConsumer(
        *topics,
        **client_options(settings),
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.group_id(group_id),
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_interval_ms=int(settings.kafka_max_poll_interval_seconds * 1000),
    )


async def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> None:
    """Create the topics that do not exist yet (partition count and replication from settings)."""
    admin = AIOKafkaAdminClient(
        **client_options(settings), bootstrap_servers=settings.kafka_bootstrap
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                s.name,
                settings.topic_partitions,
                settings.topic_replication_factor,
                topic_configs=dict(s.configs),
            )
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
        DEAD_LETTERS.labels(self._consumer_name, record.topic, reason_kind(reason)).inc()
        headers = dead_letter_headers(
            record.topic,
            record.partition,
            record.offset,
            record.headers,
            reason,
            self._consumer_name,
        )
        await self._producer.send_and_wait(
            record.topic + ".dlq", value=record.value, key=record.key, headers=headers
        )


def dead_letter_reason(exc: BaseException) -> str:
    """Why a record was rejected: a contract error says it itself; anything else is named."""
    return str(exc) if isinstance(exc, ContractError) else f"{type(exc).__name__}: {exc}"


def dead_letter_headers(
    topic: str,
    partition: int,
    offset: int,
    headers: Iterable[tuple[str, bytes]] | None,
    reason: str,
    consumer: str,
) -> list[tuple[str, bytes]]:
    """The record's own headers plus why, by whom and from where it was rejected (logged)."""
    log.warning("dead-lettered %s[%s]@%s: %s", topic, partition, offset, reason)
    return [
        *(headers or ()),
        ("dlq.reason", reason.encode()),
        ("dlq.consumer", consumer.encode()),
        ("dlq.source.topic", topic.encode()),
        ("dlq.source.partition", str(partition).encode()),
        ("dlq.source.offset", str(offset).encode()),
        ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
    ]


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


async def partitions_of(reader: AIOKafkaConsumer, topics: Sequence[str]) -> list[TopicPartition]:
    """The partitions of those of ``topics`` that exist, in order."""
    existing = await reader.topics()
    tps: list[TopicPartition] = []
    for topic in topics:
        if topic in existing:
            # The public partitions_for_topic() only knows subscribed topics.
            partitions = await reader._client._wait_on_metadata(topic)  # noqa: SLF001
            tps += [TopicPartition(topic, p) for p in sorted(partitions)]
    return tps


class PartitionEnds:
    """Where topics' partitions end (the next offset to be written), asked of one
    long-lived consumer that joins no group and reads nothing."""

    def __init__(
        self, bootstrap: str, topics: Sequence[str], options: dict[str, Any] | None = None
    ) -> None:
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self.options = options or {}
        self.reader: AIOKafkaConsumer | None = None  # made in the loop that uses it

    async def ends(self) -> dict[TopicPartition, int]:
        if self.reader is None:
            reader = AIOKafkaConsumer(
                **self.options, bootstrap_servers=self.bootstrap, enable_auto_commit=False
            )
            await reader.start()
            self.reader = reader
        tps = await partitions_of(self.reader, self.topics)
        return dict(await self.reader.end_offsets(tps)) if tps else {}

    async def stop(self) -> None:
        if self.reader is not None:
            reader, self.reader = self.reader, None
            await reader.stop()


async def read_topics(
    bootstrap: str,
    topics: Sequence[str],
    on_record: Callable[[ConsumerRecord], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    stall_timeout: float = 30.0,
    options: dict[str, Any] | None = None,
) -> dict[TopicPartition, list[ConsumerRecord]]:
    """Every record currently on the topics (missing ones are skipped), per partition in
    offset order, up to the end offsets seen at the start. No consumer group, nothing
    committed: for tools, audits and rebuilds, not for services. ``on_total`` hears how
    many records there are to read, ``on_record`` each one as it arrives."""
    reader = AIOKafkaConsumer(
        **(options or {}),
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await reader.start()
    try:
        tps = await partitions_of(reader, topics)
        lanes: dict[TopicPartition, list[ConsumerRecord]] = {tp: [] for tp in tps}
        if not tps:
            return lanes
        reader.assign(tps)
        ends = await reader.end_offsets(tps)
        starts = await reader.beginning_offsets(tps)
        for tp in tps:
            reader.seek(tp, starts[tp])
        if on_total is not None:
            on_total(sum(ends[tp] - starts[tp] for tp in tps))
        pending = [tp for tp in tps if starts[tp] < ends[tp]]
        last_progress = time.monotonic()
        while pending:
            batches = await reader.getmany(*pending, timeout_ms=500, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        lanes[tp].append(record)
                        if on_record is not None:
                            on_record(record)
                last_progress = time.monotonic()
            pending = [tp for tp in pending if await reader.position(tp) < ends[tp]]
            if pending and time.monotonic() - last_progress > stall_timeout:
                raise TimeoutError(f"could not read {', '.join(topics)} to the end")
        return lanes
    finally:
        await reader.stop()


async def read_all(
    bootstrap: str, topic: str, timeout: float = 30.0, options: dict[str, Any] | None = None
) -> list[ConsumerRecord]:
    """Every record currently on a topic, partition by partition, in offset order."""
    lanes = await read_topics(bootstrap, [topic], stall_timeout=timeout, options=options)
    return [record for _, records in sorted(lanes.items()) for record in records]
