"""``Prefer: wait=N`` on the deals API: a read or a command that misses the deal a policy
is about to open is held until this process commits it, instead of making the client poll.
Without the header, or for a 404 that waiting cannot change (out of scope), the answer is
immediate."""

from __future__ import annotations

import threading
import time
import uuid

from kernel.domain import Money
from kernel.settings import Settings
from services.deals.application import DealsApplication
from services.deals.domain.deal import Deal
from services.deals.domain.qualification import Qualification
from services.deals.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer

BANT = Qualification(budget="b", authority="a", need="n", timeline="t")
MANAGER = bearer("max", ["manager"], teams=["apac"])


def _open_later(
    app: DealsApplication, lead_id: uuid.UUID, delay: float, owner: str = "rep-1"
) -> threading.Thread:
    def open_it() -> None:
        time.sleep(delay)
        app.open_deal_for_lead(
            lead_id=lead_id,
            name="Later deal",
            amount=Money.of("10000", "EUR"),
            owner_id=owner,
            company="Acme",
            qualification=BANT,
            team="apac",
        )

    opener = threading.Thread(target=open_it)
    opener.start()
    return opener


def test_a_read_waits_for_the_deal_a_policy_opens(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    lead_id = uuid.uuid4()
    with TestClient(build_api(app)) as http:
        assert http.get(f"/deals/by-lead/{lead_id}", headers=MANAGER).status_code == 404
        opener = _open_later(app, lead_id, 0.3)
        started = time.monotonic()
        answer = http.get(f"/deals/by-lead/{lead_id}", headers={**MANAGER, "Prefer": "wait=10"})
        waited = time.monotonic() - started
        opener.join()
    assert answer.status_code == 200, answer.text
    assert answer.json()["deal_id"] == str(Deal.create_id(lead_id))
    assert answer.headers["preference-applied"] == "wait=10"
    assert 0.25 < waited < 5, waited  # held until the commit, not to the end of the wait


def test_a_command_waits_for_the_deal_it_addresses(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    lead_id = uuid.uuid4()
    deal_id = Deal.create_id(lead_id)
    with TestClient(build_api(app)) as http:
        opener = _open_later(app, lead_id, 0.3)
        answer = http.post(
            f"/deals/{deal_id}/actions",
            json={"action": "need_confirmed"},
            headers={**MANAGER, "Prefer": "wait=10", "Idempotency-Key": "wait-1"},
        )
        opener.join()
        assert answer.status_code == 200, answer.text
        again = http.post(
            f"/deals/{deal_id}/actions",
            json={"action": "need_confirmed"},
            headers={**MANAGER, "Prefer": "wait=10", "Idempotency-Key": "wait-1"},
        )
        assert again.json() == answer.json()  # the key still makes a repeat safe
    events = app.history(Deal, deal_id)
    names = [type(e).__name__ for e in events]
    assert names == ["Opened", "ActionCompleted"], names


def test_a_wait_ends_with_404_at_its_deadline_and_not_before(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    with TestClient(build_api(app)) as http:
        started = time.monotonic()
        answer = http.get(f"/deals/by-lead/{uuid.uuid4()}", headers={**MANAGER, "Prefer": "wait=1"})
        waited = time.monotonic() - started
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
    assert waited >= 0.9, waited


def test_no_wait_without_the_header_nor_for_a_deal_out_of_scope(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    lead_id = uuid.uuid4()
    _open_later(app, lead_id, 0, owner="someone-else").join()
    rep = bearer("is-ana", ["rep"], teams=["inside-sales"])
    with TestClient(build_api(app)) as http:
        started = time.monotonic()
        assert http.get(f"/deals/by-lead/{uuid.uuid4()}", headers=MANAGER).status_code == 404
        hidden = http.get(f"/deals/by-lead/{lead_id}", headers={**rep, "Prefer": "wait=10"})
        assert hidden.status_code == 404  # it exists: waiting would not change the answer
        assert "preference-applied" not in hidden.headers
        assert time.monotonic() - started < 3
        for junk in ("wait=-5", "wait=abc", "wait=" + "9" * 300, "wait=1e9"):
            answer = http.get(f"/deals/by-lead/{lead_id}", headers={**MANAGER, "Prefer": junk})
            assert answer.status_code == 200, (junk, answer.text)
