"""The gateway: one HTTP surface for the read models and audit reads.

Read models come from the insights processors; a deal's history comes from the deals
service, whose event store is the source of truth. Commands go straight to the owning
service's API (see README, "Commands").
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from kernel.http import create_api
from kernel.settings import Settings
from kernel.telemetry import current_trace_headers
from kernel.topics import ALL_TOPICS
from services.insights.entrypoints.queries import QUERIES


class UpstreamError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"upstream answered {status}")
        self.status = status
        self.body = body


async def _get(client: httpx.AsyncClient, url: str, params: dict[str, str] | None = None) -> Any:
    try:
        response = await client.get(url, params=params, headers=current_trace_headers())
    except httpx.HTTPError as exc:
        raise UpstreamError(503, {"error": "upstream_unavailable", "message": str(exc)}) from None
    if response.status_code >= 400:
        raise UpstreamError(response.status_code, response.json())
    return response.json()


def build_gateway(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=10.0) as client:
            api.state.http = client
            yield

    api = create_api(
        "L2C gateway",
        "Read models of the Lead-to-Cash backend: funnel, reconciliation and deal histories.",
    )
    api.router.lifespan_context = lifespan

    @api.exception_handler(UpstreamError)
    async def upstream_error(_: Request, exc: UpstreamError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content=exc.body)

    def read_model(path: str, model: type[BaseModel], summary: str, description: str) -> None:
        """GET /insights/<path>: validated here (same model as the worker), answered by the
        insights worker, errors passed through unchanged."""

        async def endpoint(request: Request, query: BaseModel) -> Any:
            params = dict(request.query_params)
            url = f"{settings.insights_url}/insights/{path}"
            return await _get(request.app.state.http, url, params)

        # The query model is chosen at runtime, so the annotations FastAPI reads are set here.
        endpoint.__annotations__ = {
            "request": Request,
            "query": Annotated[model, Query()],  # type: ignore[valid-type]
            "return": Any,
        }

        api.add_api_route(
            f"/insights/{path}",
            endpoint,
            methods=["GET"],
            tags=["insights"],
            summary=summary,
            description=description,
            name=f"insights_{path.replace('/', '_').replace('-', '_')}",
        )

    for path, (model, run) in QUERIES.items():
        summary, _, description = (run.__doc__ or path).partition("\n")
        description = " ".join(description.split())
        read_model(path, model, summary.strip(), description.strip())

    @api.get(
        "/deals/{deal_id}/history",
        tags=["audit"],
        summary="Every event of the deal, in order, with its metadata",
    )
    async def deal_history(request: Request, deal_id: uuid.UUID) -> Any:
        events = await _get(request.app.state.http, f"{settings.deals_url}/deals/{deal_id}/events")
        return {"deal_id": str(deal_id), "events": events}

    @api.get("/topics", tags=["catalog"], summary="The topic catalog: name, key, value type")
    def topics() -> list[dict[str, str]]:
        return [
            {"name": t.name, "key": t.key, "value": t.value, "description": t.description}
            for t in ALL_TOPICS
        ]

    return api
