"""The services' routers: one worker-thread hop per request to a plain-``def`` endpoint.

FastAPI runs a ``def`` endpoint in its thread pool, then validates and shapes the answer
in a second hop when a response model applies. Each hop hands the GIL between the event
loop and a worker thread, and on a busy process a handover waits for the interpreter's
switch interval: the hops cost more than most endpoints' work. A ``ServiceRoute`` runs the
endpoint in one hop and the answer's validation on the loop, as for an ``async``
endpoint; the endpoint still runs off the loop, since it reads and writes the store.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from kernel.waiting import run_waiting


def _in_one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the signature through __wrapped__
    async def hop(*args: Any, **kwargs: Any) -> Any:
        return await run_waiting(run_in_threadpool, endpoint, *args, **kwargs)

    return hop


class ServiceRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not (
            inspect.iscoroutinefunction(endpoint)
            or inspect.isgeneratorfunction(endpoint)
            or inspect.isasyncgenfunction(endpoint)
        ):
            endpoint = _in_one_hop(endpoint)
        super().__init__(path, endpoint, **kwargs)


def service_router() -> APIRouter:
    """An ``APIRouter`` whose routes are ``ServiceRoute``s."""
    return APIRouter(route_class=ServiceRoute)
