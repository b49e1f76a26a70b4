"""The telephony platform's contract on l2c.telephony.v1, validated at the edge for every
consumer (leads take inbound calls; deals take recorded calls and detected key events)."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord
from google.protobuf import message as pb_message
from l2c.v1 import telephony_pb2

from kernel.consumer import Inbound
from kernel.contracts import event_time, received_at
from kernel.errors import ContractError
from kernel.phones import is_usable_phone
from kernel.registry import FrameError, unframe


def decode_telephony_record(record: ConsumerRecord) -> Inbound:
    msg = telephony_pb2.TelephonyInboundMessage()
    try:
        msg.ParseFromString(unframe(record.value or b""))
    except (pb_message.DecodeError, FrameError) as exc:
        raise ContractError(f"value is not an l2c.v1.TelephonyInboundMessage: {exc}") from None
    if not msg.message_id:
        raise ContractError("TelephonyInboundMessage has no message_id")
    kind = msg.WhichOneof("body")
    if kind == "inbound_call":
        call = msg.inbound_call
        if not call.call_id:
            raise ContractError(f"call in message {msg.message_id} has no call_id")
        if not is_usable_phone(call.caller_number):
            raise ContractError(
                f"call {call.call_id} has no usable caller number ({call.caller_number!r})"
            )
        if not call.HasField("started_at"):
            raise ContractError(f"call {call.call_id} has no started_at")
        return Inbound(
            msg.message_id,
            call.DESCRIPTOR.full_name,
            call,
            call.call_id,
            event_time(call.started_at, received_at(record), "started_at"),
        )
    if kind == "call_recorded":
        rec = msg.call_recorded
        if not rec.call_id or not rec.HasField("started_at"):
            raise ContractError(
                f"recorded call in message {msg.message_id} lacks call_id or started_at"
            )
        if not (rec.deal_id or is_usable_phone(rec.contact_number)):
            raise ContractError(f"call {rec.call_id} names neither a deal nor a contact number")
        if not 0 <= rec.rep_talk_ratio <= 1:
            raise ContractError(
                f"call {rec.call_id}: rep_talk_ratio {rec.rep_talk_ratio} "
                "is not a share between 0 and 1"
            )
        return Inbound(
            msg.message_id,
            rec.DESCRIPTOR.full_name,
            rec,
            rec.call_id,
            event_time(rec.started_at, received_at(record), "started_at"),
        )
    if kind == "key_event_detected":
        found = msg.key_event_detected
        if not found.detection_id or not found.kind or not found.HasField("at"):
            raise ContractError(
                f"key event in message {msg.message_id} lacks detection_id, kind or at"
            )
        if not (found.deal_id or is_usable_phone(found.contact_number)):
            raise ContractError(
                f"key event {found.detection_id} names neither a deal nor a contact number"
            )
        return Inbound(
            msg.message_id,
            found.DESCRIPTOR.full_name,
            found,
            found.call_id,
            event_time(found.at, received_at(record), "at"),
        )
    raise ContractError(f"message {msg.message_id} has no known body")
