"""Account relationships and the sales-process definitions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from kernel.http import idempotency_key
from services.deals.application import DealsApplication
from services.deals.entrypoints.http.schemas import (
    PublishRulesRequest,
    RelationshipRequest,
)


def routes(app: DealsApplication) -> APIRouter:
    router = APIRouter()

    @router.put(
        "/relationships/{account}",
        tags=["accounts"],
        summary="Relationship level and customer quadrant (relationship x potential)",
    )
    def assess_relationship(
        account: str, body: RelationshipRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, object]:
        return app.assess_relationship(account, **body.model_dump(), idempotency_key=key)

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

    @router.put(
        "/rules/processes",
        tags=["processes"],
        summary="Publish a new version of the processes (open deals keep theirs)",
    )
    def publish_processes(
        body: PublishRulesRequest, key: str | None = Depends(idempotency_key)
    ) -> dict[str, Any]:
        return app.processes.publish(body.document, body.note, key)

    return router
