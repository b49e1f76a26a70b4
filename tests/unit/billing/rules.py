"""The billing rule sets of these tests, built from the shipped defaults."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from services.billing.adapters.rules_schema import (
    CatalogSchema,
    CreditPolicySchema,
    DiscountsSchema,
    PriceBookSchema,
)
from services.billing.application import CONFIG_DIR


def _load(name: str) -> Any:
    return json.loads((CONFIG_DIR / f"{name}.json").read_text())


CATALOG = CatalogSchema.model_validate(_load("catalog")).to_domain()
PRICE_BOOK = PriceBookSchema.model_validate(_load("price_book")).to_domain()
APPROVAL = DiscountsSchema.model_validate(_load("discounts")).to_domain()
CREDIT = CreditPolicySchema.model_validate(_load("credit"))


def d(value: str) -> Decimal:
    return Decimal(value)
