"""Kafka records <-> the insights domain: decoding what comes in, encoding what goes out."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

# Imported for their side effect too: every payload type must be in the symbol database
# before envelopes naming it can be unpacked.
from l2c.v1 import (  # noqa: F401
    billing_pb2,
    common_pb2,
    deals_pb2,
    envelope_pb2,
    erp_pb2,
    insights_pb2,
    leads_pb2,
)

from kernel.contracts import (
    decode_envelope,
    event_time,
    make_envelope,
    received_at,
    timestamp,
)
from kernel.topics import ERP_INBOUND
from services.billing.adapters.erp import decode_erp_record
from services.insights.domain.engine import Output
from services.insights.domain.events import Event, parse_time

_NAMESPACE = uuid.UUID("4f1d3c2e-8a7b-4f55-9e0a-6b1c2d3e4f50")
CLOCK_KEY = "clock"
_INSIGHTS = common_pb2.Actor(id="insights", kind="system")


def _as_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def decode(topic: str, value: bytes | None, received_ms: int | None = None) -> Event:
    """One record as a domain event; ContractError when it does not decode or claims an
    implausible event time (``received_ms``: the record's broker timestamp)."""
    record = SimpleNamespace(value=value, timestamp=received_ms)
    if topic == ERP_INBOUND.name:
        inbound = decode_erp_record(record)  # type: ignore[arg-type]
        body: Message = inbound.body
        data = _as_dict(body)
        document = data.get("invoice_id") or data.get("order_id", "")
        assert inbound.occurred_at is not None  # the decoder requires the time field
        return Event(
            type=body.DESCRIPTOR.name,
            event_id=inbound.message_id,
            aggregate_id=document,
            occurred_at=inbound.occurred_at,
            data=data,
            version=None,
        )
    envelope, payload = decode_envelope(value)
    return Event(
        type=payload.DESCRIPTOR.name,
        event_id=envelope.event_id,
        aggregate_id=envelope.aggregate_id,
        occurred_at=event_time(envelope.occurred_at, received_at(record)),
        data=_as_dict(payload),
        version=int(envelope.aggregate_version),
    )


def _money(amount: str, currency: str) -> common_pb2.Money:
    return common_pb2.Money(currency=currency, amount=amount)


def _time(value: str) -> Any:
    moment = parse_time(value)
    assert moment is not None
    return timestamp(moment)


def _payload(output: Output) -> Message:
    d = output.data
    if output.kind == "breached":
        return insights_pb2.HealthThresholdBreached(
            rule=d["rule"], kind=d["kind"], severity=d["severity"],
            subject_kind=d["subject_kind"], subject_id=d["subject_id"], deal_id=d["deal_id"],
            rep=d["rep"], team=d["team"], observed=d["observed"], threshold=d["threshold"],
            since=_time(d["since"]), detected_at=_time(d["detected_at"]), message=d["message"],
        )  # fmt: skip
    if output.kind == "cleared":
        return insights_pb2.HealthThresholdCleared(
            rule=d["rule"], kind=d["kind"], subject_kind=d["subject_kind"],
            subject_id=d["subject_id"], deal_id=d["deal_id"], rep=d["rep"], team=d["team"],
            observed=d["observed"], threshold=d["threshold"], since=_time(d["since"]),
            cleared_at=_time(d["cleared_at"]),
        )  # fmt: skip
    return insights_pb2.ForecastSnapshotTaken(
        week_start=_time(d["week_start"]),
        quarter=d["quarter"],
        lines=[
            insights_pb2.ForecastLine(
                deal_id=line["deal_id"],
                team=line["team"],
                rep=line["rep"],
                amount=_money(line["amount"], line["currency"]),
                probability_percent=int(line["probability"]),
                category=line["category"],
                close_date=line["close_date"],
                status=line["status"],
            )  # fmt: skip
            for line in d["lines"]
        ],
    )


def _moment_of(output: Output) -> str:
    d = output.data
    return str(d.get("cleared_at") or d.get("detected_at") or d.get("week_start"))


@lru_cache(maxsize=1 << 12)
def _subject_id(key: str) -> str:
    """The aggregate id of a breach's (or a snapshot's) announcements: the same subjects
    are announced and cleared again and again."""
    return str(uuid.uuid5(_NAMESPACE, key))


def encode_output(output: Output, recorded_at: datetime) -> tuple[str, bytes]:
    """(record key, EventEnvelope bytes) of one output. The event id is derived from the
    output's content, so announcing the same thing twice gives the same event."""
    identity = f"{output.kind}|{output.key}|{output.data.get('since', '')}|{_moment_of(output)}"
    if output.kind == "snapshot":
        identity = f"snapshot|{output.key}"
    moment = parse_time(_moment_of(output))
    assert moment is not None
    envelope = make_envelope(
        _payload(output),
        event_id=str(uuid.uuid5(_NAMESPACE, identity)),
        aggregate_type="ForecastSnapshot" if output.kind == "snapshot" else "HealthBreach",
        aggregate_id=_subject_id(output.key),
        occurred_at=moment,
        recorded_at=recorded_at,
        source="insights",
        actor=_INSIGHTS,
    )
    return output.key, envelope.SerializeToString()


def encode_tick(at: datetime, marks: dict[tuple[str, int], int] | None = None) -> tuple[str, bytes]:
    """A ClockTicked of ``at``; ``marks``: (topic, partition) -> end offset when ``at`` was
    read (see ``domain.watermark``)."""
    tick = insights_pb2.ClockTicked(
        at=timestamp(at),
        marks=[
            insights_pb2.PartitionMark(topic=topic, partition=partition, offset=offset)
            for (topic, partition), offset in sorted((marks or {}).items())
        ],
    )
    envelope = make_envelope(
        tick,
        event_id=str(uuid.uuid5(_NAMESPACE, f"tick|{at.isoformat()}")),
        aggregate_type="Clock",
        aggregate_id=str(uuid.uuid5(_NAMESPACE, CLOCK_KEY)),
        occurred_at=at,
        recorded_at=at,
        source="insights",
        actor=_INSIGHTS,
    )
    return CLOCK_KEY, envelope.SerializeToString()
