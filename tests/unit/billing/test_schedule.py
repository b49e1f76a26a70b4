"""Schedule arithmetic: installments add up to the total exactly, at the minor unit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.domain import Money
from kernel.errors import InvalidCommand
from services.billing.domain.schedule import (
    Installment,
    InstallmentTerms,
    allocate,
    plan,
    replan,
)
from tests.unit.billing.rules import d


def eur(v: str) -> Money:
    return Money.of(v, "EUR")


def test_three_equal_parts_give_the_extra_cent_to_the_first() -> None:
    assert allocate(eur("100.00"), [d("1")] * 3) == [eur("33.34"), eur("33.33"), eur("33.33")]


def test_the_largest_remainder_gets_the_cent() -> None:
    # 30/50/20 of 1000.01: 300.003, 500.005, 200.002 -> the 50% part takes the cent
    assert allocate(eur("1000.01"), [d("30"), d("50"), d("20")]) == [
        eur("300.00"),
        eur("500.01"),
        eur("200.00"),
    ]


def test_currencies_without_cents_split_in_whole_units() -> None:
    assert allocate(Money.of("1000", "JPY"), [d("1")] * 3) == [
        Money.of("334", "JPY"),
        Money.of("333", "JPY"),
        Money.of("333", "JPY"),
    ]


@given(
    cents=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=12),
)
def test_an_allocation_always_adds_up_exactly(cents: int, weights: list[int]) -> None:
    total = Money(Decimal(cents).scaleb(-2), "EUR")
    parts = allocate(total, [Decimal(w) for w in weights])
    assert sum((p.amount for p in parts), Decimal(0)) == total.amount
    assert all(p.amount == p.amount.quantize(Decimal("0.01")) for p in parts)
    # no part is more than one cent away from its exact share
    whole = sum(weights)
    for p, w in zip(parts, weights, strict=True):
        assert abs(p.amount - total.amount * w / whole) < Decimal("0.01")


def test_a_plan_must_cover_one_hundred_percent_and_name_its_conditions() -> None:
    with pytest.raises(InvalidCommand, match="add up to 90, not 100"):
        plan(eur("10"), [InstallmentTerms("a", d("90"))])
    with pytest.raises(InvalidCommand, match="needs a milestone"):
        plan(eur("10"), [InstallmentTerms("a", d("100"), "on_milestone")])
    with pytest.raises(InvalidCommand, match="needs due_date"):
        plan(eur("10"), [InstallmentTerms("a", d("100"), "on_date")])


def three_part_plan(total: str) -> list[Installment]:
    return plan(
        eur(total),
        [
            InstallmentTerms("advance", d("30")),
            InstallmentTerms("go-live", d("50"), "on_milestone", milestone="go_live"),
            InstallmentTerms("year end", d("20"), "on_date", due_date=date(2026, 12, 31)),
        ],
    )


def test_replanning_spreads_what_is_left_over_the_open_installments() -> None:
    installments = three_part_plan("10000.00")
    invoiced = [
        Installment(i.number, i.terms, i.amount, "invoiced") if i.number == 1 else i
        for i in installments
    ]
    # 3000 invoiced; the amended total 12000.01 leaves 9000.01 for go-live and year end (50:20)
    after = replan(invoiced, eur("9000.01"))
    assert [i.amount for i in after] == [eur("3000.00"), eur("6428.58"), eur("2571.43")]
    assert sum((i.amount.amount for i in after), Decimal(0)) == Decimal("12000.01")


def test_replanning_with_nothing_open_adds_an_installment_due_on_booking() -> None:
    done = [Installment(i.number, i.terms, i.amount, "invoiced") for i in three_part_plan("10")]
    after = replan(done, eur("2.50"))
    assert after[-1].terms.label == "amendment"
    assert after[-1].terms.trigger == "on_booking"
    assert after[-1].amount == eur("2.50")


def test_a_negative_remainder_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="beyond its value"):
        replan(three_part_plan("10"), eur("-1"))
