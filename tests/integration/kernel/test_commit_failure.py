"""Commits that fail because the group moved on are not fatal.

A policy consumer whose batch outlasts the poll interval is put out of its group while a
second member joins and takes partitions; when the first comes back its commit fails or
names a partition that is no longer its own. Both members must carry on, and every
message must be handled — repeats absorbed by the idempotency keys, nothing skipped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from pathlib import Path

import pytest
from aiokafka.structs import ConsumerRecord

from devenv.kafka import KafkaBroker
from kernel.consumer import Inbound, PolicyConsumer
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import TopicSpec
from tests.kafka_support import eventually, produce

MESSAGES = 40


def _raw(record: ConsumerRecord) -> Inbound:
    return Inbound(message_id=record.value.decode(), message_type="raw", body=record.value)


async def test_a_stalled_member_whose_partitions_moved_loses_nothing(
    kafka_broker: KafkaBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    topic = TopicSpec(f"test.slow.{uuid.uuid4().hex[:8]}", "id", "bytes", "test")
    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap=kafka_broker.bootstrap,
        deployment=f"slow{uuid.uuid4().hex[:6]}",
        kafka_max_poll_interval_seconds=2,
    )
    await ensure_topics(settings, [topic])
    handled: list[str] = []  # every call, repeats included
    done: set[str] = set()  # what the idempotency keys let through
    lock = threading.Lock()
    stalled = threading.Event()

    def handler(message: Inbound, key: str) -> None:
        if message.message_id == "m3" and not stalled.is_set():
            stalled.set()
            time.sleep(10)  # far longer than the poll interval: the group drops this member
        with lock:
            handled.append(message.message_id)
            done.add(key.split(":", 1)[1])

    for n in range(MESSAGES):
        await produce(settings.kafka_bootstrap, topic.name, f"m{n}".encode(), key=f"k{n}".encode())
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="kernel.consumer")
    first = asyncio.create_task(
        PolicyConsumer("slow-policy", topic, handler, settings, decode=_raw).run(stop)
    )
    await eventually(stalled.is_set, timeout=60)
    second = asyncio.create_task(
        PolicyConsumer("slow-policy", topic, handler, settings, decode=_raw).run(stop)
    )
    try:
        await eventually(lambda: len(done) == MESSAGES, timeout=120)
        await asyncio.sleep(3)
        assert not first.done() and not second.done()  # neither member gave up
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(first, second), 30)
    assert done == {f"m{n}" for n in range(MESSAGES)}
    # The stalled member's commit found the group changed, and said so.
    assert "partitions moved" in caplog.text
