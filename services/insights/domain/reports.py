"""Every read model at once, for comparing two projections (rebuild against live)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.insights.domain.adherence import adherence_summary, deals_adherence
from services.insights.domain.campaigns import campaign_roi, reverse_funnel
from services.insights.domain.engine import ANNOUNCED, BREACH_LOG, ReadModelSettings
from services.insights.domain.forecast import accuracy, pipeline, snapshot_summary
from services.insights.domain.funnel import funnel, team_comparison
from services.insights.domain.health import HealthRules, open_breaches, summary
from services.insights.domain.receivables import order_rows, receivables, unmatched_payments
from services.insights.domain.slicing import Slice
from services.insights.domain.state import Projection
from services.insights.domain.velocity import velocity
from services.insights.domain.watermark import DUE


def full_report(p: Projection, rules: HealthRules, settings: ReadModelSettings) -> dict[str, Any]:
    scope = Slice(currency=settings.reporting_currency)
    limits = settings.thresholds
    breaches = open_breaches(p, rules)
    adherence = deals_adherence(p, scope)
    return {
        "clock": p.meta.get("clock"),
        "funnel": funnel(p, scope, group_by="team"),
        "funnel_cohort": funnel(p, scope, basis="cohort", group_by="period"),
        "teams": team_comparison(p, scope),
        "velocity": velocity(p, scope, group_by="rep"),
        "pipeline": pipeline(p, scope),
        "snapshots": [snapshot_summary(s, scope) for _, s in sorted(p.all("snapshot").items())],
        "accuracy": accuracy(p, scope),
        "breaches": [b.as_dict() for b in breaches],
        "breach_summary": summary(breaches),
        "orders": order_rows(p, scope, limits),
        "unmatched_payments": unmatched_payments(p),
        "receivables": receivables(p, scope, limits),
        "campaigns": campaign_roi(p, scope),
        "reverse_funnel": reverse_funnel(p, scope, Decimal(1_000_000)),
        "adherence": adherence,
        "adherence_summary": adherence_summary(adherence),
    }


def comparable_records(p: Projection) -> dict[str, Any]:
    """The records that must not depend on arrival order: all but the bookkeeping of what
    was announced (and its log) and of the judgements still due (which depend on how far
    the watermark got)."""
    said = (ANNOUNCED, BREACH_LOG, DUE)
    return {kind: dict(p.all(kind).items()) for kind in p.kinds() if kind not in said}
