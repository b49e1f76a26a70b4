"""The ERP's inbound contract on l2c.erp.inbound.v1: validation at the edge, both ways.

``decode_erp_record`` turns a Kafka record into an :class:`Inbound` or raises ContractError
(the consumer dead-letters it with that reason). ``ErpInboundPublisher`` lets an ERP without
a Kafka client post the same message through an HTTP webhook.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from google.protobuf import message as pb_message
from l2c.v1 import erp_pb2

from kernel.consumer import Inbound
from kernel.contracts import from_timestamp, money_from_proto, money_to_proto, timestamp
from kernel.domain import Money
from kernel.errors import ContractError
from kernel.telemetry import current_trace_headers, kafka_headers_for
from kernel.topics import ERP_INBOUND


def decode_erp_record(record: ConsumerRecord) -> Inbound:
    msg = erp_pb2.ErpInboundMessage()
    try:
        msg.ParseFromString(record.value or b"")
    except pb_message.DecodeError as exc:
        raise ContractError(f"value is not an l2c.v1.ErpInboundMessage: {exc}") from None
    if not msg.message_id:
        raise ContractError("ErpInboundMessage has no message_id")
    kind = msg.WhichOneof("body")
    if kind != "payment_received":
        raise ContractError(f"ErpInboundMessage {msg.message_id} has no known body (got {kind})")
    payment = msg.payment_received
    if not payment.payment_id:
        raise ContractError(f"payment in message {msg.message_id} has no payment_id")
    try:
        uuid.UUID(payment.invoice_id)
    except ValueError:
        raise ContractError(f"invoice_id {payment.invoice_id!r} is not a UUID") from None
    money_from_proto(payment.amount)  # raises ContractError when malformed
    return Inbound(
        message_id=msg.message_id,
        message_type=payment.DESCRIPTOR.full_name,
        body=payment,
        correlation_id=msg.message_id,
        occurred_at=from_timestamp(payment.received_at)
        if payment.HasField("received_at")
        else None,
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


class ErpInboundPublisher:
    """Writes webhook-received ERP messages to l2c.erp.inbound.v1, keyed by invoice id."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, msg: erp_pb2.ErpInboundMessage) -> None:
        key = msg.payment_received.invoice_id.encode()
        await self._producer.send_and_wait(
            ERP_INBOUND.name,
            value=msg.SerializeToString(),
            key=key,
            headers=[
                ("message_id", msg.message_id.encode()),
                *kafka_headers_for(current_trace_headers()),
            ],
        )
