"""Orders and contracts over HTTP: lists, credit holds, milestones, amendments, returns,
and each account's credit."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query

from kernel.history import AS_OF_QUERY, add_history_route, state_as_of
from kernel.http import MAX_CURSOR
from kernel.routing import service_router
from kernel.scope import current_scope
from services.billing.adapters.contracts import BILLING_CONTRACTS
from services.billing.adapters.directory import BillingDirectory
from services.billing.application import BillingApplication, credit_view, order_view
from services.billing.domain.credit import CreditAccount
from services.billing.domain.order import Order
from services.billing.entrypoints.http.scope import require_deal


def routes(app: BillingApplication, directory: BillingDirectory) -> APIRouter:
    router = service_router()

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

    def scoped_order(order_id: uuid.UUID) -> uuid.UUID:
        require_deal(app, app.get_order(order_id).deal_id, f"order {order_id}")
        return order_id

    def scoped(order_id: uuid.UUID, as_of: str | None = None) -> dict[str, Any]:
        return order_view(state_as_of(app, Order, scoped_order(order_id), as_of))

    @router.get(
        "/orders/by-deal/{deal_id}",
        tags=["orders"],
        summary="The order booked for a won deal (404 until it is booked)",
    )
    def order_for_deal(deal_id: uuid.UUID) -> dict[str, Any]:
        return scoped(app.order_id_for_deal(deal_id))

    @router.get("/orders/{order_id}", tags=["orders"])
    def get_order(order_id: uuid.UUID, as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        return scoped(order_id, as_of)

    add_history_route(
        router,
        "/orders/{order_id}/history",
        app=app,
        cls=Order,
        contracts=BILLING_CONTRACTS,
        kind="order",
        resolve=scoped_order,
    )

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
    def credit(account: str, as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        if as_of is None:
            return credit_view(app.get_credit(account))
        return credit_view(state_as_of(app, CreditAccount, CreditAccount.create_id(account), as_of))

    add_history_route(
        router,
        "/accounts/{account}/credit/history",
        app=app,
        cls=CreditAccount,
        contracts=BILLING_CONTRACTS,
        kind="credit account",
        resolve=CreditAccount.create_id,
        key_type=str,
    )

    return router
