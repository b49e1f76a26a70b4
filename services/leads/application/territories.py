"""Accounts, territories and the public pool."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from kernel.domain import L2CAggregate, command_context, current_context, utcnow
from kernel.errors import InvalidCommand
from kernel.store import Result, fingerprint_of
from services.leads.application.capture import CaptureUseCases
from services.leads.application.views import (
    account_view,
)
from services.leads.domain.account import Account
from services.leads.domain.matching import match_keys
from services.leads.domain.territory import TerritoryRules, preview_moves


class TerritoryUseCases(CaptureUseCases):
    def current_territories(self) -> TerritoryRules:
        version, schema = self.territory_rules.current()
        return schema.to_domain(version)

    def preview_territories(
        self, document: dict[str, Any], account_ids: Iterable[uuid.UUID]
    ) -> dict[str, Any]:
        """What activating ``document`` would move; nothing is written."""
        proposed = self.territory_rules.validate(document).to_domain(0)
        accounts = [self.get_account(a).snapshot() for a in account_ids]
        moves = preview_moves(accounts, proposed)
        return {"accounts": len(accounts), "moves": moves}

    def activate_territories(
        self,
        document: dict[str, Any],
        note: str,
        account_ids: Iterable[uuid.UUID],
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Publish the rules as a new version, then re-place every account under them."""
        published = self.territory_rules.publish(document, note, idempotency_key)
        rules = self.current_territories()
        moved = 0
        for account_id in account_ids:
            result = self._place_account(account_id, rules)
            moved += int(result["moved"])
        return {**published, "moved": moved}

    def _place_account(self, account_id: uuid.UUID, rules: TerritoryRules) -> Result:
        def decide() -> tuple[list[Account], Result]:
            account = self.get_account(account_id)
            before = (account.territory, account.owner)
            account.place(
                rules.territory_for(account.region, account.industry),
                rules.version,
                current_context().occurred_at or utcnow(),
            )
            return [account], {"moved": (account.territory, account.owner) != before}

        return self.execute(
            "place_account",
            decide,
            retries=2,
            idempotency_key=f"territories:v{rules.version}:{account_id}",
        )

    def record_visit(
        self,
        account_id: uuid.UUID,
        rep: str,
        at: datetime,
        *,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.update(
            "record_visit",
            Account,
            account_id,
            lambda account: account.record_visit(rep, at),
            account_view,
            idempotency_key=idempotency_key,
            request=[rep, at],
        )

    def claim_account(
        self, account_id: uuid.UUID, rep: str, *, idempotency_key: str | None = None
    ) -> Result:
        at = current_context().occurred_at or utcnow()
        return self.update(
            "claim_account",
            Account,
            account_id,
            lambda account: account.claim(rep, at),
            account_view,
            idempotency_key=idempotency_key,
            request=[rep],
        )

    def sweep_public_pool(self, now: datetime, account_ids: Iterable[uuid.UUID]) -> list[str]:
        """Every account whose owner let its N days pass without a visit returns to the
        public pool, dated when it became due (the clock follows event time)."""
        returned = []
        for account_id in account_ids:
            due = self.get_account(account_id).due_back_at()
            if due is None or due > now:
                continue

            def decide(account_id: uuid.UUID = account_id) -> tuple[list[Account], Result]:
                account = self.get_account(account_id)
                return [account], {"due": str(account.return_to_public_pool_if_idle(now))}

            with command_context(
                replace(
                    current_context(),
                    occurred_at=due,
                    actor_id="leads.public-pool-clock",
                    actor_kind="policy",
                )
            ):
                self.execute(
                    "return_to_public_pool",
                    decide,
                    retries=2,
                    idempotency_key=f"public-pool:{account_id}:{due.isoformat()}",
                )
            returned.append(str(account_id))
        return returned

    def register_account(
        self,
        *,
        name: str,
        website: str,
        region: str,
        industry: str,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[L2CAggregate], Result]:
            account = Account.register(name, website, region, industry)
            rules = self.current_territories()
            account.place(
                rules.territory_for(account.region, account.industry),
                rules.version,
                current_context().occurred_at or utcnow(),
            )
            keys, matches = self._claim_identity(
                "account", account.id, match_keys("", "", name, website)
            )
            known = [m for m in matches if m.owner_kind == "account"]
            if known:
                raise InvalidCommand(f"account {known[0].owner_id} has the same name and domain")
            return [account, *keys], account_view(account)

        return self.execute(
            "register_account",
            decide,
            idempotency_key=idempotency_key,
            retries=3,
            fingerprint=fingerprint_of("account", name, website, region, industry),
        )

    def get_account(self, account_id: uuid.UUID) -> Account:
        return self.load(Account, account_id)
