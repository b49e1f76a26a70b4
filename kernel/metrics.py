"""Prometheus metrics of every process (prometheus-client), served at ``/metrics``.

- HTTP: ``l2c_http_requests_total`` and ``l2c_http_request_duration_seconds`` per service,
  method, route template and status class (a template, never a raw path: ids would make
  a series each).
- Relay: ``l2c_relay_backlog`` (events stored, not yet published) and
  ``l2c_relay_published_total`` per topic.
- Consumers: ``l2c_consumer_lag`` (records on the partition after the consumer's position)
  per consumer, topic and partition; ``l2c_consumer_records_total``.
- Dead letters: ``l2c_dead_letters_total`` per consumer, topic and reason (its kind: the
  text before the first colon).
- Insights: ``l2c_insights_records_total``, ``l2c_insights_watermark_lag_seconds`` and
  ``l2c_insights_breaches_open`` per rule (read from the projection when scraped).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "l2c_http_requests",
    "HTTP requests answered",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "l2c_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RELAY_BACKLOG = Gauge(
    "l2c_relay_backlog", "Events stored and not yet published", ["service", "topic"]
)
RELAY_PUBLISHED = Counter("l2c_relay_published", "Events the relay published", ["service", "topic"])
CONSUMER_LAG = Gauge(
    "l2c_consumer_lag",
    "Records on the partition after the consumer's position",
    ["consumer", "topic", "partition"],
)
CONSUMER_RECORDS = Counter(
    "l2c_consumer_records", "Records a consumer is done with", ["consumer", "topic"]
)
DEAD_LETTERS = Counter("l2c_dead_letters", "Records set aside", ["consumer", "topic", "reason"])
INSIGHTS_RECORDS = Counter("l2c_insights_records", "Records the insights worker folded")
INSIGHTS_WATERMARK_LAG = Gauge(
    "l2c_insights_watermark_lag_seconds",
    "Wall-clock time minus the insights watermark (how far judgement trails now)",
)
INSIGHTS_BREACHES_OPEN = Gauge(
    "l2c_insights_breaches_open", "Health-threshold breaches open", ["rule"]
)


def reason_kind(reason: str) -> str:
    """A dead letter's reason as a label: its kind, not its (unbounded) text."""
    return reason.split(":", 1)[0].strip()[:60] or "unknown"


def exposition() -> tuple[bytes, str]:
    """The current samples in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


class HttpMetrics:
    """Pure ASGI middleware counting and timing every HTTP request by route template."""

    def __init__(self, app: Callable[..., Awaitable[None]], service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def seen(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, seen)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(self.service, method, route, f"{status // 100}xx").inc()
            HTTP_DURATION.labels(self.service, method, route).observe(time.perf_counter() - started)
