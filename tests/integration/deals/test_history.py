"""A deal's history and its state as of a moment, over the deals API on the real stores
(SQLite and PostgreSQL): every event with who, when, why and its store position, paged,
as JSON, JSON Lines and CSV; the deal replayed to a version or a time."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kernel.settings import Settings
from services.deals.application import DealsApplication
from services.deals.entrypoints.http import build_api
from tests.auth_support import TestClient
from tests.integration.deals.test_processes_api import open_deal


def _walk(http: TestClient, deal: str) -> list[datetime]:
    """Three stages and a loss; the moment after each command."""
    moments = []
    for action, stage in (("need_confirmed", "product_understanding"), ("demo_given", "quote")):
        assert http.post(f"/deals/{deal}/actions", json={"action": action}).is_success
        assert http.post(f"/deals/{deal}/advance", json={"stage": stage}).is_success
        moments.append(datetime.now(UTC))
        time.sleep(0.01)
    lost = http.post(
        f"/deals/{deal}/lose", json={"reason": "competitor", "competitor": "Rival GmbH"}
    )
    assert lost.is_success, lost.text
    moments.append(datetime.now(UTC))
    return moments


def test_history_names_every_event_with_its_metadata_and_log_position(
    store_settings: Settings,
) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    _walk(http, deal)

    page = http.get(f"/deals/{deal}/history")
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["kind"] == "deal" and body["id"] == deal and body["next_after"] is None
    events = body["events"]
    assert [(e["version"], e["event"]) for e in events] == [
        (0, "Deal.Opened"),
        (1, "Deal.ActionCompleted"),
        (2, "Deal.StageAdvanced"),
        (3, "Deal.ActionCompleted"),
        (4, "Deal.StageAdvanced"),
        (5, "Deal.Lost"),
    ]
    assert events[-1]["event_type"] == "l2c.v1.DealLost"
    assert events[-1]["reason"] == "competitor"
    assert events[2]["actor"]["id"] == "tester" and events[2]["actor"]["kind"] == "user"
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)
    # The positions are the store's own log: what the relay publishes as store_position.
    log = {
        (n.originator_id, n.originator_version): n.id
        for n in app.recorder.select_notifications(start=None, limit=1000)
    }
    assert [e["store_position"] for e in events] == [
        log[(uuid.UUID(deal), e["version"])] for e in events
    ]
    # Events of one command share its correlation id; each names its own event id.
    assert events[1]["correlation_id"] != events[3]["correlation_id"]
    assert len({e["event_id"] for e in events}) == len(events)

    missing = http.get(f"/deals/{uuid.uuid4()}/history")
    assert missing.status_code == 404


def test_history_pages_and_formats(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    _walk(http, deal)
    whole = http.get(f"/deals/{deal}/history").json()["events"]

    seen: list[dict[str, Any]] = []
    url = f"/deals/{deal}/history?limit=2"
    while url:
        page = http.get(url)
        assert page.status_code == 200
        seen += page.json()["events"]
        link = page.headers.get("link", "")
        url = link[1 : link.index(">")] if link else ""
        assert len(seen) <= len(whole)
    assert seen == whole
    assert http.get(f"/deals/{deal}/history?after=4").json()["events"] == whole[5:]

    lines = http.get(f"/deals/{deal}/history", headers={"Accept": "application/x-ndjson"})
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in lines.text.splitlines()] == whole

    table = http.get(f"/deals/{deal}/history", headers={"Accept": "text/csv"})
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [int(r["version"]) for r in rows] == [e["version"] for e in whole]
    assert [r["reason"] for r in rows][-1] == "competitor"
    assert [json.loads(r["payload"]) for r in rows] == [e["payload"] for e in whole]
    assert [int(r["store_position"]) for r in rows] == [e["store_position"] for e in whole]

    for bad in ("limit=0", "limit=1001", "after=-2", "after=x", f"after={2**60}"):
        assert http.get(f"/deals/{deal}/history?{bad}").status_code == 422, bad


def test_state_as_of_a_version_or_a_time_replays_the_store(store_settings: Settings) -> None:
    app = DealsApplication(store_settings)
    http = TestClient(build_api(app))
    deal = open_deal(app)
    opened_view = http.get(f"/deals/{deal}").json()
    after_first_stage, after_second_stage, after_loss = _walk(http, deal)
    now = http.get(f"/deals/{deal}").json()
    assert now["status"] == "lost" and now["version"] == 5

    assert http.get(f"/deals/{deal}?as_of=0").json() == opened_view
    at_two = http.get(f"/deals/{deal}?as_of=2").json()
    assert (at_two["version"], at_two["stage"], at_two["status"]) == (
        2,
        "product_understanding",
        "open",
    )
    in_between = http.get(f"/deals/{deal}", params={"as_of": after_first_stage.isoformat()}).json()
    assert in_between == at_two
    assert (
        http.get(f"/deals/{deal}", params={"as_of": after_second_stage.isoformat()}).json()["stage"]
        == "quote"
    )
    later = (after_loss + timedelta(days=3650)).isoformat()
    assert http.get(f"/deals/{deal}", params={"as_of": later}).json() == now
    # Reading the past leaves the current state (and the cache behind it) as it was.
    assert http.get(f"/deals/{deal}").json() == now

    before = http.get(f"/deals/{deal}", params={"as_of": "2001-01-01T00:00:00Z"})
    assert before.status_code == 404 and "did not exist yet" in before.json()["message"]
    beyond = http.get(f"/deals/{deal}?as_of=6")
    assert beyond.status_code == 404 and "latest is 5" in beyond.json()["message"]
    for bad in ("yesterday", "2026-06-30T12:00:00", "-1", "9999-99-99T00:00:00Z", "x" * 65):
        answer = http.get(f"/deals/{deal}", params={"as_of": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["message"]
