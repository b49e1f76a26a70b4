"""Redelivery and reordering within the allowed bounds do not change any read model.

Allowed: each aggregate's events keep their order (Kafka keeps a key's records in order),
any aggregate may be interleaved with any other, any event may be delivered again later
(at-least-once), and ERP messages may come in any order and twice. Each aggregate is
read as if from a partition of its own (ERP messages share one), the partitions at any
relative speed. The tick that ends the stream comes last (a later clock is a later
question).
"""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from services.insights.domain.engine import Engine, ReadModelSettings
from services.insights.domain.events import Event
from services.insights.domain.reports import comparable_records, full_report
from services.insights.domain.state import Projection
from tests.unit.insights.feed import PROCESSES, Feed, at
from tests.unit.insights.test_forecast_receivables_campaigns import _campaign_feed, _order_feed
from tests.unit.insights.test_funnel_velocity import _velocity_feed
from tests.unit.insights.test_health import SHIPPED


def _events() -> list[Event]:
    health = Feed()
    health.add(
        "RuleSetPublished",
        "rules",
        at(-1),
        name="processes",
        version=1,
        document_json=json.dumps(PROCESSES),
    )
    health.deal("H", at(0), owner="cy")
    for n in range(5):
        health.add("DealBlockerRaised", "H", at(n), blocker_id=f"b{n}")
    health.add("DealCustomerQuestionAsked", "H", at(3), question_id="q", asked_at=at(3).isoformat())
    health.add("DealKeyEventRecorded", "H", at(4), kind="opening", stage="contact")
    events = [
        e
        for f in (_order_feed(), _campaign_feed(), _velocity_feed(), health)
        for e in f.events
        if e.type != "ClockTicked"
    ]
    last = max(e.occurred_at for e in events)
    tick = Feed()
    tick.tick(last)
    return events + tick.events


EVENTS = _events()


def _lane(event: Event) -> str:
    """Each aggregate on a partition of its own, as if every key had one."""
    return f"events:{event.aggregate_id if event.version is not None else 'erp'}"


def _run(events: list[Event]) -> tuple[dict, dict]:  # type: ignore[type-arg]
    engine = Engine(Projection(), SHIPPED, ReadModelSettings())
    engine.expect({_lane(e) for e in EVENTS if e.type != "ClockTicked"})
    for event in events:
        engine.handle(event, _lane(event))
    p = engine.projection
    return json.loads(json.dumps(full_report(p, SHIPPED, engine.settings))), comparable_records(p)


BASELINE = _run(EVENTS)


def _deliver(seed: int, redeliver: float) -> list[Event]:
    rng = random.Random(seed)
    *body, tick = EVENTS
    queues: dict[str, list[Event]] = {}
    for event in body:
        key = (
            event.aggregate_id if event.version is not None else f"erp:{event.event_id}:{id(event)}"
        )
        queues.setdefault(key, []).append(event)
    delivered: dict[str, list[Event]] = {key: [] for key in queues}
    out: list[Event] = []
    while any(queues.values()):
        key = rng.choice(sorted(k for k, q in queues.items() if q))
        event = queues[key].pop(0)
        out.append(event)
        delivered[key].append(event)
        if rng.random() < redeliver:
            out.append(rng.choice(delivered[key]))  # an earlier event of the same aggregate
    return [*out, tick]


def test_the_baseline_has_something_in_every_read_model() -> None:
    report, _ = BASELINE
    assert report["breaches"] and report["orders"] and report["campaigns"]
    assert report["snapshots"] and report["adherence_summary"]["deals"] > 0


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.sampled_from([0.0, 0.2, 0.6]))
def test_any_allowed_order_with_redeliveries_gives_the_same_read_models(
    seed: int, redeliver: float
) -> None:
    events = _deliver(seed, redeliver)
    assert len(events) >= len(EVENTS)
    assert _run(events) == BASELINE
