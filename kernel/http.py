"""FastAPI for every service: one error mapping, command context from headers, probes.

Headers a caller may send: ``Authorization: Bearer <token>`` (every route but the probes;
see ``kernel.auth`` and ``kernel.access``), ``Idempotency-Key`` (commands), ``If-Match``
(the aggregate version the caller last saw), ``X-Correlation-Id`` and W3C ``traceparent``.
The actor of every event is the token's subject; no header can claim to be someone else.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kernel import waiting
from kernel.access import PUBLIC, authorization
from kernel.auth import Forbidden, TokenVerifier, Unauthenticated
from kernel.contracts import check_event_time
from kernel.domain import CommandContext, command_context
from kernel.errors import (
    ConcurrencyConflict,
    Contended,
    ContractError,
    DomainError,
    IdempotencyKeyReused,
    InvalidCommand,
    NotFound,
    RuleViolation,
)
from kernel.kafka import LazyProducer
from kernel.metrics import HttpMetrics, exposition
from kernel.ratelimit import PerIdentityLimit, RateLimited
from kernel.settings import Settings, get_settings
from kernel.signatures import SignedWebhooks
from kernel.telemetry import context_from_carrier, current_trace_headers, exporting, tracer
from kernel.waiting import WaitPreference, parse_prefer

STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    InvalidCommand: 422,
    IdempotencyKeyReused: 422,
    RuleViolation: 409,
    ConcurrencyConflict: 409,
    Contended: 503,
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
    response = _error(status_of(exc), code, str(exc), **extra)
    if isinstance(exc, Contended):
        response.headers["Retry-After"] = "1"
    return response


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]
    return _error(422, "invalid_request", "; ".join(problems), details=details)


class BodySizeLimit:
    """Refuses a request body over its limit with 413 in the documented error shape,
    before anything parses it (by Content-Length, and by counting a streamed body).
    ``limits``: path suffix -> bytes, for routes that take more (CSV imports)."""

    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        max_bytes: int,
        limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limits = limits or {}

    def _limit(self, path: str) -> int:
        for suffix, limit in self.limits.items():
            if path.endswith(suffix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        too_large = _error(
            413,
            "request_too_large",
            f"the request body is over the {limit}-byte limit for this route",
        )
        if declared.isdigit() and int(declared) > limit:
            await too_large(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLarge:
            await too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
}


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unparseable body, unknown route) in the documented shape."""
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    response = _error(exc.status_code, code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _broker_unavailable(_: Request, exc: Exception) -> JSONResponse:
    """A webhook could not hand its message to Kafka: nothing was accepted, retry later."""
    return _error(503, "broker_unavailable", f"the message was not accepted: {exc}")


async def _unauthenticated(_: Request, exc: Exception) -> JSONResponse:
    response = _error(401, "unauthenticated", str(exc))
    response.headers["WWW-Authenticate"] = 'Bearer realm="l2c"'
    return response


async def _forbidden(_: Request, exc: Exception) -> JSONResponse:
    return _error(403, "forbidden", str(exc))


async def _rate_limited(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    response = _error(429, "rate_limited", str(exc))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _too_deep(_: Request, exc: Exception) -> JSONResponse:
    return _error(422, "invalid_request", "the request body is nested too deeply")


class CommandContextMiddleware:
    """Opens the command context of each HTTP request (pure ASGI, so sync endpoints in the
    thread pool see it). The server span is FastAPI's native OpenTelemetry span, already
    current here, when this process exports spans; when it does not (``own_span``), the
    native telemetry is off (its spans, metrics and logs cost a third of a small request)
    and the span opened here, from the caller's ``traceparent``, carries the context. Its
    trace context goes into every event the request appends."""

    def __init__(self, app: Callable[..., Awaitable[None]], own_span: bool = False) -> None:
        self.app = app
        self.own_span = own_span

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.own_span:
            caller = context_from_carrier(headers) if "traceparent" in headers else None
            span = tracer().start_span(
                f"{scope['method']} {scope['path']}", context=caller, kind=SpanKind.SERVER
            )
            with trace.use_span(span, end_on_exit=True):
                await self._in_context(scope, receive, send, headers)
        else:
            await self._in_context(scope, receive, send, headers)

    async def _in_context(
        self, scope: dict[str, Any], receive: Any, send: Any, headers: dict[str, str]
    ) -> None:
        trace_headers = current_trace_headers()
        correlation_id = headers.get("x-correlation-id") or str(uuid.uuid4())
        ctx = CommandContext(
            correlation_id=correlation_id,
            causation_id=headers.get("x-request-id", ""),
            traceparent=trace_headers.get("traceparent", ""),
            tracestate=trace_headers.get("tracestate", ""),
        )
        echoed = [(b"x-correlation-id", correlation_id.encode())]
        if "traceparent" in trace_headers:
            echoed.append((b"traceparent", trace_headers["traceparent"].encode()))
        wait = parse_prefer(headers.get("prefer", ""))
        preference = WaitPreference(wait) if wait > 0 else None

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *echoed]
                if preference is not None and preference.applied:
                    held = waiting.applied(preference.seconds).encode()
                    message["headers"].append((b"preference-applied", held))
            await send(message)

        token = waiting.requested.set(preference)
        try:
            with command_context(ctx):
                await self.app(scope, receive, send_with_headers)
        finally:
            waiting.requested.reset(token)


# Cursors are store sequence numbers: SQLite and PostgreSQL integers are 64-bit.
MAX_CURSOR = 2**63 - 1

# The header dependencies below are ``async`` though they never wait: FastAPI runs a plain
# ``def`` dependency in its thread pool, a thread hop (and a GIL handover) per header per
# command.


async def idempotency_key(
    key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Send the same key again to retry safely: the command is applied once.",
    ),
) -> str | None:
    return key


