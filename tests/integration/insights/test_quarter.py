"""A generated quarter through the insights worker on a real broker of its own.

The worker is restarted half-way; records are published twice and some are broken. The
figures the gateway serves are checked against the generator's own bookkeeping; then the
read models are rebuilt from the topics and compared with the incrementally built ones.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from l2c.v1 import insights_pb2

from devenv.kafka import KafkaBroker
from devenv.quarter import FINAL_TICK, Q_END, Quarter, Record, produce
from kernel.contracts import decode_envelope
from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, DEALS, INSIGHTS
from services.gateway.app import build_gateway
from services.insights.adapters.codec import CLOCK_KEY, encode_tick
from services.insights.adapters.config import load_rules, load_settings
from services.insights.adapters.store import ReadModelStore
from services.insights.domain.events import week_start
from services.insights.domain.reports import comparable_records, full_report
from tests.auth_support import TestClient, auth, bearer
from tests.integration.insights.support import Worker, caught_up, group_offsets
from tests.kafka_support import eventually, read_topic


def ticks(first_deal_week: Any) -> list[Record]:
    records = []
    monday = first_deal_week + timedelta(days=7, hours=2)
    while monday < Q_END:
        key, value = encode_tick(monday)
        records.append(Record(monday, INSIGHTS.name, key, value))
        monday += timedelta(days=7)
    key, value = encode_tick(FINAL_TICK)
    return [*records, Record(FINAL_TICK, INSIGHTS.name, key, value)]


def steps(body: dict[str, Any]) -> dict[str, int]:
    return {row["step"]: row["count"] for row in body["steps"]}


def pages(client: TestClient, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 40, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=query).json()
        rows += body[key]
        cursor = body["page"]["next_cursor"]
        if cursor is None:
            return rows


def test_a_quarter_then_a_rebuild(quiet_broker: KafkaBroker, tmp_path: Path) -> None:
    bootstrap = quiet_broker.bootstrap
    settings = Settings(kafka_bootstrap=bootstrap, data_dir=tmp_path)
    asyncio.run(ensure_topics(settings, ALL_TOPICS))
    quarter = Quarter()
    x = quarter.expected
    records = quarter.in_order()
    worker = Worker(quiet_broker, tmp_path)
    worker.start()
    try:
        # First half, a restart, then the rest (with the redeliveries and broken records).
        half = len(quarter.records) // 2
        asyncio.run(produce(bootstrap, records[:half]))
        asyncio.run(caught_up(worker, bootstrap))
        worker.stop()
        worker.start()
        asyncio.run(produce(bootstrap, records[half:]))
        asyncio.run(caught_up(worker, bootstrap))
        # Time passes after the events did (as wall-clock ticks would): weekly, then the end.
        # Insights' own topic gets garbage too: as a tick (dead-lettered) and as an
        # announcement (read past, never decoded: announcements are not folded).
        first_week = week_start(x.first_deal_at)  # type: ignore[arg-type]
        garbage = [
            Record(first_week, INSIGHTS.name, CLOCK_KEY, b"\x00not a tick"),
            Record(first_week, INSIGHTS.name, "rule|deal:x", b"\x00not an announcement"),
        ]
        asyncio.run(produce(bootstrap, [*garbage, *ticks(first_week)]))
        asyncio.run(caught_up(worker, bootstrap))
        # The worker's consumer group says how far the store has applied (the lag that
        # operators' tools read), one group per store generation.
        health = worker.get("/healthz")
        assert health is not None
        group = f"l2c-insights-v{health['generation']}"
        assert asyncio.run(group_offsets(bootstrap, group)) == health["positions"]

        gateway = build_gateway(Settings(insights_url=f"http://127.0.0.1:{worker.port}"))
        with TestClient(gateway) as client:
            funnel = client.get("/insights/funnel", params={"group_by": "team"}).json()
            assert funnel["as_of"]["event_time"] == FINAL_TICK.isoformat()
            assert steps(funnel) == {
                "lead": x.leads,
                "mql": x.mql,
                "sql": x.sql,
                "deal": x.deals,
                "won": x.won,
                "invoiced": x.won,  # every won deal's first invoice is issued at booking
                "paid": x.paid_deals,
            }
            per_team = {g["group"]: steps(g)["lead"] for g in funnel["groups"]}
            assert per_team == x.leads_per_team

            teams = client.get("/insights/funnel/teams").json()
            assert {t["team"] for t in teams["teams"]} >= {"north", "south", "west"}
            assert all("leaks_most_at" in t for t in teams["teams"])

            velocity = client.get("/insights/velocity").json()["overall"]
            assert (velocity["won"], velocity["lost"]) == (x.won, x.lost)
            assert velocity["win_rate"] == round(x.won / (x.won + x.lost), 4)
            average = sum(x.won_amounts) / len(x.won_amounts)
            assert velocity["average_deal_size"] == str(average.quantize(Decimal("0.01")))

            forecast = client.get("/insights/forecast").json()
            assert Decimal(forecast["total_weighted"]) == x.open_weighted.quantize(Decimal("0.01"))
            snapshots = client.get("/insights/forecast/snapshots", params={"limit": 100}).json()
            mondays = ticks(week_start(x.first_deal_at))  # type: ignore[arg-type]
            assert snapshots["page"]["total"] == len(mondays) - 1  # the final tick adds none
            accuracy = client.get("/insights/forecast/accuracy").json()
            assert {t["team"] for t in accuracy["teams"]} >= {"north", "south", "west"}

            recon = client.get("/insights/reconciliation", params={"limit": 1}).json()
            counts = recon["mismatch_counts"]
            assert counts["amount_differs"] == x.amount_differs
            assert counts["overpayment"] == x.overpayments
            assert counts["payment_without_invoice"] == x.unknown_payments
            not_posted = sum(
                1
                for i in x.invoices
                if not i["posted"] and i["issued"] < FINAL_TICK - timedelta(hours=24)  # type: ignore[operator]
            )
            assert counts["invoice_not_posted"] == not_posted
            overdue = sum(
                1
                for i in x.invoices
                if i["due"] < FINAL_TICK.date() and i["paid"] < i["amount"]  # type: ignore[operator]
            )
            assert counts["installment_overdue"] == overdue
            orders = pages(client, "/insights/reconciliation", "orders")
            assert len(orders) == x.won == recon["page"]["total"]
            assert len({o["order_id"] for o in orders}) == x.won
            assert sum(Decimal(o["booked"]) for o in orders) == x.booked
            assert sum(Decimal(o["invoiced"]) for o in orders) == x.invoiced
            assert sum(Decimal(o["paid"]) for o in orders) == x.paid
            # One order's row by its id (what an ERP integration polls), the same row.
            some = orders[len(orders) // 2]
            one = client.get("/insights/reconciliation", params={"order_id": some["order_id"]})
            assert one.json()["orders"] == [some]
            nothing = client.get("/insights/reconciliation", params={"order_id": "no-such"})
            assert nothing.json()["orders"] == []

            receivables = client.get("/insights/receivables").json()
            assert Decimal(receivables["total"]["receivable"]) == x.invoiced - x.paid

            campaigns = {
                c["campaign_id"]: c for c in pages(client, "/insights/campaigns", "campaigns")
            }
            assert campaigns["expo-q3"]["leads"] == x.campaign_leads["expo-q3"]
            assert campaigns["expo-q3"]["cost"] == "30000.00"
            reverse = client.get("/insights/campaigns/reverse-funnel", params={"target": "2000000"})
            assert any(c["plan"] for c in reverse.json()["channels"])

            breaches = client.get("/insights/breaches", params={"rule": "too_many_blockers"}).json()
            assert breaches["page"]["total"] == x.blocked_open_deals
            assert (
                client.get("/insights/breaches").json()["summary"]["by_rule"][
                    "speed_to_lead_missed"
                ]
                > 0
            )

            adherence = client.get("/insights/adherence", params={"limit": 5}).json()
            assert adherence["summary"]["deals"] == x.deals
            assert adherence["summary"]["win_rate_by_deviation"]

            # Read models answer within the caller's scope, through the gateway: a rep's
            # funnel is their own, a manager's their team's; asking beyond it is refused.
            ann = bearer("ann", ["rep"], teams=["north"])
            own = client.get("/insights/funnel", headers=ann)
            assert own.status_code == 200
            assert own.json() == client.get("/insights/funnel", params={"rep": "ann"}).json()
            assert own.json() != client.get("/insights/funnel").json()
            assert (
                client.get("/insights/funnel", params={"rep": "bob"}, headers=ann).status_code
                == 403
            )
            north = bearer("nora", ["manager"], teams=["north"])
            assert (
                client.get("/insights/velocity", headers=north).json()
                == client.get("/insights/velocity", params={"team": "north"}).json()
            )
            refused = client.get("/insights/breaches", params={"team": "south"}, headers=north)
            assert refused.status_code == 403 and refused.json()["error"] == "forbidden"

            # Errors look the same whichever read model answers them.
            bad = client.get("/insights/velocity", params={"group_by": "planet"})
            assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
            missing = client.get("/insights/forecast/snapshots", params={"week": "2020-01-06"})
            assert missing.status_code == 404 and missing.json()["error"] == "not_found"
            # The worker itself wants an identity, and shows nothing of faust's own.
            base = f"http://127.0.0.1:{worker.port}"
            assert httpx.get(f"{base}/insights/funnel").status_code == 401
            for page in ("/router/", "/table/", "/graph/", "/stats/"):
                assert httpx.get(f"{base}{page}").status_code == 404, page
            direct = httpx.get(
                f"http://127.0.0.1:{worker.port}/insights/velocity?group_by=planet", auth=auth()
            )
            assert direct.status_code == 422 and direct.json()["details"][0]["loc"] == [
                "query",
                "group_by",
            ]

        # What insights said on its topic: breaches and snapshots, as protobuf events.
        said = asyncio.run(read_topic(bootstrap, INSIGHTS.name))
        said = [r for r in said if r.value not in {g.value for g in garbage}]
        payloads = [decode_envelope(r.value)[1] for r in said]
        announced = [p for p in payloads if isinstance(p, insights_pb2.HealthThresholdBreached)]
        assert sum(p.rule == "too_many_blockers" for p in announced) == x.blocked_open_deals
        assert all(
            p.observed == "4" and p.threshold == "3"
            for p in announced
            if p.rule == "too_many_blockers"
        )
        snapshot_events = [p for p in payloads if isinstance(p, insights_pb2.ForecastSnapshotTaken)]
        assert len(snapshot_events) == len(mondays) - 1
        dead = asyncio.run(read_topic(bootstrap, DEALS.name + ".dlq"))
        ours = [dict(r.headers) for r in dead if dict(r.headers)["dlq.consumer"] == b"l2c-insights"]
        assert ours and all(b"undecodable" in h["dlq.reason"] for h in ours)
        assert all({"dlq.source.partition", "dlq.failed_at"} <= set(h) for h in ours)
        bad_ticks = asyncio.run(read_topic(bootstrap, INSIGHTS.name + ".dlq"))
        assert [(r.key, r.value) for r in bad_ticks] == [(b"clock", b"\x00not a tick")]
    finally:
        worker.stop()

    # Rebuild from the topics and compare with what the worker built incrementally.
    rules, read_settings = load_rules(), load_settings()
    live_store = ReadModelStore(worker.store)
    live = live_store.load_whole()
    live_store.close()
    rebuilt_run = subprocess.run(
        [sys.executable, "-m", "services.insights", "rebuild"],
        env=worker.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert "rebuilding read models" in rebuilt_run.stderr  # the progress bar
    assert "rebuilt" in rebuilt_run.stdout
    rebuilt_store = ReadModelStore(worker.store)
    rebuilt = rebuilt_store.load_whole()
    rebuilt_store.close()
    assert rebuilt.meta["positions"] == live.meta["positions"]
    assert comparable_records(rebuilt) == comparable_records(live)
    assert full_report(rebuilt, rules, read_settings) == full_report(live, rules, read_settings)
    assert rebuilt.meta["generation"] != live.meta.get("generation")

    # The worker starts on the rebuilt store and counts nothing twice.
    worker.start()
    try:
        body = asyncio.run(eventually(lambda: worker.get("/insights/funnel"), timeout=120))
        assert steps(body)["lead"] == x.leads  # type: ignore[index]
    finally:
        worker.stop()
