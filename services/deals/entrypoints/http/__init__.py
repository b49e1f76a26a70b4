"""HTTP API of the deals service: payload -> use case -> status, one router per concern."""

from __future__ import annotations

from fastapi import FastAPI

from kernel.command_routes import command_routes
from kernel.directory import external_id_routes
from kernel.http import create_api
from services.deals.adapters.directory import DealDirectory
from services.deals.application import DealsApplication
from services.deals.application.catalog import DEALS
from services.deals.entrypoints.http import accounts_and_rules, buyers, deals


def build_api(app: DealsApplication, directory: DealDirectory | None = None) -> FastAPI:
    api = create_api(
        "L2C deals service",
        "Qualification gates, configurable sales processes, decision maps, activities, "
        "next steps and forecasts of deals opened from converted leads.",
        max_body_bytes=app.settings.max_body_bytes,
        settings=app.settings,
    )
    directory = directory or DealDirectory(app, app.settings.data_dir / "deals-directory.sqlite")
    api.include_router(deals.routes(app, directory))
    for concern in (buyers, accounts_and_rules):
        api.include_router(concern.routes(app))
    api.include_router(command_routes(app, DEALS, guard=deals.guard(app)))
    api.include_router(external_id_routes("deals", directory))
    return api
