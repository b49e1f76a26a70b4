"""Accounts: registration, visits, the public pool."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query

from kernel.http import MAX_CURSOR, idempotency_key
from services.leads.entrypoints.http.schemas import (
    AccountRequest,
    ClaimRequest,
    VisitRequest,
)
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

    @router.post(
        "/accounts/{account_id}/visits",
        tags=["accounts"],
        summary="A rep visited the account (resets its public-pool clock)",
    )
    def record_visit(
        account_id: uuid.UUID, body: VisitRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.record_visit(account_id, body.rep_id, body.at, idempotency_key=key)

    @router.post(
        "/accounts/{account_id}/claim",
        tags=["accounts"],
        summary="Take an account from the public pool",
    )
    def claim_account(
        account_id: uuid.UUID, body: ClaimRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.claim_account(account_id, body.rep_id, idempotency_key=key)

    @router.post("/accounts", status_code=201, tags=["accounts"])
    def register_account(
        body: AccountRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.register_account(
            name=body.name,
            website=body.website,
            region=body.region,
            industry=body.industry,
            idempotency_key=key,
        )

    return router
