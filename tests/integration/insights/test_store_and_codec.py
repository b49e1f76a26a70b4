"""The insights store (SQLite) and codec on their own: what is committed comes back,
outputs become protobuf events with content-derived ids."""

from __future__ import annotations

from pathlib import Path

from l2c.v1 import insights_pb2

from kernel.contracts import decode_envelope
from services.insights.adapters.codec import decode, encode_output, encode_tick
from services.insights.adapters.store import ReadModelStore
from services.insights.domain.engine import Engine, ReadModelSettings
from services.insights.domain.state import Projection
from tests.unit.insights.feed import Feed, at
from tests.unit.insights.test_health import only


def test_committed_records_positions_and_outbox_survive_a_reopen(tmp_path: Path) -> None:
    store = ReadModelStore(tmp_path / "rm.sqlite3")
    p = store.load()
    f = Feed()
    f.deal("D", at(0))
    for n in range(4):
        f.add("DealBlockerRaised", "D", at(1), blocker_id=f"b{n}")
    f.tick(at(2))  # the watermark passes day 1
    engine = Engine(p, only("too_many_blockers"), ReadModelSettings())
    outputs = [o for e in f.events for o in engine.handle(e)]
    p.seen_offset("l2c.deals.v1", 2, 41)
    store.commit(p, [encode_output(o, at(2)) for o in outputs])
    store.close()

    again = ReadModelStore(tmp_path / "rm.sqlite3")
    loaded = again.load()
    assert loaded.records == p.records
    assert loaded.position("l2c.deals.v1", 2) == 42 and loaded.clock == at(2)
    assert loaded.meta["watermark"] == p.meta["watermark"]  # progress, marks, what is due
    ((seq, key, value),) = again.pending()
    assert key == "too_many_blockers|deal:D"
    envelope, payload = decode_envelope(value)
    assert isinstance(payload, insights_pb2.HealthThresholdBreached)
    assert (payload.rule, payload.subject_id, payload.observed, payload.threshold) == (
        "too_many_blockers",
        "D",
        "4",
        "3",
    )
    # The same announcement encodes to the same event id: consumers drop the repeat.
    assert decode_envelope(encode_output(outputs[0], at(9))[1])[0].event_id == envelope.event_id
    again.published(seq)
    assert again.pending() == []

    # A clearing deletes the announced record, in the store too.
    engine = Engine(loaded, only("too_many_blockers"), ReadModelSettings())
    assert engine.watermark.value == at(2)
    assert engine.handle(f.add("DealLost", "D", at(3))) == []  # day 3 not passed yet
    (cleared,) = engine.handle(f.tick(at(4)))
    assert cleared.kind == "cleared"
    again.commit(loaded)
    assert again.load().all("announced") == {}
    again.close()


def test_ticks_round_trip_and_are_never_deduplicated_away() -> None:
    key, value = encode_tick(at(5))
    event = decode("l2c.insights.v1", value)
    assert (key, event.type, event.occurred_at) == ("clock", "ClockTicked", at(5))
    p = Projection()
    assert p.apply(event) is not None
    later = decode("l2c.insights.v1", encode_tick(at(6))[1])
    assert p.apply(later) is not None and p.meta["tick_clock"] == at(6).isoformat()
