"""HTTP API of the leads service: payload -> use case -> status, one router per concern."""

from __future__ import annotations

from fastapi import FastAPI

from kernel.command_routes import command_routes
from kernel.directory import external_id_routes
from kernel.http import create_api, webhook_producer
from services.leads.adapters.directory import LeadDirectory
from services.leads.adapters.firmographics import ReferenceFileProvider
from services.leads.application import FirmographicsProvider, LeadsApplication
from services.leads.application.catalog import LEADS
from services.leads.entrypoints.http import accounts, campaigns, integrations, leads, rules
from services.leads.entrypoints.http.wiring import Wiring


def build_api(
    app: LeadsApplication,
    provider: FirmographicsProvider | None = None,
    directory: LeadDirectory | None = None,
) -> FastAPI:
    api = create_api(
        "L2C leads service",
        "Capture leads from every channel, flag and merge duplicates, qualify and convert.",
        max_body_bytes=app.settings.max_body_bytes,
        settings=app.settings,
        body_limits={"/leads/imports": app.settings.max_import_bytes},
    )
    directory = directory or LeadDirectory(app, app.settings.data_dir / "leads-directory.sqlite")
    producer = webhook_producer(api, app.settings, "leads-telephony-webhook")
    wiring = Wiring(app, provider or ReferenceFileProvider(), directory, producer)
    for concern in (leads, campaigns, accounts, rules, integrations):
        api.include_router(concern.routes(wiring))
    api.include_router(command_routes(app, LEADS, guard=leads.guard(app)))
    api.include_router(external_id_routes("leads", directory))
    return api
