"""Trace context without an exporter: spans are not recorded, context is still carried.

Each case runs in its own interpreter: a process installs its tracer provider once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from pathlib import Path
from kernel.telemetry import (
    context_from_carrier, current_trace_headers, exporting, setup_telemetry, tracer,
)
setup_telemetry("probe", sys.argv[1], Path(sys.argv[2]))
out = {"exporting": exporting()}
with tracer().start_as_current_span("root") as span:
    out["root_recording"] = span.is_recording()
    out["root_headers"] = current_trace_headers()
sampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
with tracer().start_as_current_span(
    "child", context=context_from_carrier({"traceparent": sampled})
) as span:
    out["child_recording"] = span.is_recording()
    out["child_headers"] = current_trace_headers()
print(json.dumps(out))
"""


def probe(exporter: str, spans: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, exporter, str(spans)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_without_an_exporter_spans_are_unrecorded_but_context_is_carried(tmp_path: Path) -> None:
    seen = probe("none", tmp_path / "spans.jsonl")
    assert seen["exporting"] is False
    assert seen["root_recording"] is False
    version, trace_id, span_id, flags = seen["root_headers"]["traceparent"].split("-")
    assert version == "00" and int(flags, 16) & 1 == 0  # not sampled
    assert int(trace_id, 16) != 0 and int(span_id, 16) != 0
    # A caller that samples keeps its trace and its flag through this process.
    assert seen["child_recording"] is True
    child = seen["child_headers"]["traceparent"].split("-")
    assert child[1] == "0af7651916cd43dd8448eb211c80319c"
    assert child[3] == "01"


def test_with_an_exporter_every_span_is_recorded(tmp_path: Path) -> None:
    seen = probe("jsonl", tmp_path / "spans.jsonl")
    assert seen["exporting"] is True
    assert seen["root_recording"] is True
    assert int(seen["root_headers"]["traceparent"].split("-")[3], 16) & 1 == 1
    names = [
        json.loads(line)["name"] for line in (tmp_path / "spans.jsonl").read_text().splitlines()
    ]
    assert names == ["root", "child"]
