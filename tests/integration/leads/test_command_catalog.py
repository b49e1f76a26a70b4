"""Walks the leads command catalog: every command with a route, on an example prepared
for it, refuses a stale If-Match, repeats its answer for a repeated Idempotency-Key and
stamps the caller's metadata on its events (``tests/integration/command_walk.py``). A
routed command without an example fails the walk."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kernel.rules import RuleSet
from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.application.catalog import LEADS
from services.leads.domain.account import Account
from services.leads.domain.campaign import Campaign
from services.leads.domain.lead import Lead
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient
from tests.integration.command_walk import walk

Example = tuple[str, dict[str, Any] | None, type[Any], uuid.UUID | str]
BANT = {"budget": "approved", "authority": "COO", "need": "downtime", "timeline": "Q3"}


class Leads:
    def __init__(self) -> None:
        self.app = LeadsApplication(Settings(data_dir=Path(tempfile.mkdtemp()), store="sqlite"))
        self.http = TestClient(build_api(self.app))
        self.n = 0

    def lead(self, qualified: bool = False, accepted: bool = False) -> str:
        self.n += 1
        body = {"full_name": f"Lead {self.n}", "email": f"lead{self.n}@example.com"}
        lead_id = str(self.http.post("/leads", json=body).json()["lead_id"])
        if qualified or accepted:
            self.http.post(f"/leads/{lead_id}/qualify", json={}).raise_for_status()
        if accepted:
            self.http.post(f"/leads/{lead_id}/accept", json={}).raise_for_status()
        return lead_id

    def account(self, pool: bool = False) -> str:
        self.n += 1
        body = {"name": f"Account {self.n}", "website": f"a{self.n}.example.com", "region": "EMEA"}
        account_id = str(self.http.post("/accounts", json=body).json()["account_id"])
        if pool:  # long enough without a visit: back to the public pool
            later = datetime.now(UTC) + timedelta(days=400)
            self.app.sweep_public_pool(later, [uuid.UUID(account_id)])
        return account_id

    def rules(self, name: str) -> dict[str, Any]:
        document = self.http.get(f"/rules/{name}").json()["document"]
        return {"document": document, "note": "walk"}


def _lead(
    url: str, body: dict[str, Any] | None = None, **state: bool
) -> Callable[[Leads], Example]:
    def prepare(w: Leads) -> Example:
        lead_id = w.lead(**state)
        return url.format(lead_id=lead_id), body, Lead, uuid.UUID(lead_id)

    return prepare


def _routed(url: str, reason: bool = True) -> Callable[[Leads], Example]:
    def prepare(w: Leads) -> Example:
        lead_id = w.lead(qualified=True)
        rep = w.app.get_lead(uuid.UUID(lead_id)).rep
        body = {"rep_id": rep, "reason": "not my region"} if reason else None
        return url.format(lead_id=lead_id), body, Lead, uuid.UUID(lead_id)

    return prepare


def _merge(w: Leads) -> Example:
    survivor, duplicate = w.lead(), w.lead()
    return f"/leads/{survivor}/merges", {"duplicate_id": duplicate}, Lead, uuid.UUID(survivor)


def _unmerge(w: Leads) -> Example:
    survivor, duplicate = w.lead(), w.lead()
    w.http.post(f"/leads/{survivor}/merges", json={"duplicate_id": duplicate}).raise_for_status()
    return f"/leads/{duplicate}/unmerge", None, Lead, uuid.UUID(duplicate)


def _campaign(w: Leads) -> str:
    w.n += 1
    slug = f"expo-{w.n}"
    body = {"campaign_id": slug, "name": "Expo", "channel_type": "event"}
    w.http.post("/campaigns", json={**body, "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    return slug


def _account(url: str, body: dict[str, Any], pool: bool = False) -> Callable[[Leads], Example]:
    def prepare(w: Leads) -> Example:
        account_id = w.account(pool=pool)
        return url.format(account_id=account_id), body, Account, uuid.UUID(account_id)

    return prepare


EXAMPLES: dict[str, Callable[[Leads], Example]] = {
    "capture_lead": lambda w: (
        "/leads",
        {"full_name": "Walk Er", "email": "walker@example.com", "source": "referral"},
        Lead,
        "lead_id",
    ),
    "qualify_lead": _lead("/leads/{lead_id}/qualify", {"note": "webinar"}),
    "accept_lead": _lead("/leads/{lead_id}/accept", {"note": "called"}, qualified=True),
    "reject_lead": _lead("/leads/{lead_id}/reject", {"reason": "no_budget"}, qualified=True),
    "convert_lead": _lead(
        "/leads/{lead_id}/convert",
        {
            "deal_name": "Line automation",
            "expected_amount": {"amount": "48000", "currency": "EUR"},
            "owner_id": "rep-7",
            "qualification": BANT,
        },
        accepted=True,
    ),
    "reject_assignment": _routed("/leads/{lead_id}/assignment/reject"),
    "return_lead": _routed("/leads/{lead_id}/return"),
    "assign_lead": lambda w: (
        lambda lead_id: (
            f"/leads/{lead_id}/assign",
            {"team": "smb-channel", "rep_id": "smb-omar", "note": "walk"},
            Lead,
            uuid.UUID(lead_id),
        )
    )(w.lead(qualified=True)),
    "merge_leads": _merge,
    "undo_merge": _unmerge,
    "erase_personal_data": _lead("/leads/{lead_id}/erasure", {"reason": "GDPR request 1"}),
    "record_engagement": _lead(
        "/leads/{lead_id}/engagements",
        {"kind": "event_attended", "occurred_at": "2026-11-20T10:00:00Z", "ref": "w-1"},
    ),
    "launch_campaign": lambda w: (
        "/campaigns",
        {
            "campaign_id": "walk-launch",
            "name": "Walk",
            "channel_type": "event",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
        Campaign,
        Campaign.create_id("walk-launch"),
    ),
    "record_campaign_cost": lambda w: (
        lambda slug: (
            f"/campaigns/{slug}/cost",
            {"cost": {"amount": "1200", "currency": "EUR"}},
            Campaign,
            Campaign.create_id(slug),
        )
    )(_campaign(w)),
    "register_for_campaign": lambda w: (
        f"/campaigns/{_campaign(w)}/registrations",
        {"full_name": "Visitor", "email": "visitor@example.com"},
        Lead,
        "lead_id",
    ),
    "register_account": lambda w: (
        "/accounts",
        {"name": "Walk GmbH", "website": "walk.example.com", "region": "EMEA"},
        Account,
        "account_id",
    ),
    "record_visit": _account(
        "/accounts/{account_id}/visits", {"rep_id": "emea-lars", "at": "2026-11-20T10:00:00Z"}
    ),
    "claim_account": _account("/accounts/{account_id}/claim", {"rep_id": "emea-ines"}, pool=True),
    "publish_routing_rules": lambda w: (
        "/rules/routing",
        {**w.rules("routing"), "note": "walk"},
        RuleSet,
        RuleSet.create_id("routing"),
    ),
    "publish_scoring_rules": lambda w: (
        "/rules/scoring",
        w.rules("scoring"),
        RuleSet,
        RuleSet.create_id("scoring"),
    ),
}


@pytest.fixture(scope="module")
def leads() -> Leads:
    return Leads()


def test_every_routed_command_has_an_example() -> None:
    assert {s.name for s in LEADS if s.route is not None} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_command_is_idempotent_guarded_and_stamped(leads: Leads, name: str) -> None:
    url, body, kind, aggregate_id = EXAMPLES[name](leads)
    if name.startswith("publish_"):  # a new version only when the document changes
        body = {"document": _changed(name, body["document"]), "note": "walk"}  # type: ignore[index]
    walk(leads.app, leads.http, LEADS[name], url, body, kind, aggregate_id)


def _changed(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """The rule set with one harmless change, so that publishing makes a new version."""
    if name == "publish_routing_rules":
        team = next(iter(document["teams"].values()))
        team["reps"] = [*team["reps"], f"walker-{uuid.uuid4().hex[:6]}"]
    else:
        rule = document["fit"][0]
        rule["points"] = int(rule["points"]) + 1
    return document
