"""One lead to cash, through the HTTP APIs only, on the system started as `make run` does.

Its own broker and data directory; the gateway's numbers are asserted exactly; one trace
id follows the conversion from HTTP through the store, Kafka, the deal policy and the
projection.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.auth_support import auth
from tests.e2e.support import REPO, Launched, l2c_run
from tests.otlp_receiver import OtlpReceiver

ROUTING = Path(__file__).resolve().parents[2] / "services" / "leads" / "config" / "routing.json"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("system")
    with OtlpReceiver() as collector:
        # Spans go out the standard way (OTLP over HTTP, standard variables only).
        env = {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            # Signed audit checkpoints often enough for a short run to have some.
            "L2C_AUDIT_CHECKPOINT_EVERY": "5",
        }
        launched = Launched(l2c_run(data_dir, "--no-demo"), data_dir, env)
        launched.wait_for("ready", 180)
        yield {"urls": launched.run_file()["urls"], "spans": collector, "data_dir": data_dir}
        launched.stop(signal.SIGTERM)


def wait_for(get: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"nothing after {timeout}s")


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def test_one_lead_flows_to_cash_and_the_gateway_reports_it_exactly(system: dict[str, Any]) -> None:
    urls = system["urls"]
    # Every call goes through the gateway, the one public edge; it forwards to the owners.
    # Each step is taken by the party whose role it is, with that party's token.
    teams = list(json.loads(ROUTING.read_text())["teams"])
    as_manager = httpx.Client(timeout=10, auth=auth("sales-manager", ["manager"], teams))
    as_owner = httpx.Client(timeout=10, auth=auth("rep-7", ["rep"]))
    as_finance = httpx.Client(timeout=10, auth=auth("controller", ["finance"]))
    as_auditor = httpx.Client(timeout=10, auth=auth("auditor", ["auditor"]))
    as_erp = httpx.Client(timeout=10, auth=auth())  # webhooks: the ERP integration's token
    gateway = urls["gateway"]
    leads = deals = billing = gateway
    correlation = str(uuid.uuid4())

    # Leads: a campaign, then a lead from it: capture, MQL, SQL, convert.
    ok(
        as_manager.post(
            f"{leads}/campaigns",
            json={
                "campaign_id": "spring-expo",
                "name": "Spring Expo",
                "channel_type": "event",
                "cost": {"amount": "12000.00", "currency": "EUR"},
                "starts_on": "2026-03-01",
                "ends_on": "2026-12-31",
            },
        ),
        201,
    )
    lead = ok(
        as_manager.post(
            f"{leads}/leads",
            json={
                "full_name": "Mei Chen",
                "email": "mei@example.com",
                "company": "Hangzhou Robotics",
                "source": "web_form",
                "campaign_id": "spring-expo",
            },
            headers={"Idempotency-Key": "e2e-lead"},
        ),
        201,
    )
    lead_id = lead["lead_id"]
    ok(as_manager.post(f"{leads}/leads/{lead_id}/qualify", json={"note": "webinar"}))
    ok(as_manager.post(f"{leads}/leads/{lead_id}/accept", json={"note": "budget confirmed"}))
    no_bant = as_manager.post(
        f"{leads}/leads/{lead_id}/convert",
        json={
            "deal_name": "Line automation",
            "owner_id": "rep-7",
            "expected_amount": {"amount": "48000.00", "currency": "EUR"},
            "qualification": {"budget": "EUR 50k"},
        },
    )
    assert no_bant.status_code == 422
    assert "passes BANT; missing: authority, need, timeline" in no_bant.json()["message"]
    convert = as_manager.post(
        f"{leads}/leads/{lead_id}/convert",
        json={
            "deal_name": "Line automation",
            "owner_id": "rep-7",
            "expected_amount": {"amount": "48000.00", "currency": "EUR"},
            "qualification": {
                "budget": "EUR 50k approved for 2026",
                "authority": "COO decides",
                "need": "line changeovers take 4 hours",
                "timeline": "before Q3 2026",
            },
        },
        headers={"X-Correlation-Id": correlation},
    )
    ok(convert)

    # Deals: the policy opened the deal from LeadConverted on Kafka.
    deal = wait_for(
        lambda: (
            (r := as_owner.get(f"{deals}/deals/by-lead/{lead_id}")).status_code == 200 and r.json()
        )
    )
    deal_id = deal["deal_id"]
    assert (deal["stage"], deal["win_probability_percent"], deal["amount"]) == (
        "contact",
        10,
        "48000.00",
    )
    for action, stage, probability in (
        ("need_confirmed", "product_understanding", 30),
        ("demo_given", "quote", 60),
        ("quote_sent", "close", 80),
    ):
        refused = as_owner.post(f"{deals}/deals/{deal_id}/advance", json={"stage": stage})
        assert refused.status_code == 409 and f"action {action}" in refused.json()["message"]
        ok(as_owner.post(f"{deals}/deals/{deal_id}/actions", json={"action": action}))
        moved = ok(as_owner.post(f"{deals}/deals/{deal_id}/advance", json={"stage": stage}))
        assert moved["win_probability_percent"] == probability
    # Billing (CPQ): the deal's needs are quoted once billing knows the deal (from Kafka);
    # no discount, so the quote is approved on submission; the customer accepts it.
    quote = wait_for(
        lambda: (
            (
                r := as_owner.post(
                    f"{billing}/quotes",
                    json={
                        "deal_id": deal_id,
                        "lines": [
                            {"item": "CRM-CLOUD", "quantity": 1},
                            {"item": "CRM-SEAT", "quantity": 75},
                        ],
                    },
                    headers={"Idempotency-Key": f"e2e-quote-{deal_id}"},
                )
            ).status_code
            == 201
            and r.json()
        )
    )
    assert quote["total"] == "48000.00"
    assert ok(as_owner.post(f"{billing}/quotes/{quote['quote_id']}/submit"))["status"] == "approved"
    accepted = ok(
        as_owner.post(f"{billing}/quotes/{quote['quote_id']}/accept", json={"accepted_by": "COO"})
    )
    assert accepted["order_id"] is None  # the deal is not won yet
    ok(as_owner.post(f"{deals}/deals/{deal_id}/win"))

    # The policy books the order from DealWon with the accepted quote; its one installment
    # is due on booking, so the invoice is issued at once; the ERP reports two payments.
    order = wait_for(
        lambda: (
            (r := as_finance.get(f"{billing}/orders/by-deal/{deal_id}")).status_code == 200
            and r.json()
        )
    )
    assert (order["amount"], order["currency"], order["status"]) == ("48000.00", "EUR", "confirmed")
    invoice = {"invoice_id": order["invoice_ids"][0]}
    for part, amount in (("1", "18000.00"), ("2", "30000.00")):
        ok(
            as_erp.post(
                f"{billing}/integrations/erp/payments",
                json={
                    "payment_id": f"ERP-PAY-{part}",
                    "invoice_id": invoice["invoice_id"],
                    "amount": {"amount": amount, "currency": "EUR"},
                    "received_at": datetime.now(UTC).isoformat(),
                },
            ),
            202,
        )
    wait_for(
        lambda: (
            as_finance.get(f"{billing}/invoices/{invoice['invoice_id']}").json()["status"] == "paid"
        )
    )

    # Ready probes: the gateway's upstreams answer; insights has caught up.
    assert httpx.get(f"{gateway}/readyz", timeout=10).json()["status"] == "ready"
    insights_ready = wait_for(
        lambda: (
            (r := httpx.get(f"{urls['insights']}/readyz", timeout=10)).status_code == 200
            and r.json()
        )
    )
    assert insights_ready["status"] == "ready" and insights_ready["lag"] >= 0

    # Every process serves Prometheus metrics, and the pipeline's series moved.
    samples = {name: _metrics(url) for name, url in urls.items()}

    def value(process: str, name: str, **labels: str) -> float | None:
        found = [v for n, got, v in samples[process] if n == name and labels.items() <= got.items()]
        return sum(found) if found else None

    assert value("leads", "l2c_relay_published_total", topic="l2c.leads.v1")
    assert value("deals", "l2c_relay_published_total", topic="l2c.deals.v1")
    opened = "deals.open-deal-when-lead-converted"
    assert value("deals", "l2c_consumer_records_total", consumer=opened)
    assert value("deals", "l2c_consumer_lag", consumer=opened) is not None
    assert value("billing", "l2c_relay_backlog", topic="l2c.billing.v1") is not None
    assert value("insights", "l2c_insights_records_total")
    assert value(
        "gateway",
        "l2c_http_requests_total",
        route="/leads/{lead_id}/convert",
        method="POST",
        status="2xx",
    )

    # Gateway: exact numbers.
    funnel = wait_for(
        lambda: (
            (f := ok(as_auditor.get(f"{gateway}/insights/funnel")))["steps"][-1]["count"] == 1 and f
        )
    )
    assert {s["step"]: s["count"] for s in funnel["steps"]} == {
        "lead": 1,
        "mql": 1,
        "sql": 1,
        "deal": 1,
        "won": 1,
        "invoiced": 1,
        "paid": 1,
    }
    assert all(s["conversion_from_previous"] in (None, 1.0) for s in funnel["steps"])
    today = datetime.now(UTC).date().isoformat()
    assert (
        ok(as_auditor.get(f"{gateway}/insights/funnel", params={"since": today}))["steps"][0][
            "count"
        ]
        == 1
    )
    assert (
        ok(as_auditor.get(f"{gateway}/insights/funnel", params={"until": "2000-01-01"}))["steps"][
            0
        ]["count"]
        == 0
    )
    reconciliation = ok(as_auditor.get(f"{gateway}/insights/reconciliation"))
    assert reconciliation["as_of"]["offsets"]["l2c.billing.v1"]
    fields = ("order_id", "currency", "booked", "scheduled", "invoiced", "paid", "outstanding")
    assert [{k: row[k] for k in (*fields, "status")} for row in reconciliation["orders"]] == [
        {
            "order_id": order["order_id"],
            "currency": "EUR",
            "booked": "48000.00",
            "scheduled": "48000.00",
            "invoiced": "48000.00",
            "paid": "48000.00",
            "outstanding": "0.00",
            "status": "paid",
        }
    ]

    history = ok(as_auditor.get(f"{gateway}/deals/{deal_id}/history"))["events"]
    assert [(e["event_type"], e["version"]) for e in history] == [
        ("l2c.v1.DealOpened", 0),
        ("l2c.v1.DealActionCompleted", 1),
        ("l2c.v1.DealStageAdvanced", 2),
        ("l2c.v1.DealActionCompleted", 3),
        ("l2c.v1.DealStageAdvanced", 4),
        ("l2c.v1.DealActionCompleted", 5),
        ("l2c.v1.DealStageAdvanced", 6),
        ("l2c.v1.DealWon", 7),
    ]
    # Each event's place in the deals store's log: the position its envelope was published with.
    positions = [e["store_position"] for e in history]
    assert all(isinstance(p, int) and p > 0 for p in positions) and positions == sorted(positions)
    opened = history[0]
    assert opened["correlation_id"] == correlation
    assert opened["actor"] == {
        "id": "deals.open-deal-when-lead-converted",
        "kind": "policy",
        "roles": [],
        "client_id": "",
    }
    assert opened["payload"]["lead_id"] == lead_id
    # The win was the owner's: the actor is the token's subject, roles and client.
    assert history[-1]["actor"] == {
        "id": "rep-7",
        "kind": "user",
        "roles": ["rep"],
        "client_id": "l2c-cli",
    }
    # A rep of another team is told the deal does not exist; its owner sees it.
    stranger = auth("apac-li", ["rep"], ["apac"])
    assert httpx.get(f"{gateway}/deals/{deal_id}", auth=stranger, timeout=10).status_code == 404
    assert as_owner.get(f"{gateway}/deals/{deal_id}").status_code == 200

    # The conversion's trace: HTTP -> append -> publish -> deal policy -> projection.
    trace_id = convert.headers["traceparent"].split("-")[1]
    spans = wait_for(
        lambda: _spans_of(
            system["spans"],
            trace_id,
            need={
                ("leads", "POST /leads/{lead_id}/convert"),
                ("leads", "leads.append"),
                ("leads", "publish l2c.leads.v1"),
                ("deals", "deals.open-deal-when-lead-converted process"),
                ("deals", "deals.append"),
                ("deals", "publish l2c.deals.v1"),
                ("insights", "insights project"),
            },
        )
    )
    assert spans
    assert {s["service_version"] for s in spans} == {"0.1.0"}

    # Every line every L2C process logged is JSON: UTC milliseconds, service, and the
    # trace and span of the work it was written in, when there was one.
    logs = sorted((system["data_dir"] / "logs").glob("*.log"))
    assert {p.stem for p in logs} >= {"leads", "deals", "billing", "insights", "gateway"}
    checked: dict[str, int] = {}
    for path in logs:
        if path.stem not in {"leads", "deals", "billing", "insights", "gateway"}:
            continue
        for line in path.read_text().splitlines():
            checked[path.stem] = checked.get(path.stem, 0) + 1
            entry = json.loads(line)
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["ts"]), line
            assert entry["service"] == path.stem and entry["level"] and "message" in entry
            if "trace_id" in entry:
                assert re.fullmatch(r"[0-9a-f]{32}", entry["trace_id"]), line
    assert checked.get("leads") and checked.get("insights"), checked  # faust's lines too


def test_bad_requests_get_422_and_unknown_ids_404_through_every_api(system: dict[str, Any]) -> None:
    urls = system["urls"]
    http = httpx.Client(timeout=10, auth=auth())
    unknown = uuid.uuid4()
    bad = http.post(
        f"{urls['leads']}/leads", json={"full_name": "X", "source": "web_form", "email": "nope"}
    )
    assert bad.status_code == 422 and "email" in bad.json()["message"]
    assert (
        http.post(
            f"{urls['deals']}/deals/{unknown}/advance", json={"stage": "proposal"}
        ).status_code
        == 404
    )
    assert (
        http.post(f"{urls['deals']}/deals/{unknown}/lose", json={"reason": "bad luck"}).status_code
        == 422
    )
    assert (
        http.post(
            f"{urls['billing']}/quotes",
            json={"deal_id": str(unknown), "lines": [{"item": "CRM-SEAT", "quantity": 0}]},
        ).status_code
        == 422
    )
    unknown_deal = http.post(
        f"{urls['billing']}/quotes",
        json={"deal_id": str(unknown), "lines": [{"item": "CRM-CLOUD", "quantity": 1}]},
    )
    assert unknown_deal.status_code == 404 and "not known to billing" in unknown_deal.text
    bad_config = http.post(
        f"{urls['billing']}/quotes/preview", json={"lines": [{"item": "CRM-SEAT", "quantity": 3}]}
    )
    assert bad_config.status_code == 422
    assert {d["rule"] for d in bad_config.json()["details"]} == {"quantity", "component_of"}
    missing = http.get(f"{urls['gateway']}/deals/{unknown}/history")
    assert missing.status_code == 404 and "not found" in missing.json()["message"]
    assert (
        http.get(f"{urls['gateway']}/insights/funnel", params={"since": "yesterday"}).status_code
        == 422
    )


def _spans_of(
    collector: OtlpReceiver, trace_id: str, need: set[tuple[str, str]]
) -> list[dict[str, Any]] | None:
    mine = [s for s in list(collector.spans) if s["trace_id"] == trace_id]
    have = {(s["service"], s["name"]) for s in mine}
    return mine if need <= have else None


def _metrics(base: str) -> list[tuple[str, dict[str, str], float]]:
    """A process's /metrics, parsed as Prometheus text: (sample, labels, value) each."""
    response = httpx.get(f"{base}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


def test_the_relays_seal_the_stores_and_they_verify(system: dict[str, Any]) -> None:
    """After the flows above: every store verifies with the public key `make run` made,
    holds a hash chain over what its relay published, and its signed checkpoints are on
    the audit topic too."""
    checked_stores = subprocess.run(
        [sys.executable, "-m", "services.cli", "--data-dir", str(system["data_dir"]),
         "audit", "verify", "--from-topic"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "L2C_AUDIT_CHECKPOINT_EVERY": "5"},
    )  # fmt: skip
    assert checked_stores.returncode == 0, checked_stores.stdout + checked_stores.stderr
    verified = re.findall(
        r"^(\w+): \d+ events, (\d+) chained, (\d+) signed checkpoints"
        r" \((\d+) also on the audit topic\): verified$",
        checked_stores.stdout,
        re.M,
    )
    assert {name for name, *_ in verified} == {"leads", "deals", "billing"}, checked_stores.stdout
    for _, chained, signed, copied in verified:
        assert int(chained) >= 5 and int(signed) >= int(copied) > 0, checked_stores.stdout


def test_a_data_teams_consumer_decodes_every_event_with_the_served_contracts(
    system: dict[str, Any], tmp_path: Path
) -> None:
    """examples/python/topics_to_csv.py, given only the broker and the descriptor set from
    the gateway, writes one row per record on the event topics, and each row says what
    the platform's own decoder says of that record."""
    import ast
    import asyncio
    import csv

    from google.protobuf import json_format

    from kernel.contracts import decode_envelope
    from kernel.kafka import read_all

    example = REPO / "examples" / "python" / "topics_to_csv.py"
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(ast.parse(example.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"aiokafka", "google", "__future__"}

    gateway = system["urls"]["gateway"]
    served = httpx.get(
        f"{gateway}/contracts/l2c.v1.binpb", auth=auth("bi-team", ["auditor"]), timeout=10
    )
    assert served.status_code == 200, served.text
    descriptors = tmp_path / "l2c.v1.binpb"
    descriptors.write_bytes(served.content)
    bootstrap = json.loads((system["data_dir"] / "run.json").read_text())["kafka_bootstrap"]
    topics = ("l2c.leads.v1", "l2c.deals.v1", "l2c.billing.v1", "l2c.insights.v1")
    expected = {}
    for topic in topics:
        for record in asyncio.run(read_all(bootstrap, topic)):
            envelope, payload = decode_envelope(record.value)
            expected[(topic, str(record.partition), str(record.offset))] = (
                envelope.event_type,
                envelope.aggregate_id,
                json.loads(
                    json.dumps(
                        json_format.MessageToDict(payload, preserving_proto_field_name=True),
                        sort_keys=True,
                    )
                ),
            )
    out = tmp_path / "events.csv"
    done = subprocess.run(
        [sys.executable, str(example), "--bootstrap", bootstrap,
         "--descriptors", str(descriptors), "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))

    assert len(rows) >= len(expected) > 20
    # Every topic with records, the integration and audit topics' own messages included.
    assert {r["topic"] for r in rows} >= {
        "l2c.leads.v1", "l2c.deals.v1", "l2c.billing.v1", "l2c.erp.outbound.v1", "l2c.audit.v1"
    }  # fmt: skip
    erp = next(r for r in rows if r["topic"] == "l2c.erp.outbound.v1")
    assert erp["event_type"] == "l2c.v1.ErpOutboundMessage" and json.loads(erp["payload"])
    for row in rows:
        assert row["error"] == "", row
        key = (row["topic"], row["partition"], row["offset"])
        if key in expected:  # (records produced since the snapshot above are not)
            assert (row["event_type"], row["aggregate_id"], json.loads(row["payload"])) == (
                expected[key]
            ), row
    assert all(key in {(r["topic"], r["partition"], r["offset"]) for r in rows} for key in expected)


def _snake_keys(value: Any) -> Any:
    """JSON with proto field names (the examples' choice) in protobuf's default JSON names
    (lowerCamelCase, what buf convert prints)."""
    if isinstance(value, dict):
        return {
            re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), k): _snake_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def test_the_java_consumer_gives_the_same_table(system: dict[str, Any], tmp_path: Path) -> None:
    """examples/java (kafka-clients and protobuf-java with the served descriptor set, no
    generated code) writes the same rows as the Python example, record by record."""
    import asyncio
    import csv
    import shutil

    gateway = system["urls"]["gateway"]
    served = httpx.get(
        f"{gateway}/contracts/l2c.v1.binpb", auth=auth("bi-team", ["auditor"]), timeout=10
    )
    descriptors = tmp_path / "l2c.v1.binpb"
    descriptors.write_bytes(served.content)
    bootstrap = json.loads((system["data_dir"] / "run.json").read_text())["kafka_bootstrap"]
    project = tmp_path / "java"
    shutil.copytree(REPO / "examples" / "java", project, ignore=shutil.ignore_patterns("target"))
    built = subprocess.run(
        ["mvn", "-B", "-q", "package", "dependency:copy-dependencies",
         "-DoutputDirectory=target/lib"],
        cwd=project, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr

    def table(command: list[str], out: Path) -> dict[tuple[str, str, str], dict[str, str]]:
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "(0 undecodable)" in done.stdout, done.stdout
        rows = csv.DictReader(out.open(encoding="utf-8", newline=""))
        return {(r["topic"], r["partition"], r["offset"]): r for r in rows}

    args = ["--bootstrap", bootstrap, "--descriptors", str(descriptors), "--out"]
    java = table(
        ["java", "-cp", f"{project}/target/classes:{project}/target/lib/*",
         "io.l2c.examples.TopicsToCsv", *args, str(tmp_path / "java.csv")],
        tmp_path / "java.csv",
    )  # fmt: skip
    python = table(
        [sys.executable, str(REPO / "examples" / "python" / "topics_to_csv.py"),
         *args, str(tmp_path / "python.csv")],
        tmp_path / "python.csv",
    )  # fmt: skip
    common = set(java) & set(python)  # (the topics may grow between the two runs)
    assert len(common) > 20 and len(common) >= min(len(java), len(python))
    for key in sorted(common):
        j, p = java[key], python[key]
        for column in ("event_type", "aggregate_id", "aggregate_version", "event_id", "error"):
            assert j[column] == p[column], (key, column, j[column], p[column])
        if j["occurred_at"] or p["occurred_at"]:
            assert datetime.fromisoformat(j["occurred_at"]) == datetime.fromisoformat(
                p["occurred_at"]
            ), key
        assert json.loads(j["payload"]) == json.loads(p["payload"]), key

    # buf convert, given the same descriptor set, says the same of the same records.
    from kernel.kafka import read_all

    buf = sorted((REPO / ".cache" / "buf").glob("*/buf"))[-1]
    checked = 0
    for topic in ("l2c.deals.v1", "l2c.billing.v1"):
        for record in asyncio.run(read_all(bootstrap, topic))[:10]:
            key = (topic, str(record.partition), str(record.offset))
            if key not in common:
                continue
            value = tmp_path / "record.binpb"
            value.write_bytes(record.value)
            done = subprocess.run(
                [str(buf), "convert", f"{descriptors}#format=binpb",
                 "--type", "l2c.v1.EventEnvelope", "--from", f"{value}#format=binpb",
                 "--to", "-#format=json"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            converted = json.loads(done.stdout)
            assert converted["eventType"] == java[key]["event_type"], key
            assert converted["aggregateId"] == java[key]["aggregate_id"], key
            payload = {k: v for k, v in converted["payload"].items() if k != "@type"}
            assert payload == _snake_keys(json.loads(java[key]["payload"])), key
            checked += 1
    assert checked >= 10
