"""Velocity: time in stage, sales cycle, win rate, deal size and the productivity figure

    productivity = deals × average deal size × win rate ÷ cycle length (days)

per rep, team or period. "Deals" are the deals decided (won, lost or closed without a
decision) in the period; the cycle runs from the deal's opening to its close; the
average size is over won deals in the reporting currency; time in stage counts the
stage stays that ended in the period.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from services.insights.domain.slicing import (
    Slice,
    cents,
    days_between,
    median,
    percentile,
    period_key,
    ratio,
)
from services.insights.domain.state import Projection, Record

DECIDED = ("won", "lost", "no_decision")


def figures(deals: list[Record], scope: Slice) -> dict[str, Any]:
    stays: dict[str, list[float]] = {}
    for deal in deals:
        for stage, entered, left in deal.get("stages", []):
            if left and scope.in_period(left):
                stays.setdefault(stage, []).append(days_between(entered, left))
    decided = [
        d for d in deals if d.get("status") in DECIDED and scope.in_period(d.get("closed_at"))
    ]
    won = [d for d in decided if d["status"] == "won"]
    sized = [Decimal(d.get("won_amount", "0")) for d in won if d.get("currency") == scope.currency]
    cycles = [days_between(d["opened_at"], d["closed_at"]) for d in decided]
    average_size = sum(sized, Decimal(0)) / len(sized) if sized else None
    win_rate = ratio(len(won), len(decided))
    average_cycle = round(sum(cycles) / len(cycles), 2) if cycles else None
    productivity = None
    if average_size is not None and decided and cycles and sum(cycles) > 0:
        # deals × average size × win rate ÷ average cycle, computed exactly (the rounded
        # figures above are for display only).
        exact_win_rate = Decimal(len(won)) / len(decided)
        exact_cycle = Decimal(str(sum(cycles))) / len(cycles)
        productivity = cents(len(decided) * average_size * exact_win_rate / exact_cycle)
    return {
        "deals_decided": len(decided),
        "won": len(won),
        "lost": sum(1 for d in decided if d["status"] == "lost"),
        "no_decision": sum(1 for d in decided if d["status"] == "no_decision"),
        "win_rate": win_rate,
        "average_deal_size": cents(average_size) if average_size is not None else None,
        "won_revenue": cents(sum(sized, Decimal(0))),
        "cycle_days": {
            "average": average_cycle,
            "median": median(cycles),
            "p90": percentile(cycles, 0.9),
        },
        "productivity_per_day": productivity,
        "time_in_stage_days": {
            stage: {
                "stays": len(values),
                "median": median(values),
                "p90": percentile(values, 0.9),
            }
            for stage, values in sorted(stays.items())
        },
    }


def velocity(
    p: Projection, scope: Slice, group_by: str | None = None, grain: str = "month"
) -> dict[str, Any]:
    deals = [
        d for d in p.all("deal").values() if d.get("opened_at") and scope.matches(p.deal_dims(d))
    ]
    report: dict[str, Any] = {"currency": scope.currency, "overall": figures(deals, scope)}
    if group_by:
        groups: dict[str, list[Record]] = {}
        if group_by == "period":
            for deal in deals:
                moments = [deal.get("closed_at")] + [s[2] for s in deal.get("stages", [])]
                for key in {period_key(m, grain) for m in moments if m}:
                    groups.setdefault(key, []).append(deal)
        else:
            for deal in deals:
                groups.setdefault(p.deal_dims(deal)[group_by], []).append(deal)
        rows = []
        for key in sorted(groups):
            group_scope = replace(scope, period=(grain, key)) if group_by == "period" else scope
            rows.append({"group": key, **figures(groups[key], group_scope)})
        report["groups"] = rows
    return report
