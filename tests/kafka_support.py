"""Reading what is on a real topic, for assertions (no consumer group, no commits)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from kernel.kafka import read_all


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Every record currently on the topic, partition by partition, in offset order."""
    return await read_all(bootstrap, topic)


async def produce(
    bootstrap: str,
    topic: str,
    value: bytes,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key, headers=headers or [])
    finally:
        await producer.stop()


async def eventually(
    check: Callable[[], object], timeout: float = 30.0, interval: float = 0.2
) -> object:
    """Poll a (sync or async) check until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
