"""`make run`: the whole system on one machine.

Starts a local Kafka broker (data kept in <data-dir>/kafka), then every service process
with the same image-style command it would have in a cluster, waits until each answers its
health probe, seeds demo data once (resuming a seeding that was interrupted), prints where
everything is, restarts a process that exits (as an orchestrator would), and stops it all
cleanly on Ctrl-C / SIGTERM. Writes <data-dir>/run.json with the broker, the URLs and the
pids while it runs, for the `l2c` command, scripts and tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devenv.children import die_with_parent
from devenv.issuer import issuer_for
from devenv.kafka import KafkaBroker
from devenv.ports import free_port, port_accepts
from devenv.stack import (
    RUN_FILE,
    RunningStack,
    StackNotRunning,
    pid_alive,
    read_stack,
    recorded_pids,
)
from kernel.settings import Settings


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


DEFAULT_PORTS = {"gateway": 8000, "leads": 8001, "deals": 8002, "billing": 8003, "insights": 8004}


def choose_ports(mode: str) -> tuple[dict[str, int], list[str]]:
    """Ports for every process, and a note for each default port that was busy.

    ``default``: 8000-8004, each one that is taken replaced by a free port; ``auto``: free
    ports for all; ``fixed``: 8000-8004 or nothing (exits naming what holds them)."""
    if mode == "auto":
        return {name: free_port() for name in DEFAULT_PORTS}, []
    busy = {n: p for n, p in DEFAULT_PORTS.items() if port_accepts(p)}
    if busy and mode == "fixed":
        taken = ", ".join(f"{n}:{p}" for n, p in busy.items())
        sys.exit(f"ports already in use ({taken}); stop what holds them or use --ports auto")
    ports = {n: (free_port() if n in busy else p) for n, p in DEFAULT_PORTS.items()}
    notes = [f"port {p} is busy: {n} listens on {ports[n]} instead" for n, p in busy.items()]
    return ports, notes


def _persisted_broker(data_dir: Path) -> KafkaBroker:
    """Reuse the broker's earlier ports when they are free, so its data dir restarts as is.

    A broker left by a launcher that was killed is stopping already (its parent's death
    signalled it); wait for it to let go of the data directory first."""
    kafka_dir = data_dir / "kafka"
    state = kafka_dir / "ports.json"
    port = controller = 0
    if state.exists():
        saved = json.loads(state.read_text())
        earlier = int(saved.get("pid", 0))
        deadline = time.monotonic() + 60
        while pid_alive(earlier) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_alive(earlier):
            sys.exit(f"the Kafka broker of an earlier run (pid {earlier}) still holds {kafka_dir}")
        if not port_accepts(saved["port"]) and not port_accepts(saved["controller_port"]):
            port, controller = saved["port"], saved["controller_port"]
    broker = KafkaBroker(kafka_dir, port=port, controller_port=controller)
    broker.start()
    _remember(broker)
    return broker


def _remember(broker: KafkaBroker) -> None:
    """The broker's ports and pid, for the next run on this data directory (and tests)."""
    (broker.data_dir / "ports.json").write_text(
        json.dumps(
            {"port": broker.port, "controller_port": broker.controller_port, "pid": broker.pid}
        )
    )


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


# A process that exits is restarted, unless more than this many exits happen in the window.
MAX_RESTARTS = 5
RESTART_WINDOW = 300.0


class Interrupted(Exception):
    """Ctrl-C or SIGTERM while the system was still starting or seeding."""


def _already_running(data_dir: Path) -> None:
    """Two launchers on one data directory would share stores: refuse the second."""
    try:
        stack = read_stack(data_dir)
    except StackNotRunning:
        # A launcher that was killed: its processes got SIGTERM when it died; let them go.
        deadline = time.monotonic() + 30
        while any(pid_alive(p) for p in recorded_pids(data_dir)) and time.monotonic() < deadline:
            time.sleep(0.2)
        return
    if stack.pid and stack.pid != os.getpid():
        sys.exit(
            f"a stack is already running on {data_dir} (pid {stack.pid}, gateway "
            f"{stack.urls.get('gateway', '?')}); stop it first or use another --data-dir"
        )


def _processes(ports: dict[str, int]) -> list[Proc]:
    py = sys.executable
    commands = {
        "leads": ["-m", "services.leads", "serve"],
        "deals": ["-m", "services.deals", "serve"],
        "billing": ["-m", "services.billing", "serve"],
        "insights": ["-m", "services.insights"],
        "gateway": ["-m", "services.gateway"],
    }
    return [
        Proc(name, [py, *args, "--port", str(ports[name])], ports[name], "/healthz")
        for name, args in commands.items()
    ]


def _start(proc: Proc, env: dict[str, str], logs: Path) -> None:
    with open(logs / f"{proc.name}.log", "ab") as log_file:
        proc.popen = subprocess.Popen(
            proc.args,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )


def _where(urls: dict[str, str], logs: Path) -> list[str]:
    lines = [f"{name:<10} {urls[name]}/docs" for name in ("gateway", "leads", "deals", "billing")]
    lines += [
        f"insights   {urls['insights']}/docs  (read models: {urls['gateway']}/insights/funnel)",
        f"logs       {logs}",
    ]
    return lines


