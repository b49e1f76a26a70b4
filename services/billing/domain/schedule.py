"""Payment schedules: installments due on booking, on a date, or on a milestone's acceptance.

Amounts are split by the largest-remainder method at the currency's minor unit, so the
installments always add up to the total exactly (100.00 in three equal parts is 33.34,
33.33, 33.33 — the first part takes the extra cent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from kernel.domain import Money, minor_units
from kernel.errors import InvalidCommand

TRIGGERS = ("on_booking", "on_date", "on_milestone")


@dataclass(frozen=True)
class InstallmentTerms:
    """What a quote promises: a share of the total and when it becomes invoiceable."""

    label: str
    percent: Decimal
    trigger: str = "on_booking"
    due_date: date | None = None  # on_date: the day it is invoiced
    milestone: str = ""  # on_milestone: the milestone whose acceptance makes it invoiceable

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "percent": str(self.percent),
            "trigger": self.trigger,
            "due_date": self.due_date.isoformat() if self.due_date else "",
            "milestone": self.milestone,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InstallmentTerms:
        return cls(
            label=d["label"],
            percent=Decimal(d["percent"]),
            trigger=d["trigger"],
            due_date=date.fromisoformat(d["due_date"]) if d.get("due_date") else None,
            milestone=d.get("milestone", ""),
        )


def check_terms(terms: Sequence[InstallmentTerms]) -> None:
    if not terms:
        raise InvalidCommand("a payment plan needs at least one installment")
    problems = []
    for t in terms:
        if t.trigger not in TRIGGERS:
            problems.append(f"{t.label}: trigger must be one of {', '.join(TRIGGERS)}")
        if t.percent <= 0:
            problems.append(f"{t.label}: percent must be positive")
        if t.trigger == "on_date" and t.due_date is None:
            problems.append(f"{t.label}: an on_date installment needs due_date")
        if t.trigger == "on_milestone" and not t.milestone:
            problems.append(f"{t.label}: an on_milestone installment needs a milestone")
    milestones = [t.milestone for t in terms if t.trigger == "on_milestone"]
    if len(set(milestones)) != len(milestones):
        problems.append("two installments wait for the same milestone")
    total = sum((t.percent for t in terms), Decimal(0))
    if total != 100:
        problems.append(f"installment percents add up to {total}, not 100")
    if problems:
        raise InvalidCommand("invalid payment plan: " + "; ".join(problems))


def allocate(total: Money, weights: Sequence[Decimal]) -> list[Money]:
    """Split ``total`` in proportion to ``weights``, exactly, at the minor unit."""
    if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise InvalidCommand("an allocation needs positive weights")
    unit = Decimal(1).scaleb(-minor_units(total.currency))
    whole = sum(weights, Decimal(0))
    exact = [total.amount * w / whole for w in weights]
    floors = [x.quantize(unit, rounding=ROUND_FLOOR) for x in exact]
    left = int(((total.amount - sum(floors, Decimal(0))) / unit).to_integral_value())
    # Largest remainders first; ties go to the earlier installment.
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += unit
    return [Money(amount, total.currency) for amount in floors]


@dataclass(frozen=True)
class Installment:
    number: int
    terms: InstallmentTerms
    amount: Money
    status: str = "planned"  # planned -> invoiced (or waived when re-planned to zero)
    invoice_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            **self.terms.as_dict(),
            "amount": str(self.amount.amount),
            "currency": self.amount.currency,
            "status": self.status,
            "invoice_id": self.invoice_id,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Installment:
        return cls(
            number=int(d["number"]),
            terms=InstallmentTerms.from_dict(d),
            amount=Money.of(d["amount"], d["currency"]),
            status=d["status"],
            invoice_id=d.get("invoice_id", ""),
        )


def plan(total: Money, terms: Sequence[InstallmentTerms]) -> list[Installment]:
    check_terms(terms)
    amounts = allocate(total, [t.percent for t in terms])
    return [Installment(n, t, a) for n, (t, a) in enumerate(zip(terms, amounts, strict=True), 1)]


def replan(installments: Sequence[Installment], remaining: Money) -> list[Installment]:
    """Spread what is left to invoice over the installments not invoiced yet, in their
    original proportions; a new on-booking installment when none is left."""
    open_ = [i for i in installments if i.status == "planned"]
    done = [i for i in installments if i.status != "planned"]
    if remaining.is_negative:
        raise InvalidCommand(f"the order would be invoiced beyond its value by {-remaining}")
    if not open_:
        if remaining.is_zero:
            return list(installments)
        extra = InstallmentTerms("amendment", Decimal(100), "on_booking")
        return [*installments, Installment(len(installments) + 1, extra, remaining)]
    amounts = allocate(remaining, [i.terms.percent for i in open_])
    replanned = {i.number: replace(i, amount=a) for i, a in zip(open_, amounts, strict=True)}
    return sorted([*done, *replanned.values()], key=lambda i: i.number)
