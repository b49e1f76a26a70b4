"""HTTP API of the billing service: payload -> use case -> status, one router per concern."""

from __future__ import annotations

from fastapi import FastAPI

from kernel.command_routes import command_routes
from kernel.directory import external_id_routes
from kernel.http import create_api, webhook_producer
from services.billing.adapters.directory import BillingDirectory
from services.billing.application import BillingApplication
from services.billing.application.catalog import BILLING
from services.billing.entrypoints.http import cpq, invoices, orders, scope


def build_api(app: BillingApplication, directory: BillingDirectory | None = None) -> FastAPI:
    api = create_api(
        "L2C billing service",
        "CPQ (catalog, price book, quotes, discount approval), orders and contracts with "
        "credit checks, payment schedules, delivery milestones, invoices, payments, "
        "credit notes, returns and the ERP integration.",
        max_body_bytes=app.settings.max_body_bytes,
        settings=app.settings,
    )
    directory = directory or BillingDirectory(
        app, app.settings.data_dir / "billing-directory.sqlite"
    )
    producer = webhook_producer(api, app.settings, "billing-erp-webhook")
    api.include_router(cpq.routes(app, directory))
    api.include_router(orders.routes(app, directory))
    api.include_router(invoices.routes(app, directory, producer))
    api.include_router(command_routes(app, BILLING, guard=scope.guard(app)))
    api.include_router(external_id_routes("billing", directory))
    return api
