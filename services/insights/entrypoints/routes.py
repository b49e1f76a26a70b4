"""The read models as FastAPI routes: one declaration for the gateway (which answers them
by asking the worker) and for the worker's own OpenAPI document (``/docs`` on the worker).

Each route's query parameters come from the query model in ``queries.py``, so both
documents list the same parameters and both reject a bad one with the same 422 body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from pydantic import BaseModel

from kernel.http import create_api
from services.insights.entrypoints.queries import QUERIES

Respond = Callable[[str, Request], Awaitable[Any]]


def add_read_model_routes(api: FastAPI, respond: Respond) -> None:
    """``GET /insights/<name>`` for every read model; ``respond(name, request)`` answers."""
    for path, (model, run) in QUERIES.items():
        summary, _, description = (run.__doc__ or path).partition("\n")
        _add(api, path, model, summary.strip(), " ".join(description.split()), respond)


def _add(
    api: FastAPI,
    path: str,
    model: type[BaseModel],
    summary: str,
    description: str,
    respond: Respond,
) -> None:
    async def endpoint(request: Request, query: BaseModel) -> Any:
        return await respond(path, request)

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


WORKER_TITLE = "L2C insights worker"


def worker_openapi() -> dict[str, Any]:
    """The OpenAPI document of the worker's HTTP views (its web server is faust's, not
    FastAPI's; this app only describes it)."""

    async def not_served(name: str, request: Request) -> Any:
        raise RuntimeError("describes the worker's views; never served")

    api = create_api(
        WORKER_TITLE,
        "Read models folded from every L2C topic: funnel, velocity, forecast, breaches, "
        "reconciliation, receivables, campaigns, adherence. Usually reached through the "
        "gateway, which validates the same parameters.",
    )
    add_read_model_routes(api, not_served)
    return api.openapi()
