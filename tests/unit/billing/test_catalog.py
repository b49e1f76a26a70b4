"""Configuration rules: requires, excludes, components, quantity limits — all reported."""

from __future__ import annotations

from tests.unit.billing.rules import CATALOG


def rules_broken(config: dict[str, int]) -> list[tuple[str, str]]:
    return [(v.rule, v.sku) for v in CATALOG.violations(config)]


def test_a_valid_configuration_breaks_no_rule() -> None:
    assert rules_broken({"CRM-CLOUD": 1, "CRM-SEAT": 25, "BI-DASH": 1, "BI-SEAT": 10}) == []


def test_every_broken_rule_is_listed_not_only_the_first() -> None:
    broken = rules_broken({"CRM-ONPREM": 1, "CRM-CLOUD": 1, "CRM-SEAT": 2, "NOPE": 1})
    assert sorted(broken) == [
        ("excludes", "CRM-CLOUD"),  # reported once for the pair
        ("quantity", "CRM-SEAT"),  # 2 is below the minimum of 5
        ("requires", "CRM-ONPREM"),  # on-premises needs implementation days
        ("unknown_product", "NOPE"),
    ]


def test_a_component_needs_one_of_its_parents() -> None:
    assert rules_broken({"CRM-SEAT": 10}) == [("component_of", "CRM-SEAT")]
    assert rules_broken({"BI-SEAT": 5, "CRM-CLOUD": 1}) == [("component_of", "BI-SEAT")]


def test_quantity_limits_are_inclusive() -> None:
    assert rules_broken({"CRM-CLOUD": 1, "CRM-SEAT": 5}) == []
    assert rules_broken({"CRM-CLOUD": 1, "CRM-SEAT": 5000}) == []
    assert rules_broken({"CRM-CLOUD": 1, "CRM-SEAT": 5001}) == [("quantity", "CRM-SEAT")]
    assert rules_broken({"CRM-CLOUD": 2}) == [("quantity", "CRM-CLOUD")]
