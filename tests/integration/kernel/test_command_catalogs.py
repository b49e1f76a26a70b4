"""Every service's command catalog against its OpenAPI document: each command with a
route is there under its name, on its path and method, with its typed answer, the
errors it can give in the ErrorBody shape and the Idempotency-Key and If-Match headers;
each command without a route is one only systems send. And no route that writes was
added by hand beside the catalog, except the edges named here, which are not commands."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from kernel.commands import Catalog
from kernel.settings import Settings
from services.billing.application import BillingApplication
from services.billing.application.catalog import BILLING
from services.billing.entrypoints.http import build_api as billing_api
from services.deals.application import DealsApplication
from services.deals.application.catalog import DEALS
from services.deals.entrypoints.http import build_api as deals_api
from services.leads.application import LeadsApplication
from services.leads.application.catalog import LEADS
from services.leads.entrypoints.http import build_api as leads_api

SYSTEM_ROLES = {"policy", "telephony", "erp", "import"}
# Writes that are not one command: a bulk of commands, a webhook onto a topic, an action
# that asks an outside system first, a preview that writes nothing, a rule activation
# that publishes and then re-places accounts one command each.
NOT_COMMANDS = {
    ("POST", "/leads/imports"),
    ("POST", "/integrations/telephony/calls"),
    ("POST", "/leads/{lead_id}/enrich"),
    ("POST", "/territories/preview"),
    ("PUT", "/rules/territories"),
    ("POST", "/quotes/preview"),
    ("POST", "/integrations/erp/payments"),
    ("POST", "/integrations/erp/invoices-posted"),
    ("POST", "/integrations/erp/shipments"),
    ("POST", "/integrations/erp/milestones"),
}
# Commands those edges send on the caller's behalf (so the caller's roles apply).
SENT_BY_EDGES = {"publish_territories_rules"}


def _api(service: str) -> tuple[Catalog, FastAPI]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), store="sqlite")
    if service == "deals":
        return DEALS, deals_api(DealsApplication(settings))
    if service == "billing":
        return BILLING, billing_api(BillingApplication(settings))
    return LEADS, leads_api(LeadsApplication(settings))


@pytest.mark.parametrize("service", ["deals", "leads", "billing"])
def test_the_catalog_is_the_api(service: str) -> None:
    catalog, api = _api(service)
    document: dict[str, Any] = api.openapi()
    operations = {
        (method.upper(), path): op
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    offered = set()
    for spec in catalog:
        if spec.route is None:
            assert spec.facts.roles, spec.name
            if spec.name not in SENT_BY_EDGES:
                assert set(spec.facts.roles) <= SYSTEM_ROLES, (spec.name, spec.facts.roles)
            continue
        key = (spec.route.method, spec.route.path)
        offered.add(key)
        op = operations[key]
        assert op["operationId"] == spec.name
        responses = op["responses"]
        answer = responses[str(spec.route.status)]["content"]["application/json"]["schema"]
        if spec.response_model is not None:
            assert answer == {"$ref": f"#/components/schemas/{spec.response_model.__name__}"}
        for status in ("404", "409", "413", "422"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (spec.name, status)
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, spec.name
        assert ("If-Match" in headers) == spec.route.if_match, spec.name
        path_params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert path_params == set(spec.route.path_fields), spec.name
    writes = {k for k in operations if k[0] in ("POST", "PUT", "PATCH", "DELETE")}
    assert writes - offered <= NOT_COMMANDS, sorted(writes - offered - NOT_COMMANDS)
