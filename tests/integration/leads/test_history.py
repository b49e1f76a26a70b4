"""The leads service's records as an auditor reads them: a lead's, an account's, a
campaign's and a rule set's history, and each as it stood at a version or a time."""

from __future__ import annotations

import copy
import csv
import io
import uuid
from datetime import UTC, datetime

from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer
from tests.integration.leads.test_capture_and_duplicates import CAMPAIGN
from tests.integration.leads.test_territories_and_lists import register

NEW_LEAD = {
    "full_name": "Ann Lee",
    "email": "ann@example.com",
    "company": "Acme",
    "source": "web_form",
}


def test_an_account_moved_by_new_territory_rules_shows_both_owners_in_time(
    store_settings: Settings,
) -> None:
    http = TestClient(build_api(LeadsApplication(store_settings)))
    pharma = register(http, "Umbrella Pharma", "umbrella.eu", "EMEA", "pharma")
    account = pharma["account_id"]
    before_change = datetime.now(UTC).isoformat()

    proposed = copy.deepcopy(http.get("/rules/territories").json()["document"])
    proposed["territories"][0]["industries"].append("pharma")
    changed = http.put("/rules/territories", json={"document": proposed, "note": "pharma"})
    assert changed.json()["version"] == 2, changed.text

    then = http.get(f"/accounts/{account}", params={"as_of": before_change}).json()
    assert then["owner"] == "emea-ines"
    assert http.get(f"/accounts/{account}").json()["owner"] == "emea-lars"
    registered = http.get(f"/accounts/{account}?as_of=0").json()
    assert registered["account_id"] == account and registered["owner"] != "emea-lars"

    history = http.get(f"/accounts/{account}/history").json()
    assert history["kind"] == "account" and history["id"] == account
    assert len(history["events"]) >= 2
    assert [e["version"] for e in history["events"]] == list(range(len(history["events"])))

    rules = http.get("/rules/territories/history").json()["events"]
    assert [e["event"] for e in rules] == ["RuleSet.Published", "RuleSet.Revised"]
    assert rules[1]["payload"]["note"] == "pharma"
    old = http.get("/rules/territories", params={"as_of": before_change}).json()
    assert old["version"] == 1 and "pharma" not in str(old["document"]["territories"][0])
    assert http.get("/rules/territories").json()["version"] == 2
    assert http.get("/rules/territories?as_of=1").status_code == 422


def test_a_leads_history_and_past_state_within_scope(store_settings: Settings) -> None:
    http = TestClient(build_api(LeadsApplication(store_settings)))
    captured = http.post("/leads", json=NEW_LEAD)
    assert captured.status_code == 201, captured.text
    lead = captured.json()["lead_id"]

    history = http.get(f"/leads/{lead}/history")
    assert history.status_code == 200
    events = history.json()["events"]
    assert events[0]["version"] == 0 and events[0]["event"].startswith("Lead.")
    assert events[0]["event_type"].startswith("l2c.v1.")
    assert events[0]["actor"]["id"] == "tester"
    first = http.get(f"/leads/{lead}?as_of=0").json()
    assert first["lead_id"] == lead and first["full_name"] == "Ann Lee"

    table = http.get(f"/leads/{lead}/history", headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["event"] for r in rows] == [e["event"] for e in events]

    stranger = bearer("nobody", ["rep"], teams=["nowhere"])
    assert http.get(f"/leads/{lead}/history", headers=stranger).status_code == 404
    assert http.get(f"/leads/{lead}?as_of=0", headers=stranger).status_code == 404
    assert http.get(f"/leads/{uuid.uuid4()}/history").status_code == 404
    assert http.get(f"/leads/{lead}?as_of=1970-01-01T00:00:00Z").status_code == 404


def test_a_campaign_history_by_its_slug(store_settings: Settings) -> None:
    http = TestClient(build_api(LeadsApplication(store_settings)))
    assert http.post("/campaigns", json=CAMPAIGN).status_code == 201
    history = http.get("/campaigns/spring-expo/history").json()
    assert history["kind"] == "campaign" and history["id"] == "spring-expo"
    assert [e["event"] for e in history["events"]][0].startswith("Campaign.")
    assert history["events"][0]["payload"]["name"] == "Spring Expo"
    assert http.get("/campaigns/spring-expo?as_of=0").json()["name"] == "Spring Expo"
    assert http.get("/campaigns/no-such-campaign/history").status_code == 404
    assert http.get("/campaigns/spring-expo?as_of=5").status_code == 404
