"""How an account's credit limit is set. Declared in ``catalog.py``."""

from __future__ import annotations

from typing import Any

from kernel.errors import ConcurrencyConflict
from kernel.store import Result
from services.billing.application.views import credit_view
from services.billing.domain import commands
from services.billing.domain.credit import CreditAccount


def set_credit_limit(
    app: Any, c: commands.SetCreditLimit, expected_version: int | None
) -> tuple[list[CreditAccount], Result]:
    credit = app.credit_account(c.account)
    if expected_version is not None and credit.version != expected_version:
        raise ConcurrencyConflict(
            f"credit of {c.account} is at version {credit.version}, not {expected_version}"
        )
    credit.set_limit(c.limit.to_domain(), c.by, c.reason)
    return [credit], credit_view(credit)
