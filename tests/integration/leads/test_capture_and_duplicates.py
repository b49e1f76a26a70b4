"""Capture from every channel, duplicate flags, merges and bulk import, over a real store."""

from __future__ import annotations

import time
import uuid

from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.domain.lead import Lead
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient

CAMPAIGN = {
    "campaign_id": "spring-expo",
    "name": "Spring Expo",
    "channel_type": "event",
    "cost": {"amount": "12000.00", "currency": "EUR"},
    "starts_on": "2026-03-01",
    "ends_on": "2026-03-03",
}


def api(settings: Settings) -> tuple[TestClient, LeadsApplication]:
    app = LeadsApplication(settings)
    return TestClient(build_api(app)), app


def test_a_lead_matching_a_known_lead_is_flagged_with_each_reason(
    store_settings: Settings,
) -> None:
    http, _ = api(store_settings)
    first = http.post(
        "/leads",
        json={
            "full_name": "Mei Chen",
            "email": "mei@robotics.cn",
            "phone": "+86 138 0013 8000",
            "company": "Hangzhou Robotics Co., Ltd.",
        },
    ).json()
    assert first["duplicates"] == []
    second = http.post(
        "/leads",
        json={
            "full_name": "M. Chen",
            "email": "MEI@robotics.cn",
            "phone": "0086-138-0013-8000",
            "company": "Hangzhou Robotics",
            "source": "import",
        },
    )
    assert second.status_code == 201
    reasons = {(d["owner_id"], d["reason"]) for d in second.json()["duplicates"]}
    assert reasons == {
        (first["lead_id"], "same email address"),
        (first["lead_id"], "same phone number"),
        (first["lead_id"], "same company name and web domain"),
    }
    flagged = http.get(f"/leads/{second.json()['lead_id']}").json()
    assert len(flagged["duplicates"]) == 3
    events = http.get(f"/leads/{second.json()['lead_id']}/events").json()
    assert [e["event_type"] for e in events] == [
        "l2c.v1.LeadCaptured",
        "l2c.v1.LeadDuplicateFlagged",
    ]


def test_a_lead_from_a_known_account_is_flagged_as_matching_the_account(
    store_settings: Settings,
) -> None:
    http, _ = api(store_settings)
    account = http.post(
        "/accounts",
        json={
            "name": "Nordic Freight AB",
            "website": "https://www.nordicfreight.se",
            "region": "EMEA",
            "industry": "Logistics",
        },
    )
    assert account.status_code == 201
    again = http.post("/accounts", json={"name": "Nordic Freight", "website": "nordicfreight.se"})
    assert again.status_code == 422 and "same name and domain" in again.json()["message"]
    lead = http.post(
        "/leads",
        json={
            "full_name": "Lars Eriksen",
            "email": "lars@nordicfreight.se",
            "company": "Nordic Freight",
        },
    ).json()
    assert lead["duplicates"] == [
        {
            "owner_kind": "account",
            "owner_id": account.json()["account_id"],
            "reason": "same company name and web domain",
        }
    ]


def test_merging_keeps_both_histories_and_undoing_it_is_evented(store_settings: Settings) -> None:
    http, app = api(store_settings)
    a = http.post("/leads", json={"full_name": "Ann", "email": "ann@acme.com"}).json()["lead_id"]
    b = http.post("/leads", json={"full_name": "Ann L", "email": "ann@acme.com"}).json()["lead_id"]
    merged = http.post(f"/leads/{a}/merges", json={"duplicate_id": b})
    assert merged.status_code == 200
    assert http.get(f"/leads/{b}").json()["merged_into"] == a
    assert http.get(f"/leads/{a}").json()["absorbed"] == [b]
    assert http.post(f"/leads/{a}/merges", json={"duplicate_id": b}).status_code == 409
    assert http.post(f"/leads/{b}/unmerge").status_code == 200
    assert http.get(f"/leads/{b}").json()["status"] == "new"
    assert [type(e).__name__ for e in app.history(Lead, uuid.UUID(b))] == [
        "Captured",
        "DuplicateFlagged",
        "Merged",
        "MergeUndone",
    ]
    assert [type(e).__name__ for e in app.history(Lead, uuid.UUID(a))][-2:] == [
        "AbsorbedDuplicate",
        "AbsorptionUndone",
    ]
    assert http.post(f"/leads/{b}/unmerge").status_code == 422


