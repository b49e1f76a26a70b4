"""The faust processors on a real broker of their own (exact counts need quiet topics)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from devenv.kafka import KafkaBroker
from devenv.ports import free_port
from kernel.domain import CommandContext, Money, command_context
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, BILLING, DEALS, LEADS
from services.billing.adapters.contracts import BILLING_CONTRACTS
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order
from services.billing.domain.pricing import PricedLine
from services.billing.domain.schedule import InstallmentTerms
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.domain.deal import Deal
from services.deals.domain.pipeline import Pipeline, Stage
from services.deals.domain.qualification import Qualification
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.domain.lead import Contact, Lead
from tests.kafka_support import eventually, produce, read_topic

DAY1 = datetime(2026, 10, 1, 9, tzinfo=UTC)
DAY2 = datetime(2026, 10, 2, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def quiet_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("insights-kafka")).start()
    yield broker
    broker.stop()


class Worker:
    def __init__(self, broker: KafkaBroker, data_dir: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "L2C_KAFKA_BOOTSTRAP": broker.bootstrap,
            "L2C_DATA_DIR": str(data_dir),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "insights.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.insights", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)

    def get(self, path: str) -> dict | None:  # type: ignore[type-arg]
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=2)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None


def at(when: datetime) -> CommandContext:
    return CommandContext(occurred_at=when)


def published(contracts, aggregate) -> list[tuple[str, bytes, bytes]]:  # type: ignore[no-untyped-def]
    out = []
    for i, event in enumerate(aggregate.collect_events()):
        envelope = contracts.envelope(event, position=i + 1)
        if envelope is not None:
            out.append((envelope.aggregate_id, envelope.SerializeToString(), envelope.event_id))
    return out


def the_story() -> tuple[list[tuple[str, str, bytes]], str, Invoice]:
    """3 leads on day 1 (2 MQL, 1 SQL), a deal opened and won on day 2, an order of
    100 EUR invoiced in full and 40 paid. Returns (topic, key, value) records."""
    records: list[tuple[str, str, bytes]] = []
    leads = []
    with command_context(at(DAY1)):
        for i in range(3):
            lead = Lead.capture(Contact(f"L{i}", email=f"l{i}@example.com"), "web_form")
            leads.append(lead)
        leads[0].qualify_as_mql("")
        leads[1].qualify_as_mql("")
        leads[0].accept_as_sql("")
    for lead in leads:
        records += [(LEADS.name, k, v) for k, v, _ in published(LEAD_CONTRACTS, lead)]
    with command_context(at(DAY2)):
        deal = Deal.open(
            leads[0].id,
            "D",
            Money(Decimal(100), "EUR"),
            "rep",
            "Acme",
            Pipeline("p", "P", (Stage("contact", 10), Stage("close", 80))),
            Qualification(budget="b", authority="a", need="n", timeline="t"),
        )
        deal.win()
        hundred = Money(Decimal(100), "EUR")
        line = PricedLine(
            1, "CRM-CLOUD", "product", "CRM", "crm_suite", 1, hundred, Decimal(0), hundred
        )
        order = Order.book(
            deal_id=deal.id,
            quote_id=uuid.uuid4(),
            account="Acme",
            owner_id="rep",
            lines=[line],
            terms=[InstallmentTerms("all", Decimal(100))],
            rule_versions={"catalog": 1, "price_book": 1, "discounts": 1},
            booked_on=DAY2.date(),
        )
        invoice = Invoice.issue(
            order_id=order.id,
            installment=1,
            account="Acme",
            amount=hundred,
            issued_on=DAY2.date(),
            net_days=30,
            description="all",
        )
        invoice.apply_payment("P1", Money(Decimal(40), "EUR"))
    records += [(DEALS.name, k, v) for k, v, _ in published(DEAL_CONTRACTS, deal)]
    records += [(BILLING.name, k, v) for k, v, _ in published(BILLING_CONTRACTS, order)]
    records += [(BILLING.name, k, v) for k, v, _ in published(BILLING_CONTRACTS, invoice)]
    return records, str(order.id), invoice


def counts(report: dict | None) -> dict[str, int]:  # type: ignore[type-arg]
    return {s["step"]: s["count"] for s in report["steps"]} if report else {}


async def test_funnel_and_reconciliation_survive_a_restart_without_double_counting(
    quiet_broker: KafkaBroker,
    tmp_path: Path,
) -> None:
    settings = Settings(kafka_bootstrap=quiet_broker.bootstrap, data_dir=tmp_path)
    await ensure_topics(settings, ALL_TOPICS)
    records, order_id, invoice = the_story()
    for topic, key, value in records:
        await produce(quiet_broker.bootstrap, topic, value, key=key.encode())
    await produce(quiet_broker.bootstrap, DEALS.name, b"garbage", key=b"bad-record")

    expected = {"lead": 3, "mql": 2, "sql": 1, "deal": 1, "won": 1, "invoiced": 1, "paid": 0}
    worker = Worker(quiet_broker, tmp_path)
    worker.start()
    try:
        report = await eventually(
            lambda: (r := worker.get("/funnel")) and counts(r) == expected and r, timeout=90
        )
        assert report["by_day"]["2026-10-01"]["lead"] == 3  # event time, not arrival time
        assert report["by_day"]["2026-10-02"]["won"] == 1
        row = (await eventually(lambda: worker.get("/reconciliation")))["orders"]
        assert row == [
            {
                "order_id": order_id,
                "currency": "EUR",
                "booked": "100",
                "invoiced": "100",
                "paid": "40",
                "outstanding": "60",
                "uninvoiced": "0",
                "status": "partially_paid",
            }
        ]
    finally:
        worker.stop()

    # Restart; every record is delivered again, then the rest of the payment arrives.
    for topic, key, value in records:
        await produce(quiet_broker.bootstrap, topic, value, key=key.encode())
    with command_context(at(DAY2)):
        invoice.apply_payment("P2", Money(Decimal(60), "EUR"))
    for key, value, _ in published(BILLING_CONTRACTS, invoice):
        await produce(quiet_broker.bootstrap, BILLING.name, value, key=key.encode())

    worker.start()
    try:
        await eventually(lambda: counts(worker.get("/funnel")).get("paid") == 1, timeout=90)
        assert counts(worker.get("/funnel")) == {**expected, "paid": 1}
        orders = worker.get("/reconciliation")["orders"]  # type: ignore[index]
        assert [(o["paid"], o["outstanding"], o["status"]) for o in orders] == [
            ("100", "0", "paid")
        ]
    finally:
        worker.stop()

    dead = [
        r
        for r in await read_topic(quiet_broker.bootstrap, DEALS.dead_letter.name)
        if r.key == b"bad-record"
    ]
    assert len(dead) == 1
    assert dict(dead[0].headers)["dlq.reason"].decode().startswith("undecodable:")
