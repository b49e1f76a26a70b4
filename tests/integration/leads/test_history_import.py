"""`l2c import` line by line against the leads service in-process: every unreadable,
unknown or refused line is reported with its reason and the rest still loads; a line
depending on a failed one fails with that reason; a second run with the report resumes
and adds nothing; references, business times and external ids reach the service."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from devenv.issuer import IssuerAuth
from kernel.settings import Settings
from services.importer import Importer, Report, default_routes
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api
from tests.auth_support import ISSUER, TestClient

LOADER = IssuerAuth(ISSUER, "loader", ["migration"])


def lead(n: int, **extra: Any) -> dict[str, Any]:
    fields = {"full_name": f"Old Customer {n}", "email": f"old{n}@legacy{n}.example"}
    return {"command": "capture_lead", "fields": {**fields, "source": "import"}, **extra}


def run(api: Any, source: Path, report_path: Path) -> tuple[Any, dict[int, dict[str, Any]]]:
    importer = Importer(
        "http://leads", LOADER, default_routes(), parallel=3, wait_seconds=2,
        transport=httpx.ASGITransport(app=api),
    )  # fmt: skip
    report = Report(report_path)
    try:
        summary = asyncio.run(importer.run(source, report))
    finally:
        report.close()
    entries = {}
    for line in report_path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the entry an interruption cut short
        if entry["line"] not in entries or entry["status"] == "ok":
            entries[entry["line"]] = entry
    return summary, entries


def test_bad_lines_are_reported_and_the_rest_loads(
    store_settings: Settings, tmp_path: Path
) -> None:
    api = build_api(LeadsApplication(store_settings))
    good = {**lead(1, ref="a", external_id="legacy-1"), "occurred_at": "2026-08-03T10:00:00Z"}
    lines: list[bytes] = [
        json.dumps(good).encode(),  # 1
        b"\xff\xfe garbage \x00",  # 2: not JSON
        b"[1, 2, 3]",  # 3: not an object
        json.dumps({**lead(2), "read": "/leads"}).encode(),  # 4: two kinds
        json.dumps({**lead(3), "colour": "red"}).encode(),  # 5: unknown key
        json.dumps({**lead(4), "occurred_at": "last tuesday"}).encode(),  # 6
        json.dumps({"command": "launch_rockets", "fields": {}}).encode(),  # 7: no such command
        json.dumps({"command": "qualify_lead", "fields": {"note": "x"}}).encode(),  # 8: no id
        json.dumps({**lead(5), "fields": {"full_name": "x" * 5000}}).encode(),  # 9: refused
        json.dumps({**lead(6, ref="b"), "occurred_at": "2199-01-01T00:00:00Z"}).encode(),  # 10
        json.dumps(
            {"command": "qualify_lead", "fields": {"lead_id": "{@b.lead_id}"}}  # 11: b failed
        ).encode(),
        json.dumps({"command": "qualify_lead", "fields": {"lead_id": "{@nope.lead_id}"}}).encode(),
        b"x" * (1 << 20 + 1),  # 13: oversized
        json.dumps(
            {
                "command": "qualify_lead",
                "occurred_at": "2026-08-04T10:00:00Z",
                "fields": {"lead_id": "{@a.lead_id}", "note": "from {@a.status}"},
            }
        ).encode(),  # 14
    ]
    source = tmp_path / "history.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")

    summary, report = run(api, source, tmp_path / "report.jsonl")

    assert (summary.ok, summary.failed) == (2, 12), report
    assert [n for n, e in sorted(report.items()) if e["status"] == "ok"] == [1, 14]
    reasons = {n: e.get("error", "") for n, e in report.items()}
    for number, expected in {
        2: "not JSON",
        3: "not a JSON object",
        4: "exactly one of",
        5: "unknown keys ['colour']",
        6: "RFC 3339",
        7: "no command 'launch_rockets'",
        8: "qualify_lead needs lead_id",
        9: "422",
        10: "Occurred-At",
        11: "ref 'b' failed",
        12: "no line names ref 'nope'",
        13: "longer than",
    }.items():
        assert expected in reasons[number], (number, reasons[number])

    lead_id = report[1]["answer"]["lead_id"]
    assert report[14]["answer"]["lead_id"] == lead_id
    # The references, business times and external id reached the service.
    events = TestClient(api).get(f"/leads/{lead_id}/history").json()["events"]
    assert events[0]["occurred_at"] == "2026-08-03T10:00:00+00:00"
    assert events[0]["external_id"] == "legacy-1"
    assert events[0]["actor"]["roles"] == ["migration"]
    qualified = next(e for e in events if e["event"] == "Lead.MarketingQualified")
    assert qualified["occurred_at"] == "2026-08-04T10:00:00+00:00"
    assert qualified["payload"]["note"] == f"from {report[1]['answer']['status']}"


def test_a_second_run_resumes_from_its_report_and_adds_nothing(
    store_settings: Settings, tmp_path: Path
) -> None:
    app = LeadsApplication(store_settings)
    api = build_api(app)
    lines = [lead(n, ref=f"l{n}", group=f"g{n % 3}") for n in range(12)]
    lines += [
        {
            "command": "qualify_lead",
            "group": f"g{n % 3}",
            "fields": {"lead_id": f"{{@l{n}.lead_id}}"},
        }
        for n in range(12)
    ]
    source = tmp_path / "history.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report_path = tmp_path / "report.jsonl"
    # A report cut short: the first five lines done, the sixth's entry half written.
    first, report = run(api, source, report_path)
    assert (first.ok, first.failed) == (24, 0), report
    position = app.recorder.max_notification_id()
    kept = report_path.read_text().splitlines()[:5]
    report_path.write_text("\n".join(kept) + '\n{"line": 6, "sta')

    resumed, again = run(api, source, report_path)
    assert (resumed.skipped, resumed.ok, resumed.failed) == (5, 19, 0)
    assert app.recorder.max_notification_id() == position  # nothing new stored
    for number, entry in report.items():
        assert again[number]["answer"] == entry["answer"], number

    from_scratch, _ = run(api, source, tmp_path / "fresh.jsonl")
    assert (from_scratch.ok, from_scratch.skipped) == (24, 0)
    assert app.recorder.max_notification_id() == position
