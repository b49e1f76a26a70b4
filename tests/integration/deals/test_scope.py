"""Row-level scope on the deals API: a rep reaches their own deals, a manager their teams'
(the team the lead was routed to is recorded on the deal); others get 404."""

from __future__ import annotations

import uuid

from kernel.domain import Money
from kernel.settings import Settings
from services.deals.application import DealsApplication
from services.deals.domain.qualification import Qualification
from services.deals.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer

BANT = Qualification(budget="b", authority="a", need="n", timeline="t")


def _deal(app: DealsApplication, owner: str, team: str) -> str:
    return str(
        app.open_deal_for_lead(
            lead_id=uuid.uuid4(),
            name=f"{owner}'s deal",
            amount=Money.of("10000", "EUR"),
            owner_id=owner,
            company="Acme",
            qualification=BANT,
            team=team,
        )["deal_id"]
    )


def test_deals_answer_within_the_callers_scope(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    ana_deal = _deal(app, "is-ana", "inside-sales")
    lee_deal = _deal(app, "apac-li", "apac")
    ana = bearer("is-ana", ["rep"], teams=["inside-sales"])
    apac_manager = bearer("max", ["manager"], teams=["apac"])
    with TestClient(build_api(app)) as http:
        assert http.get(f"/deals/{ana_deal}", headers=ana).status_code == 200
        for path in (
            f"/deals/{lee_deal}",
            f"/deals/{lee_deal}/events",
            f"/deals/{lee_deal}/decision-map",
        ):
            assert http.get(path, headers=ana).status_code == 404, path
        assert [d["deal_id"] for d in http.get("/deals", headers=ana).json()["items"]] == [ana_deal]
        before = app.recorder.max_notification_id()
        refused = http.post(f"/deals/{lee_deal}/lose", json={"reason": "customer"}, headers=ana)
        assert refused.status_code == 404
        assert app.recorder.max_notification_id() == before

        listed = http.get("/deals", headers=apac_manager).json()["items"]
        assert [d["deal_id"] for d in listed] == [lee_deal]
        assert http.get(f"/deals/{ana_deal}", headers=apac_manager).status_code == 404
        assert http.get(f"/deals/{lee_deal}", headers=apac_manager).status_code == 200
        everyone = bearer("fin", ["finance"])
        assert len(http.get("/deals", headers=everyone).json()["items"]) == 2
