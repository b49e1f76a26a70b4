"""The README as a newcomer follows it: `make run` with the demo data, interrupted the
hard way half-way through seeding, run again, every command of "Try it" as written, the
API docs of every process, and a third `make run` that changes nothing.

Runs `make run` itself (its own data directory, `PORTS=auto` so a developer's running
stack is not in the way). Kafka, the stores and every process are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devenv.stack import pid_alive, recorded_pids
from kernel import apidocs
from kernel.kafka import read_all
from tests.auth_support import auth
from tests.e2e.support import REPO, Launched, wait_until

DEMO_FUNNEL = {"lead": 4, "mql": 3, "sql": 2, "deal": 2, "won": 1, "invoiced": 1, "paid": 0}


def readme_block(heading: str) -> list[str]:
    """The command lines of the first ```sh block under ``heading`` in the README."""
    text = (REPO / "README.md").read_text()
    section = text[text.index(heading) :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, f"no sh block under {heading}"
    return [line for line in block.group(1).splitlines() if line.strip()]


def make_run(data_dir: Path) -> Launched:
    """`make run` itself, free ports (a developer's own stack is not in the way)."""
    env = {"PORTS": "auto", "L2C_INSIGHTS_TICK_SECONDS": "2"}
    return Launched(["make", "--no-print-directory", "run"], data_dir, env)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("readme")


def funnel(gateway: str) -> dict[str, int]:
    body = httpx.get(f"{gateway}/insights/funnel", timeout=10, auth=auth()).json()
    return {step["step"]: step["count"] for step in body["steps"]}


def stored_events(data_dir: Path) -> dict[str, int]:
    counts = {}
    for service in ("leads", "deals", "billing"):
        with sqlite3.connect(data_dir / f"{service}.sqlite") as db:
            counts[service] = db.execute("SELECT count(*) FROM stored_events").fetchone()[0]
    return counts


def run_readme_lines(lines: list[str], data_dir: Path) -> list[tuple[str, str]]:
    """Each line in bash from the repository root, as a user types it; assignments carry
    over to later lines. Returns (line, stdout) pairs; any failing line fails the test."""
    env = {**os.environ, "L2C_DATA_DIR": str(data_dir)}
    env.pop("L2C_KAFKA_BOOTSTRAP", None)
    done = []
    for line in lines:
        assignment = re.match(r"^([A-Z_]+)=(.*)$", line)
        script = f'{line}; printf %s "${assignment.group(1)}"' if assignment else line
        result = subprocess.run(
            ["bash", "-c", f"set -eo pipefail; {script}"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        if assignment:
            env[assignment.group(1)] = result.stdout
        done.append((line, result.stdout))
    return done


def test_the_readme_works_as_written_and_make_run_survives_being_killed_while_seeding(
    data_dir: Path,
) -> None:
    # Given `make run` killed outright half-way through seeding the demo
    first = make_run(data_dir)
    first.wait_for("demo: deal advance to quote")
    pids = recorded_pids(data_dir)
    os.kill(first.run_file()["pid"], signal.SIGKILL)
    first.proc.wait(60)
    assert not (data_dir / "demo-seeded").exists()
    wait_until(lambda: not any(pid_alive(p) for p in pids), 60)  # its processes died with it

    # When it runs again on the same data directory
    second = make_run(data_dir)
    second.wait_for("ready", 300)
    # Then seeding completes, and the demo is there exactly once
    assert "demo seeded" in second.output
    urls = second.run_file()["urls"]
    assert wait_until(lambda: funnel(urls["gateway"]) == DEMO_FUNNEL), funnel(urls["gateway"])

    # And every command of "Try it" works as printed
    results = run_readme_lines(readme_block("### Try it"), data_dir)
    for line, out in results:
        if line.startswith("curl"):
            body = json.loads(out)
            assert not (isinstance(body, dict) and "error" in body), (line, out)
    outputs = dict(results)
    assert "ok" in outputs[".venv/bin/l2c status"]
    rebuilt = outputs[".venv/bin/l2c insights rebuild --quiet"]
    assert "rebuilt" in rebuilt and "4 lead" in rebuilt, rebuilt
    # the rebuilt worker comes back and answers the same numbers
    assert wait_until(lambda: funnel(urls["gateway"]) == DEMO_FUNNEL)

    # And every process serves its API docs from its own assets
    for name, url in urls.items():
        html = wait_until(lambda u=url: httpx.get(f"{u}/docs", timeout=10).text, 60)
        assert apidocs.ASSETS_URL in html, name
        for asset in apidocs.ASSET_TYPES:
            got = httpx.get(f"{url}{apidocs.ASSETS_URL}/{asset}", timeout=10)
            assert got.status_code == 200 and got.content, (name, asset)
        assert httpx.get(f"{url}/openapi.json", timeout=10).json()["paths"], name

    # And a process killed outright is started again by the launcher
    victim = second.run_file()["pids"]["deals"]
    os.kill(victim, signal.SIGKILL)
    second.wait_for("deals restarted", 60)
    assert second.run_file()["pids"]["deals"] != victim
    assert wait_until(
        lambda: httpx.get(f"{urls['deals']}/healthz", timeout=2).status_code == 200, 60
    )

    # And what insights says (its clock ticks at least, one a minute) carries the headers
    # every event record carries
    bootstrap = second.run_file()["kafka_bootstrap"]
    records = wait_until(lambda: asyncio.run(read_all(bootstrap, "l2c.insights.v1", 5)), 150)
    for record in records:
        headers = dict(record.headers or ())
        assert {"event_id", "event_type", "content-type", "traceparent"} <= set(headers)
    second.stop()
    before = stored_events(data_dir)

    # When `make run` starts a third time
    third = make_run(data_dir)
    third.wait_for("ready", 300)
    urls = third.run_file()["urls"]
    assert wait_until(lambda: funnel(urls["gateway"]) == DEMO_FUNNEL)
    third.stop()
    # Then it seeded nothing and no store changed
    assert "seeding" not in third.output
    assert stored_events(data_dir) == before
