"""Logs: one JSON object per line from every process (python-json-logger), with an RFC 3339
UTC timestamp to the millisecond, the service's name, and the trace and span ids of the
span active when the line was written (so a log line finds its trace, and back).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

FIELDS = ("ts", "level", "service", "logger", "message", "trace_id", "span_id")


class ContextFilter(logging.Filter):
    """Stamps each record with the service name and the active span's ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True


class L2CJsonFormatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def formatter() -> logging.Formatter:
    return L2CJsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
    )


def handler(service: str) -> logging.Handler:
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(formatter())
    out.addFilter(ContextFilter(service))
    return out


def setup_logging(level: str, service: str = "l2c") -> None:
    """Every record of this process as a JSON line on stderr."""
    logging.basicConfig(level=level.upper(), handlers=[handler(service)], force=True)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def logging_config(level: str, service: str) -> dict[str, Any]:
    """The same as a ``logging.config.dictConfig`` document (for faust's worker, which
    configures logging itself)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter, "service": service}},
        "formatters": {"json": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["context"],
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {"aiokafka": {"level": "WARNING"}},
    }
