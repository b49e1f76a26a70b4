"""The protobuf contract at the edge: domain events in, envelopes out, and back.

Domain code never imports generated protobuf; each service's ``adapters/contracts.py``
maps its domain events to payload messages and hands the mapping to :class:`EventContracts`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from google.protobuf import any_pb2, json_format, message, symbol_database
from google.protobuf.timestamp_pb2 import Timestamp
from l2c.v1 import (  # noqa: F401 - registers every contract message
    billing_pb2,
    common_pb2,
    deals_pb2,
    envelope_pb2,
    erp_pb2,
    leads_pb2,
    telephony_pb2,
)

from kernel.domain import Money
from kernel.errors import ContractError
from kernel.registry import FrameError, unframe
from kernel.rules import RuleSet
from kernel.telemetry import kafka_headers_for

ToPayload = Callable[[Any], message.Message]

_TYPE_URL_PREFIX = "type.googleapis.com/"
ENVELOPE_CONTENT_TYPE = "application/x-protobuf; messageType=l2c.v1.EventEnvelope"


def event_record_headers(
    event_id: str,
    event_type: str,
    trace: Mapping[str, str],
    content_type: str = ENVELOPE_CONTENT_TYPE,
) -> list[tuple[str, bytes]]:
    """The headers every event record carries, on every event topic: ``event_id``,
    ``event_type``, ``content-type`` and the W3C trace context (``traceparent`` ...)."""
    return [
        ("event_id", event_id.encode()),
        ("event_type", event_type.encode()),
        ("content-type", content_type.encode()),
        *kafka_headers_for(trace),
    ]


def envelope_record_headers(value: bytes, trace: Mapping[str, str]) -> list[tuple[str, bytes]]:
    """:func:`event_record_headers` of an encoded EventEnvelope."""
    envelope = envelope_pb2.EventEnvelope()
    envelope.ParseFromString(value)
    return event_record_headers(envelope.event_id, envelope.event_type, trace)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(value: datetime) -> Timestamp:
    # What Timestamp.FromDatetime does, without its per-call Python detours (every event
    # published carries two timestamps).
    since = value.astimezone(UTC) - _EPOCH
    return Timestamp(seconds=since.days * 86400 + since.seconds, nanos=since.microseconds * 1000)


def from_timestamp(ts: Timestamp) -> datetime:
    """A protobuf timestamp as an aware datetime; ContractError when it is not a moment
    Python can hold (before year 1 or after 9999, nanos out of range)."""
    try:
        return ts.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise ContractError(
            f"timestamp {ts.seconds}s {ts.nanos}ns is not a valid moment: {exc}"
        ) from None


# Event times a record may claim: not before this floor, and not more than MAX_AHEAD after
# the record reached the broker (its record timestamp; wall time when it has none).
EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)


def check_event_time(moment: datetime, received: datetime | None = None, what: str = "") -> None:
    """ContractError when ``moment`` is not a plausible time for something that happened:
    before EARLIEST_EVENT_TIME, or more than MAX_AHEAD after ``received``."""
    label = what or "event time"
    if moment < EARLIEST_EVENT_TIME:
        raise ContractError(
            f"{label} {moment.isoformat()} is before {EARLIEST_EVENT_TIME:%Y-%m-%d}"
        )
    reference = received or datetime.now(UTC)
    if moment > reference + MAX_AHEAD:
        raise ContractError(
            f"{label} {moment.isoformat()} is more than {MAX_AHEAD} after the record was "
            f"received ({reference.isoformat()})"
        )


def event_time(ts: Timestamp, received: datetime | None = None, what: str = "") -> datetime:
    """A record's event time, checked with :func:`check_event_time`."""
    moment = from_timestamp(ts)
    check_event_time(moment, received, what)
    return moment


def received_at(record: Any) -> datetime | None:
    """When a consumed record reached the broker (its timestamp), if it says."""
    millis = getattr(record, "timestamp", None)
    if not isinstance(millis, int) or millis <= 0:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def money_to_proto(value: Money) -> common_pb2.Money:
    return common_pb2.Money(currency=value.currency, amount=str(value.amount))


MAX_MONEY_DIGITS = 18  # before the decimal point


def money_from_proto(value: common_pb2.Money) -> Money:
    try:
        amount = Decimal(value.amount)
    except Exception as exc:
        raise ContractError(f"invalid money {value.amount!r} {value.currency!r}: {exc}") from None
    if not amount.is_finite() or amount.adjusted() >= MAX_MONEY_DIGITS:
        raise ContractError(f"invalid money {value.amount!r}: not a finite amount of money")
    try:
        return Money(amount, value.currency)
    except Exception as exc:
        raise ContractError(f"invalid money {value.amount!r} {value.currency!r}: {exc}") from None


@dataclass(frozen=True)
class OutboundRecord:
    """One Kafka record a relay sends for one stored event."""

    key: bytes
    value: bytes
    event_id: str
    event_type: str
    content_type: str
    traceparent: str = ""
    tracestate: str = ""


class Outbound(Protocol):
    """What a relay needs: the record for a stored event, or None to skip it; and which
    event classes can give one (the relay decodes no stored event of another class)."""

    def publishes(self, event_class: type) -> bool: ...

    def outbound(self, domain_event: Any, position: int) -> OutboundRecord | None: ...


