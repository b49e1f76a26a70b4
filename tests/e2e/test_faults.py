"""Faults under a bounded load: while clients capture, qualify and convert leads through
the HTTP APIs, processes are killed outright (leads, deals, the Kafka broker, insights),
one after another; the launcher restarts them and clients retry with their idempotency
keys. Afterwards
nothing is lost and nothing is counted twice: the leads in the store, the distinct lead
events on the topic, the deals opened by the policy and the insights funnel all agree.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.contracts import decode_envelope
from kernel.kafka import read_all
from tests.auth_support import auth
from tests.e2e.support import Launched, l2c_run

REPO = Path(__file__).resolve().parents[2]
LEADS = 30
CONVERTED = 15
BANT = {"budget": "approved", "authority": "COO", "need": "downtime", "timeline": "Q3"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    data_dir = tmp_path_factory.mktemp("faults")
    launched = Launched(l2c_run(data_dir, "--no-demo"), data_dir)
    launched.wait_for("ready")
    yield launched
    launched.stop(signal.SIGTERM)


AUTH = auth("fault-tester")


def call(method: str, url: str, body: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """A client that retries (same idempotency key) while a process is down or restarting,
    and takes a 409 whose step the system already took as done."""
    deadline = time.monotonic() + 120
    while True:
        try:
            response = httpx.request(
                method, url, json=body, headers={"Idempotency-Key": key}, timeout=10, auth=AUTH
            )
            if response.status_code < 300:
                return response.json()  # type: ignore[no-any-return]
            if response.status_code == 409:
                return {}
            if response.status_code not in (404, 502, 503):
                raise AssertionError(f"{method} {url}: {response.status_code} {response.text}")
        except httpx.TransportError:
            pass  # the process is down: the launcher restarts it
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {url} kept failing")
        time.sleep(0.3)


def kill(stack: Launched, name: str) -> None:
    if name == "kafka":
        pid = json.loads((stack.data_dir / "kafka" / "ports.json").read_text())["pid"]
    else:
        pid = stack.run_file()["pids"][name]
    os.kill(pid, signal.SIGKILL)


def test_killed_processes_lose_nothing_and_count_nothing_twice(stack: Launched) -> None:
    urls = stack.run_file()["urls"]
    leads_url, deals_url, gateway = urls["leads"], urls["deals"], urls["gateway"]
    faults = {6: "leads", 12: "deals", 18: "kafka", 24: "insights"}
    lead_ids = []
    for i in range(LEADS):
        if i in faults:
            kill(stack, faults[i])
        lead = call(
            "POST",
            f"{leads_url}/leads",
            {
                "full_name": f"Lead {i}",
                "email": f"f{i}@example.com",
                "company": f"Co {i}",
                "source": "web_form",
            },
            f"fault-capture-{i}",
        )
        lead_ids.append(lead["lead_id"])
        if i < CONVERTED:
            lid = lead["lead_id"]
            call("POST", f"{leads_url}/leads/{lid}/qualify", {}, f"fault-q-{i}")
            call("POST", f"{leads_url}/leads/{lid}/accept", {}, f"fault-a-{i}")
            call(
                "POST",
                f"{leads_url}/leads/{lid}/convert",
                {
                    "deal_name": f"Deal {i}",
                    "owner_id": "rep-1",
                    "expected_amount": {"amount": "1000.00", "currency": "EUR"},
                    "qualification": BANT,
                },
                f"fault-c-{i}",
            )
    # The launcher restarted every killed process
    wait_for(lambda: sum("restarted" in line for line in stack.lines) >= len(faults), 60)

    # Every converted lead opened exactly one deal
    def deals_opened() -> int:
        found = 0
        for lid in lead_ids[:CONVERTED]:
            r = httpx.get(f"{deals_url}/deals/by-lead/{lid}", timeout=10, auth=auth())
            found += r.status_code == 200
        return found

    wait_for(lambda: deals_opened() == CONVERTED)

    # The topic holds each captured lead once (by event id, redeliveries aside)
    records = asyncio.run(read_all(stack.run_file()["kafka_bootstrap"], "l2c.leads.v1"))
    captured = {
        envelope.event_id
        for envelope, _ in (decode_envelope(r.value) for r in records)
        if envelope.event_type == "l2c.v1.LeadCaptured"
    }
    assert len(captured) == LEADS

    # And the read model counts each step once
    # (the scoring policy may qualify more leads than the clients did: MQL is not fixed)
    expected = {"lead": LEADS, "sql": CONVERTED, "deal": CONVERTED}

    def funnel_matches() -> bool:
        body = httpx.get(f"{gateway}/insights/funnel", timeout=10, auth=auth()).json()
        counts = {s["step"]: s["count"] for s in body.get("steps", [])}
        return all(counts.get(k) == v for k, v in expected.items())

    wait_for(funnel_matches)
    listed = httpx.get(f"{leads_url}/leads", params={"limit": 500}, timeout=10, auth=auth()).json()
    assert len(listed["items"]) == LEADS


def wait_for(check: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout}s")
