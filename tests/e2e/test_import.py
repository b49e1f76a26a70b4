"""A quarter of an existing business loaded with `l2c import`, on the system as `make run`
starts it: several thousand commands with business times spread over the last full
quarter, interrupted (killed) and resumed, then imported a second time; the read models
then show the generator's own figures for that quarter, and the second run changed
nothing."""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from devenv.flowbench import settle
from devenv.history import Figures, generate
from tests.auth_support import auth
from tests.e2e.support import REPO, Launched, l2c_run

FLOWS = 420


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("imported")
    launched = Launched(l2c_run(data_dir, "--no-demo"), data_dir)
    launched.wait_for("ready", 180)
    yield {**launched.run_file(), "data_dir": data_dir}
    launched.stop(signal.SIGTERM)


def l2c_import(data_dir: Path, source: Path, report: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "--data-dir",
            str(data_dir),
            "import",
            str(source),
            "--report",
            str(report),
            "--parallel",
            "8",
        ],  # fmt: skip
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, (out, err[-3000:])
    assert "l2c import:" in err and "lines/s" in err  # progress was shown
    summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return summary


def report_of(path: Path) -> dict[int, dict[str, Any]]:
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    return {e["line"]: e for e in entries if e["status"] == "ok"}


def figures_shown(http: httpx.Client, figures: Figures) -> dict[str, Any]:
    period = {"since": figures.since, "until": figures.until}
    funnel = http.get("/insights/funnel", params=period).json()
    velocity = http.get("/insights/velocity", params=period).json()["overall"]
    orders = http.get("/insights/reconciliation", params={"limit": 500}).json()
    return {
        "funnel": {step["step"]: step["count"] for step in funnel["steps"]},
        "won": velocity["won"],
        "lost": velocity["lost"],
        "cycle_median": velocity["cycle_days"]["median"],
        "orders": orders["page"]["total"],
        "paid_orders": sum(1 for order in orders["orders"] if order["status"] == "paid"),
        "paid": sum(float(order["paid"]) for order in orders["orders"]),
    }


STEP_OF = {
    "capture_lead": "lead",
    "qualify_lead": "mql",
    "accept_lead": "sql",
    "convert_lead": "deal",
    "win_deal": "won",
}


def steps_by(lines: list[dict[str, Any]], moment: datetime) -> dict[str, int]:
    """The funnel at ``moment`` from the generated lines: a won deal is invoiced at once
    (its order and invoice follow the win), an ERP payment pays its order in full."""
    counts = dict.fromkeys(["lead", "mql", "sql", "deal", "won", "invoiced", "paid"], 0)
    for line in lines:
        if line.get("command") in STEP_OF and datetime.fromisoformat(line["occurred_at"]) <= moment:
            counts[STEP_OF[line["command"]]] += 1
        if line.get("webhook") == "erp/payments":
            counts["paid"] += datetime.fromisoformat(line["fields"]["received_at"]) <= moment
    counts["invoiced"] = counts["won"]
    return counts


def count_leads(http: httpx.Client) -> int:
    count, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = http.get("/leads", params=params).json()
        count += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor or not page["items"]:
            return count


def test_a_quarter_imported_interrupted_resumed_and_again(
    system: dict[str, Any], tmp_path: Path
) -> None:
    lines, figures = generate(FLOWS, seed=11)
    assert figures.commands >= 2500, figures  # several thousand commands
    source = tmp_path / "quarter.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    data_dir: Path = system["data_dir"]
    report = tmp_path / "first.report.jsonl"

    # Interrupted: killed without warning once a third of the lines are done.
    first = l2c_import(data_dir, source, report)
    deadline = time.monotonic() + 300
    while not report.exists() or len(report.read_text().splitlines()) < len(lines) // 3:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the import made no progress"
        time.sleep(0.2)
    first.kill()
    first.wait()
    done_before = len(report_of(report))
    assert 0 < done_before < len(lines)

    resumed = finished(l2c_import(data_dir, source, report))
    assert resumed["failed"] == 0, report.read_text()[-3000:]
    assert resumed["done_before"] >= done_before
    assert resumed["ok"] + resumed["done_before"] == resumed["lines"] == len(lines)
    answers = report_of(report)
    assert len(answers) == len(lines)

    urls = system["urls"]
    settle(urls, system["kafka_bootstrap"], timeout=300)
    http = httpx.Client(base_url=urls["gateway"], auth=auth(), timeout=30)
    shown = figures_shown(http, figures)
    assert shown["funnel"] == {
        "lead": figures.leads,
        "mql": figures.mqls,
        "sql": figures.sqls,
        "deal": figures.deals,
        "won": figures.won,
        "invoiced": figures.invoiced,
        "paid": figures.paid,
    }
    assert (shown["won"], shown["lost"]) == (figures.won, figures.lost)
    assert shown["cycle_median"] == round(statistics.median(figures.cycle_days), 2)
    assert (shown["orders"], shown["paid_orders"]) == (figures.won, figures.paid)
    # The funnel as it stood in the middle of the quarter: each step counted from the
    # lines whose business time came by then.
    middle = datetime.fromisoformat(figures.since + "T12:00:00+00:00") + timedelta(days=30)
    then = http.get("/insights/funnel", params={"as_of": middle.isoformat()})
    assert then.status_code == 200, then.text
    assert then.json()["as_of"]["event_time"] == middle.isoformat()
    assert {s["step"]: s["count"] for s in then.json()["steps"]} == steps_by(lines, middle)
    assert steps_by(lines, middle)["won"] > 0  # the middle is not the start
    # Every imported record keeps its business time and its external id.
    capture = next(line for line in lines if line.get("external_id"))
    lead_id = answers[lines.index(capture) + 1]["answer"]["lead_id"]
    first_event = http.get(f"/leads/{lead_id}/history").json()["events"][0]
    assert first_event["occurred_at"] == capture["occurred_at"]
    assert first_event["external_id"] == capture["external_id"]
    named = http.get(f"/external-ids/leads/{capture['external_id']}").json()
    assert named["records"] == [{"kind": "Lead", "id": lead_id}]
    leads_total = count_leads(http)
    assert leads_total == figures.leads

    # The same file again, from scratch: every command answers as the first time, and
    # nothing is added.
    again_report = tmp_path / "second.report.jsonl"
    again = finished(l2c_import(data_dir, source, again_report))
    assert again["failed"] == 0 and again["ok"] == len(lines), again
    replayed = report_of(again_report)
    for number, line in enumerate(lines, start=1):
        if "command" in line:
            assert replayed[number]["answer"] == answers[number]["answer"], (number, line)
    settle(urls, system["kafka_bootstrap"], timeout=300)
    assert figures_shown(http, figures) == shown
    assert count_leads(http) == leads_total
