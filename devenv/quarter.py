"""A generated quarter of business, as the relays would publish it, with the figures the
test expects computed here from the generator's own bookkeeping (not by insights code).

Q3 2026: leads from campaigns and channels, qualification and routing to three teams,
deals through the two sales processes (key events, calls, blockers, close dates), orders
with two installments for the won deals, invoices, ERP postings and payments — with the
faults integrations really send: duplicates, payments for unknown invoices, amounts that
differ from ours, overpayments, undecodable records, records published twice.
"""

from __future__ import annotations

import json
import random
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from google.protobuf.message import Message
from l2c.v1 import billing_pb2, common_pb2, deals_pb2, erp_pb2, leads_pb2

from kernel.contracts import make_envelope, timestamp
from kernel.topics import BILLING, DEALS, ERP_INBOUND, INSIGHTS, LEADS

Q_START = datetime(2026, 7, 1, tzinfo=UTC)
Q_END = datetime(2026, 10, 1, tzinfo=UTC)  # exclusive
FINAL_TICK = datetime(2026, 10, 1, 6, tzinfo=UTC)
TEAMS = {"north": ["ann", "ari"], "south": ["bob", "bea"], "west": ["cid", "cal"]}
REGION_TEAM = {
    "nordics": "north",
    "dach": "north",
    "iberia": "south",
    "italy": "south",
    "uk": "west",
}
CHANNELS = {
    "web_form": ["web-q3", "seo-q3"],
    "event": ["expo-q3"],
    "import": [""],
    "inbound_call": [""],
}
CAMPAIGN_COST = {"web-q3": "12000.00", "seo-q3": "8000.00", "expo-q3": "30000.00"}
# The sales processes as the deals service ships them (stages, probabilities, key-event
# paths), so the quarter follows the product's own configuration.
PROCESSES: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "services/deals/config/processes.json").read_text()
)


def eur(amount: Decimal | str) -> common_pb2.Money:
    return common_pb2.Money(currency="EUR", amount=str(Decimal(amount).quantize(Decimal("0.01"))))


@dataclass
class Record:
    at: datetime
    topic: str
    key: str
    value: bytes


@dataclass
class Expected:
    leads: int = 0
    mql: int = 0
    sql: int = 0
    deals: int = 0
    won: int = 0
    lost: int = 0
    paid_deals: int = 0
    won_amounts: list[Decimal] = field(default_factory=list)
    open_weighted: Decimal = Decimal(0)
    leads_per_team: dict[str, int] = field(default_factory=dict)
    booked: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    amount_differs: int = 0
    overpayments: int = 0
    unknown_payments: int = 0
    invoices: list[dict[str, object]] = field(default_factory=list)
    blocked_open_deals: int = 0
    campaign_leads: dict[str, int] = field(default_factory=dict)
    first_deal_at: datetime | None = None