def test_campaigns_registrations_and_unknown_campaigns(store_settings: Settings) -> None:
    http, _ = api(store_settings)
    assert http.post("/campaigns", json=CAMPAIGN).status_code == 201
    assert http.post("/campaigns", json=CAMPAIGN).status_code == 422
    registered = http.post(
        "/campaigns/spring-expo/registrations",
        json={"full_name": "Lars", "email": "lars@example.org"},
    )
    assert registered.status_code == 201
    lead = http.get(f"/leads/{registered.json()['lead_id']}").json()
    assert (lead["source"], lead["campaign_id"]) == ("event", "spring-expo")
    unknown = http.post(
        "/leads", json={"full_name": "X", "email": "x@example.org", "campaign_id": "nope"}
    )
    assert unknown.status_code == 422 and "unknown campaign 'nope'" in unknown.json()["message"]
    cost = http.put(
        "/campaigns/spring-expo/cost", json={"cost": {"amount": "15000.00", "currency": "EUR"}}
    )
    assert cost.status_code == 200 and cost.json()["cost"] == "15000.00"


def _csv(rows: int) -> str:
    lines = ["full_name,email,phone,company,website,region,product_interest,campaign_id"]
    for i in range(rows):
        if i % 100 == 7:
            lines.append(f"Broken {i},not-an-email,,Co {i},,,,")  # bad email
        elif i % 100 == 13:
            lines.append(f",nobody{i}@example.org,,,,,,")  # missing name
        elif i % 100 == 21:
            lines.append(f"No Contact {i},,,Quiet {i} Ltd,,,,")  # neither email nor phone
        elif i % 50 == 3 and i > 50:
            lines.append(f"Repeat {i},person{i - 1}@firm{i - 1}.com,,,,,,")  # duplicate
        else:
            lines.append(
                f"Person {i},person{i}@firm{i}.com,+49 30 {1000000 + i},Firm {i} GmbH,"
                f"https://firm{i}.com,EMEA,automation,spring-expo"
            )
    return "\n".join(lines) + "\n"


def test_a_bulk_import_of_thousands_of_rows_reports_every_rejected_row_and_is_idempotent(
    store_settings: Settings,
) -> None:
    http, app = api(store_settings)
    http.post("/campaigns", json=CAMPAIGN)
    body = _csv(3000)
    began = time.monotonic()
    report = http.post(
        "/leads/imports",
        content=body,
        headers={"Content-Type": "text/csv", "Idempotency-Key": "crm-export-1"},
    ).json()
    took = time.monotonic() - began
    print(f"\nimported 3000 rows in {took:.1f}s")
    assert report["rows"] == 3000
    assert len(report["rejected"]) == 90
    reasons = {r["row"]: r["reason"] for r in report["rejected"]}
    assert "email: String should match pattern" in reasons[8]  # CSV row 8 is i == 7
    assert "full_name: String should have at least 1 character" in reasons[14]
    assert "needs an email or a phone" in reasons[22]
    assert report["accepted"] == 2910
    assert len(report["duplicates"]) == 59
    assert report["duplicates"][0]["matches"][0]["reason"] == "same email address"

    again = http.post(
        "/leads/imports",
        content=body,
        headers={"Content-Type": "text/csv", "Idempotency-Key": "crm-export-1"},
    ).json()
    assert (again["accepted"], len(again["rejected"])) == (2910, 90)
    captured = [
        n
        for n in app.recorder.select_notifications(1, 100_000)
        if n.topic.endswith("Lead.Captured")
    ]
    assert len(captured) == 2910


def test_an_import_with_an_unknown_column_is_refused_before_anything_is_written(
    store_settings: Settings,
) -> None:
    http, app = api(store_settings)
    before = app.recorder.max_notification_id()
    response = http.post(
        "/leads/imports",
        content="full_name,emial\nAnn,ann@x.com\n",
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert "unknown CSV columns ['emial']" in response.json()["message"]
    assert app.recorder.max_notification_id() == before
