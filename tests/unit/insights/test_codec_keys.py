"""What the contract says of l2c.insights.v1's keys holds: the key is the subject as text,
and the envelope's aggregate id is that key's UUIDv5 in the namespace insights.proto
names, so every announcement about one subject has one key and one aggregate id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kernel.contracts import decode_envelope
from services.insights.adapters.codec import CLOCK_KEY, encode_output, encode_tick
from services.insights.domain.engine import Output

NAMESPACE = uuid.UUID("4f1d3c2e-8a7b-4f55-9e0a-6b1c2d3e4f50")  # as in insights.proto
NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def test_a_breach_and_its_clearing_share_the_documented_key_and_aggregate_id() -> None:
    key = "too_many_blockers|deal:6f1c2d3e-0000-4000-8000-000000000001"
    data = {
        "rule": "too_many_blockers",
        "kind": "open_blockers_above",
        "severity": "medium",
        "subject_kind": "deal",
        "subject_id": "6f1c2d3e-0000-4000-8000-000000000001",
        "deal_id": "6f1c2d3e-0000-4000-8000-000000000001",
        "rep": "rep-7",
        "team": "emea",
        "observed": "3",
        "threshold": "2",
        "since": "2026-11-29T09:00:00+00:00",
        "detected_at": NOW.isoformat(),
        "message": "3 open blockers",
    }
    breached = encode_output(Output("breached", key, data), NOW)
    cleared = encode_output(Output("cleared", key, {**data, "cleared_at": NOW.isoformat()}), NOW)
    for record_key, value in (breached, cleared):
        envelope, _ = decode_envelope(value)
        assert record_key == key
        assert envelope.aggregate_id == str(uuid.uuid5(NAMESPACE, key))
    assert decode_envelope(breached[1])[0].event_id != decode_envelope(cleared[1])[0].event_id


def test_ticks_are_keyed_clock() -> None:
    key, value = encode_tick(NOW)
    assert key == CLOCK_KEY == "clock"
    assert decode_envelope(value)[0].aggregate_id == str(uuid.uuid5(NAMESPACE, "clock"))
