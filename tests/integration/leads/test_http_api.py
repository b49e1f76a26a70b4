"""The leads HTTP API over a real store: statuses, messages, and no half-writes."""

from __future__ import annotations

import threading
import uuid

from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient

NEW_LEAD = {
    "full_name": "Ann Lee",
    "email": "ann@example.com",
    "company": "Acme",
    "source": "web_form",
}


def client(settings: Settings) -> tuple[TestClient, LeadsApplication]:
    app = LeadsApplication(settings)
    return TestClient(build_api(app)), app


def test_capturing_a_lead_answers_201_and_a_retry_with_the_key_gives_the_same_lead(
    store_settings: Settings,
) -> None:
    http, _ = client(store_settings)
    first = http.post("/leads", json=NEW_LEAD, headers={"Idempotency-Key": "form-1"})
    again = http.post("/leads", json=NEW_LEAD, headers={"Idempotency-Key": "form-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["lead_id"] == again.json()["lead_id"]


def test_a_bad_request_gets_422_naming_each_problem_and_writes_nothing(
    store_settings: Settings,
) -> None:
    http, app = client(store_settings)
    before = app.recorder.max_notification_id()
    response = http.post(
        "/leads", json={"full_name": "", "email": "not-an-email", "source": "web_form"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "full_name" in body["message"] and "email" in body["message"]
    assert app.recorder.max_notification_id() == before


def test_a_domain_rule_refusal_is_422_and_writes_nothing(store_settings: Settings) -> None:
    http, app = client(store_settings)
    before = app.recorder.max_notification_id()
    response = http.post("/leads", json={**NEW_LEAD, "email": "", "phone": ""})
    assert response.status_code == 422
    assert "email or a phone" in response.json()["message"]
    assert app.recorder.max_notification_id() == before


def test_an_unknown_lead_is_404(store_settings: Settings) -> None:
    http, _ = client(store_settings)
    response = http.post(f"/leads/{uuid.uuid4()}/qualify", json={})
    assert response.status_code == 404
    assert "not found" in response.json()["message"]


def test_a_command_out_of_order_is_409_with_the_reason(store_settings: Settings) -> None:
    http, _ = client(store_settings)
    lead_id = http.post("/leads", json=NEW_LEAD).json()["lead_id"]
    response = http.post(
        f"/leads/{lead_id}/convert",
        json={
            "deal_name": "D",
            "owner_id": "rep",
            "expected_amount": {"amount": "1", "currency": "EUR"},
        },
    )
    assert response.status_code == 409
    assert "only a sql lead can be converted" in response.json()["message"]


def test_two_concurrent_commands_on_one_lead_one_succeeds_the_other_gets_409(
    store_settings: Settings,
) -> None:
    http, app = client(store_settings)
    lead_id = http.post("/leads", json=NEW_LEAD).json()["lead_id"]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def qualify(note: str) -> None:
        with TestClient(build_api(app)) as own:
            start.wait(timeout=10)
            statuses.append(
                own.post(
                    f"/leads/{lead_id}/qualify", json={"note": note}, headers={"If-Match": "0"}
                ).status_code
            )

    threads = [threading.Thread(target=qualify, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [200, 409]
    assert http.get(f"/leads/{lead_id}").json()["version"] == 2  # qualified, then routed


def test_the_readiness_probe_reports_the_store_and_the_relay_backlog(
    store_settings: Settings,
) -> None:
    from services.leads.__main__ import build

    parts = build(store_settings)
    assert parts.api is not None
    http = TestClient(parts.api)
    http.post("/leads", json=NEW_LEAD)
    http.post("/leads", json={**NEW_LEAD, "email": "bob@example.com"})
    ready = http.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    # Two leads with their identity keys: more store records than leads, none published.
    assert body["status"] == "ready" and body["store_position"] >= 2
    assert (body["relay_position"], body["relay_backlog"]) == (0, body["store_position"])
