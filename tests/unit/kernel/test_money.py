from decimal import Decimal

import pytest

from kernel.domain import Money
from kernel.errors import InvalidCommand


def test_money_adds_and_subtracts_exactly() -> None:
    total = Money.of("0.10", "EUR") + Money.of("0.20", "EUR")
    assert total == Money(Decimal("0.30"), "EUR")
    assert (total - Money.of("0.30", "EUR")).amount == 0


def test_money_refuses_to_mix_currencies() -> None:
    with pytest.raises(InvalidCommand, match="does not match"):
        Money.of("1", "EUR") + Money.of("1", "USD")


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R", ""])
def test_money_needs_an_iso_currency_code(currency: str) -> None:
    with pytest.raises(InvalidCommand, match="ISO 4217"):
        Money.of("1", currency)


def test_money_refuses_more_than_four_decimals_and_non_numbers() -> None:
    with pytest.raises(InvalidCommand, match="more than 4 decimals"):
        Money.of("1.00001", "EUR")
    with pytest.raises(InvalidCommand, match="not a decimal"):
        Money.of("ten", "EUR")
    with pytest.raises(InvalidCommand, match="finite"):
        Money(Decimal("NaN"), "EUR")
