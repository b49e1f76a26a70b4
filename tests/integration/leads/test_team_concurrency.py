"""Many clients working different leads of one team at once: nobody gets a 409 (the team's
desk is folded from the leads' events, not a stream every command writes), round-robin
stays exact, and a lead command reads the same few events however long the team's
history is."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from typing import Any

from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient

CLIENTS, LEADS_EACH = 12, 4
TEAM, REPS = "inside-sales", ("is-ana", "is-tom")  # the default queue, round-robin


def new_lead(tag: str) -> dict[str, str]:
    # No routing rule matches (no size, region or product known): the default queue.
    return {
        "full_name": f"Buyer {tag}",
        "email": f"buyer-{tag}@example-{tag}.com",
        "company": f"Company {tag}",
        "source": "web_form",
    }


def test_clients_working_different_leads_of_one_team_never_get_a_409(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    api = build_api(app)
    start = threading.Barrier(CLIENTS)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    routed: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        with TestClient(api) as http:
            start.wait(timeout=30)
            for k in range(LEADS_EACH):
                lead_id = ""
                for action in ("capture", "qualify", "accept"):
                    if action == "capture":
                        tag = f"{n}-{k}-{uuid.uuid4().hex[:6]}"
                        response = http.post("/leads", json=new_lead(tag))
                        lead_id = response.json().get("lead_id", "")
                    else:
                        response = http.post(f"/leads/{lead_id}/{action}", json={"note": action})
                    with lock:
                        statuses[response.status_code] += 1
                        if response.status_code >= 300:
                            failures.append(f"{action}: {response.status_code} {response.text}")
                        elif action == "qualify":
                            routed.append(lead_id)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    assert statuses == Counter({201: CLIENTS * LEADS_EACH, 200: 2 * CLIENTS * LEADS_EACH})
    # Round-robin held under concurrency: the team's reps took exactly equal turns.
    total = CLIENTS * LEADS_EACH
    reps = Counter(app.get_lead(uuid.UUID(lead)).rep for lead in routed)
    assert reps == Counter({rep: total // len(REPS) for rep in REPS})
    # Another process on the same store folds the same board as it starts (not on its
    # first request): the next turn is is-ana's.
    other = LeadsApplication(store_settings)
    app.desks.catch_up()
    assert other.desks.position == app.desks.position > 0
    assert other.desks.open_leads(TEAM) == app.desks.open_leads(TEAM)
    assert len(other.desks.open_leads(TEAM)) == total
    lead = TestClient(build_api(other)).post("/leads", json=new_lead("next")).json()
    TestClient(build_api(other)).post(f"/leads/{lead['lead_id']}/qualify", json={})
    assert other.get_lead(uuid.UUID(lead["lead_id"])).rep == REPS[total % len(REPS)]


class ReadCounter:
    """Counts the stored records one piece of work reads from the store."""

    def __init__(self, app: LeadsApplication) -> None:
        self.rows = 0
        recorder: Any = app.recorder
        for name in ("select_events", "select_notifications"):
            original = getattr(recorder, name)

            def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                found = _original(*args, **kwargs)
                self.rows += len(found)
                return found

            setattr(recorder, name, counted)

    def during(self, work: Any) -> int:
        before = self.rows
        work()
        return self.rows - before


def test_a_lead_command_reads_as_many_events_after_a_long_team_history_as_after_a_short_one(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    http = TestClient(build_api(app))
    reads = ReadCounter(app)

    def route_leads(count: int) -> None:
        for _ in range(count):
            lead = http.post("/leads", json=new_lead(uuid.uuid4().hex[:8])).json()
            assert http.post(f"/leads/{lead['lead_id']}/qualify", json={}).status_code == 200

    def one_qualification() -> int:
        lead = http.post("/leads", json=new_lead(uuid.uuid4().hex[:8])).json()
        return reads.during(
            lambda: http.post(f"/leads/{lead['lead_id']}/qualify", json={}).raise_for_status()
        )

    route_leads(10)
    short = one_qualification()
    route_leads(150)
    long = one_qualification()
    assert len(app.desks.open_leads(TEAM)) == 162
    assert short == long
    assert 0 < long < 20


def test_concurrent_captures_from_one_company_all_land_and_see_each_other(
    store_settings: Settings,
) -> None:
    """Every capture claims the company's match key, a record all of them share: the races
    on it are the service's business, retried inside, never a client's 409."""
    app = LeadsApplication(store_settings)
    api = build_api(app)
    clients = 10
    start = threading.Barrier(clients)
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def capture(n: int) -> None:
        with TestClient(api) as http:
            start.wait(timeout=30)
            body = {
                "full_name": f"Buyer {n}",
                "email": f"buyer{n}@shared-company.example",
                "company": "Shared Company",
                "source": "web_form",
            }
            response = http.post("/leads", json=body)
            with lock:
                answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=capture, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(status for status, _ in answers) == [201] * clients, answers
    # Whoever came later was told of those before: the n-th capture saw n-1 earlier leads.
    seen = sorted(len(body["duplicates"]) for _, body in answers)
    assert seen == list(range(clients))
