"""Filters, periods and small statistics shared by the reports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from services.insights.domain.events import month_of, parse_time, quarter_of

DIMENSIONS = ("team", "rep", "campaign", "channel", "product_line", "region")
GRAINS = ("day", "week", "month", "quarter")


@dataclass(frozen=True)
class Slice:
    """Which entities a report covers: dimension filters and an event-time period."""

    filters: dict[str, str] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None
    currency: str = "EUR"
    # Narrowed to one period of a grain, e.g. ("month", "2026-07"), when grouping by period.
    period: tuple[str, str] | None = None

    def matches(self, dims: dict[str, str]) -> bool:
        return all(dims.get(name) == value for name, value in self.filters.items() if value)

    def in_period(self, moment: datetime | str | None) -> bool:
        when = parse_time(moment) if isinstance(moment, str) else moment
        if when is None:
            return False
        day = when.date()
        if (self.since and day < self.since) or (self.until and day > self.until):
            return False
        return self.period is None or period_key(when, self.period[0]) == self.period[1]


def period_key(moment: datetime | str, grain: str) -> str:
    when = parse_time(moment) if isinstance(moment, str) else moment
    assert when is not None
    day = when.date()
    if grain == "day":
        return day.isoformat()
    if grain == "week":
        iso_year, week, _ = day.isocalendar()
        return f"{iso_year}-W{week:02d}"
    if grain == "month":
        return month_of(day)
    return quarter_of(day)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator to four places; None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def cents(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def days_between(start: datetime | str, end: datetime | str) -> float:
    a = parse_time(start) if isinstance(start, str) else start
    b = parse_time(end) if isinstance(end, str) else end
    assert a is not None and b is not None
    return (b - a).total_seconds() / 86400


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return round(ordered[middle], 2)
    return round((ordered[middle - 1] + ordered[middle]) / 2, 2)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q of the values at or
    below it (so p90 of ten values is the 9th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[rank - 1], 2)
