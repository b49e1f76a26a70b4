"""Running a service process: its HTTP API and its background workers (relay, policies)
under one event loop; the first worker to fail stops the process with an error so the
orchestrator restarts it.

``python -m services.<name> serve`` runs everything; ``api``, ``relay`` and ``policies`` run
one part each, for deployments that scale them separately.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn
import uvloop
from fastapi import FastAPI

from kernel.http import add_readiness, create_api
from kernel.kafka import ensure_topics
from kernel.logs import setup_logging
from kernel.settings import Settings, get_settings
from kernel.telemetry import setup_telemetry
from kernel.topics import ALL_TOPICS

Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
log = logging.getLogger(__name__)


@dataclass
class ServiceParts:
    """What a service offers to run: its API and its named background workers."""

    api: FastAPI | None
    relays: Sequence[Worker] = field(default_factory=list)
    policies: Sequence[Worker] = field(default_factory=list)
    # The relay's readiness facts (raises when not ready): a relay-only role serves it.
    ready: Callable[[], dict[str, Any]] | None = None


def every(
    seconds: float, tick: Callable[[], object], name: str
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """A periodic clock tick (absence rules: "no visit for N days", "no first touch by the
    deadline"). The tick decides on event time; the period only says how often it looks."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await asyncio.to_thread(tick)
                if done:
                    log.info("%s: %s", name, done)
            except Exception:
                log.exception("%s failed; the next tick retries", name)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)

    return run


def settle_heap() -> None:
    """Call once start-up is done: the modules, settings and apps built so far live as long
    as the process, so the collector stops walking them again at every full collection
    (a worker folding thousands of records a second allocates enough to run many)."""
    gc.collect()
    gc.freeze()


def exit_when_orphaned(grace: float = 20.0) -> None:
    """End this process ``grace`` seconds after its parent dies, whatever it is doing.

    A launcher that is killed outright (`make run` by SIGKILL) has its children sent
    SIGTERM; a process whose clean stop then waits on a broker that is stopping too would
    otherwise stay behind, holding its port and its data directory."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        time.sleep(grace)
        log.error("parent process %s is gone and this one did not stop; exiting", parent)
        os._exit(1)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runner stops the server and the
    workers together, then exits normally (uvicorn would re-raise SIGTERM and end the
    process before relays flush and consumers leave their groups)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


KEEP_ALIVE_SECONDS = 75

# The services' and the gateway's HTTP servers parse with httptools (C) rather than h11
# (Python) and run on uvloop: the framework's share of a command is most of its cost, and
# the two took 9-18% off the stack's CPU per flow in A/B runs (docs/benchmarks.md).
HTTP_PARSER = "httptools"
EVENT_LOOP = "uvloop"  # for uvicorn.run; run_loop is the same loop for service_main

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run a service process's main coroutine to its end on a uvloop event loop."""
    return uvloop.run(main)


STARTUP_PATIENCE_SECONDS = 300.0


def patiently(what: str, attempt: Callable[[], Any]) -> Any:
    """``attempt()`` until it succeeds, waiting longer each time, for as long as a starting
    dependency (the store, the broker) may reasonably take; then its error stands. Every
    role starts in any order next to what it needs (compose without health conditions, a
    cluster's pods)."""
    deadline = time.monotonic() + STARTUP_PATIENCE_SECONDS
    pause = 0.5
    while True:
        try:
            return attempt()
        except Exception as exc:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("%s not possible yet (%s); again in %.1fs", what, exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, 10.0)


async def run_parts(
    api: FastAPI | None, workers: Sequence[Worker], port: int, settings: Settings
) -> int:
    await asyncio.to_thread(
        patiently, "creating the topics", lambda: asyncio.run(ensure_topics(settings, ALL_TOPICS))
    )
    stop = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(worker(stop)) for worker in workers]
    server: uvicorn.Server | None = None
    if api is not None:
        config = uvicorn.Config(
            api,
            host=settings.bind_host,
            port=port,
            log_level="warning",
            access_log=False,
            log_config=None,  # uvicorn's loggers write through the process's JSON handler
            # Idle keep-alive connections stay open longer than clients and load balancers
            # keep theirs (uvicorn's 5 s default closes them while a client reuses one).
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            http=HTTP_PARSER,
        )
        server = _Server(config)
        tasks.append(asyncio.create_task(server.serve()))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in done if t is not stopper and t.exception() is not None]
    for task in failed:
        logging.getLogger(__name__).error("worker failed", exc_info=task.exception())
    stop.set()
    if server is not None:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
    stopper.cancel()
    return 1 if failed else 0


def service_main(name: str, build: Callable[[Settings], ServiceParts], default_port: int) -> None:
    """Command-line entry of a service: ``serve`` (all), ``api``, ``relay``, ``policies``."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}")
    parser.add_argument(
        "part", nargs="?", default="serve", choices=["serve", "api", "relay", "policies"]
    )
    parser.add_argument("--port", type=int, default=default_port)
    args = parser.parse_args()
    settings = get_settings()
    setup_logging(settings.log_level, name)
    setup_telemetry(name, settings.otel_exporter, settings.otel_jsonl_path)
    exit_when_orphaned()
    parts: ServiceParts = patiently(f"starting {name} (its store)", lambda: build(settings))
    api = parts.api if args.part in ("serve", "api") else None
    if api is None:
        # A relay or policies role still answers its probes and metrics (no business routes).
        api = create_api(
            f"L2C {name} {args.part}",
            f"Probes and metrics of the {name} service's {args.part} role.",
            settings=settings,
            service=name,
        )
        add_readiness(
            api,
            parts.ready if args.part == "relay" and parts.ready else lambda: {"role": args.part},
        )
    workers: list[Worker] = []
    if args.part in ("serve", "relay"):
        workers += parts.relays
    if args.part in ("serve", "policies"):
        workers += parts.policies
    settle_heap()
    sys.exit(run_loop(run_parts(api, workers, args.port, settings)))
