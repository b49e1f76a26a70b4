"""Kafka policies of the deals service."""

from __future__ import annotations

import uuid
from dataclasses import replace

from google.protobuf import json_format
from l2c.v1 import leads_pb2, telephony_pb2

from kernel.commands import build
from kernel.consumer import Inbound, PolicyConsumer
from kernel.contracts import money_from_proto
from kernel.domain import command_context, current_context, utcnow
from kernel.errors import ContractError
from kernel.settings import Settings
from kernel.telephony import decode_telephony_record
from kernel.topics import LEADS, TELEPHONY_INBOUND
from services.deals.application import DealsApplication
from services.deals.domain.commands import RecordCall, RecordKeyEvent
from services.deals.domain.qualification import Qualification


def open_deal_when_lead_converted(app: DealsApplication, settings: Settings) -> PolicyConsumer:
    def handle(message: Inbound, idempotency_key: str) -> None:
        # Only LeadConverted reaches here (reacts_to below).
        converted = message.body
        app.open_deal_for_lead(
            lead_id=uuid.UUID(converted.lead_id),
            name=converted.deal_name,
            amount=money_from_proto(converted.expected_amount),
            owner_id=converted.owner_id,
            company=converted.company,
            qualification=Qualification(
                **json_format.MessageToDict(
                    converted.qualification, preserving_proto_field_name=True
                )
            ),
            process_id=converted.process_id,
            team=converted.team,
            idempotency_key=idempotency_key,
        )

    return PolicyConsumer(
        "deals.open-deal-when-lead-converted",
        LEADS,
        handle,
        settings,
        reacts_to=(leads_pb2.LeadConverted,),
    )


def attach_conversation_to_deal(app: DealsApplication, settings: Settings) -> PolicyConsumer:
    """Calls and key events from telephony / conversation intelligence land on their deal
    (named, or found by the contact's number); what matches no deal is dead-lettered."""

    def handle(message: Inbound, idempotency_key: str) -> None:
        body = message.body
        at = message.occurred_at or utcnow()
        with command_context(replace(current_context(), occurred_at=at)):
            if isinstance(body, telephony_pb2.CallRecorded):
                call = build(
                    RecordCall,
                    deal_id=_deal_of(app, body.deal_id, body.contact_number),
                    at=at,
                    duration_seconds=body.duration_seconds,
                    rep_talk_ratio=body.rep_talk_ratio,
                    call_id=body.call_id,
                )
                app.dispatch(call, idempotency_key=idempotency_key)
            elif isinstance(body, telephony_pb2.KeyEventDetected):
                detected = build(
                    RecordKeyEvent,
                    deal_id=_deal_of(app, body.deal_id, body.contact_number),
                    kind=body.kind,
                    source="conversation_intelligence",
                    ref=f"detection:{body.detection_id}",
                )
                app.dispatch(detected, idempotency_key=idempotency_key)

    return PolicyConsumer(
        "deals.attach-conversation-to-deal",
        TELEPHONY_INBOUND,
        handle,
        settings,
        decode=decode_telephony_record,
    )


def _deal_of(app: DealsApplication, deal_id: str, contact_number: str) -> uuid.UUID:
    if deal_id:
        try:
            return uuid.UUID(deal_id)
        except ValueError:
            raise ContractError(f"deal_id {deal_id!r} is not a UUID") from None
    return app.deal_for_contact(contact_number)
