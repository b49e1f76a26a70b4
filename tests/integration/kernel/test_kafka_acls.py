"""Kafka with SASL/SCRAM and the platform's ACLs (kernel/kafka_acls.py), on a real broker:
each principal writes only what it owns, integrations only their topic, BI only reads,
and a wrong password gets nowhere."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from devenv.kafka import KafkaBroker
from kernel.deadletters import dead_letters
from kernel.kafka import consumer, ensure_topics, idempotent_producer
from kernel.kafka_acls import platform_acls
from kernel.relay import Relay
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, DEALS, ERP_INBOUND, LEADS
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.application import LeadsApplication
from tests.integration.insights.support import Worker
from tests.integration.kernel.test_relay import record_leads
from tests.kafka_support import eventually

USERS = ("admin", "leads", "deals", "erp", "bi", "insights")


@pytest.fixture(scope="module")
def secured(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[KafkaBroker, dict[str, str]]]:
    passwords = {user: secrets.token_urlsafe(16) for user in USERS}
    broker = KafkaBroker(tmp_path_factory.mktemp("secured-kafka"), users=passwords)
    broker.start()
    try:
        asyncio.run(ensure_topics(_as(broker, passwords, "admin", Path(".")), ALL_TOPICS))
        broker.apply_acls(platform_acls())
        yield broker, passwords
    finally:
        broker.stop()


def _as(broker: KafkaBroker, passwords: dict[str, str], user: str, data: Path) -> Settings:
    return Settings(
        data_dir=data,
        kafka_bootstrap=broker.bootstrap,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_username=user,
        kafka_password=passwords[user],
    )


async def _write(settings: Settings, topic: str) -> bool:
    """True when the record was accepted, False when the broker refused the principal."""
    producer = idempotent_producer(settings, f"acl-test-{uuid.uuid4().hex[:6]}")
    try:
        await producer.start()  # an idempotent producer asks for its id here
        await producer.send_and_wait(topic, b"probe", key=b"k")
        return True
    except (TopicAuthorizationFailedError, ClusterAuthorizationFailedError):
        return False  # not its topic; or a principal that may write nothing at all
    finally:
        await producer.stop()


async def _read(settings: Settings, topic: str, group: str) -> list[bytes]:
    reader = consumer(settings, group, topic)
    await reader.start()
    try:
        batches = await reader.getmany(timeout_ms=5000)
        return [r.value for records in batches.values() for r in records]
    finally:
        await reader.stop()


def test_each_principal_writes_only_what_it_owns(
    secured: tuple[KafkaBroker, dict[str, str]], tmp_path: Path
) -> None:
    broker, passwords = secured

    def can_write(user: str, topic: str) -> bool:
        return asyncio.run(_write(_as(broker, passwords, user, tmp_path), topic))

    assert can_write("leads", LEADS.name)
    assert not can_write("leads", DEALS.name)  # another service's events: forged
    assert can_write("deals", DEALS.name)
    assert can_write("deals", LEADS.dead_letter.name)  # it consumes leads' events
    assert can_write("erp", ERP_INBOUND.name)
    assert not can_write("erp", LEADS.name)
    assert not can_write("bi", LEADS.name)


def test_bi_reads_and_services_read_only_what_they_consume(
    secured: tuple[KafkaBroker, dict[str, str]], tmp_path: Path
) -> None:
    broker, passwords = secured
    asyncio.run(_write(_as(broker, passwords, "leads", tmp_path), LEADS.name))
    seen = asyncio.run(_read(_as(broker, passwords, "bi", tmp_path), LEADS.name, "bi.warehouse"))
    assert b"probe" in seen
    with pytest.raises(KafkaError):  # a group BI does not own
        asyncio.run(_read(_as(broker, passwords, "bi", tmp_path), LEADS.name, "deals.sneaky"))
    with pytest.raises(KafkaError):  # ERP may not read the leads' events
        asyncio.run(_read(_as(broker, passwords, "erp", tmp_path), LEADS.name, "erp.x"))


def test_a_wrong_password_gets_nowhere(
    secured: tuple[KafkaBroker, dict[str, str]], tmp_path: Path
) -> None:
    broker, passwords = secured
    wrong = {**passwords, "leads": "not-the-password"}
    with pytest.raises(KafkaError):
        asyncio.run(_write(_as(broker, wrong, "leads", tmp_path), LEADS.name))


def _relay_leads(broker: KafkaBroker, passwords: dict[str, str], data: Path, count: int) -> None:
    """Leads captured in a leads application and published by its real relay, logged in
    as ``leads``."""
    settings = _as(broker, passwords, "leads", data)
    app = LeadsApplication(settings)
    record_leads(app, count, data.name)

    async def publish() -> None:
        relay = Relay(app, LEAD_CONTRACTS, LEADS, settings)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        await eventually(lambda: relay.backlog() == 0, timeout=30)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(publish())


def test_the_leads_service_relay_publishes_as_its_own_principal(
    secured: tuple[KafkaBroker, dict[str, str]], tmp_path: Path
) -> None:
    """The real relay of the leads service, logged in as ``leads``: its events reach the
    topic, and BI reads them."""
    broker, passwords = secured
    _relay_leads(broker, passwords, tmp_path, 2)
    seen = asyncio.run(_read(_as(broker, passwords, "bi", tmp_path), LEADS.name, "bi.relay-check"))
    captured = [v for v in seen if v != b"probe" and b"LeadCaptured" in v]
    assert len(captured) == 2


def test_the_insights_worker_folds_as_its_own_principal(
    secured: tuple[KafkaBroker, dict[str, str]], tmp_path: Path
) -> None:
    """The worker logs in as ``insights``, uses its group under the grants it has (no
    topics of its own), and folds what the leads service published."""
    broker, passwords = secured
    _relay_leads(broker, passwords, tmp_path / "leads", 3)
    (tmp_path / "insights").mkdir()
    worker = Worker(broker, tmp_path / "insights")
    worker.env |= {
        "L2C_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "L2C_KAFKA_USERNAME": "insights",
        "L2C_KAFKA_PASSWORD": passwords["insights"],
    }
    worker.start()
    try:

        def leads_counted() -> bool:
            body = worker.get("/insights/funnel")
            steps = {s["step"]: s["count"] for s in (body or {}).get("steps", [])}
            return steps.get("lead", 0) >= 3

        asyncio.run(eventually(leads_counted, timeout=120, interval=1.0))
    finally:
        worker.stop()


def test_the_dead_letter_tool_logs_in_too(
    secured: tuple[KafkaBroker, dict[str, str]], tmp_path: Path
) -> None:
    broker, passwords = secured
    assert asyncio.run(_write(_as(broker, passwords, "deals", tmp_path), LEADS.dead_letter.name))
    letters = asyncio.run(dead_letters(_as(broker, passwords, "admin", tmp_path), LEADS.name))
    assert any(letter.value == b"probe" for letter in letters)
