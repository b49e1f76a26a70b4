"""Forecast: open pipeline weighted by stage probability, weekly snapshots, accuracy.

A deal's record keeps a timeline of what the forecast depends on (amount, probability,
category, close date, status), so its state *as of* any moment can be recomputed. Every
Monday 00:00 UTC (event time) a snapshot is taken as of that moment: its inputs are the
open deals (and the deals already won in the quarter) with their amounts, probabilities,
categories and close dates. Snapshots are taken when the tick clock has passed the Monday
by the allowed lateness, and are published as events, so any past forecast can be
recomputed by replay; accuracy compares each snapshot's forecast for its quarter with what
was actually won in that quarter.

Forecast of a team for quarter Q, as of a snapshot = won so far in Q + Σ over open deals
with a close date in Q of amount × probability.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.insights.domain.events import (
    iso,
    parse_day,
    parse_time,
    quarter_bounds,
    quarter_of,
    week_start,
)
from services.insights.domain.slicing import Slice, cents, period_key, ratio
from services.insights.domain.state import Projection, Record

CATEGORIES = ("pipeline", "best_case", "commit")


def as_of(deal: Record, moment: datetime) -> dict[str, Any] | None:
    """The deal's forecast inputs just before ``moment``; None if not yet opened."""
    state: dict[str, Any] | None = None
    for at, name, value in deal.get("timeline", []):
        if parse_time(at) >= moment:  # type: ignore[operator]
            break
        if name == "opened":
            state = {
                "amount": value["amount"],
                "probability": int(value["probability"]),
                "category": "pipeline",
                "close_date": "",
                "status": "open",
            }
        elif state is not None:
            state[name] = int(value) if name == "probability" else value
    return state


def weighted(amount: str, probability: int) -> Decimal:
    return Decimal(amount) * probability / 100


def pipeline(p: Projection, scope: Slice, grain: str = "quarter") -> dict[str, Any]:
    """Open deals by close period and forecast category: count, amount, weighted amount,
    and slips (how many of the deals had their close date moved later, and how often)."""
    cells: dict[tuple[str, str], list[Decimal]] = {}
    for deal in p.all("deal").values():
        if deal.get("status") != "open" or deal.get("currency") != scope.currency:
            continue
        if not scope.matches(p.deal_dims(deal)):
            continue
        close = deal.get("close_date")
        period = period_key(close + "T00:00:00+00:00", grain) if close else "unscheduled"
        if close and not scope.in_period(close + "T00:00:00+00:00"):
            continue
        cell = cells.setdefault((period, deal.get("category", "pipeline")), [Decimal(0)] * 5)
        cell[0] += 1
        cell[1] += Decimal(deal.get("amount", "0"))
        cell[2] += weighted(deal.get("amount", "0"), int(deal.get("probability", 0)))
        slips = int(deal.get("slips", 0))
        cell[3] += 1 if slips else 0
        cell[4] += slips
    rows: list[dict[str, Any]] = [
        {
            "period": period,
            "category": category,
            "deals": int(values[0]),
            "amount": cents(values[1]),
            "weighted": cents(values[2]),
            "slipped_deals": int(values[3]),
            "slips": int(values[4]),
        }
        for (period, category), values in sorted(cells.items())
    ]
    return {
        "currency": scope.currency,
        "grain": grain,
        "rows": rows,
        "total_weighted": cents(sum((Decimal(r["weighted"]) for r in rows), Decimal(0))),
        "slipped_deals": sum(r["slipped_deals"] for r in rows),
    }


# -- snapshots ------------------------------------------------------------------------------


def due_snapshot_weeks(
    p: Projection, lateness: timedelta, until: datetime | None = None
) -> list[datetime]:
    """Mondays whose snapshot is due (Monday + lateness not after ``until``, by default
    the tick clock) and not taken."""
    tick = until or parse_time(p.meta.get("tick_clock", ""))
    first = p.first_deal_opened()
    if tick is None or first is None:
        return []
    monday = week_start(first) + timedelta(days=7)
    due = []
    while monday + lateness <= tick:
        if p.get("snapshot", monday.date().isoformat()) is None:
            due.append(monday)
        monday += timedelta(days=7)
    return due


