"""The relay on the real broker, against every store backend."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from typing import Any

import pytest

from kernel import audit
from kernel.contracts import decode_envelope
from kernel.kafka import ensure_topics
from kernel.relay import Relay
from kernel.settings import Settings, audit_key_path
from kernel.topics import AUDIT, BILLING, DEALS, ERP_INBOUND, INSIGHTS, LEADS, TopicSpec
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.application import LeadsApplication
from services.leads.domain.commands import QualifyLead
from services.leads.domain.lead import Contact
from tests.kafka_support import eventually, read_topic
from tests.settings_support import settings_env


def fresh_topic() -> TopicSpec:
    return TopicSpec(f"test.leads.{uuid.uuid4().hex[:8]}", "lead id", "l2c.v1.EventEnvelope", "")


def record_leads(app: LeadsApplication, count: int, batch: str = "a") -> list[uuid.UUID]:
    ids = []
    for i in range(count):
        lead_id = uuid.UUID(
            str(
                app.capture_lead(
                    Contact(
                        f"Lead {i}", email=f"{batch}{i}@example.com", company=f"Acme {batch}{i}"
                    ),
                    "import",
                    idempotency_key=f"{batch}-row-{i}",
                )["lead_id"]
            )
        )
        if i % 2 == 0:
            app.dispatch(QualifyLead(lead_id=lead_id, note=""))
        ids.append(lead_id)
    return ids


def published_in_store(app: LeadsApplication) -> int:
    """How many of the store's events belong on the topic."""
    return sum(
        1
        for n in app.recorder.select_notifications(1, 1_000_000)
        if LEAD_CONTRACTS.is_published(app.mapper.to_domain_event(n))
    )


