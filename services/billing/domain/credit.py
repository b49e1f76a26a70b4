"""Credit accounts: each customer's limit and exposure, kept current by events.

exposure = open orders not yet invoiced + unpaid invoices - unapplied cash (overpayments
and credit notes kept as credit), per currency. Every command that moves one of the three
also records an ExposureChanged event here, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand

_CREDIT_OF_ACCOUNT = uuid.UUID("3d0a8c55-7f2e-4b7b-a7c4-51a9e0e2b6f3")


@dataclass(frozen=True)
class PaymentTerms:
    name: str
    net_days: int
    max_utilisation_percent: Decimal  # the terms apply while exposure stays within this


@dataclass(frozen=True)
class CreditDecision:
    approved: bool
    terms: PaymentTerms | None
    exposure_after: Money
    limit: Money | None
    reason: str


class CreditAccount(L2CAggregate):
    @staticmethod
    def create_id(account: str) -> uuid.UUID:
        return uuid.uuid5(_CREDIT_OF_ACCOUNT, account.strip().casefold())

    @classmethod
    def open(cls, account: str, limits: dict[str, Money]) -> CreditAccount:
        return cls(account=account, limits=[m for m in limits.values()])

    @event("Opened")
    def __init__(self, account: str, limits: list[Money]) -> None:
        self.account = account
        self.limits: dict[str, Money] = {m.currency: m for m in limits}
        self.uninvoiced: dict[str, Money] = {}
        self.unpaid: dict[str, Money] = {}
        self.cash: dict[str, Money] = {}

    # -- reading -----------------------------------------------------------------------

    def _get(self, bucket: dict[str, Money], currency: str) -> Money:
        return bucket.get(currency, Money.zero(currency))

    def exposure(self, currency: str) -> Money:
        return (
            self._get(self.uninvoiced, currency)
            + self._get(self.unpaid, currency)
            - self._get(self.cash, currency)
        )

    def unapplied_cash(self, currency: str) -> Money:
        return self._get(self.cash, currency)

    def open_uninvoiced(self, currency: str) -> Money:
        return self._get(self.uninvoiced, currency)

    def unpaid_invoices(self, currency: str) -> Money:
        return self._get(self.unpaid, currency)

    def currencies(self) -> list[str]:
        return sorted({*self.limits, *self.uninvoiced, *self.unpaid, *self.cash})

    def check(self, amount: Money, terms: Sequence[PaymentTerms]) -> CreditDecision:
        """The best terms the exposure after this order allows, or a hold for finance."""
        after = self.exposure(amount.currency) + amount
        limit = self.limits.get(amount.currency)
        if limit is None or not limit.is_positive:
            return CreditDecision(
                False,
                None,
                after,
                limit,
                f"{self.account} has no credit limit in {amount.currency}",
            )
        utilisation = after.amount * 100 / limit.amount
        for t in sorted(terms, key=lambda t: t.max_utilisation_percent):
            if utilisation <= t.max_utilisation_percent:
                return CreditDecision(
                    True,
                    t,
                    after,
                    limit,
                    f"exposure {after} is {utilisation:.1f}% of the {limit} limit",
                )
        return CreditDecision(
            False, None, after, limit, f"exposure {after} would exceed the {limit} credit limit"
        )

    # -- commands ----------------------------------------------------------------------

    def set_limit(self, limit: Money, by: str, reason: str) -> None:
        if limit.is_negative:
            raise InvalidCommand("a credit limit cannot be negative")
        self._limit_set(limit=limit, by=by, reason=reason, account=self.account)

    @event("LimitSet")
    def _limit_set(self, limit: Money, by: str, reason: str, account: str) -> None:
        self.limits[limit.currency] = limit

    def change(
        self,
        reason: str,
        document_id: str,
        *,
        uninvoiced: Money | None = None,
        unpaid: Money | None = None,
        cash: Money | None = None,
    ) -> None:
        """Move the exposure; every delta is signed. Nothing happens when all are zero."""
        moves = [m for m in (uninvoiced, unpaid, cash) if m is not None and not m.is_zero]
        if not moves:
            return
        currency = moves[0].currency
        zero = Money.zero(currency)
        u, p, c = uninvoiced or zero, unpaid or zero, cash or zero
        self._exposure_changed(
            reason=reason,
            document_id=document_id,
            uninvoiced=u,
            unpaid=p,
            cash=c,
            exposure=self.exposure(currency) + u + p - c,
            account=self.account,
        )

    @event("ExposureChanged")
    def _exposure_changed(
        self,
        reason: str,
        document_id: str,
        uninvoiced: Money,
        unpaid: Money,
        cash: Money,
        exposure: Money,
        account: str,
    ) -> None:
        cur = uninvoiced.currency
        self.uninvoiced[cur] = self._get(self.uninvoiced, cur) + uninvoiced
        self.unpaid[cur] = self._get(self.unpaid, cur) + unpaid
        self.cash[cur] = self._get(self.cash, cur) + cash
