"""Enrichment, scoring and rule versions over a real store; the enrichment policy on Kafka."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kernel.kafka import ensure_topics
from kernel.relay import Relay
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, LEADS
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.adapters.firmographics import REFERENCE_FILE, ReferenceFileProvider
from services.leads.application import LeadsApplication
from services.leads.domain.lead import Contact, Lead
from services.leads.entrypoints.http import build_api
from services.leads.entrypoints.policies import enrich_lead_when_captured
from tests.auth_support import TestClient
from tests.kafka_support import eventually

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_enrichment_fills_firmographics_and_scores_with_lineage(store_settings: Settings) -> None:
    app = LeadsApplication(store_settings)
    lead_id = uuid.UUID(
        app.capture_lead(
            Contact("Mei Chen", email="mei@robotics.cn", product_interest="automation"), "web_form"
        )["lead_id"]
    )
    result = app.enrich_from(lead_id, ReferenceFileProvider(), as_of=T0)
    lead = app.get_lead(lead_id)
    assert lead.firmographics == {
        "industry": "manufacturing",
        "company_size": "mid_market",
        "headcount": 480,
        "region": "APAC",
    }
    # manufacturing 20 + mid_market 12 + 200+ 10 + APAC 5 + automation 15
    assert (result["score"], result["grade"], result["status"]) == (62.0, "B", "mql")
    explained = app.explain_score(lead_id)
    assert explained["matches"] is True
    assert [c["rule"] for c in explained["recorded"]["contributions"]] == [
        "fit:industry:manufacturing",
        "fit:size:mid_market",
        "fit:headcount:200+",
        "fit:region:core",
        "fit:interest:automation",
    ]


def test_a_provider_that_is_down_is_retried_then_the_failure_is_recorded_and_the_lead_scored(
    store_settings: Settings,
    tmp_path: Path,
) -> None:
    app = LeadsApplication(store_settings)
    lead_id = uuid.UUID(
        app.capture_lead(Contact("Lars", email="lars@nordicfreight.se"), "web_form")["lead_id"]
    )
    down = ReferenceFileProvider(tmp_path / "missing.csv")
    result = app.enrich_from(lead_id, down, as_of=T0, attempts=3, backoff_seconds=0.01)
    failed = [e for e in app.history(Lead, lead_id) if type(e).__name__ == "EnrichmentFailed"]
    assert len(failed) == 1
    assert (failed[0].attempts, failed[0].retryable) == (3, True)
    assert "unavailable after 3 attempts" in failed[0].reason
    assert result["status"] == "nurturing"  # usable, scored on what it has: 0 points
    # The provider is back: a retry enriches, and the lead is re-scored.
    (tmp_path / "missing.csv").write_text(REFERENCE_FILE.read_text())
    again = app.enrich_from(lead_id, down, as_of=T0 + timedelta(minutes=5))
    # logistics 15 + enterprise 20 + 200+ 10 + EMEA 5: at the threshold, out of the pool
    assert (again["score"], again["status"]) == (50.0, "mql")
    assert app.get_lead(lead_id).enrichment == "enriched"


def test_an_unknown_company_is_a_final_not_a_retryable_failure(store_settings: Settings) -> None:
    app = LeadsApplication(store_settings)
    lead_id = uuid.UUID(
        app.capture_lead(Contact("Zed", email="zed@unknown-firm.org"), "web_form")["lead_id"]
    )
    app.enrich_from(lead_id, ReferenceFileProvider(), as_of=T0)
    failed = [e for e in app.history(Lead, lead_id) if type(e).__name__ == "EnrichmentFailed"]
    assert (failed[0].retryable, failed[0].reason) == (
        False,
        "reference-file knows no company unknown-firm.org",
    )


def test_a_new_rules_version_applies_to_new_scores_and_old_scores_stay_explainable(
    store_settings: Settings,
) -> None:
    http = TestClient(build_api(app := LeadsApplication(store_settings)))
    lead = http.post("/leads", json={"full_name": "Ann", "email": "ann@acme.com"}).json()
    http.post(f"/leads/{lead['lead_id']}/enrich")
    first = http.get(f"/leads/{lead['lead_id']}/score").json()
    assert (first["rule_set_version"], first["matches"]) == (1, True)

    rules = http.get("/rules/scoring").json()
    document = copy.deepcopy(rules["document"])
    document["engagement"]["link_clicked"] = 25
    published = http.put(
        "/rules/scoring", json={"document": document, "note": "clicks matter more"}
    )
    assert published.json() == {"name": "scoring", "version": 2, "changed": True}
    assert http.put("/rules/scoring", json={"document": document}).json()["changed"] is False
    bad = copy.deepcopy(document)
    bad["grades"] = [{"grade": "A", "min": 10}, {"grade": "B", "min": 50}]
    refused = http.put("/rules/scoring", json={"document": bad})
    assert refused.status_code == 422 and "best first" in refused.json()["message"]

    clicked = http.post(
        f"/leads/{lead['lead_id']}/engagements",
        json={"kind": "link_clicked", "occurred_at": datetime.now(UTC).isoformat(), "ref": "m-1"},
    )
    assert clicked.status_code == 200
    latest = http.get(f"/leads/{lead['lead_id']}/score").json()
    assert latest["rule_set_version"] == 2 and latest["matches"] is True
    assert latest["recorded"]["contributions"][-1]["points"] == 25.0
    assert (
        http.get("/rules/scoring/versions/1").json()["document"]["engagement"]["link_clicked"] == 5
    )
    versions = [
        e for e in app.history(Lead, uuid.UUID(lead["lead_id"])) if type(e).__name__ == "Scored"
    ]
    assert [e.rule_set_version for e in versions] == [1, 2]


async def test_the_enrichment_policy_enriches_captured_leads_from_the_topic(
    kafka_settings: Settings,
) -> None:
    await ensure_topics(kafka_settings, ALL_TOPICS)
    app = LeadsApplication(kafka_settings)
    lead_id = uuid.UUID(
        app.capture_lead(Contact("Kenji", email="kenji@osaka-motors.jp"), "web_form")["lead_id"]
    )
    assert app.get_lead(lead_id).enrichment == "pending"  # usable before enrichment
    relay = Relay(app, LEAD_CONTRACTS, LEADS, kafka_settings)
    policy = enrich_lead_when_captured(app, ReferenceFileProvider(), kafka_settings)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(policy.run(stop))]
    try:
        await eventually(lambda: app.get_lead(lead_id).enrichment == "enriched", timeout=60)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    lead = app.get_lead(lead_id)
    assert lead.firmographics["industry"] == "automotive"
    enriched = [e for e in app.history(Lead, lead_id) if type(e).__name__ == "Enriched"]
    assert enriched[0].metadata["actor_id"] == "leads.enrich-lead-when-captured"
