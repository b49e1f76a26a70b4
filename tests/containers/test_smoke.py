"""The images as a platform team runs them: Kafka, PostgreSQL and every L2C role as
containers on one network (the one L2C image, `l2c <role>`), one lead driven to cash
through the gateway, the funnel answered. `make test-containers` builds the images first
(infra/containers/build.sh) and runs this; it needs root and podman."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devenv.ports import free_port
from tests.auth_support import ISSUER, auth

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "CONTAINERS_CONF": str(REPO / "infra" / "containers" / "containers.conf")}
IMAGE = "localhost/l2c:test"


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], env=ENV, capture_output=True, text=True, check=check, timeout=300
    )


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


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    tag = uuid.uuid4().hex[:6]
    net = f"l2c-smoke-{tag}"
    names: list[str] = []
    podman("network", "create", net)
    common = ["--network", net]
    l2c_env = [
        "-e", "L2C_STORE=postgres",
        "-e", "L2C_POSTGRES_HOST=postgres",
        "-e", "L2C_POSTGRES_PASSWORD=smoke-password",
        "-e", "L2C_KAFKA_BOOTSTRAP=kafka:9092",
        "-e", "L2C_AUTH_JWKS_FILE=/auth/jwks.json",
        "-e", "L2C_LEADS_URL=http://leads:8080",
        "-e", "L2C_DEALS_URL=http://deals:8080",
        "-e", "L2C_BILLING_URL=http://billing:8080",
        "-e", "L2C_INSIGHTS_URL=http://insights:8080",
        "-v", f"{ISSUER.directory}:/auth:ro",
        "--read-only", "--tmpfs", "/tmp",
    ]  # fmt: skip

    volumes: list[str] = []

    def run(name: str, *args: str) -> None:
        full = f"{name}-{tag}"
        data: list[str] = []
        if IMAGE in args:  # an L2C role: its data directory on a volume of its own
            volumes.append(f"{net}-{name}")
            data = ["-v", f"{net}-{name}:/var/lib/l2c"]
        podman("run", "-d", "--name", full, "--network-alias", name, *common, *data, *args)
        names.append(full)

    # The containers run as a non-root user: the issuer's public keys must be readable.
    os.chmod(ISSUER.directory, 0o755)
    os.chmod(ISSUER.jwks_file, 0o644)
    port = free_port()
    try:
        run("kafka", "-e", "KAFKA_HOST=kafka", "localhost/l2c-kafka:test")
        run(
            "postgres",
            "-e", "POSTGRES_USER=l2c",
            "-e", "POSTGRES_DB=l2c",
            "-e", "POSTGRES_PASSWORD=smoke-password",
            "localhost/l2c-postgres:test",
        )  # fmt: skip
        # Every role retries its dependencies: no start order is needed.
        for service in ("leads", "deals", "billing"):
            run(service, *l2c_env, IMAGE, "serve", service, "--port", "8080")
        run("insights", *l2c_env, IMAGE, "insights", "worker", "--port", "8080")
        run("gateway", "-p", f"127.0.0.1:{port}:8080", *l2c_env, IMAGE, "gateway", "--port", "8080")
        url = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: httpx.get(f"{url}/readyz", timeout=5).json().get("status") == "ready",
            timeout=300,
            every=3,
        )
        yield url
    finally:
        for name in names:
            logs = podman("logs", "--tail", "20", name, check=False)
            print(f"--- {name}\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
        for name in names:
            podman("rm", "-f", "-t", "5", name, check=False)
        for volume in volumes:
            podman("volume", "rm", "-f", volume, check=False)
        podman("network", "rm", "-f", net, check=False)


def test_one_lead_flows_to_cash_through_the_gateway_of_the_containers(gateway: str) -> None:
    manager = httpx.Client(base_url=gateway, timeout=20, auth=auth("mgr", ["manager"], []))
    owner = httpx.Client(base_url=gateway, timeout=20, auth=auth("rep-7", ["rep"]))
    finance = httpx.Client(base_url=gateway, timeout=20, auth=auth("fin", ["finance"]))
    auditor = httpx.Client(base_url=gateway, timeout=20, auth=auth("aud", ["auditor"]))
    erp = httpx.Client(base_url=gateway, timeout=20, auth=auth())

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
    team_manager = httpx.Client(
        base_url=gateway, timeout=20, auth=auth("tm", ["manager"], [accepted["team"]])
    )
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
