"""Kafka policies of the deals service."""

from __future__ import annotations

import uuid

from google.protobuf import json_format
from l2c.v1 import leads_pb2

from kernel.consumer import Inbound, PolicyConsumer
from kernel.contracts import money_from_proto
from kernel.settings import Settings
from kernel.topics import LEADS
from services.deals.application import DealsApplication
from services.deals.domain.qualification import Qualification


def open_deal_when_lead_converted(app: DealsApplication, settings: Settings) -> PolicyConsumer:
    def handle(message: Inbound, idempotency_key: str) -> None:
        if not isinstance(message.body, leads_pb2.LeadConverted):
            return
        converted = message.body
        app.open_deal_for_lead(
            lead_id=uuid.UUID(converted.lead_id),
            name=converted.deal_name,
            amount=money_from_proto(converted.expected_amount),
            owner_id=converted.owner_id,
            company=converted.company,
            qualification=Qualification(
                **json_format.MessageToDict(converted.qualification,
                                            preserving_proto_field_name=True)),
            process_id=converted.process_id,
            idempotency_key=idempotency_key,
        )

    return PolicyConsumer("deals.open-deal-when-lead-converted", LEADS, handle, settings)
