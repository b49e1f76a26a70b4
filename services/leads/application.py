"""Use cases of the leads service: load, decide, save (through the kernel's execute)."""

from __future__ import annotations

import uuid

from kernel.domain import Money
from kernel.store import Result, ServiceApplication, fingerprint_of
from services.leads.domain.lead import Lead


class LeadsApplication(ServiceApplication):
    name = "leads"

    def capture_lead(
        self,
        *,
        full_name: str,
        email: str,
        company: str,
        phone: str,
        source: str,
        campaign_id: str,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[Lead], Result]:
            lead = Lead.capture(full_name, email, company, phone, source, campaign_id)
            return [lead], _state(lead)

        request = (full_name, email, company, phone, source, campaign_id)
        return self.execute(
            "capture_lead",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("capture_lead", *request),
        )

    def qualify_lead(
        self,
        lead_id: uuid.UUID,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "qualify_lead",
            Lead,
            lead_id,
            lambda lead: lead.qualify_as_mql(note),
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[note],
        )

    def accept_lead(
        self,
        lead_id: uuid.UUID,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "accept_lead",
            Lead,
            lead_id,
            lambda lead: lead.accept_as_sql(note),
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[note],
        )

    def convert_lead(
        self,
        lead_id: uuid.UUID,
        *,
        deal_name: str,
        expected_amount: Money,
        owner_id: str,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "convert_lead",
            Lead,
            lead_id,
            lambda lead: lead.convert(deal_name, expected_amount, owner_id),
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[deal_name, str(expected_amount), owner_id],
        )

    def get_lead(self, lead_id: uuid.UUID) -> Lead:
        return self.load(Lead, lead_id)


def _state(lead: Lead) -> Result:
    return {"lead_id": str(lead.id), "status": lead.status.value, "version": lead.version}
