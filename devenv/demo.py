"""Demo data for `make run`: a few leads at different points of the flow, through the
public HTTP APIs only, exactly as a client would.

Seeding can be interrupted anywhere and run again on the same data directory: every
command carries an idempotency key derived from what it does (a retry returns the first
answer and appends nothing), and a command that is refused because the system already
took the step itself — the scoring policy may make a lead an MQL before the demo asks —
counts as done once the state shows it. The payment's business time is fixed when it is
first sent (``demo.json``), so a re-run sends the very same message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from devenv.issuer import IssuerAuth, issuer_for
from kernel.settings import Settings

DEMO_LEADS = [
    ("Mei Chen", "mei.chen@example.com", "Hangzhou Robotics", "web_form", "spring-expo"),
    ("Lars Eriksen", "lars@example.org", "Nordic Freight", "event", "spring-expo"),
    ("Ana Souza", "ana@example.net", "Souza Foods", "import", ""),
    ("Omar Haddad", "omar@example.com", "Haddad Clinics", "inbound_call", ""),
]
# How far a lead or deal has come, in order: a step is done when the state is at or past it.
LEAD_ORDER = ["new", "nurturing", "mql", "sql", "converted"]
DEMO_STAGES = ["product_understanding", "quote", "close"]
QUOTE_ORDER = ["draft", "pending_approval", "approved", "accepted"]


class SeedingFailed(RuntimeError):
    pass


def _at_or_past(order: list[str], current: str, target: str) -> bool:
    return current in order and order.index(current) >= order.index(target)


class Seeder:
    """Sends the demo's commands, each idempotent and tolerant of a policy's head start."""

    def __init__(self, http: httpx.Client, say: Callable[[str], None]) -> None:
        self.http = http
        self.say = say
        self.steps = 0

    def get(self, url: str, timeout: float = 60.0) -> dict[str, Any]:
        """GET until the resource exists (404 until the event that makes it arrives)."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(url)
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            if response.status_code != 404 or time.monotonic() > deadline:
                raise SeedingFailed(f"GET {url}: {response.status_code} {response.text}")
            time.sleep(0.3)

    def command(
        self,
        label: str,
        url: str,
        body: dict[str, Any] | None,
        key: str,
        done: Callable[[], bool] | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """POST a command. 404 (the service has not heard of the target yet) and 409 (the
        state moved under us) are retried until ``done()`` says the step is taken."""
        self.steps += 1
        self.say(f"demo: {label}")
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.post(url, json=body, headers={"Idempotency-Key": key})
            if response.is_success:
                answer: dict[str, Any] = response.json() if response.content else {}
                return answer
            if response.status_code == 409 and done is not None and done():
                return {}
            if response.status_code not in (404, 409) or time.monotonic() > deadline:
                raise SeedingFailed(
                    f"{label}: POST {url} answered {response.status_code} {response.text}"
                )
            time.sleep(0.3)


def _fixed_time(data_dir: Path | None, name: str) -> datetime:
    """A business time chosen the first time it is needed on this data directory and kept
    in demo.json, so that a re-run sends the same command."""
    now = datetime.now(UTC).replace(microsecond=0)
    if data_dir is None:
        return now
    path = data_dir / "demo.json"
    times = json.loads(path.read_text()) if path.exists() else {}
    if name not in times:
        times[name] = now.isoformat()
        path.write_text(json.dumps(times, indent=2))
    return datetime.fromisoformat(times[name])


def seed_demo(
    urls: dict[str, str], data_dir: Path | None = None, say: Callable[[str], None] = print
) -> int:
    """Seed (or finish seeding) the demo; returns the number of commands sent."""
    leads, deals, billing = urls["leads"], urls["deals"], urls["billing"]
    # The demo acts as each party in turn with the development issuer's tokens.
    auth = IssuerAuth(issuer_for(Settings(data_dir=data_dir or Path(".data"))), "demo")
    with httpx.Client(timeout=10.0, auth=auth) as http:
        s = Seeder(http, say)

        def lead_at(lead_id: str, status: str) -> Callable[[], bool]:
            return lambda: _at_or_past(
                LEAD_ORDER, s.get(f"{leads}/leads/{lead_id}")["status"], status
            )

        s.command(
            "campaign spring-expo",
            f"{leads}/campaigns",
            {
                "campaign_id": "spring-expo",
                "name": "Spring Expo 2026",
                "channel_type": "event",
                "cost": {"amount": "12000.00", "currency": "EUR"},
                "starts_on": "2026-03-01",
                "ends_on": "2026-12-31",
            },
            key="demo-campaign",
        )
        lead_ids = []
        for name, email, company, source, campaign in DEMO_LEADS:
            lead = s.command(
                f"capture {name}",
                f"{leads}/leads",
                {
                    "full_name": name,
                    "email": email,
                    "company": company,
                    "source": source,
                    "campaign_id": campaign,
                },
                key=f"demo-capture-{email}",
            )
            lead_ids.append(lead["lead_id"])
        # Lead 0 goes all the way to cash; lead 1 becomes an open deal; lead 2 is an MQL.
        for lead_id in lead_ids[:3]:
            s.command(
                f"qualify {lead_id}",
                f"{leads}/leads/{lead_id}/qualify",
                {},
                key=f"demo-qualify-{lead_id}",
                done=lead_at(lead_id, "mql"),
            )
        for lead_id in lead_ids[:2]:
            s.command(
                f"accept {lead_id}",
                f"{leads}/leads/{lead_id}/accept",
                {},
                key=f"demo-accept-{lead_id}",
                done=lead_at(lead_id, "sql"),
            )
            s.command(
                f"convert {lead_id}",
                f"{leads}/leads/{lead_id}/convert",
                {
                    "deal_name": "Line automation",
                    "owner_id": "rep-demo",
                    "expected_amount": {"amount": "48000.00", "currency": "EUR"},
                    "qualification": {
                        "budget": "approved",
                        "authority": "COO decides",
                        "need": "slow changeovers",
                        "timeline": "Q3 2026",
                    },
                },
                key=f"demo-convert-{lead_id}",
                done=lead_at(lead_id, "converted"),
            )
        deal_id = s.get(f"{deals}/deals/by-lead/{lead_ids[0]}")["deal_id"]
        deal_url = f"{deals}/deals/{deal_id}"

        def deal() -> dict[str, Any]:
            return s.get(deal_url)

        for action, stage in (
            ("need_confirmed", "product_understanding"),
            ("demo_given", "quote"),
            ("quote_sent", "close"),
        ):
            s.command(
                f"deal {action}",
                f"{deal_url}/actions",
                {"action": action},
                key=f"demo-action-{deal_id}-{action}",
                done=lambda a=action: a in deal()["actions_done"],  # type: ignore[misc]
            )
            s.command(
                f"deal advance to {stage}",
                f"{deal_url}/advance",
                {"stage": stage},
                key=f"demo-advance-{deal_id}-{stage}",
                done=lambda t=stage: _at_or_past(DEMO_STAGES, deal()["stage"], t),  # type: ignore[misc]
            )
        quote = s.command(
            "quote",
            f"{billing}/quotes",
            {
                "deal_id": deal_id,
                "lines": [
                    {"item": "CRM-CLOUD", "quantity": 1},
                    {"item": "CRM-SEAT", "quantity": 75},
                ],
                "payment_plan": [
                    {"label": "advance", "percent": "40"},
                    {
                        "label": "go-live",
                        "percent": "60",
                        "trigger": "on_milestone",
                        "milestone": "go_live",
                    },
                ],
            },
            key=f"demo-quote-{deal_id}",
        )
        quote_url = f"{billing}/quotes/{quote['quote_id']}"

        def quote_at(status: str) -> Callable[[], bool]:
            return lambda: _at_or_past(QUOTE_ORDER, s.get(quote_url)["status"], status)

        s.command(
            "quote submit",
            f"{quote_url}/submit",
            None,
            key=f"demo-submit-{deal_id}",
            done=quote_at("approved"),
        )
        s.command(
            "quote accept",
            f"{quote_url}/accept",
            {"accepted_by": "demo COO"},
            key=f"demo-accept-quote-{deal_id}",
            done=quote_at("accepted"),
        )
        s.command(
            "deal win",
            f"{deal_url}/win",
            None,
            key=f"demo-win-{deal_id}",
            done=lambda: deal()["status"] == "won",
        )
        order = s.get(f"{billing}/orders/by-deal/{deal_id}")
        invoice = s.get(f"{billing}/invoices/{order['invoice_ids'][0]}")
        s.command(
            "ERP payment DEMO-PAY-1",
            f"{billing}/integrations/erp/payments",
            {
                "payment_id": "DEMO-PAY-1",
                "invoice_id": invoice["invoice_id"],
                "amount": {"amount": "10000.00", "currency": "EUR"},
                "received_at": _fixed_time(data_dir, "payment_received_at").isoformat(),
            },
            key="demo-payment-DEMO-PAY-1",
        )
        return s.steps
