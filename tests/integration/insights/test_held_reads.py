"""Conditional and held reads on the live worker: every answer carries an ETag;
``If-None-Match`` naming the current answer gets 304, and with ``Prefer: wait=N`` the
request is held until the read model changes (a dashboard or an integration waiting for an
order to be paid need not poll)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx

from devenv.kafka import KafkaBroker
from devenv.quarter import Quarter, written
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS
from tests.auth_support import auth
from tests.integration.insights.support import Worker, caught_up, produce_written


def test_an_unchanged_answer_is_304_and_a_held_one_returns_when_it_changes(
    quiet_broker: KafkaBroker, tmp_path: Path
) -> None:
    bootstrap = quiet_broker.bootstrap
    settings = Settings(kafka_bootstrap=bootstrap, data_dir=tmp_path)
    asyncio.run(ensure_topics(settings, ALL_TOPICS))
    records = written(Quarter(leads=40).in_order(), [], settings.topic_partitions)
    first, rest = records[: len(records) // 2], records[len(records) // 2 :]
    asyncio.run(produce_written(bootstrap, first))
    worker = Worker(quiet_broker, tmp_path)
    worker.start()
    url = f"http://127.0.0.1:{worker.port}/insights/funnel"
    try:
        asyncio.run(caught_up(worker, bootstrap))
        answer = httpx.get(url, auth=auth(), timeout=30)
        assert answer.status_code == 200
        tag = answer.headers["etag"]
        assert httpx.get(url, auth=auth(), timeout=30).headers["etag"] == tag  # stable

        unchanged = httpx.get(url, auth=auth(), headers={"If-None-Match": tag}, timeout=30)
        assert unchanged.status_code == 304
        assert unchanged.headers["etag"] == tag and unchanged.content == b""
        other = httpx.get(url, auth=auth(), headers={"If-None-Match": '"other"'}, timeout=30)
        assert other.status_code == 200 and other.json() == answer.json()

        started = time.monotonic()
        timed_out = httpx.get(
            url, auth=auth(), headers={"If-None-Match": tag, "Prefer": "wait=1"}, timeout=30
        )
        assert timed_out.status_code == 304 and time.monotonic() - started >= 0.9
        assert timed_out.headers["preference-applied"] == "wait=1"

        later = threading.Timer(0.5, lambda: asyncio.run(produce_written(bootstrap, rest)))
        later.start()
        started = time.monotonic()
        held = httpx.get(
            url, auth=auth(), headers={"If-None-Match": tag, "Prefer": "wait=20"}, timeout=60
        )
        waited = time.monotonic() - started
        later.join()
        assert held.status_code == 200, held.text
        assert held.headers["etag"] != tag
        assert held.json() != answer.json()
        assert 0.4 < waited < 15, waited  # until the change, not to the end of the wait
    finally:
        worker.stop()
