"""Accounts, territories and the public pool."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from kernel.commands import build
from kernel.domain import command_context, current_context
from services.leads.application.capture import CaptureUseCases
from services.leads.domain import commands
from services.leads.domain.account import Account
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
        """Publish the rules as a new version, then re-place every account under them
        (each placement its own command, keyed by version and account)."""
        assert self.commands is not None
        publish = self.commands["publish_territories_rules"].message
        published = self.dispatch(
            build(publish, document=document, note=note), idempotency_key=idempotency_key
        )
        version = self.current_territories().version
        moved = 0
        for account_id in account_ids:
            placed = self.dispatch(
                commands.PlaceAccount(account_id=account_id, rules_version=version),
                idempotency_key=f"territories:v{version}:{account_id}",
            )
            moved += int(placed["moved"])
        return {**published, "moved": moved}

    def sweep_public_pool(self, now: datetime, account_ids: Iterable[uuid.UUID]) -> list[str]:
        """Every account whose owner let its N days pass without a visit returns to the
        public pool, dated when it became due (the clock follows event time)."""
        returned = []
        for account_id in account_ids:
            due = self.get_account(account_id).due_back_at()
            if due is None or due > now:
                continue

            with command_context(
                replace(
                    current_context(),
                    occurred_at=due,
                    actor_id="leads.public-pool-clock",
                    actor_kind="policy",
                )
            ):
                self.dispatch(
                    commands.ReturnToPublicPool(account_id=account_id, now=now),
                    idempotency_key=f"public-pool:{account_id}:{due.isoformat()}",
                )
            returned.append(str(account_id))
        return returned

    def get_account(self, account_id: uuid.UUID) -> Account:
        return self.load(Account, account_id)
