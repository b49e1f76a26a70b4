"""Row-level scope in billing: quotes (and the orders and invoices of their deals) answer
within the caller's scope, by the deal's owner and team as billing recorded them."""

from __future__ import annotations

import uuid

from kernel.settings import Settings
from services.billing.application import BillingApplication
from services.billing.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer

ANA = bearer("is-ana", ["rep"], teams=["inside-sales"])
APAC_MANAGER = bearer("max", ["manager"], teams=["apac"])


def test_quotes_answer_within_the_callers_scope(store_settings: Settings) -> None:
    app = BillingApplication(store_settings)
    ana_deal, li_deal = uuid.uuid4(), uuid.uuid4()
    app.record_deal_opened(
        ana_deal, account="acme", owner_id="is-ana", name="CRM", team="inside-sales"
    )
    app.record_deal_opened(li_deal, account="zen", owner_id="apac-li", name="CRM", team="apac")
    lines = [{"item": "CRM-CLOUD", "quantity": 1}]
    with TestClient(build_api(app)) as http:
        quotes = {}
        for deal in (ana_deal, li_deal):
            body = {"deal_id": str(deal), "lines": lines, "requester_role": "sales_rep"}
            quotes[deal] = http.post("/quotes", json=body).json()["quote_id"]

        assert http.get(f"/quotes/{quotes[ana_deal]}", headers=ANA).status_code == 200
        hidden = http.get(f"/quotes/{quotes[li_deal]}", headers=ANA)
        assert hidden.status_code == 404 and hidden.json()["error"] == "not_found"
        listed = http.get("/quotes", headers=ANA).json()["items"]
        assert [q["quote_id"] for q in listed] == [quotes[ana_deal]]

        # Quoting or submitting on another rep's deal: 404, nothing written.
        before = app.recorder.max_notification_id()
        body = {"deal_id": str(li_deal), "lines": lines, "requester_role": "sales_rep"}
        assert http.post("/quotes", json=body, headers=ANA).status_code == 404
        assert http.post(f"/quotes/{quotes[li_deal]}/submit", headers=ANA).status_code == 404
        assert app.recorder.max_notification_id() == before

        managed = http.get("/quotes", headers=APAC_MANAGER).json()["items"]
        assert [q["quote_id"] for q in managed] == [quotes[li_deal]]
        finance = bearer("fin", ["finance"])
        assert len(http.get("/quotes", headers=finance).json()["items"]) == 2
