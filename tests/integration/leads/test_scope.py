"""Row-level scope on the leads API: a rep sees and works their own leads (and their team's
unassigned ones), a manager their teams'; anything else answers as if it did not exist."""

from __future__ import annotations

import uuid

from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer
from tests.integration.leads.test_team_concurrency import new_lead

ANA = bearer("is-ana", ["rep"], teams=["inside-sales"])
TOM = bearer("is-tom", ["rep"], teams=["inside-sales"])
MIA = bearer("mia", ["manager"], teams=["inside-sales"])
APAC_BOSS = bearer("max", ["manager"], teams=["apac"])


def test_reps_and_managers_see_and_work_only_their_leads(store_settings: Settings) -> None:
    app = LeadsApplication(store_settings)
    with TestClient(build_api(app)) as http:
        # Two MQLs of the inside-sales queue, routed round robin: one each for Ana and Tom.
        owners: dict[str, str] = {}
        for n in range(2):
            lead_id = http.post("/leads", json=new_lead(f"s{n}-{uuid.uuid4().hex[:6]}")).json()[
                "lead_id"
            ]
            http.post(f"/leads/{lead_id}/qualify", json={"note": "webinar"})
            owners[http.get(f"/leads/{lead_id}").json()["rep"]] = lead_id
        assert set(owners) == {"is-ana", "is-tom"}
        ana_lead, tom_lead = owners["is-ana"], owners["is-tom"]

        assert http.get(f"/leads/{ana_lead}", headers=ANA).status_code == 200
        for path in (f"/leads/{tom_lead}", f"/leads/{tom_lead}/events", f"/leads/{tom_lead}/score"):
            hidden = http.get(path, headers=ANA)
            assert hidden.status_code == 404, path
            assert hidden.json()["error"] == "not_found"
        listed = http.get("/leads", headers=ANA).json()["items"]
        assert {row["lead_id"] for row in listed} == {ana_lead}
        asked_for_tom = http.get("/leads", params={"rep": "is-tom"}, headers=ANA).json()["items"]
        assert asked_for_tom == []

        # A command on a colleague's lead: 404, and nothing is written.
        before = app.recorder.max_notification_id()
        refused = http.post(f"/leads/{tom_lead}/accept", json={"note": "x"}, headers=ANA)
        assert refused.status_code == 404
        assert app.recorder.max_notification_id() == before
        assert http.post(f"/leads/{tom_lead}/accept", json={"note": "x"}, headers=TOM).is_success

        # The team's manager sees both; another team's manager neither.
        both = {row["lead_id"] for row in http.get("/leads", headers=MIA).json()["items"]}
        assert both == {ana_lead, tom_lead}
        assert http.get(f"/leads/{tom_lead}", headers=MIA).status_code == 200
        assert http.get("/leads", headers=APAC_BOSS).json()["items"] == []
        assert http.get(f"/leads/{ana_lead}", headers=APAC_BOSS).status_code == 404
        # An auditor sees everything.
        auditor = bearer("audrey", ["auditor"])
        assert len(http.get("/leads", headers=auditor).json()["items"]) == 2
