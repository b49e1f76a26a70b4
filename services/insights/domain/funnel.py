"""Funnel and conversion, from campaign lead to cash collected.

Each unique lead and each deal opened without a lead is one entity moving down the steps.
Merged duplicates are not leads; a lead flagged as a duplicate at capture is left out of
the base too — unless marketing qualified it all the same — and counted beside the steps
(``duplicates``), so conversions start from unique leads. An entity reaches "deal" when
its deal opens, "won" when the deal is won, "invoiced" at its orders' first invoice and
"paid" when payments cover what its orders are worth (cash collected).

Two bases: ``activity`` counts, per step, the entities that reached the step inside the
period (what happened this month); ``cohort`` follows the entities that *entered* in the
period (captured, or opened for lead-less deals) and counts every step they reached since
(how this month's leads convert).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from services.insights.domain.slicing import Slice, period_key, ratio
from services.insights.domain.state import Projection, Record

STEPS = ("lead", "mql", "sql", "deal", "won", "invoiced", "paid")


@dataclass(frozen=True)
class Journey:
    key: str
    dims: dict[str, str]
    reached: dict[str, str]  # step -> ISO event time

    @property
    def entered(self) -> str:
        return self.reached.get("lead") or self.reached["deal"]


def order_milestones(p: Projection, deal: Record) -> dict[str, str]:
    """When a deal's orders were first invoiced and when they were paid in full."""
    reached: dict[str, str] = {}
    orders = [o for o in p.orders_of_deal(deal["id"]) if not o.get("cancelled_at")]
    if not orders:
        return reached
    invoices = [i for o in orders for i in p.invoices_of_order(o["id"]) if i.get("issued_at")]
    if invoices:
        reached["invoiced"] = min(i["issued_at"] for i in invoices)
    worth = sum(Decimal(o.get("amount", "0")) for o in orders)
    payments = sorted(
        (at, Decimal(amount)) for i in invoices for at, _, amount in i.get("payments", [])
    )
    collected = Decimal(0)
    for at, amount in payments:
        collected += amount
        if worth > 0 and collected >= worth:
            reached["paid"] = at
            break
    return reached


def is_flagged_duplicate(lead: Record) -> bool:
    """Flagged as a duplicate at capture and never qualified: not a unique lead."""
    return bool(lead.get("duplicate_flagged_at")) and not lead.get("mql_at")


def flagged_duplicates(p: Projection) -> list[Journey]:
    """The leads left out of the funnel's base as duplicates (captured, nothing more)."""
    return [
        Journey(f"lead:{lead['id']}", p.lead_dims(lead), {"lead": lead["captured_at"]})
        for lead in p.all("lead").values()
        if lead.get("captured_at") and not lead.get("merged_into") and is_flagged_duplicate(lead)
    ]


def journeys(p: Projection) -> list[Journey]:
    found: list[Journey] = []
    deals_with_lead: set[str] = set()
    for lead in p.all("lead").values():
        if lead.get("merged_into") or not lead.get("captured_at") or is_flagged_duplicate(lead):
            continue
        reached = {"lead": lead["captured_at"]}
        for step, attribute in (("mql", "mql_at"), ("sql", "sql_at")):
            if lead.get(attribute):
                reached[step] = lead[attribute]
        deal = p.deal_of_lead(lead["id"])
        if deal and deal.get("opened_at"):
            deals_with_lead.add(deal["id"])
            reached.update(_deal_steps(p, deal))
        found.append(Journey(f"lead:{lead['id']}", p.lead_dims(lead), reached))
    for deal in p.all("deal").values():
        if deal["id"] in deals_with_lead or not deal.get("opened_at"):
            continue
        found.append(Journey(f"deal:{deal['id']}", p.deal_dims(deal), _deal_steps(p, deal)))
    return found


def _deal_steps(p: Projection, deal: Record) -> dict[str, str]:
    reached = {"deal": deal["opened_at"]}
    if deal.get("status") == "won":
        reached["won"] = deal["closed_at"]
        reached.update(order_milestones(p, deal))
    return reached


def count_steps(items: list[Journey], scope: Slice, basis: str) -> dict[str, int]:
    counts = dict.fromkeys(STEPS, 0)
    for journey in items:
        if not scope.matches(journey.dims):
            continue
        if basis == "cohort":
            if not scope.in_period(journey.entered):
                continue
            for step in journey.reached:
                counts[step] += 1
        else:
            for step, at in journey.reached.items():
                if scope.in_period(at):
                    counts[step] += 1
    return counts


