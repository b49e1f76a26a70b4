"""Accounts: registration, visits, the public pool."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query

from kernel.http import MAX_CURSOR
from services.leads.entrypoints.http.wiring import Wiring


def routes(w: Wiring) -> APIRouter:
    app, directory = w.app, w.directory
    router = APIRouter()

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
    def get_account(account_id: uuid.UUID) -> dict[str, Any]:
        return app.get_account(account_id).snapshot()

    return router
