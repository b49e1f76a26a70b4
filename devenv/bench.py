"""``make bench``: how fast the insights engine turns events into answers, and how close
the running worker comes to it.

A generated quarter (the integration test's generator) is decoded and folded in memory;
figures are printed as ratios against a baseline measured in the same run (decoding the
same records without folding them), since absolute timings on a shared machine are noisy.
The results are appended to docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devenv.quarter import FINAL_TICK, Quarter, Record
from devenv.workerbench import worker_rate
from kernel.errors import ContractError
from kernel.topics import INSIGHTS
from services.insights.adapters.codec import decode, encode_tick
from services.insights.adapters.config import load_rules, load_settings
from services.insights.domain.engine import Engine
from services.insights.domain.events import Event, week_start
from services.insights.domain.state import Projection
from services.insights.entrypoints.queries import QUERIES, answer

REPEAT = 3


def best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    quarter = Quarter()
    assert quarter.expected.first_deal_at is not None
    monday = week_start(quarter.expected.first_deal_at) + timedelta(days=7, hours=2)
    ticks = []
    while monday < FINAL_TICK:
        ticks.append(Record(monday, INSIGHTS.name, *encode_tick(monday)))
        monday += timedelta(days=7)
    ticks.append(Record(FINAL_TICK, INSIGHTS.name, *encode_tick(FINAL_TICK)))
    records = sorted([*quarter.records, *ticks], key=lambda r: r.at)
    rules, settings = load_rules(), load_settings()

    def decode_all() -> list[Event]:
        events = []
        for r in records:
            with contextlib.suppress(ContractError):
                events.append(decode(r.topic, r.value))
        return events

    events = decode_all()
    projection = Projection()

    def fold() -> None:
        nonlocal projection
        projection = Projection()
        engine = Engine(projection, rules, settings)
        for event in decode_all():
            engine.handle(event)

    baseline = best(decode_all)
    folded = best(fold)
    logged = sorted(projection.all("breach_log"))  # subjects with breaches: "deal:<id>"
    assert logged, "the quarter announces breaches"
    kind, subject = logged[0].split(":", 1)
    params = {
        "campaigns/reverse-funnel": {"target": "1000000"},
        "breaches/history": {f"{kind}_id": subject},
    }

    def query(name: str) -> Callable[[], object]:
        return lambda: answer(name, params.get(name, {}), projection, rules, settings)

    queries = {name: best(query(name)) for name in QUERIES}
    worker_per_s, worker_rss = worker_rate(records, runs=REPEAT)
    engine_per_s = len(events) / folded
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
        f"(Python {platform.python_version()})",
        "",
        f"{len(events)} events (a generated quarter: {quarter.expected.leads} leads, "
        f"{quarter.expected.deals} deals); best of {REPEAT} (the worker: of {REPEAT} runs).",
        "",
        "| measure | time | ratio to decoding |",
        "| --- | --- | --- |",
        f"| decode only (baseline) | {baseline * 1000:.0f} ms | 1.0 |",
        f"| decode + fold + health + snapshots | {folded * 1000:.0f} ms "
        f"({len(events) / folded:,.0f} events/s) | {folded / baseline:.1f} |",
    ]
    lines.append(
        f"| the running worker: Kafka → fold → store commits ({len(records)} records) | "
        f"{worker_per_s:,.0f} records/s, {worker_rss:.0f} MB RSS at the end | "
        f"{worker_per_s / engine_per_s:.0%} of the engine's rate |"
    )
    for name, seconds in queries.items():
        lines.append(f"| query `{name}` | {seconds * 1000:.1f} ms | {seconds / baseline:.2f} |")
    lines.append(f"| median query | {statistics.median(queries.values()) * 1000:.1f} ms | |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path("docs/benchmarks.md")
    if not out.exists():
        out.write_text(
            "# Benchmarks\n\nAppended by `make bench`; compare ratios, not absolute times.\n\n"
        )
    with out.open("a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