async def published_all(relay: Relay) -> None:
    """Run ``relay`` until it has published everything stored, then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await eventually(lambda: relay.backlog() == 0)
    stop.set()
    await task


def lead_records(records: list) -> list:  # type: ignore[type-arg]
    """The Lead events among the records (the topic also carries the scoring rule set)."""
    return [r for r in records if decode_envelope(r.value)[0].aggregate_type == "Lead"]


def events_per_aggregate(records: list) -> dict[str, list[int]]:
    """Versions per aggregate in topic order, after dropping repeats by event id."""
    seen: set[str] = set()
    versions: dict[str, list[int]] = defaultdict(list)
    for record in records:
        envelope, _ = decode_envelope(record.value)
        if envelope.event_id in seen:
            continue
        seen.add(envelope.event_id)
        assert record.key == envelope.aggregate_id.encode()
        versions[envelope.aggregate_id].append(envelope.aggregate_version)
    return versions


async def test_the_relay_publishes_stored_events_in_order_keyed_by_aggregate_and_resumes(
    kafka_settings: Settings,
) -> None:
    kafka_settings = kafka_settings.model_copy(update={"audit_checkpoint_every": 4})
    topic = fresh_topic()
    await ensure_topics(kafka_settings, [topic, AUDIT])
    app = LeadsApplication(kafka_settings)
    ids = record_leads(app, 6)
    relay = Relay(app, LEAD_CONTRACTS, topic, kafka_settings)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await eventually(lambda: relay.backlog() == 0)
    more = record_leads(app, 2, batch="b")  # recorded while the relay runs
    await eventually(lambda: relay.backlog() == 0)
    seal = relay.seal
    assert seal is not None
    await eventually(
        lambda: seal.last()[0] == app.recorder.max_notification_id() and not seal.unpublished()
    )
    stop.set()
    await task

    records = lead_records(await read_topic(kafka_settings.kafka_bootstrap, topic.name))
    versions = events_per_aggregate(records)
    # 8 captured, 4 qualified and routed: no identity keys or idempotency records
    assert len(records) == 16
    assert set(versions) == {str(i) for i in ids + more}
    for lead_id, vs in versions.items():
        assert vs == sorted(vs) and vs[0] == 0, lead_id
    positions = [decode_envelope(r.value)[0].store_position for r in records]
    assert len(set(positions)) == 16

    # A relay started again publishes nothing it already published.
    restarted = Relay(LeadsApplication(kafka_settings), LEAD_CONTRACTS, topic, kafka_settings)
    assert restarted.position() == relay.position() > 0
    assert restarted.backlog() == 0

    # It sealed what it published: every stored event is chained, and the chain verifies
    # with the public key written beside the settings' signing key.
    # and copied its signed checkpoints to the audit topic (this test's, by their key).
    public = audit.load_public_key(audit.public_path(audit_key_path(kafka_settings)))
    copies = [
        c
        for c in map(
            audit.checkpoint_of,
            (r.value for r in await read_topic(kafka_settings.kafka_bootstrap, AUDIT.name)),
        )
        if c.key_id == audit.key_id(public)
    ]
    report = audit.verify("leads", app.recorder, [public], 4, copies)
    assert report.ok, report.summary()
    assert report.chained == report.events >= 16
    assert report.published == len(copies) >= 4 and {c.service for c in copies} == {"leads"}


async def test_a_relay_killed_in_the_middle_of_a_batch_loses_nothing_after_restart(
    kafka_settings: Settings,
) -> None:
    topic = fresh_topic()
    await ensure_topics(kafka_settings, [topic])
    app = LeadsApplication(kafka_settings)
    record_leads(app, 1000)  # 1000 captured, 500 qualified (and routed), the rule sets
    total = published_in_store(app)
    stored = app.recorder.max_notification_id()
    env = {
        **os.environ,
        **settings_env(kafka_settings),
        "L2C_RELAY_BATCH_SIZE": "100000",
        "L2C_TEST_RELAY_TOPIC": topic.name,
    }
    cmd = [sys.executable, "-m", "tests.integration.kernel.relay_worker"]
    relay = Relay(app, LEAD_CONTRACTS, topic, kafka_settings)

    # One batch holds everything; the process dies after 700 of its records are on the topic.
    killed = subprocess.run(cmd, env={**env, "L2C_TEST_KILL_AFTER_SENDS": "700"}, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert relay.position() == 0  # the batch's position was never recorded
    assert len(await read_topic(kafka_settings.kafka_bootstrap, topic.name)) == 700

    worker = subprocess.Popen(cmd, env=env)
    try:
        await eventually(lambda: relay.position() >= stored, timeout=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    records = await read_topic(kafka_settings.kafka_bootstrap, topic.name)
    ids = [decode_envelope(r.value)[0].event_id for r in records]
    assert len(set(ids)) == total  # every event arrived
    assert len(ids) == total + 700  # the unrecorded part of the batch came again, nothing else
    for lead_id, vs in events_per_aggregate(lead_records(records)).items():
        assert vs == list(range(len(vs))), lead_id


async def test_a_commit_wakes_the_relay_without_waiting_for_its_poll(
    kafka_settings: Settings,
) -> None:
    """The relay polls only every 5 minutes here: what it publishes, a commit woke it for."""
    settings = kafka_settings.model_copy(update={"relay_poll_seconds": 300.0})
    topic = fresh_topic()
    await ensure_topics(settings, [topic])
    app = LeadsApplication(settings)
    relay = Relay(app, LEAD_CONTRACTS, topic, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await eventually(lambda: relay.backlog() == 0)  # the rule set stored at start-up
    for round_ in range(3):
        await asyncio.to_thread(record_leads, app, 1, f"woken-{round_}")
        await eventually(lambda: relay.backlog() == 0, timeout=20)
    stop.set()
    await asyncio.wait_for(task, 10)
    records = lead_records(await read_topic(settings.kafka_bootstrap, topic.name))
    assert len(records) == 3 * 3  # each lead: captured, qualified, routed


@pytest.mark.parametrize("spec", [AUDIT, LEADS, DEALS, BILLING, INSIGHTS, ERP_INBOUND])
async def test_the_audit_and_fact_topics_are_created_to_keep_their_records_forever(
    kafka_settings: Settings, spec: TopicSpec
) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    await ensure_topics(kafka_settings, [spec])
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.kafka_bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, spec.name)]
        )
    finally:
        await admin.close()
    configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
    assert configs["retention.ms"] == "-1" and configs["retention.bytes"] == "-1"
    assert spec.configs == {"retention.ms": "-1", "retention.bytes": "-1"}


class RegistryStandIn:
    """The two calls of the Confluent schema-registry REST API the relay makes
    (register a version, look it up), answered in a thread and remembered. No registry
    can be installed on this machine; this checks our requests and the records' framing,
    not a registry's own behaviour."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.bodies: dict[str, dict] = {}  # type: ignore[type-arg]
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                subject = self.path.removeprefix("/subjects/").removesuffix("/versions")
                if self.path.endswith("/versions"):
                    stand_in.bodies.setdefault(subject, body)
                ids = list(stand_in.bodies)
                answer = {"id": 100 + ids.index(subject), "subject": subject, "version": 1}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


