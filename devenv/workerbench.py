"""The running insights worker's fold rate: a generated quarter is put on the topics of a
broker of its own, then a worker process (as `make run` starts it) reads them all; the rate
counts from the first records it has folded (start-up and joining its consumer group
excluded: the engine's rate, which it is compared with, has neither) until it has read
every record. Like the engine's, the rate is the best of a few runs (each a new worker
with a new store, so a new consumer group reading the topics from the start): one run
lasts seconds, and other processes on a small machine move it by ±10%."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from devenv.kafka import KafkaBroker
from devenv.ports import free_port
from devenv.procstat import rss_mb
from devenv.quarter import Record, produce
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, INSIGHTS


def _records_read(port: int) -> int | None:
    """Source records the worker has read (its own outputs, read back, not counted)."""
    try:
        positions = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["positions"]
    except (httpx.HTTPError, KeyError, ValueError):
        return None
    return sum(int(v) for k, v in positions.items() if not k.startswith(INSIGHTS.name + ":"))


def worker_rate(records: list[Record], runs: int = 3, timeout: float = 600) -> tuple[float, float]:
    """(records/s folded by the running worker, its RSS in MB at the end), best of ``runs``."""
    with tempfile.TemporaryDirectory(prefix="l2c-workerbench-") as tmp:
        root = Path(tmp)
        with KafkaBroker(root / "kafka") as broker:
            asyncio.run(ensure_topics(Settings(kafka_bootstrap=broker.bootstrap), ALL_TOPICS))
            asyncio.run(produce(broker.bootstrap, records))
            sources = sum(1 for r in records if r.topic != INSIGHTS.name)
            results = [
                _one_run(root / f"run-{n}", broker.bootstrap, sources, timeout) for n in range(runs)
            ]
            return max(results)


def _one_run(root: Path, bootstrap: str, sources: int, timeout: float) -> tuple[float, float]:
    root.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "L2C_KAFKA_BOOTSTRAP": bootstrap,
        "L2C_DATA_DIR": str(root / "data"),
        "L2C_INSIGHTS_TICK_SECONDS": "0",
    }
    with (root / "insights.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.insights", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        first: tuple[float, int] | None = None
        while time.monotonic() < deadline:
            read = _records_read(port)
            if read and first is None:  # folding has begun: the group is joined
                first = (time.monotonic(), read)
            if read is not None and read >= sources:
                assert first is not None
                rate = (read - first[1]) / (time.monotonic() - first[0])
                return rate, rss_mb(proc.pid)
            if proc.poll() is not None:
                raise SystemExit(f"the insights worker stopped; see {root}/insights.log")
            time.sleep(0.1)
        raise SystemExit(f"the worker did not read {sources} source records in {timeout}s")
    finally:
        proc.terminate()
        proc.wait(60)
