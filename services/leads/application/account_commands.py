"""How each command on an account is carried out: registering, placing under the
territory rules, claiming from and returning to the public pool. Declared in
``catalog.py``."""

from __future__ import annotations

from typing import Any

from kernel.domain import L2CAggregate, current_context, utcnow
from kernel.errors import InvalidCommand
from kernel.store import Result
from services.leads.application.views import account_view
from services.leads.domain import commands
from services.leads.domain.account import Account
from services.leads.domain.matching import match_keys


def place_account(
    app: Any, c: commands.PlaceAccount, expected_version: int | None
) -> tuple[list[Account], Result]:
    rules = app.territory_rules.version(c.rules_version).to_domain(c.rules_version)
    account = app.load(Account, c.account_id, expected_version)
    before = (account.territory, account.owner)
    account.place(
        rules.territory_for(account.region, account.industry),
        rules.version,
        current_context().occurred_at or utcnow(),
    )
    return [account], {"moved": (account.territory, account.owner) != before}


def return_to_public_pool(
    app: Any, c: commands.ReturnToPublicPool, _: int | None
) -> tuple[list[Account], Result]:
    account = app.load(Account, c.account_id)
    return [account], {"due": str(account.return_to_public_pool_if_idle(c.now))}


def claim_account(
    app: Any, c: commands.ClaimAccount, expected_version: int | None
) -> tuple[list[Account], Result]:
    account = app.load(Account, c.account_id, expected_version)
    account.claim(c.rep_id, current_context().occurred_at or utcnow())
    return [account], account_view(account)


def register_account(
    app: Any, c: commands.RegisterAccount, expected_version: int | None
) -> tuple[list[L2CAggregate], Result]:
    account = Account.register(c.name, c.website, c.region, c.industry)
    rules = app.current_territories()
    account.place(
        rules.territory_for(account.region, account.industry),
        rules.version,
        current_context().occurred_at or utcnow(),
    )
    keys, matches = app._claim_identity(
        "account", account.id, match_keys("", "", c.name, c.website)
    )
    known = [m for m in matches if m.owner_kind == "account"]
    if known:
        raise InvalidCommand(f"account {known[0].owner_id} has the same name and domain")
    return [account, *keys], account_view(account)