def take_snapshot(p: Projection, monday: datetime) -> Record:
    """The forecast inputs as of ``monday``, stored as a snapshot record."""
    quarter = quarter_of(monday.date())
    start, _ = quarter_bounds(quarter)
    lines = []
    for deal in sorted(p.all("deal").values(), key=lambda d: d["id"]):
        state = as_of(deal, monday)
        if state is None:
            continue
        closed = parse_time(deal.get("closed_at"))
        won_in_quarter = (
            state["status"] == "won"
            and closed is not None
            and start <= closed.date() < monday.date()
        )
        if state["status"] != "open" and not won_in_quarter:
            continue
        dims = p.deal_dims(deal)
        lines.append(
            {
                "deal_id": deal["id"],
                "team": dims["team"],
                "rep": dims["rep"],
                "currency": deal.get("currency", ""),
                "amount": deal.get("won_amount", state["amount"])
                if won_in_quarter
                else state["amount"],
                "probability": 100 if won_in_quarter else state["probability"],
                "category": "won" if won_in_quarter else state["category"],
                "close_date": closed.date().isoformat()
                if won_in_quarter and closed
                else state["close_date"],
                "status": state["status"],
            }
        )
    record: Record = {
        "id": monday.date().isoformat(),
        "week_start": iso(monday),
        "quarter": quarter,
        "lines": lines,
    }
    p.put("snapshot", record["id"], record)
    return record


def snapshot_forecast(snapshot: Record, scope: Slice, team: str | None = None) -> Decimal:
    """What the snapshot forecast for its own quarter (optionally one team's part)."""
    start, end = quarter_bounds(snapshot["quarter"])
    total = Decimal(0)
    for line in snapshot["lines"]:
        if line["currency"] != scope.currency or (team and line["team"] != team):
            continue
        close = parse_day(line["close_date"])
        if close is None or not start <= close <= end:
            continue
        total += weighted(line["amount"], int(line["probability"]))
    return total


def won_in(p: Projection, quarter: str, scope: Slice) -> dict[str, Decimal]:
    """Won revenue per team with a close in ``quarter``."""
    start, end = quarter_bounds(quarter)
    totals: dict[str, Decimal] = {}
    for deal in p.all("deal").values():
        closed = parse_time(deal.get("closed_at"))
        if deal.get("status") != "won" or closed is None or deal.get("currency") != scope.currency:
            continue
        if start <= closed.date() <= end:
            team = p.deal_dims(deal)["team"]
            totals[team] = totals.get(team, Decimal(0)) + Decimal(deal.get("won_amount", "0"))
    return totals


def accuracy(p: Projection, scope: Slice) -> dict[str, Any]:
    """Per team: each closed quarter's weekly forecasts against what was won."""
    clock = p.clock
    today = clock.date() if clock else date.min
    per_team: dict[str, list[dict[str, Any]]] = {}
    for snapshot in sorted(p.all("snapshot").values(), key=lambda s: s["id"]):
        _, end = quarter_bounds(snapshot["quarter"])
        if end >= today:
            continue  # the quarter is not over: nothing to compare with yet
        actual = won_in(p, snapshot["quarter"], scope)
        teams = {line["team"] for line in snapshot["lines"]} | set(actual)
        for team in sorted(teams):
            if scope.filters.get("team") and team != scope.filters["team"]:
                continue
            forecast = snapshot_forecast(snapshot, scope, team)
            won = actual.get(team, Decimal(0))
            error = ratio(float(forecast - won), float(won))
            per_team.setdefault(team, []).append(
                {
                    "week_start": snapshot["week_start"],
                    "quarter": snapshot["quarter"],
                    "forecast": cents(forecast),
                    "actual": cents(won),
                    "error": error,
                }
            )
    team_rows: list[dict[str, Any]] = []
    for team, weeks in sorted(per_team.items()):
        errors = [abs(w["error"]) for w in weeks if w["error"] is not None]
        mape = round(sum(errors) / len(errors), 4) if errors else None
        team_rows.append(
            {
                "team": team,
                "snapshots": len(weeks),
                "mean_absolute_error": mape,
                "accuracy": None if mape is None else round(max(0.0, 1 - mape), 4),
                "weeks": weeks,
            }
        )
    return {"currency": scope.currency, "teams": team_rows}


def snapshot_summary(snapshot: Record, scope: Slice) -> dict[str, Any]:
    return {
        "week_start": snapshot["week_start"],
        "quarter": snapshot["quarter"],
        "deals": len(snapshot["lines"]),
        "forecast": cents(snapshot_forecast(snapshot, scope)),
    }
