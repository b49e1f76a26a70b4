"""Business time and external ids on commands (loading an existing history): a caller with
the migration role may say when a command's facts happened (``Occurred-At``) and name the
record in its own system (``External-Id``); the store still records when it wrote them,
every other caller is refused a business time, and an external id applies a command once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer

MIGRATION = bearer("loader", ["migration"])
LEAD = {
    "full_name": "Ines Ortiz",
    "email": "ines@ortiz-legacy.example",
    "company": "Ortiz Legacy",
    "source": "web_form",
}
LAST_QUARTER = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


def test_a_migrated_lead_keeps_its_business_times_and_external_id(
    store_settings: Settings,
) -> None:
    http = TestClient(build_api(LeadsApplication(store_settings)))
    before = datetime.now(UTC)
    captured = http.post(
        "/leads",
        json=LEAD,
        headers={
            **MIGRATION,
            "Occurred-At": LAST_QUARTER.isoformat(),
            "External-Id": "crm-lead-1001",
        },
    )
    assert captured.status_code == 201, captured.text
    lead = captured.json()["lead_id"]
    qualified = http.post(
        f"/leads/{lead}/qualify",
        json={"note": "from the old CRM"},
        headers={**MIGRATION, "Occurred-At": (LAST_QUARTER + timedelta(days=2)).isoformat()},
    )
    assert qualified.status_code == 200, qualified.text

    history = http.get(f"/leads/{lead}/history").json()["events"]
    first, qualify = history[0], next(e for e in history if e["event"] == "Lead.MarketingQualified")
    assert datetime.fromisoformat(first["occurred_at"]) == LAST_QUARTER
    assert datetime.fromisoformat(first["recorded_at"]) >= before  # recorded now
    assert first["external_id"] == "crm-lead-1001"
    assert first["actor"]["roles"] == ["migration"]
    assert datetime.fromisoformat(qualify["occurred_at"]) == LAST_QUARTER + timedelta(days=2)
    assert qualify["external_id"] == ""
    # The caller finds the record by its own id.
    found = http.get("/external-ids/leads/crm-lead-1001")
    assert found.status_code == 200, found.text
    assert found.json()["records"] == [{"kind": "Lead", "id": lead}]
    assert http.get("/external-ids/leads/crm-lead-9999").status_code == 404
    refused = http.get("/external-ids/leads/crm-lead-1001", headers=bearer("rep-1", ["rep"]))
    assert refused.status_code == 403
    # The lead's own dates follow business time (the routing deadline too).
    detail = http.get(f"/leads/{lead}").json()
    assert detail["status"] in ("mql", "sql"), detail


def test_an_external_id_applies_a_command_once(store_settings: Settings) -> None:
    http = TestClient(build_api(LeadsApplication(store_settings)))
    headers = {**MIGRATION, "External-Id": "crm-lead-2002"}
    first = http.post("/leads", json=LEAD, headers=headers)
    again = http.post("/leads", json=LEAD, headers=headers)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json()["lead_id"] == first.json()["lead_id"]
    listed = http.get("/leads", params={"q": "ortiz"}).json()
    assert len(listed["items"]) <= 1  # the directory may lag; never two
    assert len(http.get(f"/leads/{first.json()['lead_id']}/history").json()["events"]) >= 1

    other = http.post("/leads", json={**LEAD, "full_name": "Someone Else"}, headers=headers)
    assert other.status_code == 422, other.text
    assert "External-Id 'crm-lead-2002' was already used" in other.json()["message"]
    # Another command may carry the same external id (it names the record, not the request).
    lead = first.json()["lead_id"]
    qualified = http.post(f"/leads/{lead}/qualify", json={"note": "x"}, headers=headers)
    assert qualified.status_code == 200, qualified.text


def test_only_the_migration_role_may_back_date(store_settings: Settings) -> None:
    http = TestClient(build_api(LeadsApplication(store_settings)))
    refused = http.post(
        "/leads",
        json=LEAD,
        headers={
            **bearer("rep-1", ["rep", "manager", "admin"]),
            "Occurred-At": LAST_QUARTER.isoformat(),
        },
    )
    assert refused.status_code == 403, refused.text
    assert "migration" in refused.json()["message"]
    assert http.get("/leads", params={"q": "ortiz"}).json()["items"] == []


def test_hostile_business_times_and_external_ids_are_refused(store_settings: Settings) -> None:
    http = TestClient(build_api(LeadsApplication(store_settings)))
    far_future = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    for value, expect in (
        ("1999-12-31T23:59:59Z", "before 2000"),
        (far_future, "after"),
        ("2026-07-01T09:30:00", "offset"),
        ("yesterday", "RFC 3339"),
        ("9" * 60, "RFC 3339"),
    ):
        answer = http.post("/leads", json=LEAD, headers={**MIGRATION, "Occurred-At": value})
        assert answer.status_code == 422, (value, answer.text)
        assert expect in answer.json()["message"], (value, answer.text)
    for external in ("x" * 201, "has space", "tab\there"):
        answer = http.post("/leads", json=LEAD, headers={**MIGRATION, "External-Id": external})
        assert answer.status_code == 422, (external, answer.text)
    assert http.get("/leads", params={"q": "ortiz"}).json()["items"] == []
