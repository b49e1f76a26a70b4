"""The telephony platform's inbound contract on l2c.telephony.v1, validated at the edge."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from google.protobuf import message as pb_message
from l2c.v1 import telephony_pb2

from kernel.consumer import Inbound
from kernel.contracts import from_timestamp
from kernel.errors import ContractError
from kernel.telemetry import current_trace_headers, kafka_headers_for
from kernel.topics import TELEPHONY_INBOUND
from services.leads.domain.matching import normalise_phone


def decode_telephony_record(record: ConsumerRecord) -> Inbound:
    msg = telephony_pb2.TelephonyInboundMessage()
    try:
        msg.ParseFromString(record.value or b"")
    except pb_message.DecodeError as exc:
        raise ContractError(f"value is not an l2c.v1.TelephonyInboundMessage: {exc}") from None
    if not msg.message_id:
        raise ContractError("TelephonyInboundMessage has no message_id")
    if msg.WhichOneof("body") != "inbound_call":
        raise ContractError(f"message {msg.message_id} has no known body")
    call = msg.inbound_call
    if not call.call_id:
        raise ContractError(f"call in message {msg.message_id} has no call_id")
    if len(normalise_phone(call.caller_number).lstrip("+")) < 7:
        raise ContractError(f"call {call.call_id} has no usable caller number "
                            f"({call.caller_number!r})")
    if not call.HasField("started_at"):
        raise ContractError(f"call {call.call_id} has no started_at")
    return Inbound(message_id=msg.message_id, message_type=call.DESCRIPTOR.full_name,
                   body=call, correlation_id=call.call_id,
                   occurred_at=from_timestamp(call.started_at))


class TelephonyPublisher:
    """Writes webhook-received calls to l2c.telephony.v1, keyed by the caller's number."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, msg: telephony_pb2.TelephonyInboundMessage) -> None:
        await self._producer.send_and_wait(
            TELEPHONY_INBOUND.name, value=msg.SerializeToString(),
            key=normalise_phone(msg.inbound_call.caller_number).encode(),
            headers=[("message_id", msg.message_id.encode()),
                     *kafka_headers_for(current_trace_headers())],
        )
