"""Integration webhooks that write to the inbound topics."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from l2c.v1 import telephony_pb2

from kernel.contracts import timestamp
from kernel.http import idempotency_key
from kernel.routing import service_router
from services.leads.adapters.telephony import TelephonyPublisher
from services.leads.entrypoints.http.schemas import (
    InboundCallRequest,
)
from services.leads.entrypoints.http.wiring import Wiring


def routes(w: Wiring) -> APIRouter:
    producer = w.producer
    router = service_router()

    @router.post(
        "/integrations/telephony/calls",
        status_code=202,
        tags=["telephony"],
        summary="Telephony webhook: an inbound call (queued on l2c.telephony.v1)",
    )
    async def inbound_call(
        body: InboundCallRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, str]:
        message_id = key or f"call:{body.call_id}"
        message = telephony_pb2.TelephonyInboundMessage(
            message_id=message_id,
            inbound_call=telephony_pb2.InboundCall(
                call_id=body.call_id,
                caller_number=body.caller_number,
                caller_name=body.caller_name,
                dialled_number=body.dialled_number,
                campaign_id=body.campaign_id,
                started_at=timestamp(body.started_at),
                answered=body.answered,
                duration_seconds=body.duration_seconds,
            ),
        )
        await TelephonyPublisher(await producer.get()).publish(message)
        return {"message_id": message_id, "status": "queued"}

    return router