def steps_report(counts: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    previous: int | None = None
    for step in STEPS:
        rows.append(
            {
                "step": step,
                "count": counts[step],
                "conversion_from_previous": None
                if previous is None
                else ratio(counts[step], previous),
                "conversion_from_top": ratio(counts[step], counts[STEPS[0]]),
            }
        )
        previous = counts[step]
    return rows


def funnel(
    p: Projection,
    scope: Slice,
    basis: str = "activity",
    group_by: str | None = None,
    grain: str = "month",
) -> dict[str, Any]:
    """The funnel of the slice, and per group when ``group_by`` names a dimension or
    "period"."""
    items = journeys(p)
    report: dict[str, Any] = {
        "basis": basis,
        "steps": steps_report(count_steps(items, scope, basis)),
        "duplicates": count_steps(flagged_duplicates(p), scope, basis)["lead"],
    }
    if group_by:
        groups: dict[str, list[Journey]] = {}
        for journey in items:
            if group_by == "period":
                moments = [journey.entered] if basis == "cohort" else list(journey.reached.values())
                keys = {period_key(m, grain) for m in moments}
            else:
                keys = {journey.dims[group_by]}
            for key in keys:
                groups.setdefault(key, []).append(journey)
        report["groups"] = [
            {
                "group": key,
                "steps": steps_report(
                    count_steps(
                        groups[key],
                        replace(scope, period=(grain, key)) if group_by == "period" else scope,
                        basis,
                    )
                ),
            }
            for key in sorted(groups)
        ]
    return report


UNASSIGNED = "unassigned"
# Teams take leads over at routing (MQL): their funnels are compared from there on.
TEAM_STEPS = STEPS[1:]


def compare(
    names: list[str], team: dict[str, int], company: dict[str, int]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Step-to-step conversions of a team against the company's, and the worst shortfall."""
    transitions: list[dict[str, Any]] = []
    for before, after in zip(names, names[1:], strict=False):
        team_rate = ratio(team[after], team[before])
        company_rate = ratio(company[after], company[before])
        gap = None
        if team_rate is not None and company_rate is not None:
            gap = round(team_rate - company_rate, 4)
        transitions.append(
            {
                "from": before,
                "to": after,
                "team_conversion": team_rate,
                "company_conversion": company_rate,
                "gap": gap,
            }
        )
    leaks = [t for t in transitions if t["gap"] is not None and t["gap"] < 0]
    if not leaks:
        return transitions, None
    worst = min(leaks, key=lambda t: (t["gap"], names.index(str(t["from"]))))
    return transitions, {"from": worst["from"], "to": worst["to"], "gap": worst["gap"]}


def stage_counts(
    p: Projection, deals: list[Record], process: str
) -> tuple[list[str], dict[str, int]]:
    """How many of the deals entered each stage of ``process`` (and were won)."""
    plan = [s["name"] for s in p.stage_plan(process, None)]
    counts = dict.fromkeys([*plan, "won"], 0)
    for deal in deals:
        if deal.get("process") != process:
            continue
        entered = {stay[0] for stay in deal.get("stages", [])}
        # A deal that reached a stage went through the ones before it.
        furthest = max((plan.index(name) for name in entered if name in plan), default=-1)
        for name in plan[: furthest + 1]:
            counts[name] += 1
        counts["won"] += deal.get("status") == "won"
    return [*plan, "won"], counts


def team_comparison(p: Projection, scope: Slice, basis: str = "cohort") -> dict[str, Any]:
    """Each team's funnel against the company's (from MQL on, over leads that reached a
    team), the step where the team's conversion falls furthest below the company's, and the
    same for every sales process's stages — where its deals leak."""
    items = journeys(p)
    company_scope = replace(scope, filters={k: v for k, v in scope.filters.items() if k != "team"})
    assigned = [j for j in items if j.dims["team"] != UNASSIGNED]
    company = count_steps(assigned, company_scope, basis)
    deals = [
        d
        for d in p.all("deal").values()
        if d.get("opened_at")
        and p.deal_dims(d)["team"] != UNASSIGNED
        and company_scope.matches(p.deal_dims(d))
        and scope.in_period(d["opened_at"])
    ]
    processes = sorted({d.get("process", "") for d in deals if d.get("process")})
    company_stages = {name: stage_counts(p, deals, name) for name in processes}
    teams = sorted({j.dims["team"] for j in assigned if company_scope.matches(j.dims)})
    rows = []
    for team in teams:
        if scope.filters.get("team") and scope.filters["team"] != team:
            continue
        team_scope = replace(company_scope, filters={**company_scope.filters, "team": team})
        counts = count_steps(assigned, team_scope, basis)
        transitions, leak = compare(list(TEAM_STEPS), counts, company)
        team_deals = [d for d in deals if p.deal_dims(d)["team"] == team]
        stages = []
        for name in processes:
            names, overall = company_stages[name]
            _, own = stage_counts(p, team_deals, name)
            stage_transitions, stage_leak = compare(names, own, overall)
            stages.append(
                {
                    "process": name,
                    "counts": own,
                    "company_counts": overall,
                    "transitions": stage_transitions,
                    "leaks_most_at": stage_leak,
                }
            )
        rows.append(
            {
                "team": team,
                "steps": steps_report(counts),
                "transitions": transitions,
                "leaks_most_at": leak,
                "stages": stages,
            }
        )
    return {"basis": basis, "company": steps_report(company), "teams": rows}
