"""Hostile HTTP input gets a clear 4xx in the documented error shape, never a 5xx, and
stores nothing: out-of-range numbers, far-future and ancient times, oversized and deeply
nested bodies, absurd cursors and If-Match values, a gateway upstream that is not JSON."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from kernel.settings import Settings
from services.billing.application import BillingApplication
from services.billing.entrypoints.http import build_api as billing_api
from services.deals.application import DealsApplication
from services.deals.entrypoints.http import build_api as deals_api
from services.gateway.app import build_gateway
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api as leads_api
from tests.auth_support import TestClient


def documented(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) >= {"error", "message"}, body
    return body  # type: ignore[no-any-return]


@pytest.fixture
def clients(store_settings: Settings) -> Iterator[dict[str, TestClient]]:
    settings = store_settings.model_copy(update={"max_body_bytes": 64 * 1024})
    apps = (LeadsApplication(settings), DealsApplication(settings), BillingApplication(settings))
    try:
        with (
            TestClient(leads_api(apps[0])) as leads,
            TestClient(deals_api(apps[1])) as deals,
            TestClient(billing_api(apps[2])) as billing,
        ):
            yield {"leads": leads, "deals": deals, "billing": billing}
    finally:
        for app in apps:
            app.close()


def test_absurd_cursors_and_if_match_values_are_422(clients: dict[str, TestClient]) -> None:
    for service, path in (
        ("leads", "/leads"),
        ("leads", "/accounts"),
        ("leads", "/campaigns"),
        ("deals", "/deals"),
        ("billing", "/invoices"),
        ("billing", "/orders"),
        ("billing", "/quotes"),
    ):
        documented(clients[service].get(path, params={"cursor": str(10**30)}), 422)
    lead = uuid.uuid4()
    answer = clients["leads"].post(
        f"/leads/{lead}/qualify", json={}, headers={"If-Match": "9" * 5000}
    )
    documented(answer, 422)


def test_oversized_and_deeply_nested_bodies_are_refused(clients: dict[str, TestClient]) -> None:
    big = {"full_name": "x" * (100 * 1024), "email": "a@example.com", "source": "web_form"}
    documented(clients["leads"].post("/leads", json=big), 413)
    nested = "[" * 5000 + "]" * 5000
    answer = clients["leads"].post(
        "/leads", content=nested, headers={"content-type": "application/json"}
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert "error" in answer.json()


def test_times_no_business_could_have_are_refused_at_the_webhooks(
    clients: dict[str, TestClient],
) -> None:
    for received_at in ("9999-12-31T00:00:00Z", "1970-01-01T00:00:00Z"):
        answer = clients["billing"].post(
            "/integrations/erp/payments",
            json={
                "payment_id": "P-1",
                "invoice_id": str(uuid.uuid4()),
                "amount": {"amount": "10.00", "currency": "EUR"},
                "received_at": received_at,
            },
        )
        documented(answer, 422)
    call = clients["leads"].post(
        "/integrations/telephony/calls",
        json={
            "call_id": "c-1",
            "caller_number": "+4930123456",
            "started_at": "2026-11-20T10:00:00Z",
            "duration_seconds": 2**40,
        },
    )
    documented(call, 422)


class _NotJson(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(502)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>bad gateway</html>")

    def log_message(self, *args: object) -> None:
        pass


def test_the_gateway_answers_in_its_own_shape_when_upstream_is_not_json(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _NotJson)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        settings = Settings(data_dir=tmp_path, insights_url=url, deals_url=url)
        with TestClient(build_gateway(settings)) as gateway:
            body = documented(gateway.get("/insights/funnel"), 503)
            assert "not JSON" in json.dumps(body)
            forwarded = documented(gateway.get(f"/deals/{uuid.uuid4()}/history"), 503)
            assert "deals service answered 502" in json.dumps(forwarded)
    finally:
        server.shutdown()
