"""The funnel and reconciliation read models, as pure functions over facts.

A fact is what the processors keep of one published event. Funnel steps are counted per
day of event time; a reconciliation row per order sums what was booked, invoiced and paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import cast

FUNNEL_STEPS = ("lead", "mql", "sql", "deal", "won", "invoiced", "paid")

# Facts that mark a funnel step by themselves; "invoiced" and "paid" follow from an
# order's reconciliation row (first invoice; fully paid).
STEP_OF_FACT = {
    "lead_captured": "lead",
    "lead_marketing_qualified": "mql",
    "lead_sales_accepted": "sql",
    "deal_opened": "deal",
    "deal_won": "won",
}
ORDER_FACTS = ("order_booked", "invoice_issued", "payment_applied")


@dataclass(frozen=True)
class Fact:
    event_id: str
    kind: str
    occurred_at: datetime
    order_id: str = ""
    amount: Decimal = Decimal(0)
    currency: str = ""


@dataclass(frozen=True)
class StepReached:
    """One entity reached one funnel step on one day; ``dedupe_id`` makes counting it
    twice impossible even when it is reported twice."""

    step: str
    day: date
    dedupe_id: str

    @property
    def key(self) -> str:
        return funnel_key(self.step, self.day)


def funnel_key(step: str, day: date) -> str:
    return f"{step}|{day.isoformat()}"


def parse_funnel_key(key: str) -> tuple[str, date]:
    step, day = key.split("|", 1)
    return step, date.fromisoformat(day)


def step_reached_by(fact: Fact) -> StepReached | None:
    step = STEP_OF_FACT.get(fact.kind)
    if step is None:
        return None
    return StepReached(step, fact.occurred_at.date(), f"{fact.event_id}:{step}")


@dataclass
class ReconciliationRow:
    order_id: str
    currency: str = ""
    booked: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    booked_at: str = ""
    last_activity_at: str = ""
    steps: list[str] = field(default_factory=list)

    @property
    def outstanding(self) -> Decimal:
        """Invoiced but not yet paid (receivable)."""
        return self.invoiced - self.paid

    @property
    def uninvoiced(self) -> Decimal:
        return self.booked - self.invoiced

    @property
    def status(self) -> str:
        if self.booked and self.paid >= self.booked:
            return "paid"
        if self.paid:
            return "partially_paid"
        if self.invoiced:
            return "invoiced"
        return "booked" if self.booked else "pending"

    def apply(self, fact: Fact) -> list[StepReached]:
        """Fold one order fact into the row; returns funnel steps it newly reached."""
        if fact.currency:
            self.currency = self.currency or fact.currency
        if fact.kind == "order_booked":
            self.booked = fact.amount
            self.booked_at = fact.occurred_at.isoformat()
        elif fact.kind == "invoice_issued":
            self.invoiced += fact.amount
        elif fact.kind == "payment_applied":
            self.paid += fact.amount
        else:
            return []
        self.last_activity_at = max(self.last_activity_at, fact.occurred_at.isoformat())
        reached = []
        if self.invoiced > 0 and "invoiced" not in self.steps:
            reached.append("invoiced")
        if self.booked > 0 and self.paid >= self.booked and "paid" not in self.steps:
            reached.append("paid")
        self.steps.extend(reached)
        day = fact.occurred_at.date()
        return [StepReached(step, day, f"{self.order_id}:{step}") for step in reached]

    def to_data(self) -> dict[str, object]:
        return {
            "order_id": self.order_id,
            "currency": self.currency,
            "booked": str(self.booked),
            "invoiced": str(self.invoiced),
            "paid": str(self.paid),
            "booked_at": self.booked_at,
            "last_activity_at": self.last_activity_at,
            "steps": list(self.steps),
        }

    @classmethod
    def from_data(cls, data: dict[str, object]) -> ReconciliationRow:
        return cls(
            order_id=str(data["order_id"]),
            currency=str(data.get("currency", "")),
            booked=Decimal(str(data.get("booked", "0"))),
            invoiced=Decimal(str(data.get("invoiced", "0"))),
            paid=Decimal(str(data.get("paid", "0"))),
            booked_at=str(data.get("booked_at", "")),
            last_activity_at=str(data.get("last_activity_at", "")),
            steps=[str(s) for s in cast(list[object], data.get("steps", []))],
        )

    def as_report(self) -> dict[str, object]:
        return {
            "order_id": self.order_id,
            "currency": self.currency,
            "booked": str(self.booked),
            "invoiced": str(self.invoiced),
            "paid": str(self.paid),
            "outstanding": str(self.outstanding),
            "uninvoiced": str(self.uninvoiced),
            "status": self.status,
        }


def funnel_report(
    counts: dict[str, int], since: date | None = None, until: date | None = None
) -> dict[str, object]:
    """Totals per step within [since, until] (event-time days) and step-to-step conversion."""
    totals = dict.fromkeys(FUNNEL_STEPS, 0)
    by_day: dict[str, dict[str, int]] = {}
    for key, count in counts.items():
        step, day = parse_funnel_key(key)
        if step not in totals or (since and day < since) or (until and day > until):
            continue
        totals[step] += count
        by_day.setdefault(day.isoformat(), dict.fromkeys(FUNNEL_STEPS, 0))[step] += count
    steps = []
    previous: int | None = None
    for step in FUNNEL_STEPS:
        conversion = None
        if previous:
            conversion = round(totals[step] / previous, 4)
        steps.append({"step": step, "count": totals[step], "conversion_from_previous": conversion})
        previous = totals[step]
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "steps": steps,
        "by_day": dict(sorted(by_day.items())),
    }
