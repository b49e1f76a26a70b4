"""The read-model queries: parameters (validated), the report each answers, paging.

Both the worker's web views and the gateway use these models, so a bad parameter gets the
same 422 body wherever it is caught:
``{"error": "invalid_request", "message": "...", "details": [{"loc", "msg"}]}``.
Every answer says how current it is: ``as_of.event_time`` (the projection's clock) and
``as_of.offsets`` (per topic and partition, the next offset to read).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from kernel.contracts import check_event_time
from kernel.errors import ContractError
from services.insights.domain import adherence, campaigns, forecast, funnel, health, receivables
from services.insights.domain.engine import BREACH_LOG, ReadModelSettings
from services.insights.domain.health import HealthRules
from services.insights.domain.slicing import DIMENSIONS, Slice
from services.insights.domain.state import Projection
from services.insights.domain.velocity import velocity

Dimension = Literal["team", "rep", "campaign", "channel", "product_line", "region"]
Grain = Literal["day", "week", "month", "quarter"]


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: str | None = None
    rep: str | None = None
    campaign: str | None = None
    channel: str | None = None
    product_line: str | None = None
    region: str | None = None
    since: date | None = Field(None, description="first event-time day, inclusive")
    until: date | None = Field(None, description="last event-time day, inclusive")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="default: EUR")
    as_of: AwareDatetime | None = Field(
        None,
        description="the read model as it stood at this event time (RFC 3339 with an "
        "offset): folded again from the topics' records up to it",
    )

    @model_validator(mode="after")
    def _period(self) -> Filters:
        if self.since and self.until and self.since > self.until:
            raise ValueError("since is after until")
        if self.as_of is not None:
            try:
                check_event_time(self.as_of, what="as_of")
            except ContractError as exc:
                raise ValueError(str(exc)) from None
        return self

    def scope(self, settings: ReadModelSettings) -> Slice:
        chosen = {name: getattr(self, name) for name in DIMENSIONS if getattr(self, name)}
        return Slice(chosen, self.since, self.until, self.currency or settings.reporting_currency)


class Page(BaseModel):
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, description="next_cursor of the previous page")


class FunnelQuery(Filters):
    basis: Literal["activity", "cohort"] = "activity"
    group_by: Dimension | Literal["period"] | None = None
    grain: Grain = "month"


class TeamsQuery(Filters):
    basis: Literal["activity", "cohort"] = "cohort"


class VelocityQuery(Filters):
    group_by: Literal["team", "rep", "period"] | None = None
    grain: Grain = "month"


class ForecastQuery(Filters):
    grain: Literal["month", "quarter"] = "quarter"


class SnapshotsQuery(Filters, Page):
    week: date | None = Field(None, description="one snapshot (its Monday) with every line")


class AccuracyQuery(Filters):
    pass


class BreachesQuery(Filters, Page):
    deal_id: str | None = None
    rule: str | None = None
    severity: Literal["low", "medium", "high"] | None = None


class BreachHistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deal_id: str | None = Field(None, max_length=64)
    lead_id: str | None = Field(None, max_length=64)
    team: str | None = Field(None, description="entries of this team's breaches only")
    rep: str | None = Field(None, description="entries of this rep's breaches only")

    @model_validator(mode="after")
    def _one_subject(self) -> BreachHistoryQuery:
        if (self.deal_id is None) == (self.lead_id is None):
            raise ValueError("name one subject: deal_id or lead_id")
        return self


class ReconciliationQuery(Filters, Page):
    order_id: str | None = Field(None, max_length=64, description="one order's row only")
    status: str | None = None
    mismatch: (
        Literal[
            "invoice_not_posted",
            "amount_differs",
            "payment_without_invoice",
            "overpayment",
            "installment_overdue",
        ]
        | None
    ) = None


class ReceivablesQuery(Filters):
    group_by: Literal["team", "product_line"] = "team"


class CampaignsQuery(Filters, Page):
    pass


class ReverseFunnelQuery(Filters):
    target: Decimal = Field(gt=0, description="revenue to win, in the currency")


class AdherenceQuery(Filters, Page):
    deal_id: str | None = None
    deviation: str | None = Field(None, description='e.g. "missing:customer_approval"')


class QueryError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def _invalid(exc: ValidationError) -> QueryError:
    details = [{"loc": ["query", *map(str, e["loc"])], "msg": e["msg"]} for e in exc.errors()]
    message = "; ".join(
        f"{'.'.join(['query', *map(str, e['loc'])])}: {e['msg']}" for e in exc.errors()
    )
    return QueryError(422, {"error": "invalid_request", "message": message, "details": details})


def paginate(
    rows: list[dict[str, Any]], key: str, page: Page
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows are sorted by ``key``; the cursor is the last key returned (opaque)."""
    start = 0
    if page.cursor:
        try:
            after = base64.urlsafe_b64decode(page.cursor.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise QueryError(
                422, {"error": "invalid_request", "message": "cursor is not one this API gave"}
            ) from None
        start = next((i for i, r in enumerate(rows) if str(r[key]) > after), len(rows))
    chunk = rows[start : start + page.limit]
    more = start + page.limit < len(rows)
    next_cursor = (
        base64.urlsafe_b64encode(str(chunk[-1][key]).encode()).decode() if more and chunk else None
    )
    return chunk, {"limit": page.limit, "total": len(rows), "next_cursor": next_cursor}


Answer = Callable[[Any, Projection, HealthRules, ReadModelSettings], dict[str, Any]]


def _funnel(q: FunnelQuery, p: Projection, _: HealthRules, s: ReadModelSettings) -> dict[str, Any]:
    """Funnel counts and conversion, lead to cash, sliced and grouped
    Steps lead, mql, sql, deal, won, invoiced, paid. basis=activity counts what happened
    in the period; basis=cohort follows the leads that entered in it. group_by a dimension
    or period."""
    return funnel.funnel(p, q.scope(s), q.basis, q.group_by, q.grain)


def _teams(q: TeamsQuery, p: Projection, _: HealthRules, s: ReadModelSettings) -> dict[str, Any]:
    """Each team's funnel against the company average, with the step it leaks most at
    The leak is the step-to-step conversion furthest below the company's."""
    return funnel.team_comparison(p, q.scope(s), q.basis)


def _velocity(
    q: VelocityQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Time in stage (median, p90), sales cycle, win rate, deal size, productivity
    productivity_per_day = deals decided × average won size × win rate ÷ average cycle (days)."""
    return velocity(p, q.scope(s), q.group_by, q.grain)


def _forecast(
    q: ForecastQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Open pipeline weighted by stage probability, by close period and forecast category"""
    return forecast.pipeline(p, q.scope(s), q.grain)


def _snapshots(
    q: SnapshotsQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Weekly forecast snapshots (Monday 00:00 UTC), or one with all its inputs (week=)"""
    scope = q.scope(s)
    if q.week:
        snapshot = p.get("snapshot", q.week.isoformat())
        if snapshot is None:
            raise QueryError(
                404,
                {"error": "not_found", "message": f"no forecast snapshot for the week of {q.week}"},
            )
        # Snapshot lines know their team and rep only; other filters do not apply to them.
        lines = [
            line
            for line in snapshot["lines"]
            if (not q.team or line["team"] == q.team) and (not q.rep or line["rep"] == q.rep)
        ]
        return {**forecast.snapshot_summary(snapshot, scope), "lines": lines}
    rows = [
        {"week": key, **forecast.snapshot_summary(snapshot, scope)}
        for key, snapshot in sorted(p.all("snapshot").items())
    ]
    items, page = paginate(rows, "week", q)
    return {"currency": scope.currency, "snapshots": items, "page": page}


def _accuracy(
    q: AccuracyQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Forecast accuracy per team: each past snapshot against what was won in its quarter"""
    return forecast.accuracy(p, q.scope(s))


def _breaches(
    q: BreachesQuery, p: Projection, rules: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Open health-threshold breaches, with counts per rule, deal, rep and team
    Evaluated at the projection's clock (latest event time or tick)."""
    found = [
        b
        for b in health.open_breaches(p, rules)
        if (not q.team or b.team == q.team)
        and (not q.rep or b.rep == q.rep)
        and (not q.deal_id or b.deal_id == q.deal_id)
        and (not q.rule or b.rule == q.rule)
        and (not q.severity or b.severity == q.severity)
    ]
    rows = [{"key": b.key, **b.as_dict()} for b in found]
    items, page = paginate(rows, "key", q)
    return {"summary": health.summary(found), "breaches": items, "page": page}


def _breach_history(
    q: BreachHistoryQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Every breach of one deal or lead as it was announced and cleared
    Each entry: rule, severity, observed, threshold, since (when the condition began),
    detected_at (when it was announced) and cleared_at (null while it holds)."""
    subject = f"deal:{q.deal_id}" if q.deal_id else f"lead:{q.lead_id}"
    log = p.get(BREACH_LOG, subject) or {}
    entries = sorted(
        (
            e
            for e in log.get("entries", [])
            if (not q.team or e.get("team") == q.team) and (not q.rep or e.get("rep") == q.rep)
        ),
        key=lambda e: (e["detected_at"] or "", e["key"]),
    )
    return {"subject": subject, "entries": entries}


def _reconciliation(
    q: ReconciliationQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Per order: booked, scheduled, invoiced, ERP-posted, paid, outstanding, mismatches
    Also the ERP payments that name no invoice of ours (none when one order is asked for:
    they belong to no order), and counts per mismatch class."""
    rows = receivables.order_rows(p, q.scope(s), s.thresholds, q.order_id)
    # One order's row costs a few lookups, however many payments the ERP ever sent.
    unmatched = receivables.unmatched_payments(p) if q.order_id is None else []
    counts = receivables.mismatch_counts(rows, unmatched)
    if q.status:
        rows = [r for r in rows if r["status"] == q.status]
    if q.mismatch:
        rows = [r for r in rows if any(m["class"] == q.mismatch for m in r["mismatches"])]
    items, page = paginate(rows, "order_id", q)
    return {
        "mismatch_counts": counts,
        "payments_without_invoice": unmatched,
        "orders": items,
        "page": page,
    }


def _receivables(
    q: ReceivablesQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Receivables aging buckets (not due, 1-30, 31-60, 61-90, 90+ days past due) and DSO
    Per team or product line, in the currency; an invoice due today is not due yet."""
    return receivables.receivables(p, q.scope(s), s.thresholds, q.group_by)


def _campaigns(
    q: CampaignsQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Per campaign: cost, leads, MQL→SQL acceptance, deals, won revenue, cash, ROI"""
    items, page = paginate(campaigns.campaign_roi(p, q.scope(s)), "campaign_id", q)
    return {"campaigns": items, "page": page}


def _reverse(
    q: ReverseFunnelQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """The reverse funnel: leads each channel must bring for a revenue target
    The target is split by each channel's observed share of won revenue; its observed
    conversion rates give the leads it must bring (rounded up at every step)."""
    return campaigns.reverse_funnel(p, q.scope(s), q.target)


def _adherence(
    q: AdherenceQuery, p: Projection, _: HealthRules, s: ReadModelSettings
) -> dict[str, Any]:
    """Process adherence: each deal's key events against its process's preset path
    Deviations per deal, counted per rep and stage, and win rates with and without each."""
    rows = adherence.deals_adherence(p, q.scope(s))
    if q.deal_id:
        rows = [r for r in rows if r["deal_id"] == q.deal_id]
    if q.deviation:
        rows = [r for r in rows if any(d["deviation"] == q.deviation for d in r["deviations"])]
    items, page = paginate(rows, "deal_id", q)
    return {"summary": adherence.adherence_summary(rows), "deals": items, "page": page}


QUERIES: dict[str, tuple[type[BaseModel], Answer]] = {
    "funnel": (FunnelQuery, _funnel),
    "funnel/teams": (TeamsQuery, _teams),
    "velocity": (VelocityQuery, _velocity),
    "forecast": (ForecastQuery, _forecast),
    "forecast/snapshots": (SnapshotsQuery, _snapshots),
    "forecast/accuracy": (AccuracyQuery, _accuracy),
    "breaches": (BreachesQuery, _breaches),
    "breaches/history": (BreachHistoryQuery, _breach_history),
    "reconciliation": (ReconciliationQuery, _reconciliation),
    "receivables": (ReceivablesQuery, _receivables),
    "campaigns": (CampaignsQuery, _campaigns),
    "campaigns/reverse-funnel": (ReverseFunnelQuery, _reverse),
    "adherence": (AdherenceQuery, _adherence),
}


def as_of(p: Projection) -> dict[str, Any]:
    offsets: dict[str, dict[str, int]] = {}
    for key, offset in sorted(p.meta.get("positions", {}).items()):
        topic, partition = key.rsplit(":", 1)
        offsets.setdefault(topic, {})[partition] = int(offset)
    return {"event_time": p.meta.get("clock") or None, "offsets": offsets}


def validated(name: str, params: dict[str, str]) -> BaseModel:
    """The query ``params`` ask of read model ``name``; QueryError (404/422) otherwise."""
    if name not in QUERIES:
        raise QueryError(404, {"error": "not_found", "message": f"no read model {name!r}"})
    model, _ = QUERIES[name]
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise _invalid(exc) from None


def answer(
    name: str,
    params: dict[str, str],
    p: Projection,
    rules: HealthRules,
    settings: ReadModelSettings,
) -> dict[str, Any]:
    """The body of one query; QueryError (404/422) when it cannot be answered. ``p`` is
    the projection to answer from: the live one, or one folded up to the query's as_of."""
    query = validated(name, params)
    _, run = QUERIES[name]
    return {"as_of": as_of(p), **run(query, p, rules, settings)}
