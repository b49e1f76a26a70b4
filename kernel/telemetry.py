"""OpenTelemetry in every process, and W3C trace context carried through HTTP and Kafka.

Exporters (``L2C_OTEL_EXPORTER``): ``none``; ``otlp`` — to an OpenTelemetry collector,
configured the standard way (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``..._PROTOCOL`` ``grpc`` or
``http/protobuf``, ``..._HEADERS``; ``OTEL_TRACES_EXPORTER=otlp`` alone also selects it);
``console``; ``jsonl`` — one JSON line per finished span appended to
``L2C_OTEL_JSONL_PATH`` (several processes may share the file). Spans carry the resource
attributes ``service.name``, ``service.version`` and whatever ``OTEL_RESOURCE_ATTRIBUTES``
adds.

With no exporter, spans are not recorded (nothing would read them) but trace context is
still made and carried: a caller's ``traceparent`` reaches every later hop, and a process
that does export continues the same trace.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()
try:
    VERSION = version("l2c")
except PackageNotFoundError:  # run from a tree that was not installed
    VERSION = "0+unknown"
_configured = False
_exporting = False


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans to a file, one JSON object per line."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            if ctx is None:
                continue
            lines.append(
                json.dumps(
                    {
                        "service": span.resource.attributes.get("service.name"),
                        "name": span.name,
                        "kind": span.kind.name,
                        "trace_id": format(ctx.trace_id, "032x"),
                        "span_id": format(ctx.span_id, "016x"),
                        "parent_span_id": format(span.parent.span_id, "016x")
                        if span.parent
                        else None,
                        "start": span.start_time,
                        "end": span.end_time,
                        "attributes": {k: str(v) for k, v in (span.attributes or {}).items()},
                    }
                )
            )
        with self._lock, self._path.open("a") as out:
            out.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def setup_telemetry(
    service_name: str, exporter: str = "none", jsonl_path: Path | None = None
) -> None:
    """Install the tracer provider of this process (once)."""
    global _configured, _exporting
    if _configured:
        return
    if exporter == "none" and os.environ.get("OTEL_TRACES_EXPORTER", "").startswith("otlp"):
        exporter = "otlp"
    resource = Resource.create({"service.name": service_name, "service.version": VERSION})
    if exporter == "none":
        # Unrecorded spans cost a fraction of recorded ones; a sampled parent is still
        # honoured so a caller that traces sees its flag carried on.
        provider = TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_OFF))
    else:
        provider = TracerProvider(resource=resource)
    if exporter == "otlp":
        provider.add_span_processor(BatchSpanProcessor(otlp_exporter()))
    elif exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "jsonl" and jsonl_path is not None:
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(jsonl_path)))
    trace.set_tracer_provider(provider)
    _configured = True
    _exporting = exporter != "none"


def otlp_exporter() -> SpanExporter:
    """The OTLP exporter the standard variables ask for (HTTP unless they say gRPC); each
    reads its endpoint, headers, timeout and compression from ``OTEL_EXPORTER_OTLP_*``."""
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    )
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def exporting() -> bool:
    """Whether this process exports spans: per-record spans on a hot path are worth their
    cost only then (trace context is carried either way)."""
    return _exporting


@functools.cache
def tracer() -> trace.Tracer:
    """The project's tracer (made once: a tracer obtained before ``setup_telemetry`` is a
    proxy that follows the provider installed later)."""
    return trace.get_tracer("l2c")


def current_trace_headers() -> dict[str, str]:
    """``traceparent``/``tracestate`` of the active span (empty when there is none)."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def context_from_carrier(carrier: Mapping[str, str]) -> Context:
    return _propagator.extract(carrier=dict(carrier))


def context_from_kafka_headers(headers: Iterable[tuple[str, bytes]] | None) -> Context:
    carrier = {
        k: v.decode("latin-1") for k, v in (headers or []) if k in ("traceparent", "tracestate")
    }
    return context_from_carrier(carrier)


def kafka_headers_for(carrier: Mapping[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode("latin-1")) for k, v in carrier.items() if v]
