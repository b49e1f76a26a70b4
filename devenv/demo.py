"""Demo data for `make run`: a few leads at different points of the flow, through the
public HTTP APIs only, exactly as a client would."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

DEMO_LEADS = [
    ("Mei Chen", "mei.chen@example.com", "Hangzhou Robotics", "web_form", "spring-expo"),
    ("Lars Eriksen", "lars@example.org", "Nordic Freight", "event", "spring-expo"),
    ("Ana Souza", "ana@example.net", "Souza Foods", "import", ""),
    ("Omar Haddad", "omar@example.com", "Haddad Clinics", "inbound_call", ""),
]


def _wait_for(client: httpx.Client, url: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(url)
        if response.status_code == 200:
            return response.json()
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not appear within {timeout}s")


def _wait_for_post(client: httpx.Client, url: str, body: dict, timeout: float = 60.0) -> dict:
    """POST until the service knows what the body names (404 until its event arrives)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.post(url, json=body, headers={"Idempotency-Key": f"demo:{url}"})
        if response.status_code != 404:
            response.raise_for_status()
            return response.json()
        time.sleep(0.3)
    raise RuntimeError(f"{url} kept answering 404 for {timeout}s")


def seed_demo(urls: dict[str, str]) -> None:
    with httpx.Client(timeout=10.0) as http:
        http.post(
            f"{urls['leads']}/campaigns",
            json={
                "campaign_id": "spring-expo",
                "name": "Spring Expo 2026",
                "channel_type": "event",
                "cost": {"amount": "12000.00", "currency": "EUR"},
                "starts_on": "2026-03-01",
                "ends_on": "2026-12-31",
            },
            headers={"Idempotency-Key": "demo-campaign"},
        ).raise_for_status()
        lead_ids = []
        for name, email, company, source, campaign in DEMO_LEADS:
            r = http.post(
                f"{urls['leads']}/leads",
                json={
                    "full_name": name,
                    "email": email,
                    "company": company,
                    "source": source,
                    "campaign_id": campaign,
                },
                headers={"Idempotency-Key": f"demo-capture-{email}"},
            )
            r.raise_for_status()
            lead_ids.append(r.json()["lead_id"])
        # Lead 0 goes all the way to cash; lead 1 becomes an open deal; lead 2 is an MQL.
        for lead_id in lead_ids[:3]:
            http.post(f"{urls['leads']}/leads/{lead_id}/qualify", json={}).raise_for_status()
        for lead_id in lead_ids[:2]:
            http.post(f"{urls['leads']}/leads/{lead_id}/accept", json={}).raise_for_status()
            http.post(
                f"{urls['leads']}/leads/{lead_id}/convert",
                json={
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
            ).raise_for_status()
        deal = _wait_for(http, f"{urls['deals']}/deals/by-lead/{lead_ids[0]}")
        for action, stage in (
            ("need_confirmed", "product_understanding"),
            ("demo_given", "quote"),
            ("quote_sent", "close"),
        ):
            deal_url = f"{urls['deals']}/deals/{deal['deal_id']}"
            http.post(f"{deal_url}/actions", json={"action": action}).raise_for_status()
            http.post(f"{deal_url}/advance", json={"stage": stage}).raise_for_status()
        quote = _wait_for_post(
            http,
            f"{urls['billing']}/quotes",
            {
                "deal_id": deal["deal_id"],
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
        )
        quote_url = f"{urls['billing']}/quotes/{quote['quote_id']}"
        http.post(f"{quote_url}/submit").raise_for_status()
        http.post(f"{quote_url}/accept", json={"accepted_by": "demo COO"}).raise_for_status()
        http.post(f"{urls['deals']}/deals/{deal['deal_id']}/win").raise_for_status()
        order = _wait_for(http, f"{urls['billing']}/orders/by-deal/{deal['deal_id']}")
        invoice = http.get(f"{urls['billing']}/invoices/{order['invoice_ids'][0]}")
        invoice.raise_for_status()
        http.post(
            f"{urls['billing']}/integrations/erp/payments",
            json={
                "payment_id": "DEMO-PAY-1",
                "invoice_id": invoice.json()["invoice_id"],
                "amount": {"amount": "10000.00", "currency": "EUR"},
                "received_at": datetime.now(UTC).isoformat(),
            },
        ).raise_for_status()