class Quarter:
    def __init__(self, seed: int = 7, leads: int = 2400) -> None:
        self.rng = random.Random(seed)
        self.records: list[Record] = []
        self.expected = Expected()
        self._versions: dict[str, int] = {}
        self._events: list[tuple[datetime, int, str, str, str, Message]] = []
        self._generate(leads)
        self._publish()

    # -- publishing ---------------------------------------------------------------------------

    def emit(self, topic: str, aggregate: str, kind: str, at: datetime, payload: Message) -> None:
        if at < Q_END:
            self._events.append((at, len(self._events), topic, aggregate, kind, payload))

    def _id(self) -> str:
        """A random UUID from the seeded generator: the same quarter every time."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _publish(self) -> None:
        """Envelopes for the emitted events, each aggregate's versions in event-time order
        (as its store would have recorded them), merged with the ERP's messages."""
        for at, _, topic, aggregate, kind, payload in sorted(self._events, key=lambda e: e[:2]):
            version = self._versions.get(aggregate, -1) + 1
            self._versions[aggregate] = version
            envelope = make_envelope(
                payload,
                event_id=self._id(),
                aggregate_type=kind,
                aggregate_id=aggregate,
                aggregate_version=version,
                occurred_at=at,
                recorded_at=at,
                source=topic.split(".")[1],
            )
            self.records.append(Record(at, topic, aggregate, envelope.SerializeToString()))
        self.records.sort(key=lambda r: r.at)

    def erp(self, key: str, at: datetime, message: erp_pb2.ErpInboundMessage) -> None:
        if at < Q_END:
            self.records.append(Record(at, ERP_INBOUND.name, key, message.SerializeToString()))

    def in_order(self) -> list[Record]:
        """Records in event-time order, then some published a second time (relay
        redelivery, ERP resends) and a few undecodable ones."""
        ordered = sorted(self.records, key=lambda r: r.at)
        again = self.rng.sample(ordered, len(ordered) // 30)
        broken = [
            Record(Q_START + timedelta(days=40), DEALS.name, self._id(), b"\x00not an envelope"),
            Record(Q_START + timedelta(days=50), ERP_INBOUND.name, "x", b"\x12garbage"),
        ]
        return [*ordered, *again, *broken]

    # -- the quarter -----------------------------------------------------------------------

    def _generate(self, n_leads: int) -> None:
        rng, x = self.rng, self.expected
        rules = common_pb2.RuleSetPublished(
            name="processes", version=1, document_json=json.dumps(PROCESSES), note="default"
        )
        self.emit(DEALS.name, self._id(), "RuleSet", Q_START - timedelta(days=30), rules)
        for campaign, cost in CAMPAIGN_COST.items():
            self.emit(
                LEADS.name,
                f"campaign-{campaign}",
                "Campaign",
                Q_START - timedelta(days=5),
                leads_pb2.CampaignLaunched(
                    campaign_id=campaign, name=campaign, channel_type="web", cost=eur(cost)
                ),
            )
        lead_ids = []
        for _ in range(n_leads):
            lead_ids.append(self._lead(rng.uniform(0, 75)))
        for _ in range(n_leads // 50):  # duplicates, merged into an existing lead
            dup = self._id()
            t = Q_START + timedelta(days=rng.uniform(0, 80))
            self.emit(
                LEADS.name, dup, "Lead", t, leads_pb2.LeadCaptured(lead_id=dup, source="import")
            )
            self.emit(
                LEADS.name,
                dup,
                "Lead",
                t + timedelta(hours=1),
                leads_pb2.LeadMerged(lead_id=dup, survivor_id=rng.choice(lead_ids)),
            )
        for _ in range(5):  # the ERP reports payments for invoices we never issued
            x.unknown_payments += 1
            self.erp(
                self._id(),
                Q_START + timedelta(days=rng.uniform(10, 80)),
                erp_pb2.ErpInboundMessage(
                    message_id=f"erp-{self._id()}",
                    payment_received=erp_pb2.ErpPaymentReceived(
                        payment_id=f"bank-{self._id()}",
                        invoice_id=self._id(),
                        amount=eur("99.00"),
                        received_at=timestamp(Q_START + timedelta(days=rng.uniform(10, 80))),
                    ),
                ),
            )

    def _lead(self, day: float) -> str:
        rng, x = self.rng, self.expected
        lead = self._id()
        t = Q_START + timedelta(days=day)
        channel = rng.choice(list(CHANNELS))
        campaign = rng.choice(CHANNELS[channel])
        region = rng.choice(list(REGION_TEAM))
        self.emit(
            LEADS.name,
            lead,
            "Lead",
            t,
            leads_pb2.LeadCaptured(
                lead_id=lead,
                source=channel,
                campaign_id=campaign,
                region=region,
                product_interest=rng.choice(["crm_suite", "analytics"]),
            ),
        )
        x.leads += 1
        if campaign:
            x.campaign_leads[campaign] = x.campaign_leads.get(campaign, 0) + 1
        team = "unassigned"
        if rng.random() < 0.65:
            x.mql += 1
            team = REGION_TEAM[region]
            rep = rng.choice(TEAMS[team])
            self.emit(
                LEADS.name,
                lead,
                "Lead",
                t + timedelta(hours=12),
                leads_pb2.LeadMarketingQualified(lead_id=lead),
            )
            self.emit(
                LEADS.name,
                lead,
                "Lead",
                t + timedelta(hours=12),
                leads_pb2.LeadRouted(lead_id=lead, team=team, rep=rep),
            )
            if rng.random() < 0.1:
                self.emit(
                    LEADS.name,
                    lead,
                    "Lead",
                    t + timedelta(days=1),
                    leads_pb2.LeadSpeedToLeadMissed(
                        lead_id=lead,
                        rep=rep,
                        team=team,
                        deadline_at=timestamp(t + timedelta(hours=16)),
                    ),
                )
            if rng.random() < 0.55:
                x.sql += 1
                self.emit(
                    LEADS.name,
                    lead,
                    "Lead",
                    t + timedelta(days=2),
                    leads_pb2.LeadSalesAccepted(lead_id=lead),
                )
                if rng.random() < 0.45:
                    self.emit(
                        LEADS.name,
                        lead,
                        "Lead",
                        t + timedelta(days=3),
                        leads_pb2.LeadConverted(lead_id=lead, owner_id=rep),
                    )
                    self._deal(lead, rep, t + timedelta(days=3))
        x.leads_per_team[team] = x.leads_per_team.get(team, 0) + 1
        return lead

    def _deal(self, lead: str, rep: str, t: datetime) -> None:
        rng, x = self.rng, self.expected
        deal = self._id()
        process = rng.choice(PROCESSES["processes"])
        stages = process["stages"]
        amount = Decimal(rng.randrange(50, 500) * 100)
        x.deals += 1
        x.first_deal_at = min(x.first_deal_at or t, t)
        first = stages[0]
        self.emit(
            DEALS.name,
            deal,
            "Deal",
            t,
            deals_pb2.DealOpened(
                deal_id=deal,
                lead_id=lead,
                amount=eur(amount),
                owner_id=rep,
                pipeline_id=process["id"],
                stage=first["name"],
                win_probability_percent=first["win_probability_percent"],
                process_version=1,
            ),
        )
        close_date = (t + timedelta(days=rng.randrange(20, 80))).date().isoformat()
        self.emit(
            DEALS.name,
            deal,
            "Deal",
            t,
            deals_pb2.DealCloseDatePlanned(deal_id=deal, close_date=close_date),
        )
        outcome = rng.choices(["won", "lost", "open"], [0.4, 0.35, 0.25])[0]
        last_stage = len(stages) - 1 if outcome == "won" else rng.randrange(0, len(stages))
        now = t
        probability = first["win_probability_percent"]
        for index in range(last_stage + 1):
            stage = stages[index]
            if index > 0:
                if now < Q_END:  # what is not published did not happen this quarter
                    probability = stage["win_probability_percent"]
                self.emit(
                    DEALS.name,
                    deal,
                    "Deal",
                    now,
                    deals_pb2.DealStageAdvanced(
                        deal_id=deal,
                        from_stage=stages[index - 1]["name"],
                        to_stage=stage["name"],
                        win_probability_percent=probability,
                    ),
                )
            stay = rng.uniform(2, 8)
            for n, kind in enumerate(stage.get("key_event_path", [])):
                if rng.random() < 0.85:
                    self.emit(
                        DEALS.name,
                        deal,
                        "Deal",
                        now + timedelta(days=stay * (n + 1) / 4),
                        deals_pb2.DealKeyEventRecorded(
                            deal_id=deal, kind=kind, stage=stage["name"]
                        ),
                    )
            self.emit(
                DEALS.name,
                deal,
                "Deal",
                now + timedelta(days=stay / 2),
                deals_pb2.DealActivityLogged(
                    deal_id=deal,
                    kind="call",
                    at=timestamp(now + timedelta(days=stay / 2)),
                    rep_talk_ratio=round(rng.uniform(0.2, 0.7), 2),
                    source="telephony",
                ),
            )
            self._question_and_next_step(deal, index, now, stay)
            now += timedelta(days=stay)
        blocked = outcome == "open" and now < Q_END and rng.random() < 0.15
        if blocked:
            for n in range(4):
                self.emit(
                    DEALS.name,
                    deal,
                    "Deal",
                    now - timedelta(hours=4 - n),
                    deals_pb2.DealBlockerRaised(
                        deal_id=deal, blocker_id=f"b{n}", open_blockers=n + 1
                    ),
                )
        if outcome == "open" or now >= Q_END:
            x.open_weighted += amount * probability / 100
            x.blocked_open_deals += blocked
            return
        if outcome == "lost":
            x.lost += 1
            self.emit(
                DEALS.name, deal, "Deal", now, deals_pb2.DealLost(deal_id=deal, reason="competitor")
            )
            return
        x.won += 1
        x.won_amounts.append(amount)
        self.emit(
            DEALS.name,
            deal,
            "Deal",
            now,
            deals_pb2.DealWon(
                deal_id=deal, amount=eur(amount), lead_id=lead, closed_at=timestamp(now)
            ),
        )
        self._order(deal, rep, amount, now)

    def _question_and_next_step(self, deal: str, stage: int, now: datetime, stay: float) -> None:
        """A customer question, mostly answered within the day, and a next step, mostly
        done before it is due: what absence rules watch."""
        rng = self.rng
        asked = now + timedelta(days=stay * 0.3)
        answered = asked + timedelta(hours=rng.choice([2, 6, 20, 23, 30, 60]))
        question = f"q{stage}"
        self.emit(
            DEALS.name,
            deal,
            "Deal",
            asked,
            deals_pb2.DealCustomerQuestionAsked(
                deal_id=deal, question_id=question, text="pricing?", asked_at=timestamp(asked)
            ),
        )
        self.emit(
            DEALS.name,
            deal,
            "Deal",
            answered,
            deals_pb2.DealCustomerQuestionAnswered(
                deal_id=deal, question_id=question, answered_at=timestamp(answered)
            ),
        )
        agreed = now + timedelta(days=stay * 0.2)
        due = agreed + timedelta(days=2)
        step = f"s{stage}"
        self.emit(
            DEALS.name,
            deal,
            "Deal",
            agreed,
            deals_pb2.DealNextStepAgreed(
                deal_id=deal, step_id=step, description="demo", owner="rep", due_at=timestamp(due)
            ),
        )
        done = due + timedelta(hours=rng.choice([-40, -20, -3, -1, 5, 30]))
        self.emit(
            DEALS.name, deal, "Deal", done, deals_pb2.DealNextStepDone(deal_id=deal, step_id=step)
        )

    def _order(self, deal: str, rep: str, amount: Decimal, t: datetime) -> None:
        x = self.expected
        order = self._id()
        half = (amount / 2).quantize(Decimal("0.01"))
        second_due = t + timedelta(days=20)
        self.emit(
            BILLING.name,
            order,
            "Order",
            t,
            billing_pb2.OrderBooked(
                order_id=order,
                deal_id=deal,
                amount=eur(amount),
                owner_id=rep,
                booked_on=t.date().isoformat(),
                lines=[
                    billing_pb2.QuoteLine(
                        number=1, product_line="crm_suite", net_amount=eur(amount)
                    )
                ],
                installments=[
                    billing_pb2.Installment(
                        number=1, amount=eur(half), trigger="on_booking", status="invoiced"
                    ),
                    billing_pb2.Installment(
                        number=2,
                        amount=eur(amount - half),
                        trigger="on_date",
                        due_date=second_due.date().isoformat(),
                    ),
                ],
            ),
        )
        x.booked += amount
        paid_in_full = True
        for number, (issued, share) in enumerate([(t, half), (second_due, amount - half)], start=1):
            if issued >= Q_END:
                paid_in_full = False
                continue
            paid_in_full &= self._invoice(order, number, issued, share)
        x.paid_deals += paid_in_full

    def _invoice(self, order: str, number: int, issued: datetime, amount: Decimal) -> bool:
        """Issue, post and maybe pay one invoice; True when it ends up paid in full."""
        rng, x = self.rng, self.expected
        invoice = self._id()
        due = issued + timedelta(days=30)
        self.emit(
            BILLING.name,
            invoice,
            "Invoice",
            issued,
            billing_pb2.InvoiceIssued(
                invoice_id=invoice,
                order_id=order,
                amount=eur(amount),
                installment=number,
                issued_on=issued.date().isoformat(),
                due_on=due.date().isoformat(),
            ),
        )
        if number == 2:
            self.emit(
                BILLING.name,
                order,
                "Order",
                issued,
                billing_pb2.InstallmentInvoiced(
                    order_id=order, installment=2, invoice_id=invoice, amount=eur(amount)
                ),
            )
        x.invoiced += amount
        record: dict[str, object] = {
            "issued": issued,
            "due": due.date(),
            "amount": amount,
            "paid": Decimal(0),
            "posted": False,
        }
        x.invoices.append(record)
        posted_at = issued + timedelta(hours=2)
        fate = rng.random()
        erp_amount = amount + 10 if fate < 0.04 else amount
        if fate < 0.04:
            x.amount_differs += 1 if posted_at < Q_END else 0
        elif fate < 0.92:
            self.emit(
                BILLING.name,
                invoice,
                "Invoice",
                posted_at,
                billing_pb2.InvoicePostedByErp(
                    invoice_id=invoice,
                    order_id=order,
                    erp_number=f"E{number}",
                    posted_at=timestamp(posted_at),
                ),
            )
            record["posted"] = posted_at < Q_END
        if fate < 0.92:
            message = erp_pb2.ErpInboundMessage(
                message_id=f"erp-{self._id()}",
                invoice_posted=erp_pb2.ErpInvoicePosted(
                    invoice_id=invoice,
                    erp_invoice_number=f"E{number}",
                    amount=eur(erp_amount),
                    posted_at=timestamp(posted_at),
                ),
            )
            self.erp(invoice, posted_at, message)
        paid_at = issued + timedelta(days=rng.uniform(5, 45))
        roll = rng.random()
        if roll < 0.15 or paid_at >= Q_END:
            return False
        applied = (amount / 2).quantize(Decimal("0.01")) if roll < 0.25 else amount
        excess = Decimal(50) if roll > 0.97 else Decimal(0)
        payment = f"bank-{self._id()}"
        self.emit(
            BILLING.name,
            invoice,
            "Invoice",
            paid_at,
            billing_pb2.PaymentApplied(
                invoice_id=invoice,
                order_id=order,
                payment_id=payment,
                amount=eur(applied),
                received=eur(applied + excess),
                excess=eur(excess),
            ),
        )
        self.erp(
            invoice,
            paid_at,
            erp_pb2.ErpInboundMessage(
                message_id=f"erp-{self._id()}",
                payment_received=erp_pb2.ErpPaymentReceived(
                    payment_id=payment,
                    invoice_id=invoice,
                    amount=eur(applied + excess),
                    received_at=timestamp(paid_at),
                ),
            ),
        )
        x.paid += applied
        x.overpayments += excess > 0
        record["paid"] = applied
        return applied >= amount


# -- as the broker holds it ---------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """One record as a partition holds it."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes


def tick_times(first_deal_at: datetime) -> list[datetime]:
    """Weekly ticks (Monday 02:00 from the week after the first deal), then the final one."""
    monday = first_deal_at - timedelta(days=first_deal_at.weekday())
    moment = datetime(monday.year, monday.month, monday.day, 2, tzinfo=UTC) + timedelta(days=7)
    times = []
    while moment < Q_END:
        times.append(moment)
        moment += timedelta(days=7)
    return [*times, FINAL_TICK]


def partition_of(key: str, partitions: int) -> int:
    return zlib.crc32(key.encode()) % partitions


def written(records: list[Record], ticks: list[datetime], partitions: int) -> list[Written]:
    """``records`` and ``ticks`` in the order a live system would have written them: each
    record on the partition of its key, each tick (l2c.insights.v1, partition 0) before
    the first record that is later than it, carrying where every source partition ended
    at that moment — as the insights worker's own ticks do."""
    from services.insights.adapters.codec import encode_tick

    sources = [LEADS.name, DEALS.name, BILLING.name, ERP_INBOUND.name]
    ends = {(topic, p): 0 for topic in sources for p in range(partitions)}
    ticks_end = 0
    out: list[Written] = []
    pending = sorted(ticks)

    def tick(at: datetime) -> None:
        nonlocal ticks_end
        key, value = encode_tick(at, dict(ends))
        out.append(Written(INSIGHTS.name, 0, ticks_end, key, value))
        ticks_end += 1

    for record in records:
        while pending and pending[0] < record.at:
            tick(pending.pop(0))
        partition = partition_of(record.key, partitions)
        offset = ends[(record.topic, partition)]
        ends[(record.topic, partition)] = offset + 1
        out.append(Written(record.topic, partition, offset, record.key, record.value))
    for at in pending:
        tick(at)
    return out


async def produce(bootstrap: str, records: list[Record]) -> None:
    """Put ``records`` on their topics in the order given (keyed; idempotent producer)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for r in records:
            await producer.send(r.topic, value=r.value, key=r.key.encode())
        await producer.flush()
    finally:
        await producer.stop()
