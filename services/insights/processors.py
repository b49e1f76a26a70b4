"""The insights stream processors (faust-streaming) and their web views.

Flow, all on Kafka:

    l2c.leads.v1, l2c.deals.v1, l2c.billing.v1
        └─ route_published_events: decode the envelope (bad records -> <topic>.dlq),
           keep the event's fact, re-key it:
             ├─ funnel steps          -> l2c-insights-funnel-steps  (key: step|day)
             └─ order facts           -> l2c-insights-order-facts   (key: order id)
    count_funnel_steps:   table funnel-counts[step|day] += 1, once per dedupe id
    reconcile_orders:     table reconciliation[order id] folds the fact, once per event id,
                          and reports the "invoiced"/"paid" steps it newly reaches

Every table write happens in the agent that owns the key's partition, so tables stay
correct with several workers; the "seen" tables make redelivered records count once,
including after a restart (tables are restored from their changelog topics).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime

import faust
from faust.web import Request, Response, View
from opentelemetry.trace import SpanKind

from kernel.contracts import decode_envelope
from kernel.errors import ContractError
from kernel.settings import Settings
from kernel.telemetry import context_from_kafka_headers, current_trace_headers, tracer
from kernel.topics import BILLING, DEALS, LEADS, TopicSpec
from services.insights.adapters.facts import fact_from_data, fact_of, fact_to_data
from services.insights.domain.funnel import (
    ORDER_FACTS,
    ReconciliationRow,
    StepReached,
    funnel_report,
    step_reached_by,
)

log = logging.getLogger(__name__)

APP_ID = "l2c-insights"
# Re-keyed streams between the agents. Created before the worker starts: a consumer that
# subscribes before its topic exists is told to ignore it and never reads it.
INTERNAL_TOPICS = (
    TopicSpec(f"{APP_ID}-funnel-steps", "step|day", "JSON", "funnel steps reached"),
    TopicSpec(f"{APP_ID}-order-facts", "order id", "JSON", "order facts by order"),
)


def _headers(event: faust.types.EventT) -> list[tuple[str, bytes]]:
    raw = event.headers or {}
    items = raw.items() if isinstance(raw, dict) else raw
    return [(k, v if isinstance(v, bytes) else str(v).encode()) for k, v in items]


def _trace_headers() -> dict[str, bytes]:
    return {k: v.encode() for k, v in current_trace_headers().items()}


def create_app(settings: Settings, web_port: int = 8004) -> faust.App:
    """Build the processor app; nothing connects until a worker starts it."""
    datadir = (settings.data_dir / "insights").resolve()
    app = faust.App(
        APP_ID,
        broker=f"kafka://{settings.kafka_bootstrap.split(',')[0]}",
        store="memory://",
        datadir=str(datadir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        consumer_auto_offset_reset="earliest",
        web_enabled=True,
        web_host="0.0.0.0",
        web_port=web_port,
        web_in_thread=False,
        producer_acks=-1,
        table_standby_replicas=0,
    )

    published = app.topic(
        LEADS.name,
        DEALS.name,
        BILLING.name,
        key_type=bytes,
        value_type=bytes,
        value_serializer="raw",
        key_serializer="raw",
    )
    funnel_steps = app.topic(
        INTERNAL_TOPICS[0].name,
        key_type=str,
        value_type=str,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
        internal=True,
    )
    order_facts = app.topic(
        INTERNAL_TOPICS[1].name,
        key_type=str,
        value_type=str,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
        internal=True,
    )

    funnel_counts = app.Table("funnel-counts", default=int, partitions=settings.topic_partitions)
    counted = app.Table("funnel-counted", default=bool, partitions=settings.topic_partitions)
    reconciliation = app.Table("reconciliation", default=dict, partitions=settings.topic_partitions)
    reconciled = app.Table(
        "reconciliation-seen", default=bool, partitions=settings.topic_partitions
    )

    async def report_step(reached: StepReached) -> None:
        await funnel_steps.send(
            key=reached.key,
            value=json.dumps(
                {
                    "step": reached.step,
                    "day": reached.day.isoformat(),
                    "dedupe_id": reached.dedupe_id,
                }
            ),
            headers=_trace_headers(),
        )

    @app.agent(published)
    async def route_published_events(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await _route(event)

    async def _route(event: faust.types.EventT) -> None:
        headers = _headers(event)
        with tracer().start_as_current_span(
            "insights route", context=context_from_kafka_headers(headers), kind=SpanKind.CONSUMER
        ) as span:
            topic = event.message.topic
            try:
                envelope, payload = decode_envelope(event.value)
            except ContractError as exc:
                log.warning("dead-lettered %s@%s: %s", topic, event.message.offset, exc)
                await app.topic(topic + ".dlq", value_serializer="raw", key_serializer="raw").send(
                    key=event.key,
                    value=event.value,
                    headers=[
                        *headers,
                        ("dlq.reason", f"undecodable: {exc}".encode()),
                        ("dlq.consumer", APP_ID.encode()),
                        ("dlq.source.topic", topic.encode()),
                        ("dlq.source.offset", str(event.message.offset).encode()),
                    ],
                )
                return
            span.set_attribute("l2c.event_type", envelope.event_type)
            fact = fact_of(envelope, payload)
            if fact is None:
                return
            reached = step_reached_by(fact)
            if reached is not None:
                await report_step(reached)
            if fact.kind in ORDER_FACTS:
                await order_facts.send(
                    key=fact.order_id,
                    value=json.dumps(fact_to_data(fact)),
                    headers=_trace_headers(),
                )

    @app.agent(funnel_steps)
    async def count_funnel_steps(stream: faust.StreamT) -> None:
        async for event in stream.events():
            with tracer().start_as_current_span(
                "insights count_funnel_steps",
                context=context_from_kafka_headers(_headers(event)),
                kind=SpanKind.CONSUMER,
            ):
                step = json.loads(event.value)
                if counted[step["dedupe_id"]]:
                    continue
                funnel_counts[event.key] += 1
                counted[step["dedupe_id"]] = True

    @app.agent(order_facts)
    async def reconcile_orders(stream: faust.StreamT) -> None:
        async for event in stream.events():
            with tracer().start_as_current_span(
                "insights reconcile_orders",
                context=context_from_kafka_headers(_headers(event)),
                kind=SpanKind.CONSUMER,
            ):
                fact = fact_from_data(json.loads(event.value))
                if reconciled[fact.event_id]:
                    continue
                row = ReconciliationRow.from_data(
                    reconciliation[fact.order_id] or {"order_id": fact.order_id}
                )
                reached = row.apply(fact)
                reconciliation[fact.order_id] = row.to_data()
                reconciled[fact.event_id] = True
                for step in reached:
                    await report_step(step)

    @app.page("/funnel")
    class FunnelView(View):
        async def get(self, request: Request) -> Response:
            try:
                since = _day(request.query.get("since"))
                until = _day(request.query.get("until"))
            except ValueError as exc:
                return self.json({"error": "invalid_request", "message": str(exc)}, status=422)
            return self.json(funnel_report(dict(funnel_counts.items()), since, until))

    @app.page("/reconciliation")
    class ReconciliationView(View):
        async def get(self, request: Request) -> Response:
            rows = [ReconciliationRow.from_data(v).as_report() for v in reconciliation.values()]
            rows.sort(key=lambda r: str(r["order_id"]))
            return self.json({"orders": rows, "as_of": datetime.now(UTC).isoformat()})

    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    return app


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