class EventContracts:
    """Turns one service's stored domain events into envelopes.

    Events without a mapping (kernel bookkeeping such as idempotency records) are not
    published: :meth:`envelope` returns ``None`` for them.
    """

    def __init__(self, source: str, mappings: Mapping[type, ToPayload]) -> None:
        self.source = source
        self._mappings = dict(mappings)

    def is_published(self, domain_event: Any) -> bool:
        return type(domain_event) in self._mappings

    def publishes(self, event_class: type) -> bool:
        return event_class in self._mappings

    def outbound(self, domain_event: Any, position: int) -> OutboundRecord | None:
        envelope = self.envelope(domain_event, position)
        if envelope is None:
            return None
        return OutboundRecord(
            key=envelope.aggregate_id.encode(),
            value=envelope.SerializeToString(),
            event_id=envelope.event_id,
            event_type=envelope.event_type,
            content_type=ENVELOPE_CONTENT_TYPE,
            traceparent=envelope.trace.traceparent,
            tracestate=envelope.trace.tracestate,
        )

    def envelope(self, domain_event: Any, position: int) -> envelope_pb2.EventEnvelope | None:
        to_payload = self._mappings.get(type(domain_event))
        if to_payload is None:
            return None
        payload = to_payload(domain_event)
        meta: dict[str, str] = domain_event.metadata
        return make_envelope(
            payload,
            event_id=meta["event_id"],
            aggregate_type=type(domain_event).__qualname__.split(".")[0],
            aggregate_id=str(domain_event.originator_id),
            aggregate_version=domain_event.originator_version,
            occurred_at=datetime.fromisoformat(meta["occurred_at"]),
            recorded_at=domain_event.timestamp,
            source=self.source,
            actor=common_pb2.Actor(
                id=meta.get("actor_id", ""),
                kind=meta.get("actor_kind", ""),
                roles=meta.get("actor_roles", "").split(),
                client_id=meta.get("actor_client_id", ""),
            ),
            correlation_id=meta.get("correlation_id", ""),
            causation_id=meta.get("causation_id", ""),
            trace=envelope_pb2.TraceContext(
                traceparent=meta.get("traceparent", ""), tracestate=meta.get("tracestate", "")
            ),
            store_position=position,
            external_id=meta.get("external_id", ""),
        )


def make_envelope(
    payload: message.Message,
    *,
    event_id: str,
    aggregate_type: str,
    aggregate_id: str,
    occurred_at: datetime,
    recorded_at: datetime,
    source: str,
    aggregate_version: int = 0,
    actor: common_pb2.Actor | None = None,
    correlation_id: str = "",
    causation_id: str = "",
    trace: envelope_pb2.TraceContext | None = None,
    store_position: int = 0,
    external_id: str = "",
) -> envelope_pb2.EventEnvelope:
    """One event in the l2c.v1 envelope, its payload packed as ``Any``."""
    packed = any_pb2.Any()
    packed.Pack(payload)
    return envelope_pb2.EventEnvelope(
        event_id=event_id,
        event_type=payload.DESCRIPTOR.full_name,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        occurred_at=timestamp(occurred_at),
        recorded_at=timestamp(recorded_at),
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
        trace=trace,
        source=source,
        store_position=store_position,
        payload=packed,
        external_id=external_id,
    )


def rule_set_contracts() -> dict[type, ToPayload]:
    """Payload mappings for the kernel's RuleSet events, for any service that keeps rules."""

    def published(e: Any) -> message.Message:
        return common_pb2.RuleSetPublished(
            name=e.name,
            version=e.number,
            document_json=json.dumps(e.document, sort_keys=True),
            note=e.note,
        )

    return {RuleSet.Published: published, RuleSet.Revised: published}  # type: ignore[attr-defined]


def unpack_payload(envelope: envelope_pb2.EventEnvelope) -> message.Message:
    name = envelope.payload.type_url.removeprefix(_TYPE_URL_PREFIX)
    try:
        cls = symbol_database.Default().GetSymbol(name)
    except KeyError:
        raise ContractError(f"unknown payload type {name!r}") from None
    payload = cls()
    if not envelope.payload.Unpack(payload):
        raise ContractError(f"payload does not unpack as {name}")
    return payload


def decode_envelope(data: bytes | None) -> tuple[envelope_pb2.EventEnvelope, message.Message]:
    """Parse one record value of an event topic; ContractError says what is wrong."""
    if not data:
        raise ContractError("empty record value")
    envelope = envelope_pb2.EventEnvelope()
    try:
        envelope.ParseFromString(unframe(data))
    except (message.DecodeError, FrameError) as exc:
        raise ContractError(f"value is not an l2c.v1.EventEnvelope: {exc}") from None
    for required in ("event_id", "event_type", "aggregate_id"):
        if not getattr(envelope, required):
            raise ContractError(f"envelope has no {required}")
    try:
        uuid.UUID(envelope.event_id)
    except ValueError:
        raise ContractError(f"event_id {envelope.event_id!r} is not a UUID") from None
    payload = unpack_payload(envelope)
    if payload.DESCRIPTOR.full_name != envelope.event_type:
        raise ContractError(
            f"event_type {envelope.event_type!r} does not match "
            f"payload {payload.DESCRIPTOR.full_name!r}"
        )
    return envelope, payload


def envelope_as_dict(envelope: envelope_pb2.EventEnvelope) -> dict[str, Any]:
    """JSON form of an envelope with its payload unpacked (for audit reads over HTTP)."""
    # Every field, zero values included: an auditor should see "version 0", not nothing.
    as_dict = json_format.MessageToDict(
        envelope, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    as_dict["payload"] = json_format.MessageToDict(
        unpack_payload(envelope),
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    return as_dict
