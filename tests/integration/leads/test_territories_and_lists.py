"""Territories, the public pool, list endpoints and the acceptance report, over a real store."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.domain.account import Account
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient


def client(settings: Settings) -> tuple[TestClient, LeadsApplication]:
    app = LeadsApplication(settings)
    return TestClient(build_api(app)), app


def register(http: TestClient, name: str, website: str, region: str, industry: str) -> dict:  # type: ignore[type-arg]
    response = http.post(
        "/accounts", json={"name": name, "website": website, "region": region, "industry": industry}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_accounts_are_placed_previewed_and_moved_by_versioned_territory_rules(
    store_settings: Settings,
) -> None:
    http, _ = client(store_settings)
    freight = register(http, "Nordic Freight", "nordicfreight.se", "EMEA", "logistics")
    pharma = register(http, "Umbrella Pharma", "umbrella.eu", "EMEA", "pharma")
    assert (freight["territory"], freight["owner"]) == ("emea-industrial", "emea-lars")
    assert (pharma["territory"], pharma["owner"]) == ("emea-other", "emea-ines")

    rules = http.get("/rules/territories").json()
    proposed = copy.deepcopy(rules["document"])
    proposed["territories"][0]["industries"].append("pharma")
    preview = http.post("/territories/preview", json={"document": proposed}).json()
    assert preview["accounts"] == 2
    assert preview["moves"] == [
        {
            "account_id": pharma["account_id"],
            "name": "Umbrella Pharma",
            "from_territory": "emea-other",
            "from_owner": "emea-ines",
            "to_territory": "emea-industrial",
            "to_owner": "emea-lars",
        }
    ]
    assert http.get(f"/accounts/{pharma['account_id']}").json()["owner"] == "emea-ines"

    activated = http.put(
        "/rules/territories", json={"document": proposed, "note": "pharma joins industrial"}
    )
    assert activated.json() == {"name": "territories", "version": 2, "changed": True, "moved": 1}
    assert http.get(f"/accounts/{pharma['account_id']}").json()["owner"] == "emea-lars"
    listed = http.get("/accounts", params={"owner": "emea-lars"}).json()["items"]
    assert {a["name"] for a in listed} == {"Nordic Freight", "Umbrella Pharma"}


def test_an_unvisited_account_returns_to_the_public_pool_and_can_be_claimed(
    store_settings: Settings,
) -> None:
    http, app = client(store_settings)
    account = register(http, "Nordic Freight", "nordicfreight.se", "EMEA", "logistics")
    account_id = uuid.UUID(account["account_id"])
    visited = datetime.now(UTC) - timedelta(days=45)
    http.post(
        f"/accounts/{account_id}/visits", json={"rep_id": "emea-lars", "at": visited.isoformat()}
    )
    returned = app.sweep_public_pool(datetime.now(UTC), [account_id])
    assert returned == [str(account_id)]
    assert app.sweep_public_pool(datetime.now(UTC), [account_id]) == []
    event = [
        e for e in app.history(Account, account_id) if type(e).__name__ == "ReturnedToPublicPool"
    ][0]
    assert event.due_at == visited + timedelta(days=30)
    assert event.metadata["occurred_at"] == event.due_at.isoformat()
    pool = http.get("/accounts", params={"in_public_pool": "true"}).json()["items"]
    assert [a["account_id"] for a in pool] == [str(account_id)]
    claimed = http.post(f"/accounts/{account_id}/claim", json={"rep_id": "emea-ines"})
    assert claimed.status_code == 200 and claimed.json()["owner"] == "emea-ines"
    assert (
        http.post(f"/accounts/{account_id}/claim", json={"rep_id": "emea-lars"}).status_code == 409
    )


def test_lead_lists_filter_and_page_and_the_acceptance_report_counts_decisions(
    store_settings: Settings,
) -> None:
    http, _ = client(store_settings)
    http.post(
        "/campaigns",
        json={
            "campaign_id": "expo",
            "name": "Expo",
            "channel_type": "event",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
    )
    ids = []
    for i in range(7):
        lead = http.post(
            "/leads",
            json={
                "full_name": f"Lead {i}",
                "email": f"l{i}@f{i}.org",
                "campaign_id": "expo" if i < 5 else "",
                "source": "event" if i < 5 else "web_form",
            },
        ).json()
        ids.append(lead["lead_id"])
    for lead_id in ids[:4]:
        http.post(f"/leads/{lead_id}/qualify", json={})
    for lead_id in ids[:3]:
        http.post(f"/leads/{lead_id}/accept", json={})
    http.post(f"/leads/{ids[3]}/reject", json={"reason": "no_budget"})

    page1 = http.get("/leads", params={"campaign_id": "expo", "limit": 2}).json()
    page2 = http.get(
        "/leads", params={"campaign_id": "expo", "limit": 2, "cursor": page1["next_cursor"]}
    ).json()
    page3 = http.get(
        "/leads", params={"campaign_id": "expo", "limit": 2, "cursor": page2["next_cursor"]}
    ).json()
    seen = [row["lead_id"] for page in (page1, page2, page3) for row in page["items"]]
    assert seen == ids[:5] and page3["next_cursor"] is None
    assert [
        r["lead_id"] for r in http.get("/leads", params={"status": "sql"}).json()["items"]
    ] == ids[:3]
    assert http.get("/leads", params={"q": "lead 6"}).json()["items"][0]["lead_id"] == ids[6]
    assert http.get("/leads", params={"limit": 0}).status_code == 422

    report = http.get("/reports/mql-acceptance", params={"by": "campaign"}).json()
    assert {
        r["campaign"]: (r["mqls"], r["accepted"], r["rejected"], r["acceptance_rate"])
        for r in report
    } == {"": (0, 0, 0, None), "expo": (4, 3, 1, 0.75)}
    by_channel = http.get("/reports/mql-acceptance", params={"by": "channel"}).json()
    assert {r["channel"]: r["acceptance_rate"] for r in by_channel} == {
        "event": 0.75,
        "web_form": None,
    }
