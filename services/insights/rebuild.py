"""``python -m services.insights rebuild``: every read model again, from the topics' start.

Reads every source topic from its beginning to the end offsets seen at the start, merges
the partitions by event time (each partition keeps its own order, as the live worker
sees it), folds everything through the same engine as the live worker — the watermark
makes the order across partitions irrelevant — and writes a new store generation. What
was already announced on l2c.insights.v1 stays announced (it is copied over, not said
again), and so does any output a stopped worker had not sent yet.

Run it with the worker stopped (or restart the worker afterwards): the new store replaces
the old file, and the worker's next start reads it and resumes after its offsets.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import ConsumerRecord
from tqdm import tqdm

from kernel.kafka import client_options, read_topics
from kernel.settings import Settings, get_settings
from kernel.topics import INSIGHTS
from services.insights.adapters.codec import decode
from services.insights.adapters.config import load_rules, load_settings
from services.insights.adapters.store import ReadModelStore
from services.insights.domain.engine import ANNOUNCED, Engine
from services.insights.domain.events import Event
from services.insights.domain.state import Projection
from services.insights.processors import SOURCES, store_path

Item = tuple[datetime, str, int, int, Event | None]


async def read_sources(settings: Settings, progress: bool = True) -> dict[str, list[Item]]:
    """Every source partition's records ("topic:partition" -> decoded, in offset order)."""
    bar = tqdm(desc="reading topics", unit="rec", file=sys.stderr, disable=not progress)

    def total(count: int) -> None:
        bar.total = count
        bar.refresh()

    lanes = await read_topics(
        settings.kafka_bootstrap,
        [spec.name for spec in SOURCES],
        on_record=lambda _: bar.update(1),
        on_total=total,
        stall_timeout=60,
        options=client_options(settings),
    )
    bar.close()
    return {
        f"{tp.topic}:{tp.partition}": [_item(record) for record in records]
        for tp, records in lanes.items()
    }


def _item(record: ConsumerRecord) -> Item:
    try:
        event = decode(record.topic, record.value, record.timestamp)
    except Exception:  # noqa: BLE001 - as the live worker: any failure is a dead letter
        event = None  # the live worker dead-lettered it; the offset still counts as read
    if event is not None and record.topic == INSIGHTS.name and event.type != "ClockTicked":
        event = None  # what insights said itself is output, not input
    moment = event.occurred_at if event else datetime.fromtimestamp(record.timestamp / 1000, UTC)
    return (moment, record.topic, record.partition, record.offset, event)


def merged(lanes: list[list[Item]]) -> Iterator[Item]:
    """One stream by event time; each partition's records stay in their own order."""
    return heapq.merge(*lanes, key=lambda item: item[0])


def fold(lanes: dict[str, list[Item]], progress: bool = True) -> Projection:
    """Fold every partition's records through the engine; the watermark waits for every
    partition but those of l2c.insights.v1 (whose ticks join it when read)."""
    projection = Projection()
    engine = Engine(projection, load_rules(), load_settings())
    engine.expect([where for where in lanes if not where.startswith(INSIGHTS.name + ":")])
    total = sum(len(lane) for lane in lanes)
    for _, topic, partition, offset, event in tqdm(
        merged(list(lanes.values())),
        total=total,
        desc="rebuilding read models",
        unit="ev",
        file=sys.stderr,
        disable=not progress,
    ):
        if event is not None:
            engine.handle(event, f"{topic}:{partition}", offset)
        else:
            engine.passed(f"{topic}:{partition}", offset)
    return projection


def fold_until(lanes: dict[str, list[Item]], moment: datetime) -> Projection:
    """The projection as it stood at event time ``moment``: every record up to it folded
    (each partition's in its own order), then a tick at ``moment``, so that what was due
    by then (breaches, snapshots) is judged as the live worker judged it."""
    until = {where: [item for item in lane if item[0] <= moment] for where, lane in lanes.items()}
    projection = fold(until, progress=False)
    engine = Engine(projection, load_rules(), load_settings())
    engine.expect([where for where in until if not where.startswith(INSIGHTS.name + ":")])
    engine.handle(
        Event("ClockTicked", f"as-of|{moment.isoformat()}", "as-of", moment.astimezone(UTC))
    )
    return projection


async def projection_as_of(settings: Settings, moment: datetime) -> Projection:
    """Read the source topics (as far back as they keep records) and fold them up to
    ``moment``, off the event loop."""
    lanes = await read_sources(settings, progress=False)
    return await asyncio.to_thread(fold_until, lanes, moment)


def install(projection: Projection, live: Path) -> Path:
    """Write ``projection`` as a new store generation and put it in place of ``live``,
    keeping what the old store announced and had not yet published."""
    fresh = live.with_name(live.name + ".rebuild")
    for leftover in (fresh, Path(f"{fresh}-wal"), Path(f"{fresh}-shm")):
        leftover.unlink(missing_ok=True)
    outbox: list[tuple[str, bytes]] = []
    generation = int(datetime.now(UTC).timestamp())
    if live.exists():
        old = ReadModelStore(live)
        generation = max(generation, old.generation() + 1)
        announced = old.load().all(ANNOUNCED)
        projection.records[ANNOUNCED] = {k: dict(v) for k, v in announced.items()}
        outbox = [(key, value) for _, key, value in old.pending(limit=10**9)]
        old.close()
    projection.meta["generation"] = generation
    store = ReadModelStore(fresh)
    store.write_all(projection)
    if outbox:
        store.commit(projection, outbox)
    store.close()
    for sidecar in (Path(f"{live}-wal"), Path(f"{live}-shm")):
        sidecar.unlink(missing_ok=True)
    os.replace(fresh, live)
    return live


def rebuild(settings: Settings, progress: bool = True) -> Projection:
    lanes = asyncio.run(read_sources(settings, progress))
    projection = fold(lanes, progress)
    install(projection, store_path(settings))
    return projection


def main(argv: list[str], prog: str = "python -m services.insights rebuild") -> None:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    settings = get_settings()
    started = time.monotonic()
    projection = rebuild(settings, progress=not args.quiet)
    kinds = ", ".join(f"{len(v)} {k}" for k, v in sorted(projection.records.items()) if k != "seen")
    print(
        f"rebuilt {store_path(settings)} in {time.monotonic() - started:.1f}s: {kinds}; "
        f"clock {projection.meta.get('clock') or '-'}"
    )
