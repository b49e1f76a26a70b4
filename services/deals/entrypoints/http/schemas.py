"""Request and response bodies of the deals API, validated at the edge."""

from __future__ import annotations

import uuid

from services.deals.application.views import DealState


class DealView(DealState):
    lead_id: uuid.UUID
    name: str
    currency: str
    owner_id: str
    company: str
