"""FastAPI for every service: one error mapping, command context from headers, probes.

Headers a caller may send: ``Idempotency-Key`` (commands), ``If-Match`` (the aggregate
version the caller last saw), ``X-Correlation-Id``, ``X-Actor-Id``/``X-Actor-Kind`` (set
by the gateway once it authenticates callers), and W3C ``traceparent``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from kernel.domain import CommandContext, Money, command_context
from kernel.errors import (
    ConcurrencyConflict,
    DomainError,
    IdempotencyKeyReused,
    InvalidCommand,
    NotFound,
    RuleViolation,
)
from kernel.kafka import LazyProducer
from kernel.settings import Settings
from kernel.telemetry import current_trace_headers

STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    InvalidCommand: 422,
    IdempotencyKeyReused: 422,
    RuleViolation: 409,
    ConcurrencyConflict: 409,
}


def status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message, **extra})


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    code = "".join(f"_{c.lower()}" if c.isupper() else c for c in type(exc).__name__).lstrip("_")
    extra = {"details": exc.details} if exc.details else {}
    return _error(status_of(exc), code, str(exc), **extra)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]
    return _error(422, "invalid_request", "; ".join(problems), details=details)


class CommandContextMiddleware:
    """Opens the command context of each HTTP request (pure ASGI, so sync endpoints in the
    thread pool see it). The server span itself is FastAPI's native OpenTelemetry span,
    already current here; its trace context goes into every event the request appends."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        trace_headers = current_trace_headers()
        correlation_id = headers.get("x-correlation-id") or str(uuid.uuid4())
        ctx = CommandContext(
            correlation_id=correlation_id,
            causation_id=headers.get("x-request-id", ""),
            actor_id=headers.get("x-actor-id", "anonymous"),
            actor_kind=headers.get("x-actor-kind", "user"),
            traceparent=trace_headers.get("traceparent", ""),
            tracestate=trace_headers.get("tracestate", ""),
        )
        echoed = [(b"x-correlation-id", correlation_id.encode())]
        if "traceparent" in trace_headers:
            echoed.append((b"traceparent", trace_headers["traceparent"].encode()))

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *echoed]
            await send(message)

        with command_context(ctx):
            await self.app(scope, receive, send_with_headers)


def idempotency_key(
    key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Send the same key again to retry safely: the command is applied once.",
    ),
) -> str | None:
    return key


def expected_version(
    if_match: str | None = Header(
        None,
        alias="If-Match",
        description="Aggregate version you last saw; the command is refused with 409 if it moved.",
    ),
) -> int | None:
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidCommand(f"If-Match must be an aggregate version number, got {if_match!r}")
    return int(raw)


class MoneyModel(BaseModel):
    """An exact, positive amount of money in a request body."""

    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=4, examples=["48000.00"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])

    def to_domain(self) -> Money:
        return Money(self.amount, self.currency)


def add_readiness(api: FastAPI, check: Callable[[], dict[str, Any]]) -> None:
    """``/readyz``: 200 with the check's facts, or 503 with the error that made it fail."""

    @api.get("/readyz", tags=["probes"], summary="Readiness: the store answers; relay backlog")
    def readyz() -> JSONResponse:
        try:
            return JSONResponse({"status": "ready", **check()})
        except Exception as exc:  # any failure means "not ready"; the probe says which
            return JSONResponse(
                status_code=503,
                content={"status": "unavailable", "message": f"{type(exc).__name__}: {exc}"},
            )


def webhook_producer(api: FastAPI, settings: Settings, client_id: str) -> LazyProducer:
    """A producer for an integration webhook: started on its first request (the API runs
    without the broker until then) and closed when the API shuts down."""
    producer = LazyProducer(settings, client_id)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await producer.close()

    api.router.lifespan_context = lifespan
    return producer


def create_api(title: str, description: str, version: str = "1.0.0") -> FastAPI:
    """A FastAPI app with the platform's error mapping, context middleware and probes."""
    # Swagger UI and ReDoc from the package's own assets: /docs works without internet.
    api = FastAPIOffline(title=title, description=description, version=version)
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_middleware(CommandContextMiddleware)

    @api.get("/healthz", tags=["probes"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return api
