"""Engagement, enrichment and scoring (which may qualify or nurture a lead)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from kernel.commands import build
from kernel.errors import NotFound
from kernel.store import Result
from services.leads.application.ports import (
    Firmographics,
    FirmographicsProvider,
    ProviderUnavailable,
)
from services.leads.application.routing import RoutingUseCases
from services.leads.domain import commands
from services.leads.domain.lead import Lead
from services.leads.domain.matching import web_domain
from services.leads.domain.scoring import ScoringRules, score


class ScoringUseCases(RoutingUseCases):
    def current_scoring(self) -> ScoringRules:
        version, schema = self.scoring_rules.current()
        return schema.to_domain(version)

    def _rescore(self, lead: Lead, as_of: datetime) -> None:
        previous = lead.score.get("as_of")
        moment = max(as_of, previous) if isinstance(previous, datetime) else as_of
        lead.apply_score(
            score(lead.profile, lead.engagement_history, self.current_scoring(), moment)
        )

    def record_engagement(
        self,
        lead_id: uuid.UUID,
        kind: str,
        occurred_at: datetime,
        *,
        ref: str = "",
        idempotency_key: str | None = None,
    ) -> Result:
        """``RecordEngagement`` from plain values (what inbound calls send)."""
        command = build(
            commands.RecordEngagement, lead_id=lead_id, kind=kind, occurred_at=occurred_at, ref=ref
        )
        return self.dispatch(command, idempotency_key=idempotency_key)

    def enrich_lead(
        self,
        lead_id: uuid.UUID,
        found: Firmographics,
        *,
        as_of: datetime,
        idempotency_key: str | None = None,
    ) -> Result:
        enriched = build(commands.EnrichLead, lead_id=lead_id, as_of=as_of, **found.__dict__)
        return self.dispatch(enriched, idempotency_key=idempotency_key)

    def enrich_from(
        self,
        lead_id: uuid.UUID,
        provider: FirmographicsProvider,
        *,
        as_of: datetime,
        attempts: int = 3,
        backoff_seconds: float = 0.5,
        idempotency_key: str | None = None,
    ) -> Result:
        """Ask the provider (retrying while it is down) and record what came of it: the
        firmographics, or a failure that says whether a later retry can help."""
        lead = self.get_lead(lead_id)
        domain = web_domain(lead.website, lead.email)
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                found = provider.lookup(domain, lead.company)
                break
            except ProviderUnavailable as exc:
                error = str(exc)
                if attempt < attempts:
                    time.sleep(backoff_seconds * 2 ** (attempt - 1))
        else:
            return self.record_enrichment_failure(
                lead_id,
                f"{provider.name} unavailable after {attempts} attempts: {error}",
                attempts,
                True,
                as_of=as_of,
                idempotency_key=idempotency_key,
            )
        if found is None:
            return self.record_enrichment_failure(
                lead_id,
                f"{provider.name} knows no company {domain or lead.company or '(none)'}",
                attempt,
                False,
                as_of=as_of,
                idempotency_key=idempotency_key,
            )
        return self.enrich_lead(lead_id, found, as_of=as_of, idempotency_key=idempotency_key)

    def record_enrichment_failure(
        self,
        lead_id: uuid.UUID,
        reason: str,
        attempts: int,
        retryable: bool,
        *,
        as_of: datetime,
        idempotency_key: str | None = None,
    ) -> Result:
        failed = build(
            commands.RecordEnrichmentFailure,
            lead_id=lead_id,
            reason=reason,
            attempts=attempts,
            retryable=retryable,
            as_of=as_of,
        )
        return self.dispatch(failed, idempotency_key=idempotency_key)

    def explain_score(self, lead_id: uuid.UUID) -> dict[str, Any]:
        """The lead's latest recorded score next to the same score recomputed from its
        history and the rule-set version it used."""
        scored = [e for e in self.history(Lead, lead_id) if type(e).__name__ == "Scored"]
        if not scored:
            raise NotFound(f"lead {lead_id} has not been scored yet")
        recorded: Any = scored[-1]
        then: Lead = self.repository.get(lead_id, version=recorded.originator_version)
        version, schema = (
            recorded.rule_set_version,
            self.scoring_rules.version(recorded.rule_set_version),
        )
        again = score(
            then.profile, then.engagement_history, schema.to_domain(version), recorded.as_of
        )
        recomputed = [{"rule": c.rule, "points": c.points} for c in again.contributions]
        return {
            "lead_id": str(lead_id),
            "rule_set_version": version,
            "as_of": recorded.as_of.isoformat(),
            "recorded": {
                "total": recorded.total,
                "grade": recorded.grade,
                "contributions": recorded.contributions,
            },
            "recomputed": {"total": again.total, "grade": again.grade, "contributions": recomputed},
            "matches": again.total == recorded.total and recomputed == recorded.contributions,
        }
