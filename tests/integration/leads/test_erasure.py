"""Erasure by crypto-shredding: once a person is erased, their name, e-mail and phone (and
the notes written about them) are nowhere — not in the store's files or tables, not on
the topic, not in any answer — while the lead still replays, the audit chain still
verifies, and duplicate detection still works for everyone else."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from kernel import audit
from kernel.domain import ERASED
from kernel.kafka import ensure_topics
from kernel.relay import Relay
from kernel.settings import Settings, audit_key_path
from kernel.topics import AUDIT
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.adapters.directory import LeadDirectory
from services.leads.application import LeadsApplication
from services.leads.domain.lead import Lead
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer
from tests.integration.kernel.test_relay import fresh_topic
from tests.kafka_support import eventually, read_topic

ZELDA = {
    "full_name": "Zelda Quintrell",
    "email": "Zelda.Quintrell@quintrell-mail.example",
    "phone": "+49 170 5550199",
    "company": "Quintrell Maschinenbau",
    "job_title": "Head of Plant Zelda-Ops",
    "source": "web_form",
}
TRACES = (b"Zelda", b"zelda", b"Quintrell@", b"quintrell@", b"5550199", b"Plant Zelda")
OTTO = {
    "full_name": "Otto Brenner",
    "email": "otto@brenner-gmbh.example",
    "company": "Brenner GmbH",
    "source": "web_form",
}


def raw_store(settings: Settings, app: LeadsApplication) -> bytes:
    """Every byte the service keeps: its files (SQLite stores, keys, directory, WAL), or
    every row of every table of its PostgreSQL database, bytea columns as bytes."""
    if settings.store == "sqlite":
        return b"".join(p.read_bytes() for p in Path(settings.data_dir).rglob("*") if p.is_file())
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    dump = b""
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        tables = [(r["table_schema"], r["table_name"]) for r in cursor.fetchall()]
        for schema, table in tables:
            cursor.execute(f'SELECT * FROM "{schema}"."{table}"')
            for row in cursor.fetchall():
                for value in row.values():
                    dump += (
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else str(value).encode()
                    )
    return dump


def test_an_erased_person_is_nowhere_and_everything_still_works(
    kafka_settings: Settings,
) -> None:
    asyncio.run(_scenario(kafka_settings))


async def _scenario(settings: Settings) -> None:
    topic = fresh_topic()
    await ensure_topics(settings, [topic, AUDIT])
    app = LeadsApplication(settings)
    directory = LeadDirectory(app, Path(settings.data_dir) / "leads-directory.sqlite")
    http = TestClient(build_api(app, directory=directory))
    zelda = http.post("/leads", json=ZELDA).json()["lead_id"]
    otto = http.post("/leads", json=OTTO).json()["lead_id"]
    for action, note in (("qualify", "Zelda called twice, wants a demo"), ("accept", "met Zelda")):
        answer = http.post(f"/leads/{zelda}/{action}", json={"note": note})
        assert answer.status_code == 200, answer.text
    assert http.get(f"/leads/{zelda}").json()["full_name"] == "Zelda Quintrell"
    assert http.get("/leads", params={"q": "zelda"}).json()["items"]

    # Sealed before anything is erased: neither the store nor the topic holds her data.
    relay = Relay(app, LEAD_CONTRACTS, topic, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await eventually(lambda: relay.backlog() == 0)
    published = b"".join(r.value for r in await read_topic(settings.kafka_bootstrap, topic.name))
    assert b"Otto" not in published and b"otto@" not in published
    assert all(trace not in published for trace in TRACES)

    refused = http.post(
        f"/leads/{zelda}/erasure", json={"reason": "x"}, headers=bearer("rep-1", ["rep"])
    )
    assert refused.status_code == 403, refused.text
    erased = http.post(f"/leads/{zelda}/erasure", json={"reason": "GDPR art. 17 request 4711"})
    assert erased.status_code == 200, erased.text
    again = http.post(f"/leads/{zelda}/erasure", json={"reason": "GDPR art. 17 request 4711"})
    assert again.status_code == 200 and again.json()["version"] == erased.json()["version"]
    await eventually(lambda: relay.backlog() == 0)
    seal = relay.seal
    assert seal is not None
    await eventually(lambda: seal.last()[0] == app.recorder.max_notification_id())
    stop.set()
    await task

    # Every answer: the lead, its history, the directory, the events list.
    answers = [
        http.get(f"/leads/{zelda}"),
        http.get(f"/leads/{zelda}/history"),
        http.get(f"/leads/{zelda}/history", headers={"Accept": "text/csv"}),
        http.get(f"/leads/{zelda}/events"),
        http.get("/leads", params={"limit": 500}),
        http.get("/leads", params={"q": "zelda"}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert all(trace not in answer.content for trace in TRACES), answer.text[:2000]
    lead = answers[0].json()
    assert (lead["full_name"], lead["email"], lead["phone"]) == (ERASED, ERASED, ERASED)
    assert lead["status"] == "sql" and lead["personal_data_erased"] is True
    assert answers[5].json()["items"] == []
    history = answers[1].json()["events"]
    assert history[-1]["event"] == "Lead.PersonalDataErased"
    assert history[-1]["reason"] == "GDPR art. 17 request 4711"

    # Nowhere on disk or in the database, nowhere on the topic.
    stored = raw_store(settings, app)
    assert b"Quintrell Maschinenbau" in stored  # the dump sees the events (a company is kept)
    assert all(trace not in stored for trace in TRACES)
    published = b"".join(r.value for r in await read_topic(settings.kafka_bootstrap, topic.name))
    assert all(trace not in published for trace in TRACES)
    assert b"LeadPersonalDataErased" in published

    # The lead replays in a new process; the chain and its checkpoints still verify.
    replayed: Lead = LeadsApplication(settings).repository.get(uuid.UUID(zelda))
    assert replayed.full_name == ERASED and replayed.status.value == "sql"
    public = audit.load_public_key(audit.public_path(audit_key_path(settings)))
    report = audit.verify("leads", app.recorder, [public])
    assert report.ok and report.chained == report.events, report.summary()

    # Duplicates: Otto is still matched; Zelda's address matches no one any more.
    second = http.post("/leads", json={**OTTO, "full_name": "O. Brenner"}).json()
    assert {d["owner_id"] for d in second["duplicates"]} == {otto}, second
    back = http.post("/leads", json=ZELDA).json()
    assert back["duplicates"] == [], json.dumps(back)
