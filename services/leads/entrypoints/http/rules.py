"""Rule sets (scoring, routing, territories): read, preview, publish."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends

from kernel.history import AS_OF_QUERY, add_history_route
from kernel.http import idempotency_key
from kernel.routing import service_router
from kernel.rules import RuleSet
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.entrypoints.http.schemas import (
    PublishRulesRequest,
)
from services.leads.entrypoints.http.wiring import Wiring


def routes(w: Wiring) -> APIRouter:
    app, directory = w.app, w.directory
    router = service_router()

    @router.get("/rules/territories", tags=["territories"])
    def territory_rules(as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        version, rules = app.territory_rules.current(as_of)
        return {
            "name": "territories",
            "version": version,
            "document": rules.model_dump(mode="json"),
        }

    @router.post(
        "/territories/preview",
        tags=["territories"],
        summary="Which accounts proposed territory rules would move (writes nothing)",
    )
    def preview_territories(body: PublishRulesRequest) -> dict[str, Any]:
        return app.preview_territories(body.document, directory.account_ids())

    @router.put(
        "/rules/territories",
        tags=["territories"],
        summary="Activate new territory rules: a new version, accounts re-placed",
    )
    def activate_territories(
        body: PublishRulesRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.activate_territories(
            body.document, body.note, directory.account_ids(), idempotency_key=key
        )

    @router.get("/rules/routing", tags=["rules"])
    def routing_rules(as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        version, rules = app.routing_rules.current(as_of)
        return {"name": "routing", "version": version, "document": rules.model_dump(mode="json")}

    @router.get("/rules/scoring", tags=["rules"])
    def scoring_rules(as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        version, rules = app.scoring_rules.current(as_of)
        return {"name": "scoring", "version": version, "document": rules.model_dump(mode="json")}

    @router.get("/rules/scoring/versions/{number}", tags=["rules"])
    def scoring_rules_version(number: int) -> dict[str, Any]:
        rules = app.scoring_rules.version(number)
        return {"name": "scoring", "version": number, "document": rules.model_dump(mode="json")}

    def rule_set(name: str) -> Callable[[Any], uuid.UUID]:
        return lambda _: RuleSet.create_id(name)

    for name in ("territories", "routing", "scoring"):
        add_history_route(
            router,
            f"/rules/{name}/history",
            app=app,
            cls=RuleSet,
            contracts=LEAD_CONTRACTS,
            kind=f"{name} rules",
            resolve=rule_set(name),
        )

    return router
