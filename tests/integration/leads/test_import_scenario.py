"""Scenario: a CRM export of a few thousand realistic leads (duplicates, missing and broken
fields) imported through the API; enrichment runs from Kafka; then dedupe, scores, routing
and the events on l2c.leads.v1 are checked against an independent expectation."""

from __future__ import annotations

import asyncio
import collections
import csv
import io
import random
import time
import uuid
from pathlib import Path

from devenv.kafka import KafkaBroker
from kernel.contracts import decode_envelope
from kernel.kafka import ensure_topics
from kernel.relay import Relay
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, LEADS
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.adapters.firmographics import REFERENCE_FILE, ReferenceFileProvider
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api
from services.leads.entrypoints.policies import enrich_lead_when_captured
from tests.auth_support import TestClient
from tests.kafka_support import eventually, read_topic

ROWS = 2500
KNOWN = list(csv.DictReader(REFERENCE_FILE.open()))
FIRST = ["Mei", "Lars", "Ana", "Omar", "Kenji", "Ines", "Tom", "Li", "Sato", "Bo", "Anna"]
LAST = ["Chen", "Eriksen", "Souza", "Haddad", "Tanaka", "Garcia", "Berg", "Wang", "Ito"]


def generate(seed: int = 7) -> tuple[str, dict[str, object]]:
    """CSV text and what a careful human would expect of it."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["full_name", "email", "phone", "company", "website", "product_interest"])
    seen: set[tuple[str, str]] = set()
    expected: dict[str, object] = {"rejected": set(), "duplicate_rows": set(), "rows": {}}
    people: list[tuple[str, str, str, str]] = []
    for row in range(1, ROWS + 1):
        roll = rng.random()
        if roll < 0.03:
            writer.writerow(["", f"x{row}@nowhere.example", "", "", "", ""])
            expected["rejected"].add(row)  # type: ignore[attr-defined]
            continue
        if roll < 0.06:
            writer.writerow([f"Broken {row}", f"broken{row}-at-example.com", "", "", "", ""])
            expected["rejected"].add(row)  # type: ignore[attr-defined]
            continue
        if roll < 0.14 and people:
            name, email, phone, company = rng.choice(people)  # the same person, typed again
            writer.writerow([name.upper(), f"  {email.upper()} ", "", "", "", ""])
            keys = {("email", email)}
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {row}"
            if rng.random() < 0.4:
                firm = rng.choice(KNOWN)
                company, domain = firm["company"], firm["domain"]
            else:
                company, domain = f"Firm {row} GmbH", f"firm{row}.example"
            email = "" if rng.random() < 0.1 else f"p{row}@{domain}"
            phone = f"+49 30 {5000000 + row}" if (not email or rng.random() < 0.3) else ""
            interest = rng.choice(["automation", "robotics", "analytics", ""])
            writer.writerow([name, email, phone, company, f"https://www.{domain}", interest])
            people.append((name, email or f"p{row}@{domain}", phone, company))
            keys = {("company_domain", f"{company.lower()}|{domain}")}
            if email:
                keys.add(("email", email))
            if phone:
                keys.add(("phone", phone))
        if keys & seen:
            expected["duplicate_rows"].add(row)  # type: ignore[attr-defined]
        seen |= keys
    return out.getvalue(), expected


# Fit points of each reference firm under the shipped scoring rules, worked out by hand:
# industry + size + headcount>=200 + region (EMEA/APAC); product interest adds 15.
FIT_POINTS = {
    "robotics.cn": 47,
    "nordicfreight.se": 50,
    "souzafoods.com.br": 22,
    "haddadclinics.ae": 5,
    "acme.com": 50,
    "globex.com": 50,
    "initech.com": 0,
    "umbrella.eu": 35,
    "stark.io": 50,
    "wayne.co.uk": 50,
    "shenzhen-elec.cn": 47,
    "osaka-motors.jp": 55,
}


async def test_a_realistic_import_is_deduplicated_enriched_scored_routed_and_published(
    kafka_broker: KafkaBroker,
    tmp_path: Path,
) -> None:
    # One backend is enough for the scenario; every port is tested on both elsewhere.
    kafka_settings = Settings(data_dir=tmp_path, kafka_bootstrap=kafka_broker.bootstrap)
    await ensure_topics(kafka_settings, ALL_TOPICS)
    app = LeadsApplication(kafka_settings)
    http = TestClient(build_api(app))
    body, expected = generate()

    began = time.monotonic()
    report = http.post(
        "/leads/imports",
        content=body,
        headers={"Content-Type": "text/csv", "Idempotency-Key": f"export-{uuid.uuid4()}"},
    ).json()
    print(f"\nimport of {ROWS} rows: {time.monotonic() - began:.1f}s")
    assert report["rows"] == ROWS
    assert {r["row"] for r in report["rejected"]} == expected["rejected"]
    assert {d["row"] for d in report["duplicates"]} == expected["duplicate_rows"]

    stop = asyncio.Event()
    relay = Relay(app, LEAD_CONTRACTS, LEADS, kafka_settings)
    enrich = enrich_lead_when_captured(app, ReferenceFileProvider(), kafka_settings)
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(enrich.run(stop))]
    began = time.monotonic()
    try:
        await eventually(
            lambda: http.get("/leads", params={"limit": 1, "status": "new"}).json()["items"] == [],
            timeout=300,
            interval=1.0,
        )
        await eventually(lambda: relay.backlog() == 0, timeout=120)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    print(
        f"enrichment, scoring and routing of {report['accepted']} leads: "
        f"{time.monotonic() - began:.1f}s"
    )

    leads = []
    cursor = 0
    while True:
        page = http.get("/leads", params={"cursor": cursor, "limit": 500}).json()
        leads += page["items"]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert len(leads) == report["accepted"]

    # Scores: known firms are enriched and scored by the ICP rules; unknown ones are not.
    reference = {k["domain"]: k for k in KNOWN}
    for lead in leads:
        domain = lead["website"].removeprefix("https://www.") or lead["email"].split("@")[-1]
        interest = 15.0 if lead["product_interest"] in ("automation", "robotics") else 0.0
        if domain in reference:
            firm = reference[domain]
            assert lead["enrichment"] == "enriched", lead
            assert lead["firmographics"] == {
                "industry": firm["industry"],
                "company_size": firm["company_size"],
                "headcount": int(firm["headcount"]),
                "region": firm["region"],
            }
            assert lead["score"]["total"] == FIT_POINTS[domain] + interest, lead
        else:
            assert lead["enrichment"] == "failed"
            assert lead["score"]["total"] == interest
    # Routing: every MQL has a team and a rep; enterprises go to key accounts.
    mqls = [lead for lead in leads if lead["status"] == "mql"]
    assert mqls and all(lead["team"] and lead["rep"] for lead in mqls)
    for lead in mqls:
        if lead["firmographics"].get("company_size") == "enterprise":
            assert lead["team"] == "key-accounts"
    per_rep = collections.Counter((lead["team"], lead["rep"]) for lead in mqls)
    for team in {t for t, _ in per_rep}:
        counts = [n for (t, _), n in per_rep.items() if t == team]
        assert max(counts) - min(counts) <= 1, (team, counts)  # round-robin / least-loaded
    nurtured = [lead for lead in leads if lead["status"] == "nurturing"]
    assert len(mqls) + len(nurtured) == len(leads)

    # The topic tells the same story, lead by lead.
    ids = {lead["lead_id"] for lead in leads}
    types: dict[str, list[str]] = collections.defaultdict(list)
    for record in await read_topic(kafka_settings.kafka_bootstrap, LEADS.name):
        if (record.key or b"").decode(errors="replace") not in ids:
            continue  # the topic is shared with other tests (some write garbage on purpose)
        envelope, _ = decode_envelope(record.value)
        types[envelope.aggregate_id].append(envelope.event_type.removeprefix("l2c.v1."))
    assert set(types) == ids
    flagged = {lead["lead_id"] for lead in leads if lead["duplicates"]}
    for lead_id, seen in types.items():
        assert seen.count("LeadCaptured") == 1
        assert ("LeadDuplicateFlagged" in seen) == (lead_id in flagged)
        assert seen.count("LeadScored") >= 1
        assert ("LeadEnriched" in seen) != ("LeadEnrichmentFailed" in seen)
        assert ("LeadRouted" in seen) == ("LeadMarketingQualified" in seen)
