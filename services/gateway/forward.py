"""The gateway forwards every service route (commands and reads) to the service that owns it.

Which service owns which route is the policy table's own split (``kernel.access``
``SERVICE_ROUTES``), so a route has one owner and one access rule wherever it is asked.
The gateway checks the caller first (token, roles, rate limit); the service checks again
and applies the row-level scope. Request headers that carry meaning (credentials,
idempotency, If-Match, correlation, webhook signatures) go along with the body as it came;
the answer comes back with its status, body and meaningful headers.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from kernel.access import SERVICE_ROUTES
from kernel.settings import Settings
from kernel.telemetry import current_trace_headers
from kernel.waiting import parse_prefer

REQUEST_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-match",
    "if-none-match",
    "occurred-at",
    "prefer",
    "external-id",
    "x-correlation-id",
    "x-request-id",
    "x-l2c-client",
    "x-l2c-signature",
)
RESPONSE_HEADERS = (
    "content-type",
    "retry-after",
    "www-authenticate",
    "etag",
    "location",
    "link",
    "preference-applied",
)


def add_forwarding(api: FastAPI, settings: Settings) -> None:
    """One route per service route, after the gateway's own; a template with fewer
    parameters first, so ``GET /rules/routing`` is not taken for ``GET /rules/{name}``."""
    base = {
        "leads": settings.leads_url,
        "deals": settings.deals_url,
        "billing": settings.billing_url,
    }
    owned = [(service, key) for service, table in SERVICE_ROUTES.items() for key in table]
    owned.sort(key=lambda pair: (pair[1].count("{"), pair[1]))
    for service, key in owned:
        method, template = key.split(" ", 1)
        api.add_api_route(
            template,
            _forwarder(service, base[service]),
            methods=[method],
            include_in_schema=False,  # each service's own /openapi.json describes these
            name=f"forward {key}",
        )


def _forwarder(service: str, base: str) -> Any:
    async def forward(request: Request) -> Response:
        return await pass_on(request, service, f"{base}{request.url.path}")

    return forward


async def pass_on(request: Request, service: str, url: str) -> Response:
    """Ask ``service`` at ``url`` what ``request`` asks, with its meaningful headers, and
    answer with the service's status, body and meaningful headers (bytes passed through,
    not decoded and encoded again)."""
    headers = {k: v for k, v in request.headers.items() if k in REQUEST_HEADERS}
    headers.update(current_trace_headers())
    client: httpx.AsyncClient = request.app.state.http
    # A request that may be held (Prefer: wait) gets that much longer to answer.
    held = parse_prefer(headers.get("prefer", ""))
    try:
        answer = await client.request(
            request.method,
            url,
            params=list(request.query_params.multi_items()),
            content=await request.body(),
            headers=headers,
            timeout=(client.timeout.read or 10.0) + held if held else httpx.USE_CLIENT_DEFAULT,
        )
    except httpx.HTTPError as exc:
        return JSONResponse(
            status_code=503,
            content={
                "error": "upstream_unavailable",
                "message": f"the {service} service did not answer: {exc}",
            },
        )
    if answer.status_code >= 400 and not _is_json(answer):
        # Our services answer errors in JSON; anything else is a proxy's page or a
        # crash in between, said in the gateway's own shape (never passed through).
        return JSONResponse(
            status_code=502 if answer.status_code < 500 else 503,
            content={
                "error": "upstream_error",
                "message": f"the {service} service answered {answer.status_code} "
                "with a body that is not JSON",
            },
        )
    kept = {k: v for k, v in answer.headers.items() if k.lower() in RESPONSE_HEADERS}
    return Response(answer.content, status_code=answer.status_code, headers=kept)


def _is_json(answer: httpx.Response) -> bool:
    kind = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")