async def test_with_a_schema_registry_records_are_framed_the_registry_way(
    kafka_settings: Settings,
) -> None:
    from kernel.registry import parse_frame

    stand_in = RegistryStandIn()
    try:
        settings = kafka_settings.model_copy(update={"schema_registry_url": stand_in.url})
        topic = fresh_topic()
        await ensure_topics(settings, [topic])
        app = LeadsApplication(settings)
        record_leads(app, 2)
        await published_all(Relay(app, LEAD_CONTRACTS, topic, settings, seals=False))
    finally:
        stand_in.close()

    # The imported l2c file first, then the topic's value schema referring to it.
    assert list(stand_in.bodies) == ["l2c/v1/common.proto", f"{topic.name}-value"]
    value_schema = stand_in.bodies[f"{topic.name}-value"]
    assert value_schema["schemaType"] == "PROTOBUF"
    assert "message EventEnvelope" in value_schema["schema"]
    assert value_schema["references"] == [
        {"name": "l2c/v1/common.proto", "subject": "l2c/v1/common.proto", "version": 1}
    ]
    records = await read_topic(settings.kafka_bootstrap, topic.name)
    assert len(records) >= 6
    for record in records:
        framed = parse_frame(record.value)
        assert (framed.schema_id, framed.indexes) == (101, [1])  # EventEnvelope: 2nd message
        assert decode_envelope(record.value)[0].aggregate_type in {"Lead", "RuleSet"}


async def test_the_insights_topic_is_framed_by_the_same_framer(kafka_settings: Settings) -> None:
    """The insights worker frames with kernel.registry.Framer too: it registers
    l2c.insights.v1-value before the first value and refuses to send one unregistered."""
    from kernel.registry import Framer, parse_frame
    from kernel.topics import INSIGHTS

    assert Framer(kafka_settings, INSIGHTS.name, INSIGHTS.value)(b"\n\x01x") == b"\n\x01x"
    stand_in = RegistryStandIn()
    try:
        settings = kafka_settings.model_copy(update={"schema_registry_url": stand_in.url})
        framer = Framer(settings, INSIGHTS.name, INSIGHTS.value)
        with pytest.raises(RuntimeError, match="not registered yet"):
            framer(b"\n\x01x")
        await framer.ready()
    finally:
        stand_in.close()
    assert "l2c.insights.v1-value" in stand_in.bodies
    framed = parse_frame(framer(b"\n\x01x"))
    assert (framed.indexes, framed.payload) == ([1], b"\n\x01x")


async def test_the_relay_decodes_only_what_it_may_publish(kafka_settings: Settings) -> None:
    """Bookkeeping (idempotency records, identity keys) shares the store's sequence with
    the events but is never published: the relay passes over it without decoding it."""
    topic = fresh_topic()
    await ensure_topics(kafka_settings, [topic, AUDIT])
    app = LeadsApplication(kafka_settings)
    record_leads(app, 4, batch="d")
    stored = app.recorder.max_notification_id()
    publishable = published_in_store(app)
    assert 0 < publishable < stored  # the keyed captures stored bookkeeping too
    mapper = app.sealed_mapper
    decoded: list[str] = []
    original = mapper.to_domain_event

    def counted(stored_event: Any) -> Any:
        decoded.append(stored_event.topic)
        return original(stored_event)

    mapper.to_domain_event = counted  # type: ignore[method-assign]
    await published_all(Relay(app, LEAD_CONTRACTS, topic, kafka_settings, seals=False))
    assert len(decoded) == publishable, decoded
    records = await read_topic(kafka_settings.kafka_bootstrap, topic.name)
    assert len(records) == publishable
