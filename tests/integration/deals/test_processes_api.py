"""Sales processes over the deals API and a real store: exit criteria, overrides, moving
back, versions and migration."""

from __future__ import annotations

import copy
import uuid

from fastapi.testclient import TestClient

from kernel.domain import Money
from kernel.settings import Settings
from services.deals.application import DealsApplication
from services.deals.entrypoints.http import build_api


def open_deal(app: DealsApplication, process_id: str = "") -> str:
    return str(app.open_deal_for_lead(
        lead_id=uuid.uuid4(), name="Line automation", amount=Money.of("48000", "EUR"),
        owner_id="rep-7", company="Acme", process_id=process_id)["deal_id"])


def test_a_deal_follows_its_process_with_exit_criteria_overrides_and_moves_back(
    store_settings: Settings,
) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app, "solution-sale")
    refused = http.post(f"/deals/{deal}/advance", json={"stage": "solution"})
    assert refused.status_code == 409
    assert "missing: goal_identification: action pain_identified" in refused.json()["message"]
    assert http.post(f"/deals/{deal}/actions", json={"action": "golf"}).status_code == 422
    http.post(f"/deals/{deal}/actions", json={"action": "pain_identified"})
    assert http.post(f"/deals/{deal}/advance", json={"stage": "solution"}).status_code == 200
    overridden = http.post(f"/deals/{deal}/advance", json={
        "stage": "evaluation", "override": {"by": "manager-kim", "reason": "CEO sponsor"}})
    assert overridden.status_code == 200 and overridden.json()["win_probability_percent"] == 60
    events = http.get(f"/deals/{deal}/events").json()
    advanced = [e for e in events if e["event_type"] == "l2c.v1.DealStageAdvanced"][-1]
    assert advanced["payload"]["overridden_by"] == "manager-kim"
    assert advanced["payload"]["missing"] == [
        "solution: action solution_presented", "power_sponsor: action power_sponsor_won",
        "power_sponsor: key event customer_approval"]
    back = http.post(f"/deals/{deal}/move-back", json={"stage": "solution",
                                                       "reason": "sponsor left"})
    assert back.status_code == 200 and back.json()["stage"] == "solution"
    stale = http.post(f"/deals/{deal}/actions", json={"action": "solution_presented"},
                      headers={"If-Match": "0"})
    assert stale.status_code == 409


def test_open_deals_keep_their_process_version_until_migrated(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    assert http.get(f"/deals/{deal}").json()["process"] == {"id": "simple-product-sale",
                                                           "version": 1}
    document = copy.deepcopy(http.get("/rules/processes").json()["document"])
    document["processes"][0]["stages"][0]["win_probability_percent"] = 15
    assert http.put("/rules/processes", json={"document": document}).json()["version"] == 2
    unchanged = http.get(f"/deals/{deal}").json()
    assert (unchanged["process"]["version"], unchanged["win_probability_percent"]) == (1, 10)
    assert http.get(f"/deals/{open_deal(app)}").json()["process"]["version"] == 2
    migrated = http.post(f"/deals/{deal}/migrate", json={}).json()
    assert (migrated["process"]["version"], migrated["win_probability_percent"]) == (2, 15)
    broken = copy.deepcopy(document)
    broken["default_process"] = "missing"
    assert http.put("/rules/processes", json={"document": broken}).status_code == 422
