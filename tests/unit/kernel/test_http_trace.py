"""Trace context through an HTTP request in a process that exports no spans: FastAPI's
native telemetry is off there, and the context middleware's own span carries the caller's
trace (or starts one) into the request, its events and its answer.

Run in an interpreter of its own: a process installs its tracer provider once."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json
from fastapi.testclient import TestClient
from kernel.http import create_api
from kernel.settings import Settings
from kernel.telemetry import exporting, setup_telemetry
setup_telemetry("probe", "none")
api = create_api("L2C probe", "probe", settings=Settings())
with TestClient(api) as client:
    carried = client.get("/healthz", headers={"traceparent": %r}).headers["traceparent"]
    fresh = [client.get("/healthz").headers["traceparent"] for _ in range(2)]
print(json.dumps({"exporting": exporting(), "native": api._native_telemetry.enabled(),
                  "carried": carried, "fresh": fresh}))
"""
CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_the_callers_trace_is_carried_and_a_new_one_made_without_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % CALLER], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["exporting"] is False and seen["native"] is False
    version, trace_id, span_id, flags = seen["carried"].split("-")
    assert (version, trace_id, flags) == ("00", "0af7651916cd43dd8448eb211c80319c", "01")
    assert span_id != "b7ad6b7169203331" and int(span_id, 16) != 0  # this hop's own span
    ids = [t.split("-") for t in seen["fresh"]]
    assert all(int(i[1], 16) != 0 and int(i[3], 16) & 1 == 0 for i in ids)  # made, unsampled
    assert ids[0][1] != ids[1][1]  # one trace per request
