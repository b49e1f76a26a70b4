"""The schema-registry wire format, byte for byte as Confluent's protobuf serializers
write it, and every decoder of the platform reading framed and plain values alike."""

from __future__ import annotations

import pytest
from l2c.v1 import leads_pb2

from kernel.contracts import ContractError, decode_envelope, make_envelope
from kernel.registry import FrameError, frame, message_indexes, parse_frame, unframe


def _envelope() -> bytes:
    import uuid
    from datetime import UTC, datetime

    now = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    return make_envelope(
        leads_pb2.LeadCaptured(lead_id="l-1", company="Acme"),
        event_id=str(uuid.uuid4()),
        aggregate_type="Lead",
        aggregate_id="l-1",
        occurred_at=now,
        recorded_at=now,
        source="leads",
    ).SerializeToString()


def test_the_frame_is_the_registry_wire_format() -> None:
    # magic byte, schema id big-endian, indexes: [0] as one 0 byte
    assert frame(7, [0], b"P") == b"\x00\x00\x00\x00\x07\x00P"
    # [1]: count 1 and index 1, each a zigzag varint (2)
    assert frame(258, [1], b"P") == b"\x00\x00\x00\x01\x02\x02\x02P"
    # a nested message: [2, 0]
    assert frame(1, [2, 0], b"") == b"\x00\x00\x00\x00\x01\x04\x04\x00"
    for indexes in ([0], [1], [2, 0], [70]):
        parsed = parse_frame(frame(99, indexes, b"payload"))
        assert (parsed.schema_id, parsed.indexes, parsed.payload) == (99, indexes, b"payload")


def test_the_envelope_is_the_second_message_of_its_file() -> None:
    assert message_indexes("l2c.v1.EventEnvelope") == ("l2c/v1/envelope.proto", [1])
    assert message_indexes("l2c.v1.ErpOutboundMessage")[0] == "l2c/v1/erp.proto"


def test_decoders_read_framed_and_plain_values_alike() -> None:
    plain = _envelope()
    assert plain[0] != 0  # a protobuf message of ours never starts with the magic byte
    assert unframe(plain) == plain
    framed = frame(12, [1], plain)
    assert decode_envelope(framed)[0] == decode_envelope(plain)[0]


@pytest.mark.parametrize(
    "value",
    [b"\x00", b"\x00\x00\x00\x00\x01", b"\x00\x00\x00\x00\x01\x7f", b"\x00\x00\x00\x00\x01\xff"],
    ids=["magic only", "no indexes", "too many indexes", "cut varint"],
)
def test_a_broken_frame_is_a_contract_error_not_a_crash(value: bytes) -> None:
    with pytest.raises(FrameError):
        unframe(value)
    with pytest.raises(ContractError):
        decode_envelope(value)


def test_a_schema_id_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        frame(2**31, [0], b"")
