"""Walks the deals command catalog: every command is offered (a route, or a system that
sends it), documented with its answer and errors, idempotent, guarded by If-Match, and
its events carry the caller's metadata. A command added to the catalog without an
example here fails the walk."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from kernel.rules import RuleSet
from kernel.settings import Settings
from services.deals.application import DealsApplication
from services.deals.application.catalog import DEALS
from services.deals.domain.deal import Deal
from services.deals.domain.relationship import AccountRelationship
from services.deals.entrypoints.http import build_api
from tests.auth_support import TestClient
from tests.integration.command_walk import walk
from tests.integration.deals.test_processes_api import open_deal

# In catalog order, each valid on the deal the previous ones left: (path values, body).
EXAMPLES: dict[str, tuple[dict[str, str], dict[str, Any] | None]] = {
    "log_activity": ({}, {"kind": "call", "at": "2026-11-20T10:00:00Z", "duration_seconds": 60}),
    "raise_blocker": ({}, {"blocker_id": "b1", "description": "legal review"}),
    "resolve_blocker": ({"blocker_id": "b1"}, {"resolution": "signed off"}),
    "ask_question": (
        {},
        {"question_id": "q1", "text": "Which SLA?", "asked_at": "2026-11-20T10:00:00Z"},
    ),
    "answer_question": ({"question_id": "q1"}, {"answered_at": "2026-11-20T12:00:00Z"}),
    "agree_next_step": (
        {},
        {"step_id": "s1", "description": "demo", "owner": "ann", "due_at": "2027-01-10T10:00:00Z"},
    ),
    "complete_next_step": ({"step_id": "s1"}, None),
    "reschedule_next_step": (
        {"step_id": "s2"},
        {"due_at": "2027-01-12T10:00:00Z", "reason": "holiday"},
    ),
    "plan_close": (
        {},
        {"close_date": "2027-02-01", "forecast_category": "commit", "reason": "PO in legal"},
    ),
    "update_meddic": ({}, {"metrics": "downtime -30%", "champion": "plant manager"}),
    "add_stakeholder": (
        {},
        {
            "stakeholder_id": "p1",
            "name": "Ada Park",
            "level": "vp",
            "role": "economic_buyer",
            "phone": "+49 30 1234567",
        },
    ),
    "erase_stakeholder": ({"stakeholder_id": "p1"}, {"reason": "GDPR request 1"}),
    "change_stakeholder": ({"stakeholder_id": "p1"}, {"attitude": "supporter"}),
    "record_contact": ({"stakeholder_id": "p1"}, {"channel": "visit"}),
    "complete_action": ({}, {"action": "need_confirmed"}),
    "record_key_event": ({}, {"kind": "customer_approval"}),
    "advance_deal": (
        {},
        {"stage": "quote", "override": {"by": "kim", "reason": "customer pushed the timeline"}},
    ),
    "move_deal_back": ({}, {"stage": "product_understanding", "reason": "champion left"}),
    "migrate_deal": ({}, {"process_id": "solution-sale"}),
    "win_deal": ({}, None),
    "lose_deal": ({}, {"reason": "competitor", "competitor": "Rival GmbH"}),
    "close_without_decision": ({}, {"note": "budget frozen"}),
    "assess_relationship": (
        {"account": "Acme"},
        {"level": "vendor", "relationship": "good", "potential": "big"},
    ),
    "publish_processes_rules": ({}, None),  # the body is the current document, edited below
}
# Commands that close the deal: each gets a deal of its own.
CLOSING = {"win_deal", "lose_deal", "close_without_decision"}
# What only systems send (no route): its roles say who.
SYSTEM_ROLES = {"telephony", "policy", "erp"}


@pytest.fixture(scope="module")
def deals() -> tuple[DealsApplication, TestClient]:
    app = DealsApplication(Settings(data_dir=Path(tempfile.mkdtemp()), store="sqlite"))
    return app, TestClient(build_api(app))


def test_every_command_is_offered_and_has_an_example() -> None:
    for spec in DEALS:
        if spec.route is None:
            assert spec.facts.roles and set(spec.facts.roles) <= SYSTEM_ROLES, spec.name
        else:
            assert spec.name in EXAMPLES, f"{spec.name}: add an example to this walk"


def test_every_route_documents_its_answer_and_errors(
    deals: tuple[DealsApplication, TestClient],
) -> None:
    _, http = deals
    document = http.get("/openapi.json").json()
    operations = {
        op["operationId"]: (path, method, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    for spec in DEALS:
        if spec.route is None:
            continue
        path, method, op = operations[spec.name]
        assert (path, method.upper()) == (spec.route.path, spec.route.method)
        responses = op["responses"]
        ok = responses[str(spec.route.status)]["content"]["application/json"]["schema"]
        assert spec.response_model is not None, spec.name
        assert ok == {"$ref": f"#/components/schemas/{spec.response_model.__name__}"}, spec.name
        for status in ("404", "409", "422"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (spec.name, status)
        names = {p["name"] for p in op.get("parameters", [])}
        assert {"Idempotency-Key", "If-Match"} <= names, spec.name


def test_every_command_is_idempotent_guarded_and_stamped(
    deals: tuple[DealsApplication, TestClient],
) -> None:
    app, http = deals
    deal_id = open_deal(app)
    # A second open step, for the reschedule example.
    http.post(
        f"/deals/{deal_id}/next-steps",
        json={
            "step_id": "s2",
            "description": "pilot",
            "owner": "ann",
            "due_at": "2027-01-05T10:00:00Z",
        },
    ).raise_for_status()
    for spec in DEALS:
        if spec.route is None:
            continue
        values, body = EXAMPLES[spec.name]
        if spec.name == "publish_processes_rules":
            current = http.get("/rules/processes").json()["document"]
            current["processes"][0]["stages"][0]["win_probability_percent"] += 1
            body = {"document": current, "note": "walk"}
        target = open_deal(app) if spec.name in CLOSING else deal_id
        url = spec.route.path.format(deal_id=target, **values)
        kind, aggregate_id = aggregate_of(spec.aggregate, target, values)
        walk(app, http, spec, url, body, kind, aggregate_id)


def aggregate_of(
    kind: type[Any], deal_id: str, values: dict[str, str]
) -> tuple[type[Any], uuid.UUID]:
    """The aggregate a command's example changes."""
    if kind is Deal:
        return Deal, uuid.UUID(deal_id)
    if kind is AccountRelationship:
        return kind, AccountRelationship.create_id(values["account"])
    assert kind is RuleSet
    return kind, RuleSet.create_id("processes")
