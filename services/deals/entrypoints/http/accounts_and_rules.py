"""Account relationships and the sales-process definitions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kernel.history import AS_OF_QUERY, add_history_route
from kernel.routing import service_router
from kernel.rules import RuleSet
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.application import DealsApplication


def routes(app: DealsApplication) -> APIRouter:
    router = service_router()

    @router.get("/relationships/{account}", tags=["accounts"])
    def relationship(account: str) -> dict[str, str]:
        return app.relationship_of(account)

    @router.get(
        "/rules/processes",
        tags=["processes"],
        summary="The sales processes: stages, probabilities, exit criteria, key events",
    )
    def processes(as_of: str | None = AS_OF_QUERY) -> dict[str, Any]:
        version, rules = app.processes.current(as_of)
        return {"name": "processes", "version": version, "document": rules.model_dump(mode="json")}

    add_history_route(
        router,
        "/rules/processes/history",
        app=app,
        cls=RuleSet,
        contracts=DEAL_CONTRACTS,
        kind="processes rules",
        resolve=lambda _: RuleSet.create_id("processes"),
    )

    return router
