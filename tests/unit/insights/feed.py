"""Hand-built event streams for the insights domain tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.insights.domain.events import Event, iso
from services.insights.domain.state import Projection

T0 = datetime(2026, 7, 6, 9, tzinfo=UTC)  # a Monday


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def eur(amount: str) -> dict[str, str]:
    return {"currency": "EUR", "amount": amount}


class Feed:
    """Events with versions counted per aggregate, as the relay would publish them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._versions: dict[str, int] = {}

    def add(self, type_: str, aggregate: str, when: datetime, **data: Any) -> Event:
        version = self._versions.get(aggregate, -1) + 1
        self._versions[aggregate] = version
        event = Event(type_, str(uuid.uuid4()), aggregate, when, data, version)
        self.events.append(event)
        return event

    def erp(self, type_: str, message_id: str, when: datetime, **data: Any) -> Event:
        event = Event(type_, message_id, data.get("invoice_id", ""), when, data, None)
        self.events.append(event)
        return event

    def tick(self, when: datetime) -> Event:
        return self.add("ClockTicked", "clock", when)

    def projection(self) -> Projection:
        p = Projection()
        for event in self.events:
            p.apply(event)
        return p

    # -- shorthands ---------------------------------------------------------------------

    def lead(
        self,
        lead: str,
        when: datetime,
        *,
        channel: str = "web_form",
        campaign: str = "",
        team: str = "",
        rep: str = "",
        mql: float | None = None,
        sql: float | None = None,
        product: str = "analytics",
        region: str = "emea",
    ) -> None:
        self.add(
            "LeadCaptured",
            lead,
            when,
            source=channel,
            campaign_id=campaign,
            region=region,
            product_interest=product,
        )
        if mql is not None:
            self.add("LeadMarketingQualified", lead, when + timedelta(days=mql))
            if team:
                self.add("LeadRouted", lead, when + timedelta(days=mql), team=team, rep=rep)
        if sql is not None:
            self.add("LeadSalesAccepted", lead, when + timedelta(days=sql))

    def deal(
        self,
        deal: str,
        when: datetime,
        *,
        lead: str = "",
        owner: str = "ann",
        amount: str = "1000.00",
        stage: str = "contact",
        probability: int = 10,
        process: str = "simple-product-sale",
    ) -> None:
        self.add(
            "DealOpened",
            deal,
            when,
            lead_id=lead,
            owner_id=owner,
            amount=eur(amount),
            stage=stage,
            win_probability_percent=probability,
            pipeline_id=process,
            process_version=1,
        )

    def advance(self, deal: str, when: datetime, to: str, probability: int) -> None:
        self.add("DealStageAdvanced", deal, when, to_stage=to, win_probability_percent=probability)

    def won(self, deal: str, when: datetime, amount: str) -> None:
        self.add("DealWon", deal, when, amount=eur(amount), closed_at=iso(when))


PROCESSES = {
    "default_process": "simple-product-sale",
    "processes": [
        {
            "id": "simple-product-sale",
            "name": "Simple",
            "stages": [
                {
                    "name": "contact",
                    "win_probability_percent": 10,
                    "key_event_path": ["opening", "customer_need"],
                },
                {
                    "name": "product_understanding",
                    "win_probability_percent": 30,
                    "key_event_path": ["product_introduction", "customer_approval"],
                },
                {
                    "name": "quote",
                    "win_probability_percent": 60,
                    "key_event_path": ["price_objection", "next_step_agreement"],
                },
                {"name": "close", "win_probability_percent": 80},
            ],
        }
    ],
}
