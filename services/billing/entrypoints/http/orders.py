"""Orders and contracts over HTTP: lists, credit holds, milestones, amendments, returns,
and each account's credit."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query

from kernel.http import MAX_CURSOR
from kernel.scope import current_scope
from services.billing.adapters.directory import BillingDirectory
from services.billing.application import BillingApplication, credit_view, order_view
from services.billing.entrypoints.http.scope import require_deal


def routes(app: BillingApplication, directory: BillingDirectory) -> APIRouter:
    router = APIRouter()

    @router.get("/orders", tags=["orders"], summary="List orders, oldest first")
    def list_orders(
        status: str = "",
        deal_id: str = "",
        account: str = "",
        owner_id: str = "",
        cursor: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.rows(
            "orders",
            filters={
                "status": status,
                "deal_id": deal_id,
                "account": account,
                "owner_id": owner_id,
            },
            after=cursor,
            limit=limit,
            scope=current_scope(),
        )

    def scoped(order_id: uuid.UUID) -> dict[str, Any]:
        order = app.get_order(order_id)
        require_deal(app, order.deal_id, f"order {order_id}")
        return order_view(order)

    @router.get(
        "/orders/by-deal/{deal_id}",
        tags=["orders"],
        summary="The order booked for a won deal (404 until it is booked)",
    )
    def order_for_deal(deal_id: uuid.UUID) -> dict[str, Any]:
        return scoped(app.order_id_for_deal(deal_id))

    @router.get("/orders/{order_id}", tags=["orders"])
    def get_order(order_id: uuid.UUID) -> dict[str, Any]:
        return scoped(order_id)

    @router.get(
        "/orders/{order_id}/contract",
        tags=["orders"],
        summary="The contract: number, parties, lines, payment terms and schedule",
    )
    def contract(order_id: uuid.UUID) -> dict[str, Any]:
        view = scoped(order_id)
        keys = (
            "contract_number",
            "order_id",
            "deal_id",
            "account",
            "currency",
            "amount",
            "payment_terms",
            "lines",
            "installments",
            "booked_on",
            "amendments",
            "status",
        )
        return {k: view[k] for k in keys}

    @router.get(
        "/accounts/{account}/credit",
        tags=["credit"],
        summary="Limit and exposure (uninvoiced orders + unpaid invoices - cash)",
    )
    def credit(account: str) -> dict[str, Any]:
        return credit_view(app.get_credit(account))

    return router
