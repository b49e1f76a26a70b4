"""The product as a platform team starts it: `docker-compose.yml` itself, run by
podman-compose with infra/containers/compose.local.yml swapping in the Kafka and
PostgreSQL images made here (no registry is reachable). Every L2C role from the one
image, the development issuer made by compose's auth-init job, topics by its topics
job, tokens from its `tools` service; one lead driven to cash through the gateway, the
funnel answered. `make test-containers` builds the images first
(infra/containers/build.sh) and runs this; it needs root and podman."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devenv.ports import free_port

REPO = Path(__file__).resolve().parents[2]
COMPOSE = str(Path(sys.executable).parent / "podman-compose")
FILES = ["-f", "docker-compose.yml", "-f", "infra/containers/compose.local.yml"]
ROLES = ("leads", "deals", "billing", "insights", "gateway")


class Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def wait_for(get: Any, timeout: float = 180.0, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = get()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"nothing after {timeout}s")


class Stack:
    """One compose project: its gateway's URL, its containers, and tokens minted by
    `docker compose run --rm tools token ...` as the compose file documents."""

    def __init__(self) -> None:
        self.project = f"l2c-smoke-{uuid.uuid4().hex[:6]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CONTAINERS_CONF": str(REPO / "infra" / "containers" / "containers.conf"),
            "L2C_IMAGE": "localhost/l2c:test",
            "L2C_GATEWAY_PORT": str(self.port),
            "L2C_POSTGRES_PASSWORD": "smoke-password",
        }

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [COMPOSE, "-p", self.project, *FILES, *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=600,
        )

    def podman(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=120
        )

    def containers(self) -> dict[str, dict[str, Any]]:
        """Each service's container state, by compose service name."""
        listed = self.podman(
            "ps", "-a", "--filter", f"label=io.podman.compose.project={self.project}",
            "--format", "json",
        )  # fmt: skip
        out = {}
        for row in json.loads(listed.stdout or "[]"):
            labels = row.get("Labels") or {}
            out[labels.get("com.docker.compose.service", row["Names"][0])] = row
        return out

    def token(self, sub: str, *roles: str, teams: tuple[str, ...] = (), client: str = "") -> Bearer:
        args = ["--profile", "tools", "run", "--rm", "--no-deps", "tools", "token", "--sub", sub]
        for role in roles:
            args += ["--role", role]
        for team in teams:
            args += ["--team", team]
        if client:
            args += ["--client", client]
        minted = self.compose(*args)
        return Bearer(minted.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    stack = Stack()
    try:
        stack.compose("up", "-d")
        wait_for(
            lambda: httpx.get(f"{stack.url}/readyz", timeout=5).json().get("status") == "ready",
            timeout=300,
            every=3,
        )
        yield stack
    finally:
        for service in ROLES:
            logs = stack.compose("logs", "--tail", "20", service, check=False)
            print(f"--- {service}\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
        stack.compose("down", "-v", "-t", "5", check=False)


def test_the_compose_file_starts_every_role_and_its_jobs(stack: Stack) -> None:
    # The one-shot jobs run to completion: the issuer's keys and the topics exist. No role
    # waits for the topics job (each creates what it uses), so the gateway may be ready
    # while that job is still at work or being restarted after a broker not yet serving.
    jobs = ("auth-init", "topics")
    containers = wait_for(
        lambda: (
            (c := stack.containers()) and all(c[job]["State"] == "exited" for job in jobs) and c
        ),
        timeout=180,
        every=2,
    )
    for job in jobs:
        assert containers[job]["ExitCode"] == 0, (job, containers[job])
    for service in ("kafka", "postgres", *ROLES):
        assert containers[service]["State"] == "running", (service, containers[service])
    # Only the gateway publishes a port, on the loopback address.
    published = {
        service: row.get("Ports") or [] for service, row in containers.items() if row.get("Ports")
    }
    assert list(published) == ["gateway"], published
    assert [(p["host_ip"], p["host_port"]) for p in published["gateway"]] == [
        ("127.0.0.1", stack.port)
    ]
    # The gateway answers nothing without a token from the compose file's issuer.
    assert httpx.get(f"{stack.url}/leads", timeout=10).status_code == 401


def test_one_lead_flows_to_cash_through_the_gateway_of_the_containers(stack: Stack) -> None:
    gateway = stack.url

    def client(auth: Bearer) -> httpx.Client:
        return httpx.Client(base_url=gateway, timeout=20, auth=auth)

    manager = client(stack.token("mgr", "manager"))
    owner = client(stack.token("rep-7", "rep"))
    finance = client(stack.token("fin", "finance"))
    auditor = client(stack.token("aud", "auditor"))
    erp = client(stack.token("erp-bridge", "integration", client="erp"))

    lead = manager.post(
        "/leads",
        json={
            "full_name": "Mei Chen",
            "email": "mei@example.com",
            "company": "Hangzhou Robotics",
            "source": "web_form",
        },
    )
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["lead_id"]
    # Routing puts the MQL on a team: the team's view is the auditor's here.
    assert manager.post(f"/leads/{lead_id}/qualify", json={"note": "webinar"}).is_success
    accepted = auditor.get(f"/leads/{lead_id}").json()
    team_manager = client(stack.token("tm", "manager", teams=(accepted["team"],)))
    assert team_manager.post(f"/leads/{lead_id}/accept", json={"note": "ok"}).is_success
    converted = team_manager.post(
        f"/leads/{lead_id}/convert",
        json={
            "deal_name": "Line automation",
            "owner_id": "rep-7",
            "expected_amount": {"amount": "48000.00", "currency": "EUR"},
            "qualification": {
                "budget": "approved",
                "authority": "COO",
                "need": "changeovers",
                "timeline": "Q3",
            },
        },
    )
    assert converted.is_success, converted.text
    deal = wait_for(
        lambda: (r := owner.get(f"/deals/by-lead/{lead_id}")).status_code == 200 and r.json()
    )
    deal_id = deal["deal_id"]
    for action, stage in (
        ("need_confirmed", "product_understanding"),
        ("demo_given", "quote"),
        ("quote_sent", "close"),
    ):
        assert owner.post(f"/deals/{deal_id}/actions", json={"action": action}).is_success
        assert owner.post(f"/deals/{deal_id}/advance", json={"stage": stage}).is_success
    quote = wait_for(
        lambda: (
            (
                r := owner.post(
                    "/quotes",
                    json={
                        "deal_id": deal_id,
                        "lines": [
                            {"item": "CRM-CLOUD", "quantity": 1},
                            {"item": "CRM-SEAT", "quantity": 75},
                        ],
                    },
                    headers={"Idempotency-Key": f"smoke-quote-{deal_id}"},
                )
            ).status_code
            == 201
            and r.json()
        )
    )
    assert owner.post(f"/quotes/{quote['quote_id']}/submit").is_success
    assert owner.post(f"/quotes/{quote['quote_id']}/accept", json={"accepted_by": "COO"}).is_success
    assert owner.post(f"/deals/{deal_id}/win").is_success
    order = wait_for(
        lambda: (r := finance.get(f"/orders/by-deal/{deal_id}")).status_code == 200 and r.json()
    )
    invoice_id = order["invoice_ids"][0]
    paid = erp.post(
        "/integrations/erp/payments",
        json={
            "payment_id": "SMOKE-PAY-1",
            "invoice_id": invoice_id,
            "amount": {"amount": "48000.00", "currency": "EUR"},
            "received_at": datetime.now(UTC).isoformat(),
        },
    )
    assert paid.status_code == 202, paid.text
    wait_for(lambda: finance.get(f"/invoices/{invoice_id}").json()["status"] == "paid")
    funnel = wait_for(
        lambda: (
            (f := auditor.get("/insights/funnel").json()).get("steps")
            and f["steps"][-1]["count"] == 1
            and f
        )
    )
    assert {s["step"]: s["count"] for s in funnel["steps"]}["lead"] == 1
