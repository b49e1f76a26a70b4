"""Log lines are JSON with UTC milliseconds, the service, and the active span's ids."""

from __future__ import annotations

import io
import json
import logging
import re

from opentelemetry.sdk.trace import TracerProvider

from kernel.logs import ContextFilter, formatter


def _logger(stream: io.StringIO) -> logging.Logger:
    out = logging.StreamHandler(stream)
    out.setFormatter(formatter())
    out.addFilter(ContextFilter("deals"))
    logger = logging.getLogger(f"test-logs-{id(stream)}")
    logger.handlers = [out]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_a_line_in_a_span_names_its_trace_and_one_outside_does_not() -> None:
    stream = io.StringIO()
    log = _logger(stream)
    tracer = TracerProvider().get_tracer("test")
    log.info("outside %s", "any span")
    with tracer.start_as_current_span("work") as span:
        log.warning("inside")
        context = span.get_span_context()
    try:
        raise ValueError("bad")
    except ValueError:
        log.exception("failed")
    outside, inside, failed = (json.loads(line) for line in stream.getvalue().splitlines())
    assert outside["message"] == "outside any span" and "trace_id" not in outside
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", outside["ts"])
    assert (outside["service"], outside["level"]) == ("deals", "INFO")
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert "ValueError: bad" in failed["exc_info"]
