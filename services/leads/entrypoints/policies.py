"""Kafka policies of the leads service."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from l2c.v1 import leads_pb2, telephony_pb2

from kernel.consumer import Inbound, PolicyConsumer
from kernel.domain import command_context, current_context, utcnow
from kernel.settings import Settings
from kernel.telephony import decode_telephony_record
from kernel.topics import LEADS, TELEPHONY_INBOUND
from services.leads.application import FirmographicsProvider, LeadsApplication

log = logging.getLogger(__name__)


def enrich_lead_when_captured(
    app: LeadsApplication,
    provider: FirmographicsProvider,
    settings: Settings,
    attempts: int = 3,
    backoff_seconds: float = 0.5,
) -> PolicyConsumer:
    """Asynchronous enrichment: the lead is usable at once; its firmographics (or the reason
    there are none) arrive as events a moment later, and the lead is scored then."""

    def handle(message: Inbound, idempotency_key: str) -> None:
        # Only LeadCaptured reaches here (reacts_to below).
        app.enrich_from(
            uuid.UUID(message.body.lead_id),
            provider,
            as_of=message.occurred_at or utcnow(),
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            idempotency_key=idempotency_key,
        )

    return PolicyConsumer(
        "leads.enrich-lead-when-captured",
        LEADS,
        handle,
        settings,
        reacts_to=(leads_pb2.LeadCaptured,),
    )


def capture_lead_when_call_arrives(app: LeadsApplication, settings: Settings) -> PolicyConsumer:
    """Inbound calls from the telephony platform: new callers become leads, known callers'
    answered calls count as engagement (and may lift them out of nurture)."""

    def handle(message: Inbound, idempotency_key: str) -> None:
        call = message.body
        if not isinstance(call, telephony_pb2.InboundCall):
            return  # recorded calls and key events are the deals service's
        with command_context(replace(current_context(), occurred_at=message.occurred_at)):
            app.handle_inbound_call(
                call_id=call.call_id,
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                campaign_id=call.campaign_id,
                started_at=message.occurred_at or utcnow(),
                answered=call.answered,
                idempotency_key=idempotency_key,
            )

    return PolicyConsumer(
        "leads.capture-lead-when-call-arrives",
        TELEPHONY_INBOUND,
        handle,
        settings,
        decode=decode_telephony_record,
    )
