"""The ERP's inbound contract on l2c.erp.inbound.v1: validation at the edge, both ways.

``decode_erp_record`` turns a Kafka record into an :class:`Inbound` or raises ContractError
(the consumer dead-letters it with that reason). ``ErpInboundPublisher`` lets an ERP without
a Kafka client post the same messages through HTTP webhooks.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from google.protobuf import message as pb_message
from l2c.v1 import erp_pb2

from kernel.consumer import Inbound
from kernel.contracts import (
    event_time,
    money_from_proto,
    money_to_proto,
    received_at,
    timestamp,
)
from kernel.domain import Money
from kernel.errors import ContractError
from kernel.registry import FrameError, unframe
from kernel.telemetry import current_trace_headers, kafka_headers_for
from kernel.topics import ERP_INBOUND

# Per body: the field naming the document it concerns, and its time field.
_BODIES = {
    "payment_received": ("invoice_id", "received_at"),
    "invoice_posted": ("invoice_id", "posted_at"),
    "shipment_posted": ("order_id", "shipped_at"),
    "milestone_reported": ("order_id", "reported_at"),
}


def _require(body: pb_message.Message, msg_id: str, *fields: str) -> None:
    for f in fields:
        if not getattr(body, f):
            raise ContractError(f"{body.DESCRIPTOR.name} in message {msg_id} has no {f}")


def decode_erp_record(record: ConsumerRecord) -> Inbound:
    msg = erp_pb2.ErpInboundMessage()
    try:
        msg.ParseFromString(unframe(record.value or b""))
    except (pb_message.DecodeError, FrameError) as exc:
        raise ContractError(f"value is not an l2c.v1.ErpInboundMessage: {exc}") from None
    if not msg.message_id:
        raise ContractError("ErpInboundMessage has no message_id")
    kind = msg.WhichOneof("body")
    if kind not in _BODIES:
        raise ContractError(f"ErpInboundMessage {msg.message_id} has no known body (got {kind})")
    body = getattr(msg, kind)
    document_field, time_field = _BODIES[kind]
    try:
        uuid.UUID(getattr(body, document_field))
    except ValueError:
        raise ContractError(
            f"{document_field} {getattr(body, document_field)!r} is not a UUID"
        ) from None
    if kind == "payment_received":
        _require(body, msg.message_id, "payment_id")
        money_from_proto(body.amount)  # raises ContractError when malformed
    elif kind == "invoice_posted":
        _require(body, msg.message_id, "erp_invoice_number")
        money_from_proto(body.amount)
    elif kind == "shipment_posted":
        _require(body, msg.message_id, "shipment_id")
    else:
        _require(body, msg.message_id, "milestone")
        if body.status not in ("delivered", "accepted"):
            raise ContractError(
                f"milestone status must be delivered or accepted, not {body.status!r}"
            )
    if not body.HasField(time_field):
        raise ContractError(
            f"{body.DESCRIPTOR.name} in message {msg.message_id} has no {time_field}"
        )
    return Inbound(
        message_id=msg.message_id,
        message_type=body.DESCRIPTOR.full_name,
        body=body,
        correlation_id=msg.message_id,
        occurred_at=event_time(getattr(body, time_field), received_at(record), time_field),
    )


def payment_message(
    message_id: str, payment_id: str, invoice_id: uuid.UUID, amount: Money, received_at: datetime
) -> erp_pb2.ErpInboundMessage:
    return erp_pb2.ErpInboundMessage(
        message_id=message_id,
        payment_received=erp_pb2.ErpPaymentReceived(
            payment_id=payment_id,
            invoice_id=str(invoice_id),
            amount=money_to_proto(amount),
            received_at=timestamp(received_at),
        ),
    )


def invoice_posted_message(
    message_id: str, invoice_id: uuid.UUID, erp_number: str, amount: Money, posted_at: datetime
) -> erp_pb2.ErpInboundMessage:
    return erp_pb2.ErpInboundMessage(
        message_id=message_id,
        invoice_posted=erp_pb2.ErpInvoicePosted(
            invoice_id=str(invoice_id),
            erp_invoice_number=erp_number,
            amount=money_to_proto(amount),
            posted_at=timestamp(posted_at),
        ),
    )


def shipment_message(
    message_id: str, order_id: uuid.UUID, shipment_id: str, milestone: str, at: datetime
) -> erp_pb2.ErpInboundMessage:
    return erp_pb2.ErpInboundMessage(
        message_id=message_id,
        shipment_posted=erp_pb2.ErpShipmentPosted(
            order_id=str(order_id),
            shipment_id=shipment_id,
            milestone=milestone,
            shipped_at=timestamp(at),
        ),
    )


def milestone_message(
    message_id: str,
    order_id: uuid.UUID,
    milestone: str,
    status: str,
    at: datetime,
    reported_by: str = "",
    reference: str = "",
) -> erp_pb2.ErpInboundMessage:
    return erp_pb2.ErpInboundMessage(
        message_id=message_id,
        milestone_reported=erp_pb2.ErpMilestoneReported(
            order_id=str(order_id),
            milestone=milestone,
            status=status,
            reported_at=timestamp(at),
            reported_by=reported_by,
            reference=reference,
        ),
    )


def document_key(msg: erp_pb2.ErpInboundMessage) -> bytes:
    """The record key: the document the message concerns, so its messages stay in order."""
    kind = msg.WhichOneof("body")
    if kind is None:
        return b""
    return str(getattr(getattr(msg, kind), _BODIES[kind][0])).encode()


class ErpInboundPublisher:
    """Writes webhook-received ERP messages to l2c.erp.inbound.v1, keyed by document."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, msg: erp_pb2.ErpInboundMessage) -> None:
        await self._producer.send_and_wait(
            ERP_INBOUND.name,
            value=msg.SerializeToString(),
            key=document_key(msg),
            headers=[
                ("message_id", msg.message_id.encode()),
                *kafka_headers_for(current_trace_headers()),
            ],
        )
