"""Pricing: list price, bundles, promotions in their validity window, the rep's discount,
rounding to the cent, every step shown; approval thresholds per product line and role."""

from __future__ import annotations

from datetime import date

import pytest

from kernel.domain import Money
from kernel.errors import InvalidCommand
from services.billing.domain.pricing import LineRequest, PricedLine, price_lines, total_of
from tests.unit.billing.rules import APPROVAL, CATALOG, PRICE_BOOK, d

ON = date(2026, 11, 23)


def price(*lines: LineRequest, on: date = ON) -> list[PricedLine]:
    return price_lines(lines, CATALOG, PRICE_BOOK, on)


def test_a_product_line_is_unit_price_times_quantity_less_the_discount() -> None:
    _, seats = price(LineRequest("CRM-CLOUD", 1), LineRequest("CRM-SEAT", 37, d("7.5")))
    # 37 x 480.00 = 17760.00; 7.5% of it is 1332.00 -> 16428.00
    assert seats.list_amount == Money.of("17760.00", "EUR")
    assert seats.net_amount == Money.of("16428.00", "EUR")
    assert [s["step"] for s in seats.steps] == ["list_price", "discount", "net"]
    assert seats.steps[1]["amount"] == "-1332.0000"


def test_net_amounts_are_rounded_half_up_to_the_cent() -> None:
    _, seats = price(LineRequest("CRM-CLOUD", 1), LineRequest("CRM-SEAT", 7, d("3.33")))
    # 7 x 480 = 3360; 3.33% = 111.888 -> 3248.112 -> 3248.11
    assert seats.net_amount == Money.of("3248.11", "EUR")
    after_promotion = date(2027, 7, 1)
    config = (LineRequest("CRM-CLOUD", 1), LineRequest("BI-DASH", 1))
    *_, seat = price(*config, LineRequest("BI-SEAT", 1, d("0.0125")), on=after_promotion)
    # 120 x 0.0125% = 0.015 -> 119.985: half-up gives 119.99 (half-even would give 119.98)
    assert seat.net_amount == Money.of("119.99", "EUR")


def test_a_bundle_is_priced_at_its_bundle_price_with_the_saving_shown() -> None:
    bundle, seats = price(LineRequest("STARTER-10", 1), LineRequest("CRM-SEAT", 5))
    # components at list: 12000 + 10 x 480 + 5 x 1100 = 22300
    assert bundle.list_amount == Money.of("22300", "EUR")
    assert bundle.net_amount == Money.of("19900.00", "EUR")
    assert bundle.steps[1] == {
        "step": "bundle_price",
        "detail": "bundle STARTER-10: 1 × 19900.00",
        "amount": "-2400.00",
    }
    assert seats.net_amount == Money.of("2400.00", "EUR")  # 15 seats in all: within limits


def test_a_bundle_counts_as_its_components_in_the_configuration() -> None:
    with pytest.raises(InvalidCommand, match="CRM-CLOUD: quantity 2 is above the maximum"):
        price(LineRequest("STARTER-10", 2))


def test_a_promotion_applies_only_inside_its_validity_window() -> None:
    lines = (LineRequest("CRM-CLOUD", 1), LineRequest("BI-DASH", 1, d("5")))
    _, dash = price(*lines)
    # 6000 - 15% launch offer = 5100; then the rep's 5% = 4845.00
    assert dash.promotion == "ANALYTICS-LAUNCH"
    assert dash.net_amount == Money.of("4845.00", "EUR")
    _, after = price(*lines, on=date(2027, 7, 1))
    assert after.promotion == ""
    assert after.net_amount == Money.of("5700.00", "EUR")


def test_an_invalid_configuration_is_refused_with_every_violation() -> None:
    with pytest.raises(InvalidCommand) as refused:
        price(LineRequest("CRM-SEAT", 3), LineRequest("BI-SEAT", 1))
    rules = sorted((v["rule"], v["sku"]) for v in refused.value.details)
    assert rules == [
        ("component_of", "BI-SEAT"),
        ("component_of", "CRM-SEAT"),
        ("quantity", "CRM-SEAT"),
    ]
    assert "breaks 3 rule(s)" in str(refused.value)


def test_the_quote_total_is_the_sum_of_rounded_lines() -> None:
    lines = price(
        LineRequest("CRM-CLOUD", 1, d("10")),  # 10800.00
        LineRequest("CRM-SEAT", 11, d("2.5")),  # 5280 - 132 = 5148.00
        LineRequest("TRAINING", 3),  # 2700.00
    )
    assert total_of(lines, "EUR") == Money.of("18648.00", "EUR")


def test_discounts_above_the_product_line_threshold_need_approval() -> None:
    lines = price(
        LineRequest("CRM-CLOUD", 1, d("10")),  # crm_suite threshold 10: fine
        LineRequest("IMPL", 5, d("6")),  # services threshold 5: needs approval
    )
    needs = APPROVAL.needs(lines, "sales_rep")
    assert [(n.line, n.threshold_percent) for n in needs] == [(2, d("5"))]


def test_a_role_may_grant_up_to_its_limit_and_an_approver_must_cover_the_largest() -> None:
    lines = price(LineRequest("CRM-CLOUD", 1, d("18")), LineRequest("IMPL", 5, d("25")))
    assert [n.line for n in APPROVAL.needs(lines, "sales_rep")] == [1, 2]
    assert [n.line for n in APPROVAL.needs(lines, "sales_manager")] == [2]  # up to 20%
    assert not APPROVAL.may_approve("sales_manager", d("25"))
    assert APPROVAL.may_approve("sales_director", d("25"))
    assert not APPROVAL.may_approve("intern", d("0.01"))
