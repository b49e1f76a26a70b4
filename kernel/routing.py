"""The services' routers: one worker-thread hop per request to a plain-``def`` endpoint.

FastAPI runs a ``def`` endpoint in anyio's thread pool, then validates and shapes the
answer in a second hop when a response model applies. Each hop hands the GIL between the
event loop and a worker thread, and on a busy process a handover waits for the
interpreter's switch interval: the hops cost more than most endpoints' work. A
``ServiceRoute`` runs the endpoint in one hop and the answer's validation on the loop, as
for an ``async`` endpoint; the endpoint still runs off the loop, since it reads and writes
the store.

The hop goes to a thread pool of the requests' own (the standard library's, whose queue is
written in C) rather than anyio's, whose worker threads wait on a queue written in Python:
measured on a bare route here, 180 µs of the server's CPU per request against 222 µs. It
has ``L2C_REQUEST_THREADS`` threads (8), not anyio's 40: with SQLite and the GIL more
threads only contend (in an interleaved run at 32 clients, 6 threads took 3.5% less CPU
per flow than 40).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.routing import APIRoute

from kernel.settings import get_settings
from kernel.waiting import run_waiting

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None


def _request_pool() -> ThreadPoolExecutor:
    """Made on first use, sized by the process's settings (threads start as needed)."""
    global _pool
    if _pool is None:
        threads = get_settings().request_threads
        _pool = ThreadPoolExecutor(threads, thread_name_prefix="l2c-request")
    return _pool


async def in_request_thread(run: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``run(*args, **kwargs)`` in a worker thread, seeing the request's context variables
    (its command context, its wait preference)."""
    call = functools.partial(contextvars.copy_context().run, run, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_request_pool(), call)


def _in_one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the signature through __wrapped__
    async def hop(*args: Any, **kwargs: Any) -> Any:
        return await run_waiting(in_request_thread, endpoint, *args, **kwargs)

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
