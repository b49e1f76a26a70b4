"""A real insights worker process on a broker of its own, for the insights integration
tests: start, stop, ask, and wait until it has applied everything there is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from devenv.kafka import KafkaBroker
from devenv.ports import free_port
from devenv.quarter import Written
from kernel.topics import BILLING, DEALS, ERP_INBOUND, INSIGHTS, LEADS
from tests.auth_support import auth
from tests.kafka_support import eventually

SOURCES = (LEADS, DEALS, BILLING, ERP_INBOUND, INSIGHTS)


class Worker:
    def __init__(self, broker: KafkaBroker, data_dir: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "L2C_KAFKA_BOOTSTRAP": broker.bootstrap,
            "L2C_DATA_DIR": str(data_dir),
            "L2C_INSIGHTS_TICK_SECONDS": "0",  # the test says when time passes
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "insights.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.insights", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)

    def get(self, path: str, **params: Any) -> dict[str, Any] | None:
        try:
            response = httpx.get(
                f"http://127.0.0.1:{self.port}{path}", params=params, timeout=10, auth=auth()
            )
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    @property
    def store(self) -> Path:
        return self.data_dir / "insights" / "read_models.sqlite3"


async def end_offsets(bootstrap: str) -> dict[str, dict[str, int]]:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await reader.start()
    try:
        tps = []
        for spec in SOURCES:
            partitions = await reader._client._wait_on_metadata(spec.name)  # noqa: SLF001
            tps += [TopicPartition(spec.name, p) for p in partitions]
        ends = await reader.end_offsets(tps)
    finally:
        await reader.stop()
    found: dict[str, dict[str, int]] = {}
    for tp, offset in ends.items():
        if offset:
            found.setdefault(tp.topic, {})[str(tp.partition)] = offset
    return found


async def group_offsets(bootstrap: str, group: str) -> dict[str, int]:
    """The offsets a consumer group has committed ("topic:partition" -> offset)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {f"{tp.topic}:{tp.partition}": meta.offset for tp, meta in found.items()}


async def caught_up(worker: Worker, bootstrap: str, timeout: float = 240) -> None:
    """Until the worker has applied every record there is, including what it said itself
    (which it reads back and passes over)."""

    async def check() -> bool:
        target = await end_offsets(bootstrap)
        body = worker.get("/insights/funnel")
        if body is None or body["as_of"]["offsets"] != target:
            return False
        health = worker.get("/healthz")  # and what that produced is on the topic
        return health is not None and health["unpublished_outputs"] == 0

    await eventually(check, timeout=timeout, interval=1.0)


async def produce_written(bootstrap: str, records: list[Written]) -> None:
    """Each record onto the partition it names, in the order given (offsets follow)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for r in records:
            await producer.send(r.topic, value=r.value, key=r.key.encode(), partition=r.partition)
        await producer.flush()
    finally:
        await producer.stop()
