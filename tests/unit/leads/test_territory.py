from datetime import UTC, datetime, timedelta

import pytest

from kernel.errors import RuleViolation
from services.leads.domain.account import Account
from services.leads.domain.territory import Territory, TerritoryRules, preview_moves

RULES = TerritoryRules(
    1,
    (
        Territory("emea-industrial", "lars", 30, ("EMEA",), ("manufacturing", "logistics")),
        Territory("emea-other", "ines", 45, ("EMEA",)),
        Territory("apac", "chen", 45, ("APAC",)),
    ),
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def account(region: str = "EMEA", industry: str = "logistics") -> Account:
    acc = Account.register("Nordic Freight", "nordicfreight.se", region, industry)
    acc.place(RULES.territory_for(acc.region, acc.industry), RULES.version, T0)
    return acc


@pytest.mark.parametrize(
    ("region", "industry", "territory"),
    [
        ("EMEA", "Logistics", "emea-industrial"),
        ("EMEA", "pharma", "emea-other"),
        ("APAC", "anything", "apac"),
    ],
)
def test_the_first_territory_covering_region_and_industry_takes_the_account(
    region: str, industry: str, territory: str
) -> None:
    found = RULES.territory_for(region, industry)
    assert found is not None and found.id == territory


def test_an_account_outside_every_territory_has_no_owner() -> None:
    acc = account(region="LATAM")
    assert (acc.territory, acc.owner) == ("", "")


def test_an_account_nobody_visits_for_n_days_returns_to_the_public_pool_at_the_due_date() -> None:
    acc = account()
    assert acc.due_back_at() == T0 + timedelta(days=30)
    acc.record_visit("lars", T0 + timedelta(days=20))
    assert acc.return_to_public_pool_if_idle(T0 + timedelta(days=40)) is None
    due = acc.return_to_public_pool_if_idle(T0 + timedelta(days=60))
    assert due == T0 + timedelta(days=50)
    assert (acc.in_public_pool, acc.owner) == (True, "")
    assert acc.return_to_public_pool_if_idle(T0 + timedelta(days=90)) is None


def test_only_an_account_in_the_public_pool_can_be_claimed() -> None:
    acc = account()
    with pytest.raises(RuleViolation, match="not in the public pool"):
        acc.claim("ines", T0)
    acc.return_to_public_pool_if_idle(T0 + timedelta(days=31))
    acc.claim("ines", T0 + timedelta(days=32))
    assert (acc.owner, acc.in_public_pool, acc.due_back_at()) == (
        "ines",
        False,
        T0 + timedelta(days=62),
    )


def test_a_preview_lists_only_the_accounts_that_would_move() -> None:
    accounts = [account().snapshot(), account(region="APAC", industry="food").snapshot()]
    proposed = TerritoryRules(
        2, (Territory("emea-all", "ines", 30, ("EMEA",)), Territory("apac", "chen", 45, ("APAC",)))
    )
    assert [
        (m["from_territory"], m["to_territory"], m["to_owner"])
        for m in preview_moves(accounts, proposed)
    ] == [("emea-industrial", "emea-all", "ines")]
