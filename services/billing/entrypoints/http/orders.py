"""Orders and contracts over HTTP: lists, credit holds, milestones, amendments, returns,
and each account's credit."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query

from kernel.http import MAX_CURSOR, expected_version, idempotency_key
from services.billing.adapters.directory import BillingDirectory
from services.billing.application import BillingApplication, credit_view, order_view
from services.billing.entrypoints.http.schemas import (
    AmendRequest,
    CancelRequest,
    CreditLimitRequest,
    MilestoneRequest,
    ReleaseRequest,
    ReturnRequest,
)


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
        )

    @router.get(
        "/orders/by-deal/{deal_id}",
        tags=["orders"],
        summary="The order booked for a won deal (404 until it is booked)",
    )
    def order_for_deal(deal_id: uuid.UUID) -> dict[str, Any]:
        return order_view(app.get_order(app.order_id_for_deal(deal_id)))

    @router.get("/orders/{order_id}", tags=["orders"])
    def get_order(order_id: uuid.UUID) -> dict[str, Any]:
        return order_view(app.get_order(order_id))

    @router.get(
        "/orders/{order_id}/contract",
        tags=["orders"],
        summary="The contract: number, parties, lines, payment terms and schedule",
    )
    def contract(order_id: uuid.UUID) -> dict[str, Any]:
        view = order_view(app.get_order(order_id))
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

    @router.post(
        "/orders/{order_id}/credit-release",
        tags=["orders"],
        summary="Finance releases an order held by the credit check",
    )
    def release(
        order_id: uuid.UUID,
        body: ReleaseRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, Any]:
        return app.release_credit_hold(
            order_id,
            by=body.by,
            reason=body.reason,
            terms=body.payment_terms,
            net_days=body.net_days,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post("/orders/{order_id}/cancel", tags=["orders"])
    def cancel(
        order_id: uuid.UUID,
        body: CancelRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, Any]:
        return app.cancel_order(
            order_id, by=body.by, reason=body.reason, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/orders/{order_id}/milestones/{milestone}",
        tags=["orders"],
        summary="Report a delivery milestone delivered or accepted; acceptance "
        "invoices its installment at once",
    )
    def milestone(
        order_id: uuid.UUID,
        milestone: str,
        body: MilestoneRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, Any]:
        return app.report_milestone(
            order_id,
            milestone,
            status=body.status,
            at=body.at,
            by=body.by,
            source="api",
            reference=body.reference,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/orders/{order_id}/amendments",
        tags=["orders"],
        summary="Change the lines (contract prices); open installments re-planned",
    )
    def amend(
        order_id: uuid.UUID,
        body: AmendRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, Any]:
        return app.amend_order(
            order_id,
            lines=[line.to_domain() for line in body.lines],
            by=body.by,
            reason=body.reason,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/orders/{order_id}/returns",
        tags=["orders"],
        summary="Take back quantities of lines: credit notes for what was invoiced",
    )
    def return_lines(
        order_id: uuid.UUID, body: ReturnRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.return_lines(
            order_id,
            return_id=body.return_id,
            quantities=body.lines,
            reason=body.reason,
            idempotency_key=key,
        )

    @router.get(
        "/accounts/{account}/credit",
        tags=["credit"],
        summary="Limit and exposure (uninvoiced orders + unpaid invoices - cash)",
    )
    def credit(account: str) -> dict[str, Any]:
        return credit_view(app.get_credit(account))

    @router.put("/accounts/{account}/credit-limit", tags=["credit"])
    def set_limit(
        account: str, body: CreditLimitRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.set_credit_limit(
            account,
            limit=body.limit.to_domain(),
            by=body.by,
            reason=body.reason,
            idempotency_key=key,
        )

    return router
