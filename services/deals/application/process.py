"""Opening (behind the qualification gate) and process versions; migrating a deal (the
stage, action, key-event and closing commands are the catalog's: ``domain/commands.py``)."""

from __future__ import annotations

import uuid

from kernel.commands import build
from kernel.domain import Money
from kernel.errors import InvalidCommand
from kernel.store import Result
from services.deals.application.base import DealsBase
from services.deals.domain import commands
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
        team: str = "",
        idempotency_key: str | None = None,
    ) -> Result:
        """``OpenDealForLead`` from domain values (what the lead-converted policy sends)."""
        command = build(
            commands.OpenDealForLead,
            lead_id=lead_id,
            name=name,
            amount={"amount": amount.amount, "currency": amount.currency},
            owner_id=owner_id,
            company=company,
            process_id=process_id,
            qualification=qualification,
            team=team,
        )
        return self.dispatch(command, idempotency_key=idempotency_key)

    def get_deal(self, deal_id: uuid.UUID) -> Deal:
        return self.load(Deal, deal_id)

    def deal_id_for_lead(self, lead_id: uuid.UUID) -> uuid.UUID:
        return Deal.create_id(lead_id)
