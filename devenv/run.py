"""`make run`: the whole system on one machine.

Starts a local Kafka broker (data kept in <data-dir>/kafka), then every service process
with the same image-style command it would have in a cluster, waits until each answers its
health probe, seeds demo data once, prints where everything is, and stops it all cleanly on
Ctrl-C / SIGTERM. Writes <data-dir>/run.json with the URLs, for scripts and tests.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devenv.kafka import KafkaBroker
from devenv.ports import free_port, port_accepts


@dataclass
class Proc:
    name: str
    args: list[str]
    port: int
    health: str
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _choose_ports(auto: bool) -> dict[str, int]:
    defaults = {"gateway": 8000, "leads": 8001, "deals": 8002, "billing": 8003, "insights": 8004}
    if auto:
        return {name: free_port() for name in defaults}
    busy = [f"{n}:{p}" for n, p in defaults.items() if port_accepts(p)]
    if busy:
        sys.exit(
            f"ports already in use ({', '.join(busy)}); stop what holds them or use --ports auto"
        )
    return defaults


def _persisted_broker(data_dir: Path) -> KafkaBroker:
    """Reuse the broker's earlier ports when they are free, so its data dir restarts as is."""
    kafka_dir = data_dir / "kafka"
    state = kafka_dir / "ports.json"
    port = controller = 0
    if state.exists():
        saved = json.loads(state.read_text())
        if not port_accepts(saved["port"]) and not port_accepts(saved["controller_port"]):
            port, controller = saved["port"], saved["controller_port"]
    broker = KafkaBroker(kafka_dir, port=port, controller_port=controller)
    broker.start()
    state.write_text(json.dumps({"port": broker.port, "controller_port": broker.controller_port}))
    return broker


def _wait_healthy(procs: list[Proc], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(procs)
    while pending and time.monotonic() < deadline:
        for proc in list(pending):
            assert proc.popen is not None
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}; see its log")
            try:
                if httpx.get(proc.url + proc.health, timeout=1.0).status_code == 200:
                    pending.remove(proc)
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    if pending:
        raise RuntimeError(f"not healthy in {timeout}s: {', '.join(p.name for p in pending)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devenv.run")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("L2C_DATA_DIR", ".data"))
    )
    parser.add_argument("--ports", choices=["default", "auto"], default="default")
    parser.add_argument(
        "--kafka-bootstrap",
        default=os.environ.get("L2C_KAFKA_BOOTSTRAP"),
        help="use this broker instead of starting a local one",
    )
    parser.add_argument("--no-demo", action="store_true", help="do not seed demo data")
    args = parser.parse_args()

    data_dir: Path = args.data_dir.resolve()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stopping = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    broker: KafkaBroker | None = None
    if args.kafka_bootstrap:
        bootstrap = args.kafka_bootstrap
    else:
        broker = _persisted_broker(data_dir)
        bootstrap = broker.bootstrap
        print(
            f"kafka      {bootstrap}  (started in {broker.started_in_seconds:.1f}s, "
            f"data {data_dir / 'kafka'})",
            flush=True,
        )

    ports = _choose_ports(args.ports == "auto")
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ,
        "L2C_DATA_DIR": str(data_dir),
        "L2C_KAFKA_BOOTSTRAP": bootstrap,
        "L2C_LEADS_URL": urls["leads"],
        "L2C_DEALS_URL": urls["deals"],
        "L2C_BILLING_URL": urls["billing"],
        "L2C_INSIGHTS_URL": urls["insights"],
    }
    py = sys.executable
    procs = [
        Proc(
            "leads",
            [py, "-m", "services.leads", "serve", "--port", str(ports["leads"])],
            ports["leads"],
            "/healthz",
        ),
        Proc(
            "deals",
            [py, "-m", "services.deals", "serve", "--port", str(ports["deals"])],
            ports["deals"],
            "/healthz",
        ),
        Proc(
            "billing",
            [py, "-m", "services.billing", "serve", "--port", str(ports["billing"])],
            ports["billing"],
            "/healthz",
        ),
        Proc(
            "insights",
            [py, "-m", "services.insights", "--port", str(ports["insights"])],
            ports["insights"],
            "/healthz",
        ),
        Proc(
            "gateway",
            [py, "-m", "services.gateway", "--port", str(ports["gateway"])],
            ports["gateway"],
            "/healthz",
        ),
    ]
    exit_code = 0
    try:
        for proc in procs:
            log_file = open(logs / f"{proc.name}.log", "ab")  # noqa: SIM115
            proc.popen = subprocess.Popen(
                proc.args,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log_file.close()
        _wait_healthy(procs)
        (data_dir / "run.json").write_text(
            json.dumps(
                {
                    "kafka_bootstrap": bootstrap,
                    "urls": urls,
                    "pids": {p.name: p.popen.pid for p in procs if p.popen},
                },
                indent=2,
            )
        )
        seeded = data_dir / "demo-seeded"
        if not args.no_demo and not seeded.exists():
            from devenv.demo import seed_demo

            seed_demo(urls)
            seeded.touch()
        for name in ("gateway", "leads", "deals", "billing", "insights"):
            print(
                f"{name:<10} {urls[name]}/docs"
                if name != "insights"
                else f"{name:<10} {urls[name]}/insights/funnel",
                flush=True,
            )
        print(f"logs       {logs}", flush=True)
        print("ready — Ctrl-C stops everything", flush=True)
        while not stopping:
            for proc in procs:
                assert proc.popen is not None
                if proc.popen.poll() is not None:
                    print(f"{proc.name} exited with {proc.popen.returncode}; stopping", flush=True)
                    stopping, exit_code = True, 1
            time.sleep(0.5)
    except Exception as exc:
        print(f"start-up failed: {exc}", file=sys.stderr, flush=True)
        exit_code = 1
    finally:
        for proc in reversed(procs):
            if proc.popen is not None and proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        for proc in procs:
            if proc.popen is not None:
                try:
                    proc.popen.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.popen.pid, signal.SIGKILL)
        if broker is not None:
            broker.stop()
        print("stopped", flush=True)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
