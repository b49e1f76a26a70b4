"""Sales processes over the deals API and a real store: exit criteria, overrides, moving
back, versions and migration."""

from __future__ import annotations

import copy
import uuid

import pytest

from kernel.domain import Money
from kernel.errors import RuleViolation
from kernel.settings import Settings
from services.deals.application import DealsApplication
from services.deals.domain.qualification import Qualification
from services.deals.entrypoints.http import build_api
from tests.auth_support import TestClient

BANTCC = Qualification(
    budget="approved",
    authority="COO",
    need="downtime",
    timeline="Q3",
    company_situation="new plant",
    competitors="Rival GmbH",
)


def open_deal(
    app: DealsApplication, process_id: str = "", qualification: Qualification = BANTCC
) -> str:
    return str(
        app.open_deal_for_lead(
            lead_id=uuid.uuid4(),
            name="Line automation",
            amount=Money.of("48000", "EUR"),
            owner_id="rep-7",
            company="Acme",
            process_id=process_id,
            qualification=qualification,
        )["deal_id"]
    )


def test_opening_is_refused_naming_the_missing_bantcc_criteria(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    bant_only = Qualification(budget="b", authority="a", need="n", timeline="t")
    assert open_deal(app, "simple-product-sale", bant_only)
    with pytest.raises(
        RuleViolation, match="needs BANTCC; missing: company_situation, competitors"
    ):
        open_deal(app, "solution-sale", bant_only)


def test_meddic_and_the_decision_map_are_evented_and_measured(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    assert (
        http.put(
            f"/deals/{deal}/meddic",
            json={"metrics": "save 3h per changeover", "champion": "plant manager"},
        ).json()["meddic_completeness"]
        == 0.3333
    )
    for sid, level, role, attitude in (
        ("ceo", "c_level", "economic_buyer", "neutral"),
        ("cfo", "vp", "power_sponsor", "opponent"),
        ("eng", "manager", "technical_evaluator", "supporter"),
    ):
        added = http.post(
            f"/deals/{deal}/stakeholders",
            json={
                "stakeholder_id": sid,
                "name": sid.upper(),
                "level": level,
                "role": role,
                "attitude": attitude,
            },
        )
        assert added.status_code == 201
    bad = http.post(
        f"/deals/{deal}/stakeholders",
        json={"stakeholder_id": "x", "name": "X", "level": "king", "role": "user"},
    )
    assert bad.status_code == 422 and "level 'king' is not one of" in bad.json()["message"]
    http.post(f"/deals/{deal}/stakeholders/eng/contacts", json={"channel": "visit"})
    http.post(f"/deals/{deal}/stakeholders/cfo/contacts", json={"channel": "meeting"})
    http.patch(
        f"/deals/{deal}/stakeholders/cfo",
        json={"attitude": "supporter", "note": "won over at the demo"},
    )
    coverage = http.get(f"/deals/{deal}/decision-map").json()["coverage"]
    assert coverage == {
        "stakeholders": 3,
        "contacted": 2,
        "call_high": "vp",
        "call_wide": 0.6667,
        "roles_covered": ["power_sponsor", "technical_evaluator"],
        "opponents": [],
    }
    types = [e["event_type"] for e in http.get(f"/deals/{deal}/events").json()]
    assert types.count("l2c.v1.DealStakeholderAdded") == 3
    assert types.count("l2c.v1.DealStakeholderChanged") == 1
    assert types.count("l2c.v1.DealMeddicUpdated") == 2


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
    overridden = http.post(
        f"/deals/{deal}/advance",
        json={"stage": "evaluation", "override": {"by": "manager-kim", "reason": "CEO sponsor"}},
    )
    assert overridden.status_code == 200 and overridden.json()["win_probability_percent"] == 60
    events = http.get(f"/deals/{deal}/events").json()
    advanced = [e for e in events if e["event_type"] == "l2c.v1.DealStageAdvanced"][-1]
    assert advanced["payload"]["overridden_by"] == "manager-kim"
    assert advanced["payload"]["missing"] == [
        "solution: action solution_presented",
        "power_sponsor: action power_sponsor_won",
        "power_sponsor: key event customer_approval",
    ]
    back = http.post(
        f"/deals/{deal}/move-back", json={"stage": "solution", "reason": "sponsor left"}
    )
    assert back.status_code == 200 and back.json()["stage"] == "solution"
    stale = http.post(
        f"/deals/{deal}/actions", json={"action": "solution_presented"}, headers={"If-Match": "0"}
    )
    assert stale.status_code == 409


def test_open_deals_keep_their_process_version_until_migrated(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    assert http.get(f"/deals/{deal}").json()["process"] == {
        "id": "simple-product-sale",
        "version": 1,
    }
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


def test_forecast_changes_and_overdue_next_steps_over_the_api(store_settings: Settings) -> None:
    from datetime import UTC, datetime, timedelta

    from services.deals.domain.deal import Deal

    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    forecast = http.put(
        f"/deals/{deal}/forecast",
        json={
            "close_date": "2026-12-15",
            "amount": {"amount": "52000.00", "currency": "EUR"},
            "forecast_category": "best_case",
            "reason": "scope grew by two lines",
        },
    ).json()
    assert (forecast["close_date"], forecast["amount"], forecast["forecast_category"]) == (
        "2026-12-15",
        "52000.00",
        "best_case",
    )
    before = app.recorder.max_notification_id()
    unexplained = http.put(f"/deals/{deal}/forecast", json={"close_date": "2027-01-31"})
    assert unexplained.status_code == 422
    assert "needs a reason" in unexplained.json()["message"]
    assert app.recorder.max_notification_id() == before
    slipped = http.put(
        f"/deals/{deal}/forecast",
        json={"close_date": "2027-01-31", "reason": "legal review moved to January"},
    )
    assert slipped.status_code == 200
    events = http.get(f"/deals/{deal}/events").json()
    planned = [e["payload"] for e in events if e["event_type"] == "l2c.v1.DealCloseDatePlanned"]
    assert [p["slipped"] for p in planned] == [False, True]
    assert planned[1]["reason"] == "legal review moved to January"
    history = http.get(f"/deals/{deal}/history").json()["events"]
    reasons = {e["event"]: e["reason"] for e in history if e["reason"]}
    assert reasons["Deal.AmountChanged"] == "scope grew by two lines"
    assert reasons["Deal.ForecastCategoryChanged"] == "scope grew by two lines"

    due = datetime.now(UTC) - timedelta(hours=2)
    assert (
        http.post(
            f"/deals/{deal}/next-steps",
            json={
                "step_id": "site-visit",
                "description": "Visit the plant",
                "owner": "rep-7",
                "due_at": due.isoformat(),
            },
        ).status_code
        == 201
    )
    assert app.flag_overdue_next_steps(datetime.now(UTC)) == [f"{deal}/site-visit"]
    assert app.flag_overdue_next_steps(datetime.now(UTC)) == []
    overdue = [
        e for e in app.history(Deal, uuid.UUID(deal)) if type(e).__name__ == "NextStepOverdue"
    ][0]
    assert overdue.metadata["occurred_at"] == due.isoformat()
    assert http.post(f"/deals/{deal}/next-steps/site-visit/done").status_code == 200
    assert (
        http.post(f"/deals/{deal}/no-decision", json={"note": "frozen"}).json()["status"]
        == "no_decision"
    )


def test_an_accounts_relationship_level_and_quadrant_give_its_strategy(
    store_settings: Settings,
) -> None:
    http = TestClient(build_api(DealsApplication(store_settings)))
    first = http.put("/relationships/Acme", json={"potential": "big"}).json()
    assert (first["level"], first["strategy"]) == ("vendor", "build the relationship first")
    better = http.put(
        "/relationships/acme", json={"level": "solution_consultant", "relationship": "good"}
    ).json()
    assert better == {
        "account": "Acme",
        "level": "solution_consultant",
        "relationship": "good",
        "potential": "big",
        "strategy": "visit first and ask for the order",
    }
    assert http.put("/relationships/Acme", json={"level": "best_friend"}).status_code == 422
    assert http.get("/relationships/Unknown Co").status_code == 404


def test_deals_are_listed_filtered_and_paged(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    simple = [open_deal(app) for _ in range(3)]
    solution = [open_deal(app, "solution-sale") for _ in range(2)]
    http.post(f"/deals/{simple[0]}/win")
    page1 = http.get("/deals", params={"limit": 2}).json()
    page2 = http.get("/deals", params={"limit": 2, "cursor": page1["next_cursor"]}).json()
    page3 = http.get("/deals", params={"limit": 2, "cursor": page2["next_cursor"]}).json()
    assert [d["deal_id"] for p in (page1, page2, page3) for d in p["items"]] == [*simple, *solution]
    assert page3["next_cursor"] is None
    assert [
        d["deal_id"]
        for d in http.get("/deals", params={"process_id": "solution-sale"}).json()["items"]
    ] == solution
    assert [d["deal_id"] for d in http.get("/deals", params={"status": "won"}).json()["items"]] == [
        simple[0]
    ]
    assert http.get("/deals", params={"limit": 1000}).status_code == 422


def test_every_deal_command_honours_if_match(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    stale = {"If-Match": "0"}
    http.post(f"/deals/{deal}/actions", json={"action": "need_confirmed"})  # now version 1
    requests = [
        (
            "post",
            f"/deals/{deal}/stakeholders",
            {"stakeholder_id": "s", "name": "S", "level": "vp", "role": "user"},
        ),
        ("post", f"/deals/{deal}/activities", {"kind": "visit", "at": "2026-11-20T10:00:00Z"}),
        ("post", f"/deals/{deal}/blockers", {"blocker_id": "b", "description": "legal"}),
        (
            "post",
            f"/deals/{deal}/next-steps",
            {
                "step_id": "n",
                "description": "call",
                "owner": "rep",
                "due_at": "2026-12-01T09:00:00Z",
            },
        ),
        ("post", f"/deals/{deal}/key-events", {"kind": "customer_need"}),
        ("post", f"/deals/{deal}/no-decision", {"note": ""}),
    ]
    for method, url, body in requests:
        response = getattr(http, method)(url, json=body, headers=stale)
        assert response.status_code == 409, (url, response.text)
        assert "is at version 1, not 0" in response.json()["message"]
