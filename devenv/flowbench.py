"""``make bench``, end to end: the product as `make run` starts it, driven through its public
HTTP APIs by 1, 8 and 32 concurrent clients, each running whole flows from lead to cash.

One flow: capture → MQL → SQL → convert (the deals policy opens the deal) → three stages
→ quote → submit → accept → win (the billing policy books the order and invoices it) →
the ERP's payment → the order shows paid through the gateway. 15 HTTP commands; the
waits for what policies and the read side do are part of the flow's latency.

Printed and appended to docs/benchmarks.md: completed flows/s, commands/s, flow latency
p50/p95/p99, freshness (payment accepted → paid at the gateway) p50/p99, errors by cause,
CPU seconds and RSS per process, and the raw limits measured in the same run (broker
records/s with the relay's producer settings, store appends/s) as ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from devenv import rawlimits
from devenv.issuer import IssuerAuth, issuer_for
from devenv.procstat import SpeedProbe, cpu_seconds, rss_mb
from devenv.stack import read_stack
from kernel.settings import Settings

COMMANDS_PER_FLOW = 15
# Commands the policies run for each flow: enrich the captured lead (leads), open the deal
# (deals), record the opened deal and the won deal, which books and invoices the order
# (billing), record the ERP's payment (billing). The 400 commands/s count both.
POLICY_COMMANDS_PER_FLOW = 5
POLL_SECONDS = 0.02
# What a policy makes (the deal, billing's view of it, the order) is waited for by the
# service (Prefer: wait, kernel/waiting.py) instead of polled for.
HELD = {"Prefer": "wait=10"}
WAIT_SECONDS = 60.0
REPO = Path(__file__).resolve().parents[1]
BANT = {
    "budget": "approved for this year",
    "authority": "the COO signs",
    "need": "changeovers take four hours",
    "timeline": "this quarter",
}


class FlowFailed(Exception):
    """A step answered what a working system does not (its cause is counted)."""


@dataclass
class Results:
    clients: int
    flows: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    freshness: list[float] = field(default_factory=list)
    policy_waits: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    probes: Counter[str] = field(default_factory=Counter)  # reads while waiting, by what
    cpu: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    events: int = 0
    resent: int = 0  # commands sent again after a failed connection (idempotency keys)
    grown: int = 0  # earlier leads in the system when the level ran
    beside: int = 0  # on the empty reference stack, interleaved with the level grown to this
    client_cpu: float = 0.0  # CPU-seconds of the benchmark's client (same machine)
    rounds: list[float] = field(default_factory=list)  # flows/s of each round, when merged
    probe_us: float = float("nan")  # the machine's speed probe during the level (procstat)

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def label(self) -> str:
        if self.grown:
            return f"{self.clients}, after {self.grown:,} earlier leads"
        if self.beside:
            return f"{self.clients}, empty stack beside {self.beside:,}"
        return str(self.clients)

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass
class Answer:
    status_code: int
    body: bytes
    etag: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """The benchmark's HTTP client. It runs on the same cores as the stack it measures, so
    it is aiohttp, which spends a fraction of httpx's CPU per request; every request
    carries the development issuer's token for its path."""

    def __init__(self, auth: IssuerAuth, connections: int, timeout: float) -> None:
        self.auth = auth
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections),
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
        sent = {"Authorization": f"Bearer {self.auth.token_for('/' + path)}", **(headers or {})}
        async with self.session.request(
            method, url, json=json, data=content, headers=sent, params=params
        ) as answer:
            return Answer(answer.status, await answer.read(), answer.headers.get("ETag", ""))

    async def post(self, url: str, **kwargs: Any) -> Answer:
        return await self.request("POST", url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> Answer:
        return await self.request("GET", url, **kwargs)


class Flow:
    def __init__(self, http: Client, urls: dict[str, str], results: Results, tag: str) -> None:
        self.http, self.urls, self.results, self.tag = http, urls, results, tag
        self.sent = 0

    async def command(self, service: str, path: str, body: Any, expect: int = 200) -> Any:
        """Send one command as a careful client does: with an idempotency key, sent once
        more if the connection failed (the key makes the repeat safe)."""
        self.sent += 1
        headers = {"Idempotency-Key": f"{self.tag}-{self.sent}"}
        url = f"{self.urls[service]}{path}"
        try:
            response = await self.http.post(url, json=body, headers=headers)
        except aiohttp.ClientConnectionError:
            self.results.resent += 1
            response = await self.http.post(url, json=body, headers=headers)
        if response.status_code != expect:
            step = path.split("/")[-1] if path.count("/") > 1 else path
            raise FlowFailed(f"{response.status_code} on {service} {step}")
        return response.json()

    async def until(self, what: str, probe: Any) -> Any:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            found = await probe()
            self.results.probes[what] += 1
            if found:
                return found
            await asyncio.sleep(POLL_SECONDS)
        raise FlowFailed(f"no {what} within {WAIT_SECONDS:.0f}s")

    async def run(self) -> None:
        tag = self.tag
        started = time.monotonic()
        lead = await self.command(
            "leads",
            "/leads",
            {
                "full_name": f"Buyer {tag}",
                "email": f"buyer@{tag}.example.com",
                "company": f"Company {tag}",
                "source": "web_form",
            },
            201,
        )
        lead_id = lead["lead_id"]
        await self.command("leads", f"/leads/{lead_id}/qualify", {"note": "bench"})
        await self.command("leads", f"/leads/{lead_id}/accept", {"note": "bench"})
        await self.command(
            "leads",
            f"/leads/{lead_id}/convert",
            {
                "deal_name": f"Deal {tag}",
                "owner_id": "rep-bench",
                "expected_amount": {"amount": "48000.00", "currency": "EUR"},
                "qualification": BANT,
            },
        )
        converted = time.monotonic()

        async def deal() -> Any:
            r = await self.http.get(f"{self.urls['deals']}/deals/by-lead/{lead_id}", headers=HELD)
            return r.status_code == 200 and r.json()

        deal_id = (await self.until("deal", deal))["deal_id"]
        self.results.policy_waits.append(time.monotonic() - converted)
        for action, stage in (
            ("need_confirmed", "product_understanding"),
            ("demo_given", "quote"),
            ("quote_sent", "close"),
        ):
            await self.command("deals", f"/deals/{deal_id}/actions", {"action": action})
            await self.command("deals", f"/deals/{deal_id}/advance", {"stage": stage})

        async def quote() -> Any:
            r = await self.http.post(
                f"{self.urls['billing']}/quotes",
                json={
                    "deal_id": deal_id,
                    "lines": [
                        {"item": "CRM-CLOUD", "quantity": 1},
                        {"item": "CRM-SEAT", "quantity": 75},
                    ],
                },
                headers={"Idempotency-Key": f"bench-quote-{deal_id}", **HELD},
            )
            if r.status_code not in (201, 404, 409, 422):
                raise FlowFailed(f"{r.status_code} on billing quotes")
            return r.status_code == 201 and r.json()

        quote_id = (await self.until("quote", quote))["quote_id"]
        await self.command("billing", f"/quotes/{quote_id}/submit", {})
        await self.command("billing", f"/quotes/{quote_id}/accept", {"accepted_by": "COO"})
        await self.command("deals", f"/deals/{deal_id}/win", {})

        async def order() -> Any:
            r = await self.http.get(
                f"{self.urls['billing']}/orders/by-deal/{deal_id}", headers=HELD
            )
            return r.status_code == 200 and r.json().get("invoice_ids") and r.json()

        booked = await self.until("invoiced order", order)
        await self.command(
            "billing",
            "/integrations/erp/payments",
            {
                "payment_id": f"PAY-{tag}",
                "invoice_id": booked["invoice_ids"][0],
                "amount": {"amount": booked["amount"], "currency": booked["currency"]},
                "received_at": datetime.now(UTC).isoformat(),
            },
            202,
        )
        paid_at = time.monotonic()

        seen = ""  # the ETag of the last answer: the next read is held until it changes

        async def paid() -> Any:
            nonlocal seen
            r = await self.http.get(
                f"{self.urls['gateway']}/insights/reconciliation",
                params={"order_id": booked["order_id"]},
                headers={"If-None-Match": seen, **HELD} if seen else None,
            )
            if r.status_code == 304:
                return False
            seen = r.etag
            rows = r.json().get("orders", []) if r.status_code == 200 else []
            return bool(rows) and rows[0]["status"] == "paid"

        await self.until("paid order at the gateway", paid)
        done = time.monotonic()
        self.results.freshness.append(done - paid_at)
        self.results.latencies.append(done - started)


async def drive(
    urls: dict[str, str], clients: int, flows_each: int, results: Results, auth: IssuerAuth
) -> None:
    async with Client(auth, clients * 2, 30) as http:

        async def client(n: int) -> None:
            for k in range(flows_each):
                tag = f"c{clients}-{n}-{k}-{uuid.uuid4().hex[:6]}"
                try:
                    await Flow(http, urls, results, tag).run()
                except FlowFailed as failed:
                    results.errors[str(failed)] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    results.errors[f"http: {type(exc).__name__}"] += 1
                results.flows += 1

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        results.seconds = time.monotonic() - started


# -- a grown business: the same flow after many earlier leads and deals ----------------------

IMPORT_ROWS = 2000


async def grow(urls: dict[str, str], auth: IssuerAuth, leads: int, clients: int = 16) -> None:
    """Add ``leads`` earlier leads: nine in ten imported as CSV (the bulk path a company
    moving from its old CRM takes), one in ten captured, qualified, accepted and converted
    (so the deals service grows with them)."""
    converted = leads // 10
    imported = leads - converted
    async with Client(auth, clients * 2, 300) as http:
        batch = uuid.uuid4().hex[:6]
        for start in range(0, imported, IMPORT_ROWS):
            rows = ["full_name,email,company,website"]
            for n in range(start, min(imported, start + IMPORT_ROWS)):
                rows.append(f"Earlier {n},p{n}@f{batch}{n}.example,F{n} GmbH,f{batch}{n}.example")
            answer = await http.post(
                f"{urls['leads']}/leads/imports",
                content="\n".join(rows) + "\n",
                headers={"content-type": "text/csv", "Idempotency-Key": f"grow-{batch}-{start}"},
            )
            if answer.status_code != 200 or answer.json()["rejected"]:
                raise SystemExit(f"import {start}: {answer.status_code} {answer.body[:300]!r}")

        async def convert(worker: int) -> None:
            for n in range(worker, converted, clients):
                flow = Flow(http, urls, Results(0), f"grow-{batch}-{n}")
                lead = await flow.command(
                    "leads",
                    "/leads",
                    {
                        "full_name": f"Earlier buyer {n}",
                        "email": f"b{n}@g{batch}{n}.example.com",
                        "company": f"G{n} AG",
                        "source": "web_form",
                    },
                    201,
                )
                lead_id = lead["lead_id"]
                await flow.command("leads", f"/leads/{lead_id}/qualify", {"note": "grow"})
                await flow.command("leads", f"/leads/{lead_id}/accept", {"note": "grow"})
                await flow.command(
                    "leads",
                    f"/leads/{lead_id}/convert",
                    {
                        "deal_name": f"Earlier deal {n}",
                        "owner_id": "rep-bench",
                        "expected_amount": {"amount": "48000.00", "currency": "EUR"},
                        "qualification": BANT,
                    },
                )

        await asyncio.gather(*(convert(w) for w in range(clients)))


def settle(urls: dict[str, str], bootstrap: str, timeout: float = 1800) -> None:
    """Until every relay has published what its store holds, the insights worker has
    folded every record and every policy consumer group has committed the end of what it
    reads (twice in a row, a second apart): work left over from growing the business
    would otherwise be counted as the next level's cost."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline and quiet < 2:
        backlog = sum(
            int(httpx.get(f"{urls[n]}/readyz", timeout=30).json().get("relay_backlog", 0))
            for n in ("leads", "deals", "billing")
        )
        insights = httpx.get(f"{urls['insights']}/readyz", timeout=30).json()
        lag = asyncio.run(groups_lag(bootstrap))
        idle = backlog == 0 and insights.get("lag", 1) == 0 and sum(lag.values()) == 0
        quiet = quiet + 1 if idle else 0
        time.sleep(1)
    if quiet < 2:
        raise SystemExit(f"the pipeline did not settle within {timeout:.0f}s")


async def groups_lag(bootstrap: str) -> dict[str, int]:
    """Records each consumer group of the stack has yet to commit, by group."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await reader.start()
    try:
        lag: dict[str, int] = {}
        for group, *_ in await admin.list_consumer_groups():
            committed = await admin.list_consumer_group_offsets(group)
            if not committed:
                continue
            ends = await reader.end_offsets(list(committed))
            lag[group] = sum(
                max(0, ends[tp] - meta.offset) for tp, meta in committed.items() if meta.offset >= 0
            )
        return lag
    finally:
        await reader.stop()
        await admin.close()


# -- the processes ----------------------------------------------------------------------------


def broker_pid(data_dir: Path) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "kafka.Kafka" in cmdline and str(data_dir) in cmdline:
            return int(entry.name)
    return None


def store_positions(urls: dict[str, str]) -> int:
    total = 0
    for name in ("leads", "deals", "billing"):
        body = httpx.get(f"{urls[name]}/readyz", timeout=10).json()
        total += int(body.get("store_position", 0))
    return total


class Stack:
    """`l2c run --no-demo` on a data directory of its own, free ports, its own broker."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        environment = {**os.environ, "L2C_DATA_DIR": str(data_dir), **env}
        environment.pop("L2C_KAFKA_BOOTSTRAP", None)
        self.data_dir = data_dir
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.log = (data_dir.parent / "launcher.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "--data-dir", str(data_dir), "run",
             "--ports", "auto", "--no-demo"],
            cwd=REPO, env=environment, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 300) -> tuple[str, dict[str, str], dict[str, int]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the stack stopped; see {self.log.name}")
            try:
                stack = read_stack(self.data_dir)
                if all(
                    httpx.get(f"{url}/healthz", timeout=5).status_code == 200
                    for url in stack.urls.values()
                ):
                    pids = dict(stack.pids)
                    kafka = broker_pid(self.data_dir)
                    if kafka:
                        pids["kafka"] = kafka
                    return stack.kafka_bootstrap, stack.urls, pids
            except Exception:  # noqa: BLE001 - not up yet, whatever the reason
                pass
            time.sleep(1)
        raise SystemExit(f"the stack was not ready within {timeout:.0f}s; see {self.log.name}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def run_level(
    urls: dict[str, str],
    pids: dict[str, int],
    clients: int,
    flows_each: int,
    auth: IssuerAuth,
    probe: SpeedProbe | None = None,
) -> Results:
    results = Results(clients)
    mark = probe.mark() if probe else 0
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    events_before = store_positions(urls)
    client_before = time.process_time()
    asyncio.run(drive(urls, clients, flows_each, results, auth))
    # The benchmark's own process shares the machine's cores with the stack.
    client_cpu = time.process_time() - client_before
    results.events = store_positions(urls) - events_before
    results.cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    results.client_cpu = client_cpu
    results.rss_mb = {name: rss_mb(pid) for name, pid in pids.items()}
    if probe:
        results.probe_us = probe.since(mark)
    return results


def merged(rounds: list[Results]) -> Results:
    """Rounds of one stack as one level: counts, times and CPU added up, RSS of the last."""
    total = Results(rounds[0].clients, grown=rounds[0].grown, beside=rounds[0].beside)
    for r in rounds:
        total.flows += r.flows
        total.seconds += r.seconds
        total.latencies += r.latencies
        total.freshness += r.freshness
        total.policy_waits += r.policy_waits
        total.errors += r.errors
        total.probes += r.probes
        total.events += r.events
        total.resent += r.resent
        total.client_cpu += r.client_cpu
        for name, seconds in r.cpu.items():
            total.cpu[name] = total.cpu.get(name, 0.0) + seconds
        total.rounds.append(r.rate)
    total.rss_mb = dict(rounds[-1].rss_mb)
    total.probe_us = statistics.mean(r.probe_us for r in rounds)
    return total


# The order of the rounds on the grown stack (G) and on the empty reference stack (E):
# each pair in both orders, so that a machine slowing or speeding up steadily over the
# minutes of the comparison weighs on both alike. One round of 192 flows at 32 clients
# takes about ten seconds, and rounds of one stack a minute apart differ by up to a
# fifth here: eight rounds each.
INTERLEAVED = "GEEG" * 4


# A running stack as the benchmark drives it: its URLs, its processes, its broker and the
# token source of its development issuer.
Running = tuple[dict[str, str], dict[str, int], str, IssuerAuth]


def interleaved(
    grown: Running, empty: Running, clients: int, flows_each: int, probe: SpeedProbe
) -> tuple[list[Results], list[Results]]:
    """Rounds on the grown and the empty stack, alternated; each stack is settled after
    its round so that what a round left in the pipeline is not the next round's cost."""
    rounds: dict[str, list[Results]] = {"G": [], "E": []}
    for which in INTERLEAVED:
        urls, pids, bootstrap, auth = grown if which == "G" else empty
        rounds[which].append(run_level(urls, pids, clients, flows_each, auth, probe))
        settle(urls, bootstrap)
    return rounds["G"], rounds["E"]


def report(levels: list[Results], raw: rawlimits.RawLimits, settings: Settings, note: str) -> str:
    cpus = os.cpu_count()
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — end to end, {platform.node()} "
        f"({cpus} cores, Python {platform.python_version()})",
        "",
        f"`make run` stack (SQLite, synchronous={settings.sqlite_synchronous}, aggregate "
        f"cache {settings.aggregate_cache_size}); {COMMANDS_PER_FLOW} HTTP commands and "
        f"{POLICY_COMMANDS_PER_FLOW} policy commands per flow (commands/s counts both). " + note,
        "",
        "| clients | flows ok/run | flows/s | commands/s | events stored/s | flow p50 / p95 / "
        "p99 | freshness p50 / p99 | convert → deal p50 | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in levels:
        rate = r.completed / r.seconds if r.seconds else 0.0
        errors = ", ".join(f"{n}× {cause}" for cause, n in r.errors.most_common()) or "0"
        if r.resent:
            errors += f" ({r.resent} commands re-sent after a failed connection)"
        lines.append(
            f"| {r.label} | {r.completed}/{r.flows} | {rate:.2f} | "
            f"{rate * (COMMANDS_PER_FLOW + POLICY_COMMANDS_PER_FLOW):.0f} | "
            f"{r.events / r.seconds:.0f} | "
            f"{percentile(r.latencies, 0.5):.2f} / {percentile(r.latencies, 0.95):.2f} / "
            f"{percentile(r.latencies, 0.99):.2f} s | "
            f"{percentile(r.freshness, 0.5) * 1000:.0f} / "
            f"{percentile(r.freshness, 0.99) * 1000:.0f} ms | "
            f"{percentile(r.policy_waits, 0.5) * 1000:.0f} ms | {errors} |"
        )
    names = sorted({n for r in levels for n in r.cpu})
    lines += [
        "",
        "CPU seconds per completed flow, and RSS (MB) after each level; the benchmark's "
        "client runs on the same cores. The speed probe is a fixed piece of Python timed in "
        "CPU time five times a second by a process of its own (median per level; more µs: "
        "the machine ran slower, and every process's CPU per flow rises with it):",
        "",
        "| clients | " + " | ".join(names) + " | stack | client | speed probe |",
        "| --- | " + " | ".join("---" for _ in names) + " | --- | --- | --- |",
    ]
    for r in levels:
        cells = [
            f"{r.cpu.get(n, 0) / max(r.completed, 1) * 1000:.0f} ms, {r.rss_mb.get(n, 0):.0f} MB"
            for n in names
        ]
        cells.append(f"{_cpu_per_flow(r) * 1000:.0f} ms")
        cells.append(f"{r.client_cpu / max(r.completed, 1) * 1000:.0f} ms")
        cells.append(f"{r.probe_us:,.0f} µs ({r.probe_us / levels[0].probe_us:.2f})")
        lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    waits = sorted({w for r in levels for w in r.probes})
    if waits:
        lines += [
            "",
            "Reads per completed flow while waiting for policies and the read side (polls "
            f"every {POLL_SECONDS * 1000:.0f} ms; the last read of each wait finds it):",
            "",
            "| clients | " + " | ".join(waits) + " |",
            "| --- | " + " | ".join("---" for _ in waits) + " |",
        ]
        for r in levels:
            cells = [f"{r.probes[w] / max(r.completed, 1):.1f}" for w in waits]
            lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    lines += growth_table(levels)
    best = max(levels, key=lambda r: r.completed / r.seconds if r.seconds else 0)
    events_per_s = best.events / best.seconds if best.seconds else 0
    lines += [
        "",
        "Raw limits in the same run, and the best level as a share of them:",
        "",
        "| raw limit | rate | pipeline at its best level |",
        "| --- | --- | --- |",
        f"| Kafka produce → consume (acks=all, idempotent, linger 5 ms) | "
        f"{raw.kafka_records_per_s:,.0f} records/s | {events_per_s:,.0f} events/s = "
        f"{events_per_s / raw.kafka_records_per_s:.1%} |",
        f"| store: new aggregate per commit | {raw.store_creates_per_s:,.0f}/s | |",
        f"| store: load + append + commit | {raw.store_updates_per_s:,.0f}/s | "
        f"{events_per_s / raw.store_updates_per_s:.1%} (events, all three stores) |",
    ]
    return "\n".join(lines) + "\n"


def growth_table(levels: list[Results]) -> list[str]:
    """The grown levels against the empty reference stack measured in the same minutes
    (rounds interleaved) and against the empty system at the start: flows/s and
    CPU-seconds per flow as ratios, and each process's RSS against the first grown
    level's."""
    grown = [r for r in levels if r.grown]
    if not grown:
        return []
    start = next(
        r for r in levels if not r.grown and not r.beside and r.clients == grown[0].clients
    )
    beside = {r.beside: r for r in levels if r.beside}
    first = grown[0]
    lines = [
        "",
        f"How the cost grows ({start.clients} clients). Each grown level ran in "
        f"{len(INTERLEAVED) // 2} rounds interleaved ({INTERLEAVED}) with as many on a second, "
        "empty stack on the same machine; the ratios to that stack compare the same "
        "minutes, the ratios to the start compare runs up to half an hour apart:",
        "",
        "| earlier leads | flows/s | empty stack, same minutes | **vs the empty stack** | "
        "rounds, grown / empty (flows/s) | vs the start | CPU per flow (all processes) | "
        f"vs the empty stack | largest RSS growth since {first.grown:,} |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| 0 (start) | {start.rate:.2f} | | | | 1.00 | {_cpu_per_flow(start) * 1000:.0f} ms | | |",
    ]
    for r in grown:
        name, ratio = max(
            ((n, r.rss_mb[n] / first.rss_mb[n]) for n in r.rss_mb if first.rss_mb.get(n)),
            key=lambda pair: pair[1],
            default=("", 1.0),
        )
        cpu = _cpu_per_flow(r)
        empty = beside.get(r.grown)
        same_minutes = (
            f"{empty.rate:.2f} | **{r.rate / empty.rate:.2f}**" if empty and empty.rate else "— | —"
        )
        cpu_ratio = f"{cpu / max(_cpu_per_flow(empty), 1e-9):.2f}" if empty else "—"
        spread = f"{_spread(r)} / {_spread(empty)}" if empty else _spread(r)
        lines.append(
            f"| {r.grown:,} | {r.rate:.2f} | {same_minutes} | {spread} | "
            f"{r.rate / start.rate:.2f} | "
            f"{cpu * 1000:.0f} ms | {cpu_ratio} | {ratio:.2f}× ({name}) |"
        )
    return lines


def _spread(level: Results) -> str:
    """The slowest and the fastest round of a merged level."""
    if not level.rounds:
        return "—"
    return f"{min(level.rounds):.1f}–{max(level.rounds):.1f}"


def _cpu_per_flow(level: Results) -> float:
    """CPU-seconds of every process of the stack (not the benchmark's client) per flow."""
    return sum(level.cpu.values()) / max(level.completed, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="flowbench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients per level")
    parser.add_argument("--flows", type=int, default=192, help="flows per level (at least 1 each)")
    parser.add_argument("--no-record", action="store_true", help="print only")
    parser.add_argument("--note", default="", help="a sentence for the record")
    parser.add_argument(
        "--grown",
        default="",
        help="after the levels, grow the business to these numbers of earlier leads "
        "(e.g. 10000,100000) and run the last level again after each",
    )
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",")]
    growth = [int(g) for g in args.grown.split(",") if g]
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="l2c-flowbench-") as tmp:
        # The benchmark's clients share one identity: no per-identity limit in its way.
        stack = Stack(Path(tmp) / "stack" / "data", {"L2C_RATE_LIMIT": ""})
        reference: Stack | None = None
        probe = SpeedProbe()
        try:
            bootstrap, urls, pids = stack.wait_ready()
            print(f"stack ready: {json.dumps(urls)}", flush=True)
            # Each party with its own token, as the development issuer of the stack mints it.
            auth = IssuerAuth(issuer_for(Settings(data_dir=stack.data_dir)), "bench")
            # Warm-up (topics, groups, caches, the broker's JIT): 16 flows, so that the
            # first measured level is not the one that pays for it.
            asyncio.run(drive(urls, 8, 2, Results(8), auth))
            results = []
            for clients in levels:
                flows_each = max(1, args.flows // clients)
                print(f"{clients} clients × {flows_each} flows …", flush=True)
                results.append(run_level(urls, pids, clients, flows_each, auth, probe))
            if growth:
                # The empty system to compare the grown one with, in the same minutes: the
                # machine's speed drifts by a fifth or more over the half hour of growing.
                reference = Stack(Path(tmp) / "reference" / "data", {"L2C_RATE_LIMIT": ""})
                empty_bootstrap, empty_urls, empty_pids = reference.wait_ready()
                empty_auth = IssuerAuth(issuer_for(Settings(data_dir=reference.data_dir)), "bench")
                asyncio.run(drive(empty_urls, 8, 2, Results(8), empty_auth))
                settle(empty_urls, empty_bootstrap)
            grown = 0
            for target in growth:
                print(f"growing to {target} earlier leads …", flush=True)
                started = time.monotonic()
                asyncio.run(grow(urls, auth, target - grown))
                settle(urls, bootstrap)
                grown = target
                print(f"  grown in {time.monotonic() - started:.0f}s", flush=True)
                clients = levels[-1]
                on_grown, on_empty = interleaved(
                    (urls, pids, bootstrap, auth),
                    (empty_urls, empty_pids, empty_bootstrap, empty_auth),
                    clients,
                    max(1, args.flows // clients),
                    probe,
                )
                level, empty = merged(on_grown), merged(on_empty)
                level.grown = grown
                empty.beside = grown
                print(
                    f"  {level.rate:.2f} flows/s grown, {empty.rate:.2f} empty "
                    f"({level.rate / max(empty.rate, 1e-9):.2f}×)",
                    flush=True,
                )
                results += [level, empty]
            raw = rawlimits.measure(bootstrap, settings)
        finally:
            probe.stop()
            if reference:
                reference.stop()
            stack.stop()
    text = report(results, raw, settings, args.note)
    print(text)
    if not args.no_record:
        with (REPO / "docs" / "benchmarks.md").open("a") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
