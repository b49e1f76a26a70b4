"""The gateway: the one public HTTP surface.

Read models come from the insights processors; a deal's history comes from the deals
service, whose event store is the source of truth; every other route of the services
(commands and reads) is forwarded to the service that owns it (``forward.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kernel.auth import jwks_path
from kernel.catalog import DESCRIPTOR_SET_NAME, catalog, descriptor_set
from kernel.http import create_api
from kernel.settings import Settings
from services.gateway.forward import add_forwarding, pass_on, upstream_session
from services.gateway.pages.routes import add_pages
from services.insights.entrypoints.routes import add_read_model_routes


def build_gateway(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        # Forwarding has a client of its own (forward.py); probes and pages use httpx.
        async with httpx.AsyncClient(timeout=10.0) as client, upstream_session() as upstream:
            api.state.http = client
            api.state.upstream = upstream
            yield

    api = create_api(
        "L2C gateway",
        "The one public edge of the Lead-to-Cash backend: read models, deal histories, and "
        "every service's commands and reads, forwarded to the owning service.",
        max_body_bytes=settings.max_body_bytes,
        body_limits={"/leads/imports": settings.max_import_bytes},
        settings=settings,
    )
    api.router.lifespan_context = lifespan

    async def ask_worker(path: str, request: Request) -> Any:
        # The worker's JSON (and its ETag) is passed through as the worker said it.
        return await pass_on(request, "insights", f"{settings.insights_url}/insights/{path}")

    add_read_model_routes(api, ask_worker)

    upstreams = {
        "leads": settings.leads_url,
        "deals": settings.deals_url,
        "billing": settings.billing_url,
        "insights": settings.insights_url,
    }

    class Readiness(BaseModel):
        status: str = Field(description="ready, or unavailable when an upstream does not answer")
        upstreams: dict[str, str] = Field(description="each upstream: ok, or what went wrong")
        error: str | None = Field(None, description="upstream_unavailable when not ready")
        message: str | None = Field(None, description="which upstreams do not answer")

    @api.get(
        "/readyz",
        tags=["probes"],
        summary="Readiness: every upstream answers",
        responses={200: {"model": Readiness}, 503: {"model": Readiness}},
    )
    async def readyz(request: Request) -> JSONResponse:
        client: httpx.AsyncClient = request.app.state.http

        async def answers(url: str) -> str:
            try:
                response = await client.get(f"{url}/healthz", timeout=2.0)
            except httpx.HTTPError as exc:
                return f"unreachable: {type(exc).__name__}"
            return "ok" if response.status_code == 200 else f"answered {response.status_code}"

        found = dict(
            zip(upstreams, await asyncio.gather(*map(answers, upstreams.values())), strict=True)
        )
        ready = all(state == "ok" for state in found.values())
        if ready:
            return JSONResponse({"status": "ready", "upstreams": found})
        down = sorted(name for name, state in found.items() if state != "ok")
        return JSONResponse(
            status_code=503,
            content={
                "error": "upstream_unavailable",
                "message": f"not answering: {', '.join(down)}",
                "status": "unavailable",
                "upstreams": found,
            },
        )

    if settings.auth_jwks_url is None:

        @api.get(
            "/.well-known/jwks.json",
            tags=["auth"],
            summary="The signing keys of the configured local issuer (no identity needed)",
        )
        def jwks() -> Any:
            try:
                return json.loads(jwks_path(settings).read_text())
            except (OSError, ValueError):
                return JSONResponse(
                    status_code=404,
                    content={"error": "not_found", "message": "no local issuer is configured"},
                )

    @api.get(
        "/topics",
        tags=["catalog"],
        summary="The topic catalog: name, key, value type, event types, headers",
    )
    def topics() -> list[dict[str, object]]:
        return [entry.as_json() for entry in catalog()]

    contracts = descriptor_set()
    contracts_etag = '"' + hashlib.sha256(contracts).hexdigest()[:32] + '"'

    @api.get(
        f"/contracts/{DESCRIPTOR_SET_NAME}",
        tags=["catalog"],
        summary="The contracts as a protobuf FileDescriptorSet (every proto/ file and its "
        "imports): decode any topic's records, Any payloads included, with generic tools",
        response_class=Response,
        responses={200: {"content": {"application/x-protobuf": {}}}},
    )
    def contract_descriptors() -> Response:
        return Response(
            contracts,
            media_type="application/x-protobuf",
            headers={
                "Content-Disposition": f'attachment; filename="{DESCRIPTOR_SET_NAME}"',
                "ETag": contracts_etag,
                "Cache-Control": "public, max-age=300",
            },
        )

    add_pages(api, settings)
    add_forwarding(api, settings)
    return api
