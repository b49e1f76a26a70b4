"""The raw limits the end-to-end benchmark is compared with, measured on the same machine
in the same run: how fast the broker carries records with the relay's producer settings,
and how fast the event store appends with the services' store settings."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from eventsourcing.domain import event

from kernel.domain import L2CAggregate
from kernel.kafka import consumer, ensure_topics, idempotent_producer
from kernel.settings import Settings
from kernel.store import ServiceApplication
from kernel.topics import TopicSpec


@dataclass(frozen=True)
class RawLimits:
    kafka_records_per_s: float  # produced (acks=all, idempotent) and consumed, end to end
    store_creates_per_s: float  # one new aggregate per commit
    store_updates_per_s: float  # load, append one event, commit


async def kafka_rate(bootstrap: str, records: int = 20_000, size: int = 300) -> float:
    """Records/s from the first send to the last record read back by a consumer group."""
    settings = Settings(kafka_bootstrap=bootstrap)
    topic = TopicSpec(f"bench.raw.{uuid.uuid4().hex[:8]}", "n", "bytes", "raw rate")
    await ensure_topics(settings, [topic])
    producer = idempotent_producer(settings, client_id="bench-raw")
    reader = consumer(settings, f"bench-raw-{uuid.uuid4().hex[:6]}", topic.name)
    await producer.start()
    await reader.start()
    payload = b"x" * size
    try:
        started = time.perf_counter()
        acks = [
            await producer.send(topic.name, payload, key=str(n % 64).encode())
            for n in range(records)
        ]
        await asyncio.gather(*acks)
        seen = 0
        while seen < records:
            batches = await reader.getmany(timeout_ms=500, max_records=5000)
            seen += sum(len(b) for b in batches.values())
        return records / (time.perf_counter() - started)
    finally:
        await reader.stop()
        await producer.stop()


class Tally(L2CAggregate):
    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Counted")
    def add(self, by: int) -> None:
        self.count += by


class BenchStore(ServiceApplication):
    name = "bench"


def store_rates(settings: Settings, seconds: float = 3.0) -> tuple[float, float]:
    """(creates/s, load+append updates/s) on a fresh store with ``settings``."""
    with tempfile.TemporaryDirectory(prefix="l2c-bench-store-") as tmp:
        app = BenchStore(settings.model_copy(update={"data_dir": Path(tmp)}))
        created: list[uuid.UUID] = []
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            tally = Tally(name="t")
            app.save(tally)
            created.append(tally.id)
        creates = len(created) / (time.perf_counter() - started)
        updates = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            tally = app.repository.get(created[updates % len(created)])
            tally.add(1)
            app.save(tally)
            updates += 1
        app.close()
        return creates, updates / (time.perf_counter() - started)


def measure(bootstrap: str, settings: Settings) -> RawLimits:
    creates, updates = store_rates(settings)
    return RawLimits(asyncio.run(kafka_rate(bootstrap)), creates, updates)
