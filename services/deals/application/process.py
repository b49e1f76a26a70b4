"""Opening (behind the qualification gate), the sales process, and closing."""

from __future__ import annotations

import uuid

from kernel.domain import Money
from kernel.errors import InvalidCommand, RuleViolation
from kernel.store import Result, fingerprint_of
from services.deals.application.base import DealsBase
from services.deals.application.views import deal_state
from services.deals.domain.deal import Deal
from services.deals.domain.pipeline import Pipeline
from services.deals.domain.qualification import Qualification


class ProcessUseCases(DealsBase):
    def process(self, process_id: str = "") -> Pipeline:
        """A sales process as currently defined (the default one when none is named)."""
        version, schema = self.processes.current()
        found = schema.process(process_id or schema.default_process, version)
        if found is None:
            known = ", ".join(p.id for p in schema.processes)
            raise InvalidCommand(f"no sales process {process_id!r}; processes are {known}")
        return found

    def open_deal_for_lead(
        self,
        *,
        lead_id: uuid.UUID,
        name: str,
        amount: Money,
        owner_id: str,
        company: str,
        process_id: str = "",
        qualification: Qualification | None = None,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[Deal], Result]:
            if self.exists(Deal.create_id(lead_id)):
                raise RuleViolation(f"lead {lead_id} already has a deal")
            deal = Deal.open(
                lead_id, name, amount, owner_id, company, self.process(process_id), qualification
            )
            return [deal], deal_state(deal)

        return self.execute(
            "open_deal",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of(
                "open", lead_id, name, str(amount), owner_id, company, process_id, qualification
            ),
        )

    def complete_action(
        self,
        deal_id: uuid.UUID,
        action: str,
        note: str = "",
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "complete_action",
            Deal,
            deal_id,
            lambda deal: deal.complete_action(action, note),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[action, note],
        )

    def record_key_event(
        self,
        deal_id: uuid.UUID,
        kind: str,
        source: str,
        ref: str = "",
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "record_key_event",
            Deal,
            deal_id,
            lambda deal: deal.record_key_event(kind, source, ref),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[kind, source, ref],
        )

    def advance_deal(
        self,
        deal_id: uuid.UUID,
        stage: str,
        *,
        override_by: str = "",
        override_reason: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "advance_deal",
            Deal,
            deal_id,
            lambda deal: deal.advance_to(stage, override_by, override_reason),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stage, override_by, override_reason],
        )

    def move_deal_back(
        self,
        deal_id: uuid.UUID,
        stage: str,
        reason: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "move_deal_back",
            Deal,
            deal_id,
            lambda deal: deal.move_back_to(stage, reason),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stage, reason],
        )

    def migrate_deal(
        self,
        deal_id: uuid.UUID,
        process_id: str = "",
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        """Move a deal onto the current version of its process (or another process)."""

        def change(deal: Deal) -> None:
            deal.migrate_to(self.process(process_id or deal.pipeline_definition.id))

        return self.update(
            "migrate_deal",
            Deal,
            deal_id,
            change,
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[process_id],
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
            deal_state,
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
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[reason, competitor, note],
        )

    def close_without_decision(
        self,
        deal_id: uuid.UUID,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "close_without_decision",
            Deal,
            deal_id,
            lambda deal: deal.close_without_decision(note),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[note],
        )

    def get_deal(self, deal_id: uuid.UUID) -> Deal:
        return self.load(Deal, deal_id)

    def deal_id_for_lead(self, lead_id: uuid.UUID) -> uuid.UUID:
        return Deal.create_id(lead_id)
