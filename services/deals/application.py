"""Use cases of the deals service."""

from __future__ import annotations

import uuid

from kernel.domain import Money
from kernel.errors import RuleViolation
from kernel.settings import Settings
from kernel.store import Result, ServiceApplication, fingerprint_of
from services.deals.domain.deal import Deal
from services.deals.domain.pipeline import Pipeline


class DealsApplication(ServiceApplication):
    name = "deals"

    def __init__(self, settings: Settings, pipeline: Pipeline) -> None:
        super().__init__(settings)
        self.pipeline = pipeline

    def open_deal_for_lead(
        self,
        *,
        lead_id: uuid.UUID,
        name: str,
        amount: Money,
        owner_id: str,
        company: str,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[Deal], Result]:
            if self.exists(Deal.create_id(lead_id)):
                raise RuleViolation(f"lead {lead_id} already has a deal")
            deal = Deal.open(lead_id, name, amount, owner_id, company, self.pipeline)
            return [deal], _state(deal)

        return self.execute(
            "open_deal",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("open", lead_id, name, str(amount), owner_id, company),
        )

    def advance_deal(
        self,
        deal_id: uuid.UUID,
        stage: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "advance_deal",
            Deal,
            deal_id,
            lambda deal: deal.advance_to(stage),
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stage],
        )

    def win_deal(
        self,
        deal_id: uuid.UUID,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "win_deal",
            Deal,
            deal_id,
            lambda deal: deal.win(),
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
        )

    def lose_deal(
        self,
        deal_id: uuid.UUID,
        *,
        reason: str,
        competitor: str = "",
        note: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "lose_deal",
            Deal,
            deal_id,
            lambda deal: deal.lose(reason, competitor, note),
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[reason, competitor, note],
        )

    def get_deal(self, deal_id: uuid.UUID) -> Deal:
        return self.load(Deal, deal_id)

    def deal_id_for_lead(self, lead_id: uuid.UUID) -> uuid.UUID:
        return Deal.create_id(lead_id)


def _state(deal: Deal) -> Result:
    return {
        "deal_id": str(deal.id),
        "status": deal.status.value,
        "stage": deal.stage,
        "win_probability_percent": deal.win_probability_percent,
        "version": deal.version,
    }
