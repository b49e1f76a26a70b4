"""Breach announcements do not depend on the relative speed at which partitions are read.

A generated quarter is laid out on partitions as a live system would have written it,
with the worker's ticks (and their marks) between the records. Replaying those
partitions in very different interleavings — ticks far ahead, one topic far ahead, one
partition after another, random — must give exactly the announcement log of the
in-order replay. Without marks, ticks read ahead of the data raise false alarms: the
control that shows the comparison can fail.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta
from functools import cache
from typing import Any

from devenv.quarter import Quarter, Written, tick_times, written
from kernel.topics import BILLING, DEALS, ERP_INBOUND, INSIGHTS, LEADS
from services.insights.adapters.codec import decode, encode_tick
from services.insights.adapters.config import load_rules, load_settings
from services.insights.domain.engine import Engine
from services.insights.domain.events import Event
from services.insights.domain.state import Projection
from services.insights.domain.watermark import Watermark
from tests.unit.insights.feed import Feed, at

PARTITIONS = 3
SOURCES = [
    f"{topic.name}:{p}" for topic in (LEADS, DEALS, BILLING, ERP_INBOUND) for p in range(PARTITIONS)
]
Log = list[tuple[str, str, dict[str, Any]]]


@cache
def quarter() -> tuple[Written, ...]:
    q = Quarter(leads=600)
    assert q.expected.first_deal_at is not None
    weekly = tick_times(q.expected.first_deal_at)
    # A tick every 8 hours besides, so that short-lived breaches have moments to be seen.
    ticks = sorted({*weekly, *(weekly[0] + timedelta(hours=8 * n) for n in range(3 * 7 * 12))})
    return tuple(written(q.in_order(), ticks, PARTITIONS))


def replay(records: Iterable[Written], kind: type[Engine] = Engine) -> tuple[Log, Engine]:
    engine = kind(Projection(), load_rules(), load_settings())
    engine.expect(SOURCES)
    log: Log = []
    for r in records:
        where = f"{r.topic}:{r.partition}"
        try:
            event: Event | None = decode(r.topic, r.value)
        except Exception:  # noqa: BLE001 - broken records are passed over, as live
            event = None
        if event is None:
            outputs = engine.passed(where, r.offset)
        else:
            outputs = engine.handle(event, where, r.offset)
        log += [(o.kind, o.key, o.data) for o in outputs]
    return log, engine


def lanes(records: Iterable[Written]) -> dict[str, list[Written]]:
    found: dict[str, list[Written]] = {}
    for r in records:
        found.setdefault(f"{r.topic}:{r.partition}", []).append(r)
    return found


def one_after_another(records: Iterable[Written], first: list[str]) -> list[Written]:
    """Whole partitions in turn: those whose names start with ``first`` (in that order),
    then the rest."""
    by_lane = lanes(records)
    ordered = [lane for prefix in first for lane in sorted(by_lane) if lane.startswith(prefix)]
    ordered += [lane for lane in sorted(by_lane) if lane not in ordered]
    return [r for lane in ordered for r in by_lane[lane]]


def shuffled(records: Iterable[Written], seed: int) -> list[Written]:
    """A random interleaving; each partition keeps its own order."""
    rng = random.Random(seed)
    queues = {lane: list(rs) for lane, rs in lanes(records).items()}
    out: list[Written] = []
    while queues:
        lane = rng.choice(sorted(queues))
        size = rng.randint(1, 400)  # a burst, as a consumer's fetch reads
        out += queues[lane][:size]
        del queues[lane][:size]
        if not queues[lane]:
            del queues[lane]
    return out


def test_the_in_order_replay_announces_what_the_quarter_holds() -> None:
    log, engine = replay(quarter())
    rules = {data["rule"] for kind, _, data in log if kind == "breached"}
    assert {"too_many_blockers", "question_unanswered", "next_step_overdue"} <= rules
    assert any(kind == "cleared" for kind, _, _ in log)
    assert any(kind == "snapshot" for kind, _, _ in log)
    # Every announcement is judged at a moment the watermark had passed.
    mark = engine.watermark.value
    assert mark is not None
    assert all(data.get("detected_at", "") < mark.isoformat() for _, _, data in log)


class JudgingEverySubjectAtTicks(Engine):
    """The reference: besides the scheduled moments, every subject at every tick."""

    def handle(self, event: Event, partition: str = "local:0", offset: int | None = None) -> Any:
        if event.type == "ClockTicked":
            self.watermark.schedule(event.occurred_at, everything=True)
        return super().handle(event, partition, offset)


def test_woken_deals_announce_what_judging_every_subject_at_every_tick_does() -> None:
    """Ticks judge only the deals due to wake, not every subject: every breach (and every
    clearing) the reference finds, judging all of them at every tick, is found too, with
    the same ``since``, and nothing else is."""
    woken, _ = replay(quarter())
    reference, _ = replay(quarter(), JudgingEverySubjectAtTicks)

    def found(log: Log) -> set[tuple[str, str, str]]:
        return {(kind, key, data["since"]) for kind, key, data in log if kind != "snapshot"}

    assert found(woken) == found(reference)
    assert len(found(woken)) > 50  # the quarter holds many: the comparison says something
    # Each was detected no later than the reference's tick saw it (a wake follows the
    # instant to the next whole minute; a tick comes every 8 hours).
    first = {key: data["detected_at"] for kind, key, data in reference if kind == "breached"}
    for kind, key, data in woken:
        if kind == "breached":
            assert data["detected_at"] <= first[key], key


def test_any_relative_speed_gives_the_same_announcements() -> None:
    baseline, _ = replay(quarter())
    orders = {
        "ticks far ahead": one_after_another(quarter(), [INSIGHTS.name]),
        "deals far ahead": one_after_another(quarter(), [DEALS.name, INSIGHTS.name]),
        "deals far behind": one_after_another(quarter(), [INSIGHTS.name, LEADS.name, BILLING.name]),
        "billing first": one_after_another(quarter(), [BILLING.name, ERP_INBOUND.name]),
        "random bursts": shuffled(quarter(), 1),
    }
    for name, order in orders.items():
        assert sorted(order, key=id) == sorted(quarter(), key=id)  # a reordering, no more
        log, _ = replay(order)
        assert log == baseline, name


def test_without_marks_ticks_read_ahead_raise_false_alarms() -> None:
    """The control: ticks that advance every partition at once (no marks) make the order
    matter — the comparison above would catch an engine that let them."""
    unmarked = []
    for r in quarter():
        if r.topic == INSIGHTS.name:
            moment = decode(r.topic, r.value).occurred_at
            r = Written(r.topic, r.partition, r.offset, r.key, encode_tick(moment)[1])
        unmarked.append(r)
    in_order, _ = replay(unmarked)
    ahead, _ = replay(one_after_another(unmarked, [INSIGHTS.name]))
    assert ahead != in_order
    said = {(data["rule"], key) for kind, key, data in ahead if kind == "breached"}
    true = {(data["rule"], key) for kind, key, data in in_order if kind == "breached"}
    assert {rule for rule, _ in said - true} & {"question_unanswered", "next_step_overdue"}


# -- the watermark on its own -------------------------------------------------------------


def test_a_partition_without_progress_holds_the_watermark() -> None:
    w = Watermark(Projection())
    w.expect(["a:0", "b:0"])
    w.saw("a:0", at(1))
    w.read("a:0", 0)
    assert w.value is None
    w.saw("b:0", at(0))
    w.read("b:0", 0)
    assert w.value == at(0)


def test_a_mark_advances_its_partition_only_once_reached() -> None:
    p = Projection()
    w = Watermark(p)
    w.expect(["a:0", "b:0"])
    w.saw("a:0", at(0))
    w.read("a:0", 0)
    w.ticked("ticks:0", at(5), {"a:0": 3, "b:0": 0})  # b is empty: reached at once
    assert w.progress("b:0") == at(5)
    assert w.value == at(0)  # a has two records to go
    w.saw("a:0", at(1))
    w.read("a:0", 1)
    assert w.value == at(1)
    w.saw("a:0", at(2))
    w.read("a:0", 2)
    assert w.value == at(5)
    assert p.meta["watermark"]["marks"] == {}


def test_a_tick_without_marks_advances_every_partition() -> None:
    w = Watermark(Projection())
    w.expect(["a:0", "b:0"])
    w.ticked("ticks:0", at(5), None)
    assert w.value == at(5)


def test_judgements_are_due_in_time_order_once_passed() -> None:
    w = Watermark(Projection())
    w.expect(["a:0"])
    w.schedule(at(2), deals=["D2"])
    w.schedule(at(1), deals=["D1"])
    w.schedule(at(1), leads=["L1"])
    w.saw("a:0", at(2))
    (first,) = list(w.due())  # at(2) is not passed: the watermark is at(2)
    assert (first.at, first.deals, first.leads) == (at(1), {"D1"}, {"L1"})
    w.saw("a:0", at(3))
    (second,) = list(w.due())
    assert (second.at, second.deals, w.judged) == (at(2), {"D2"}, at(2))


def test_a_late_event_is_counted_and_judged_at_the_latest_moment_judged() -> None:
    f = Feed()
    f.deal("D", at(0))
    engine = Engine(Projection(), load_rules(), load_settings())
    for event in f.events:
        engine.handle(event)
    outputs = engine.handle(f.tick(at(20)))  # passes day 14, when D fell idle
    outputs += engine.handle(f.tick(at(21)))
    (idle,) = [o for o in outputs if o.kind == "breached" and o.data["rule"] == "no_activity"]
    # Judged at the first whole minute after the 14 days ran out (D woke then), not at
    # a tick.
    assert idle.data["detected_at"] == (at(14) + timedelta(minutes=1)).isoformat()
    latest = engine.watermark.judged
    assert latest is not None and latest >= at(14)
    backdated = f.add("DealActivityLogged", "D", at(10), kind="call", activity_id="a1")
    outputs = engine.handle(backdated)
    assert engine.watermark.late_events == 1
    cleared = [o for o in outputs if o.kind == "cleared" and o.data["rule"] == "no_activity"]
    assert [o.data["cleared_at"] for o in cleared] == [latest.isoformat()]


def test_the_watermark_survives_a_restart_of_the_projection() -> None:
    p = Projection()
    w = Watermark(p)
    w.expect(["a:0"])
    w.ticked("ticks:0", at(5), {"a:0": 2})
    w.schedule(at(1), deals=["D"])
    again = Projection({k: dict(v) for k, v in p.records.items()}, dict(p.meta))
    restored = Watermark(again)
    assert restored.next_due() == at(1)
    restored.saw("a:0", at(0) + timedelta(hours=1))
    restored.read("a:0", 0)
    assert restored.value == at(0) + timedelta(hours=1)  # the mark is one record away
    restored.read("a:0", 1)
    assert restored.value == at(5)  # reached; the tick's own partition is at day 5 too
    assert [m.at for m in restored.due()] == [at(1)]
