"""Accounts: registration, visits, the public pool."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query

from kernel.history import AS_OF_QUERY, add_history_route, state_as_of
from kernel.http import MAX_CURSOR
from kernel.routing import service_router
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.domain.account import Account
from services.leads.entrypoints.http.wiring import Wiring


def routes(w: Wiring) -> APIRouter:
    app, directory = w.app, w.directory
    router = service_router()

    @router.get("/accounts", tags=["accounts"])
    def list_accounts(
        territory: str = "",
        owner: str = "",
        in_public_pool: bool | None = None,
        cursor: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.accounts(
            territory=territory,
            owner=owner,
            in_public_pool=in_public_pool,
            after=cursor,
            limit=limit,
        )

    @router.get("/accounts/{account_id}", tags=["accounts"])
    def get_account(account_id: uuid.UUID, as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        return state_as_of(app, Account, account_id, as_of).snapshot()

    add_history_route(
        router,
        "/accounts/{account_id}/history",
        app=app,
        cls=Account,
        contracts=LEAD_CONTRACTS,
        kind="account",
        resolve=lambda account_id: account_id,
    )

    return router
