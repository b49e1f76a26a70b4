"""The billing application's base: the store, the rule sets (catalog, price book, discount
approval, credit policy) and what billing learns of deals and accounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path

from kernel.domain import current_context, utcnow
from kernel.errors import NotFound
from kernel.rules import RuleCatalog
from kernel.settings import Settings
from kernel.store import Result, ServiceApplication
from services.billing.adapters.rules_schema import (
    CatalogSchema,
    CreditPolicySchema,
    DiscountsSchema,
    PriceBookSchema,
)
from services.billing.domain import commands
from services.billing.domain.catalog import Catalog
from services.billing.domain.closing import DealClosing
from services.billing.domain.credit import CreditAccount
from services.billing.domain.pricing import ApprovalPolicy, PriceBook

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


@dataclass(frozen=True)
class Rules:
    versions: dict[str, int]
    catalog: Catalog
    price_book: PriceBook
    approval: ApprovalPolicy


class BillingBase(ServiceApplication):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.catalog = RuleCatalog(self, "catalog", CatalogSchema, CONFIG_DIR / "catalog.json")
        self.price_book = RuleCatalog(
            self, "price_book", PriceBookSchema, CONFIG_DIR / "price_book.json"
        )
        self.discounts = RuleCatalog(
            self, "discounts", DiscountsSchema, CONFIG_DIR / "discounts.json"
        )
        self.credit_policy = RuleCatalog(
            self, "credit", CreditPolicySchema, CONFIG_DIR / "credit.json"
        )
        for rules in (self.catalog, self.price_book, self.discounts, self.credit_policy):
            rules.ensure_published()

    # -- rules ---------------------------------------------------------------------------

    def rules_now(self) -> Rules:
        (cv, catalog), (pv, book), (dv, discounts) = (
            self.catalog.current(),
            self.price_book.current(),
            self.discounts.current(),
        )
        return Rules(
            {"catalog": cv, "price_book": pv, "discounts": dv},
            catalog.to_domain(),
            book.to_domain(),
            discounts.to_domain(),
        )

    def rules_at(self, versions: dict[str, int]) -> Rules:
        """The rules a quote or order was priced with (a contract keeps its prices)."""
        return Rules(
            dict(versions),
            self.catalog.version(versions["catalog"]).to_domain(),
            self.price_book.version(versions["price_book"]).to_domain(),
            self.discounts.version(versions["discounts"]).to_domain(),
        )

    @staticmethod
    def today() -> date:
        """The business date of the command: its event time when it reports one."""
        return (current_context().occurred_at or utcnow()).astimezone(UTC).date()

    # -- deals and accounts --------------------------------------------------------------

    def closing_of(self, deal_id: uuid.UUID) -> DealClosing:
        try:
            return self.load(DealClosing, DealClosing.create_id(deal_id))
        except NotFound:
            raise NotFound(
                f"deal {deal_id} is not known to billing (deals reach it from l2c.deals.v1)"
            ) from None

    def record_deal_opened(
        self,
        deal_id: uuid.UUID,
        *,
        account: str,
        owner_id: str,
        name: str,
        team: str = "",
        idempotency_key: str | None = None,
    ) -> Result:
        return self.send(
            commands.RecordDealOpened,
            idempotency_key,
            deal_id=deal_id,
            account=account,
            owner_id=owner_id,
            name=name,
            team=team,
        )

    def record_deal_lost(
        self, deal_id: uuid.UUID, reason: str, idempotency_key: str | None = None
    ) -> Result:
        return self.send(commands.RecordDealLost, idempotency_key, deal_id=deal_id, reason=reason)

    def credit_account(self, account: str) -> CreditAccount:
        """The account's credit record; a new one starts with the policy's default limits."""
        account_id = CreditAccount.create_id(account)
        if self.exists(account_id):
            return self.load(CreditAccount, account_id)
        _, policy = self.credit_policy.current()
        return CreditAccount.open(account, policy.limits())
