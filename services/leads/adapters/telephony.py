"""The telephony platform's inbound contract on l2c.telephony.v1, validated at the edge."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from l2c.v1 import telephony_pb2

from kernel.phones import normalise_phone
from kernel.telemetry import current_trace_headers, kafka_headers_for
from kernel.topics import TELEPHONY_INBOUND


class TelephonyPublisher:
    """Writes webhook-received calls to l2c.telephony.v1, keyed by the caller's number."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, msg: telephony_pb2.TelephonyInboundMessage) -> None:
        await self._producer.send_and_wait(
            TELEPHONY_INBOUND.name,
            value=msg.SerializeToString(),
            key=normalise_phone(msg.inbound_call.caller_number).encode(),
            headers=[
                ("message_id", msg.message_id.encode()),
                *kafka_headers_for(current_trace_headers()),
            ],
        )
