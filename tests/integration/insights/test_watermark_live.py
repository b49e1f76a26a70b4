"""The live worker on a real broker announces exactly what an in-order replay announces,
although it reads the ticks and one topic far ahead of the others.

The generated quarter is written to the partitions it names (as a live system would
have written it, ticks with their marks included). The worker first gets only the ticks
and l2c.deals.v1 and reads them to the end; only then do leads, billing and the ERP's
messages arrive. What it says on l2c.insights.v1 — every breach, clearing and forecast
snapshot, with its event id and content — must equal the domain replay of the same
records in the order they were written.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from google.protobuf import json_format

from devenv.kafka import KafkaBroker
from kernel.contracts import decode_envelope
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, DEALS, INSIGHTS
from services.insights.adapters.codec import encode_output
from services.insights.domain.engine import Output
from tests.integration.insights.support import Worker, caught_up, produce_written
from tests.kafka_support import eventually, read_topic
from tests.unit.insights.test_watermark import PARTITIONS, quarter, replay

Said = dict[str, list[tuple[str, dict[str, object]]]]


def _said(values: list[tuple[str, bytes]]) -> Said:
    """key -> [(event id, payload)] in order, without the ticks."""
    found: Said = {}
    for key, value in values:
        envelope, payload = decode_envelope(value)
        if payload.DESCRIPTOR.name == "ClockTicked":
            continue
        found.setdefault(key, []).append((envelope.event_id, json_format.MessageToDict(payload)))
    return found


def test_ticks_and_one_topic_far_ahead(quiet_broker: KafkaBroker, tmp_path: Path) -> None:
    bootstrap = quiet_broker.bootstrap
    settings = Settings(kafka_bootstrap=bootstrap, data_dir=tmp_path)
    assert settings.topic_partitions == PARTITIONS
    asyncio.run(ensure_topics(settings, ALL_TOPICS))
    records = list(quarter())
    expected_log, _ = replay(records)
    expected = _said([encode_output(Output(*o), datetime.now(UTC)) for o in expected_log])
    assert sum(len(v) for v in expected.values()) > 100

    ahead = [r for r in records if r.topic in (INSIGHTS.name, DEALS.name)]
    behind = [r for r in records if r.topic not in (INSIGHTS.name, DEALS.name)]
    asyncio.run(produce_written(bootstrap, ahead))
    worker = Worker(quiet_broker, tmp_path)
    worker.start()
    try:

        def read_ahead() -> bool:
            body = worker.get("/insights/funnel")
            if body is None:
                return False
            offsets = body["as_of"]["offsets"]
            ends: dict[str, dict[str, int]] = {DEALS.name: {}, INSIGHTS.name: {}}
            for r in ahead:
                ends[r.topic][str(r.partition)] = r.offset + 1
            return (
                all(offsets.get(DEALS.name, {}).get(p, 0) >= n for p, n in ends[DEALS.name].items())
                and offsets.get(INSIGHTS.name, {}).get("0", 0) >= ends[INSIGHTS.name]["0"]
            )

        asyncio.run(eventually(read_ahead, timeout=240, interval=1.0))
        health = worker.get("/healthz")
        assert health is not None and health["watermark"] is None  # leads not read yet
        asyncio.run(produce_written(bootstrap, behind))
        asyncio.run(caught_up(worker, bootstrap))
        health = worker.get("/healthz")
        assert health is not None and health["watermark"] is not None
    finally:
        worker.stop()

    said = asyncio.run(read_topic(bootstrap, INSIGHTS.name))
    got = _said([(r.key.decode(), r.value) for r in said])
    assert got == expected
