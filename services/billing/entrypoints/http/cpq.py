"""CPQ over HTTP: the catalog and price book (rule sets), quote preview, quotes and their
approval and acceptance."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query

from kernel.errors import NotFound
from kernel.history import AS_OF_QUERY, add_history_route, state_as_of
from kernel.http import MAX_CURSOR
from kernel.routing import service_router
from kernel.rules import RuleSet
from kernel.scope import current_scope
from services.billing.adapters.contracts import BILLING_CONTRACTS
from services.billing.adapters.directory import BillingDirectory
from services.billing.application import BillingApplication, quote_view
from services.billing.domain.quote import Quote
from services.billing.entrypoints.http.schemas import (
    PreviewRequest,
)
from services.billing.entrypoints.http.scope import require_deal


def routes(app: BillingApplication, directory: BillingDirectory) -> APIRouter:
    router = service_router()
    catalogs = {
        "catalog": app.catalog,
        "price_book": app.price_book,
        "discounts": app.discounts,
        "credit": app.credit_policy,
    }

    def rules_named(name: str) -> Any:
        if name not in catalogs:
            raise NotFound(f"no rule set {name!r}; there are {', '.join(catalogs)}")
        return catalogs[name]

    @router.get(
        "/rules/{name}",
        tags=["rules"],
        summary="Current version of catalog, price_book, discounts or credit",
    )
    def rules(name: str, as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        version, document = rules_named(name).current(as_of)
        return {"name": name, "version": version, "document": document.model_dump(mode="json")}

    @router.get("/rules/{name}/versions/{number}", tags=["rules"])
    def rules_version(name: str, number: int) -> dict[str, Any]:
        document = rules_named(name).version(number)
        return {"name": name, "version": number, "document": document.model_dump(mode="json")}

    @router.post(
        "/quotes/preview",
        tags=["quotes"],
        summary="Validate a configuration and price it, without saving a quote",
    )
    def preview(body: PreviewRequest) -> dict[str, Any]:
        return app.preview([line.to_domain() for line in body.lines], body.requester_role)

    @router.get("/quotes", tags=["quotes"], summary="List quotes, oldest first")
    def list_quotes(
        status: str = "",
        deal_id: str = "",
        account: str = "",
        owner_id: str = "",
        cursor: int = Query(0, ge=0, le=MAX_CURSOR),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        return directory.rows(
            "quotes",
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

    @router.get("/quotes/{quote_id}", tags=["quotes"])
    def get_quote(quote_id: uuid.UUID, as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        return quote_view(state_as_of(app, Quote, scoped_quote(quote_id), as_of))

    def scoped_quote(quote_id: uuid.UUID) -> uuid.UUID:
        require_deal(app, app.get_quote(quote_id).deal_id, f"quote {quote_id}")
        return quote_id

    add_history_route(
        router,
        "/quotes/{quote_id}/history",
        app=app,
        cls=Quote,
        contracts=BILLING_CONTRACTS,
        kind="quote",
        resolve=scoped_quote,
    )

    def rule_set_id(name: str) -> uuid.UUID:
        rules_named(name)
        return RuleSet.create_id(name)

    add_history_route(
        router,
        "/rules/{name}/history",
        app=app,
        cls=RuleSet,
        contracts=BILLING_CONTRACTS,
        kind="rules",
        resolve=rule_set_id,
        key_type=str,
    )

    return router