async def expected_version(
    if_match: str | None = Header(
        None,
        alias="If-Match",
        description="Aggregate version you last saw; the command is refused with 409 if it moved.",
    ),
) -> int | None:
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidCommand(f"If-Match must be an aggregate version number, got {if_match!r}")
    return int(raw)


async def business_time(
    occurred_at: str | None = Header(
        None,
        alias="Occurred-At",
        max_length=64,
        description="When what the command reports happened (RFC 3339 with an offset), "
        "for loading an existing history; the recorded time stays the store's. Only the "
        "`migration` role may send it.",
    ),
) -> datetime | None:
    if occurred_at is None:
        return None
    try:
        moment = datetime.fromisoformat(occurred_at.strip())
    except ValueError:
        raise InvalidCommand(f"Occurred-At must be an RFC 3339 time, got {occurred_at!r}") from None
    if moment.tzinfo is None:
        raise InvalidCommand(f"Occurred-At needs an offset (Z or +hh:mm), got {occurred_at!r}")
    try:
        check_event_time(moment, what="Occurred-At")
    except ContractError as exc:
        raise InvalidCommand(str(exc)) from None
    return moment.astimezone(UTC)


async def external_id(
    value: str | None = Header(
        None,
        alias="External-Id",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="The caller's id of this record in another system; recorded with the "
        "events, and the command is applied once per command and External-Id (a repeat "
        "answers as the first time; another request under the same id is refused).",
    ),
) -> str | None:
    return value


def add_readiness(api: FastAPI, check: Callable[[], dict[str, Any]]) -> None:
    """``/readyz``: 200 with the check's facts, or 503 with the error that made it fail."""

    @api.get("/readyz", tags=["probes"], summary="Readiness: the store answers; relay backlog")
    def readyz() -> JSONResponse:
        try:
            return JSONResponse({"status": "ready", **check()})
        except Exception as exc:  # any failure means "not ready"; the probe says which
            return JSONResponse(
                status_code=503,
                content={
                    "error": "not_ready",
                    "status": "unavailable",
                    "message": f"{type(exc).__name__}: {exc}",
                },
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


class ErrorBody(BaseModel):
    """What every error answers, whatever its status."""

    error: str = Field(description="a stable code: invalid_request, not_found, rule_violation ...")
    message: str = Field(description="what went wrong, for people")
    details: Any = Field(None, description="per-field problems or the error's own facts")


ERROR_DESCRIPTION = (
    "An error, always in this shape: 400 unreadable body, 401 no valid bearer token, "
    "403 the token's roles do not open this route, 404 not found, 409 conflict "
    "(a business rule, or the aggregate changed since If-Match), 413 body "
    "too large, 422 invalid values, 503 the broker is unavailable."
)


def document_errors(api: FastAPI) -> None:
    """Make the OpenAPI document say what errors really look like: FastAPI documents 422
    as its own ``{"detail": [...]}``, which this platform never answers. Every operation's
    422 and a ``default`` response (any other error status) get ``ErrorBody``."""
    build = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is not None:
            return api.openapi_schema
        document = build()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        error = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        }
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "Invalid values", **error}
                responses.setdefault("default", {"description": ERROR_DESCRIPTION, **error})
                if f"{method.upper()} {path}" in PUBLIC:
                    operation["security"] = []  # probes and keys: no identity needed
                else:
                    responses.setdefault(
                        "401", {"description": "No valid bearer token (or signature)", **error}
                    )
                    responses.setdefault(
                        "403", {"description": "The caller's roles do not open this", **error}
                    )
        api.openapi_schema = document
        return document

    api.openapi = openapi  # type: ignore[method-assign]


# FastAPI's native OpenTelemetry, off in a process that exports no spans: nothing would
# read them, and the context they carry is carried by CommandContextMiddleware's span.
NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_api(
    title: str,
    description: str,
    version: str = "1.0.0",
    max_body_bytes: int = 1024 * 1024,
    body_limits: dict[str, int] | None = None,
    settings: Settings | None = None,
    service: str = "",
) -> FastAPI:
    """A FastAPI app with the platform's error mapping, context middleware and probes;
    every route verifies its caller's bearer token against ``kernel.access.POLICY``."""
    settings = settings or get_settings()
    verifier = TokenVerifier.from_settings(settings)
    limit = PerIdentityLimit(settings.rate_limit)
    signed = SignedWebhooks(settings.webhook_secrets, settings.webhook_tolerance_seconds)
    # Swagger UI and ReDoc from the package's own assets: /docs works without internet.
    api = FastAPIOffline(
        title=title,
        description=description,
        version=version,
        dependencies=[authorization(verifier, limit, signed)],
        telemetry=None if exporting() else NO_NATIVE_TELEMETRY,
    )
    api.state.verifier = verifier
    api.add_exception_handler(Unauthenticated, _unauthenticated)
    api.add_exception_handler(Forbidden, _forbidden)
    api.add_exception_handler(RateLimited, _rate_limited)
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(RecursionError, _too_deep)
    api.add_exception_handler(KafkaError, _broker_unavailable)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_middleware(CommandContextMiddleware, own_span=not exporting())
    api.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, limits=body_limits or {})
    # Outermost: counts every answer, the refused and the too large included.
    api.add_middleware(HttpMetrics, service=service or title.removeprefix("L2C ").split()[0])
    document_errors(api)

    @api.get(
        "/metrics",
        tags=["probes"],
        summary="Prometheus metrics of this process",
        response_class=PlainTextResponse,
    )
    def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    @api.get("/healthz", tags=["probes"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return api
