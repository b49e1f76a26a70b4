"""Account relationships and the sales-process definitions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.deals.application import DealsApplication


def routes(app: DealsApplication) -> APIRouter:
    router = APIRouter()

    @router.get("/relationships/{account}", tags=["accounts"])
    def relationship(account: str) -> dict[str, str]:
        return app.relationship_of(account)

    @router.get(
        "/rules/processes",
        tags=["processes"],
        summary="The sales processes: stages, probabilities, exit criteria, key events",
    )
    def processes() -> dict[str, Any]:
        version, rules = app.processes.current()
        return {"name": "processes", "version": version, "document": rules.model_dump(mode="json")}

    return router
