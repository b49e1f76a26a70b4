"""Traces leave by OTLP the standard way, over gRPC as over HTTP: a process configured only
by OTEL_* variables delivers its spans, with service name and version, to a receiver."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent import futures
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.otlp_receiver import OtlpReceiver

PROBE = """
from opentelemetry import trace
from kernel.settings import get_settings
from kernel.telemetry import setup_telemetry, tracer
setup_telemetry("probe", get_settings().otel_exporter)
with tracer().start_as_current_span("outer"):
    with tracer().start_as_current_span("inner"):
        pass
trace.get_tracer_provider().shutdown()  # flushes the batch
"""


class _Traces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []

    def Export(self, request: Any, context: Any) -> Any:  # noqa: N802 - the protocol's name
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append({"name": span.name, **attributes})
        return trace_service_pb2.ExportTraceServiceResponse()


def _probe(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, "PATH": "/usr/bin:/bin"} | _python_env(),
        check=True,
        timeout=60,
    )


def _python_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k.startswith(("PYTHON", "VIRTUAL_ENV"))}


def test_spans_reach_a_grpc_receiver() -> None:
    traces = _Traces()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(traces, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        _probe(
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test",
            }
        )
    finally:
        server.stop(None)
    assert sorted(s["name"] for s in traces.spans) == ["inner", "outer"]
    assert {s["service.name"] for s in traces.spans} == {"probe"}
    assert {s["service.version"] for s in traces.spans} == {"0.1.0"}
    assert {s["deployment.environment"] for s in traces.spans} == {"test"}


def test_spans_reach_an_http_receiver_by_l2c_setting_too() -> None:
    with OtlpReceiver() as receiver:
        _probe(
            {
                "L2C_OTEL_EXPORTER": "otlp",  # the platform's own switch
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            }
        )
        deadline = time.monotonic() + 10
        while len(receiver.spans) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    names = sorted(s["name"] for s in receiver.spans)
    assert names == ["inner", "outer"], json.dumps(receiver.spans)
    inner = next(s for s in receiver.spans if s["name"] == "inner")
    outer = next(s for s in receiver.spans if s["name"] == "outer")
    assert inner["trace_id"] == outer["trace_id"] and inner["parent_id"] == outer["span_id"]


@pytest.fixture(autouse=True)
def _no_inherited_otel(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OTEL_TRACES_EXPORTER", "L2C_OTEL_EXPORTER"):
        monkeypatch.delenv(key, raising=False)