def _development_issuer(data_dir: Path) -> None:
    """Unless a real issuer is configured (``L2C_AUTH_JWKS_URL`` or ``_FILE``), the stack
    trusts the development issuer under the data directory: made on the first run."""
    settings = Settings(data_dir=data_dir)
    if settings.auth_jwks_url is None and settings.auth_jwks_file is None:
        issuer = issuer_for(settings).ensure()
        print(f"auth       development issuer {issuer.jwks_file}", flush=True)
        print("           mint a token: l2c token --role manager --team north", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="l2c run", description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("L2C_DATA_DIR", ".data"))
    )
    parser.add_argument(
        "--ports",
        choices=["default", "auto", "fixed"],
        default="default",
        help="default: 8000-8004 where free, other free ports where not; auto: free ports "
        "for all; fixed: 8000-8004 or exit",
    )
    parser.add_argument(
        "--kafka-bootstrap",
        default=os.environ.get("L2C_KAFKA_BOOTSTRAP"),
        help="use this broker instead of starting a local one",
    )
    parser.add_argument("--no-demo", action="store_true", help="do not seed demo data")
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    _already_running(data_dir)
    stopping = False
    ready = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True
        if not ready:
            raise Interrupted()

    # Ctrl-C, SIGTERM, a closed terminal (SIGHUP) and the death of whatever started us
    # (`make`, a test) all stop the stack cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    die_with_parent()

    broker: KafkaBroker | None = None
    procs: list[Proc] = []
    exit_code = 0
    try:
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
        ports, notes = choose_ports(args.ports)
        for note in notes:
            print(note, flush=True)
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        stack = RunningStack(data_dir, bootstrap, urls, pid=os.getpid())
        env = {**os.environ, **stack.env()}
        _development_issuer(data_dir)
        procs = _processes(ports)
        for proc in procs:
            _start(proc, env, logs)
        _wait_healthy(procs)
        stack = RunningStack(
            data_dir,
            bootstrap,
            urls,
            pid=os.getpid(),
            pids={p.name: p.popen.pid for p in procs if p.popen},
        )
        stack.write()
        seeded = data_dir / "demo-seeded"
        if not args.no_demo and not seeded.exists():
            from devenv.demo import seed_demo

            print("seeding demo data (once per data directory)", flush=True)
            sent = seed_demo(urls, data_dir, say=lambda line: print(line, flush=True))
            seeded.touch()
            print(f"demo seeded ({sent} commands)", flush=True)
        for line in _where(urls, logs):
            print(line, flush=True)
        print("ready — Ctrl-C stops everything", flush=True)
        ready = True
        exits: dict[str, list[float]] = {p.name: [] for p in procs}
        restart_at: dict[str, float] = {}
        while not stopping:
            now = time.monotonic()
            code = broker.exit_code() if broker is not None else None
            if broker is not None and code is not None:
                # The broker too is restarted, on its ports and data; the services' clients
                # reconnect by themselves (relays and consumers retry meanwhile).
                exits["kafka"] = [t for t in exits.get("kafka", []) if now - t < RESTART_WINDOW]
                exits["kafka"].append(now)
                if len(exits["kafka"]) > MAX_RESTARTS:
                    print(f"kafka exited with {code} too often; stopping", flush=True)
                    stopping, exit_code = True, 1
                    break
                print(f"kafka exited with {code}; restarting it", flush=True)
                broker.start()
                _remember(broker)
                print(f"kafka restarted (pid {broker.pid})", flush=True)
            for proc in procs:
                assert proc.popen is not None
                if stopping:
                    break
                if proc.name in restart_at:
                    if now >= restart_at[proc.name]:
                        del restart_at[proc.name]
                        _start(proc, env, logs)
                        stack = dataclasses.replace(
                            stack, pids={p.name: p.popen.pid for p in procs if p.popen}
                        )
                        stack.write()
                        print(f"{proc.name} restarted (pid {proc.popen.pid})", flush=True)
                    continue
                code = proc.popen.poll()
                if code is None:
                    continue
                # As an orchestrator would: restart it with back-off, unless it keeps failing.
                recent = [t for t in exits[proc.name] if now - t < RESTART_WINDOW] + [now]
                exits[proc.name] = recent
                if len(recent) > MAX_RESTARTS:
                    print(
                        f"{proc.name} exited with {code}, {len(recent)} times in "
                        f"{RESTART_WINDOW:.0f}s; stopping (see {logs / proc.name}.log)",
                        flush=True,
                    )
                    stopping, exit_code = True, 1
                    break
                delay = min(2.0 ** (len(recent) - 1), 30.0)
                restart_at[proc.name] = now + delay
                print(
                    f"{proc.name} exited with {code}; restarting in {delay:.0f}s "
                    f"(see {logs / proc.name}.log)",
                    flush=True,
                )
            time.sleep(0.5)
    except Interrupted:
        print("interrupted while starting; stopping", file=sys.stderr, flush=True)
        exit_code = 130
    except Exception as exc:
        print(f"start-up failed: {exc}", file=sys.stderr, flush=True)
        exit_code = 1
    finally:
        ready = True  # a second Ctrl-C must not interrupt the clean-up
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
        (data_dir / RUN_FILE).unlink(missing_ok=True)
        print("stopped", flush=True)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
