"""The insights worker: one faust-streaming app that folds every published event into the
projection and serves the read models.

    l2c.leads.v1, l2c.deals.v1, l2c.billing.v1, l2c.erp.inbound.v1, l2c.insights.v1 (ticks)
        └─ feed (aiokafka, adapters/feed.py) -> project: batches of records ->
           Engine.handle -> one SQLite transaction holding the changed records, the
           positions reached and the outputs (outbox)
                 └─ outputs (breaches, clearings, forecast snapshots) -> l2c.insights.v1
    tick (timer): ClockTicked(now) -> l2c.insights.v1, read back like any event, so a
                  replay sees time pass exactly as the worker did

Restart safety: the store says which offset of each partition it has applied; records at
lower offsets are skipped, every partition assigned is read from the store's position,
and the projection drops redelivered events by aggregate version besides. Each store
generation has its own consumer group (faust app version), whose offsets follow the
store's commits for the lag operators watch.

The read models join leads, deals, orders and invoices, so one worker holds them all:
scale this worker up, not out (see README, "Insights").
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import faust
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context
from aiokafka.structs import ConsumerRecord
from faust.app.base import BootStrategy
from faust.utils import json as faust_json
from faust.web import Request, Response, View
from opentelemetry.trace import SpanKind

from kernel import apidocs
from kernel.access import admit
from kernel.auth import Forbidden, TokenVerifier, Unauthenticated
from kernel.contracts import envelope_record_headers
from kernel.kafka import (
    PartitionEnds,
    client_options,
    dead_letter_headers,
    dead_letter_reason,
    key_partitioner,
)
from kernel.metrics import (
    DEAD_LETTERS,
    INSIGHTS_BREACHES_OPEN,
    INSIGHTS_RECORDS,
    INSIGHTS_WATERMARK_LAG,
    exposition,
    reason_kind,
)
from kernel.registry import Framer
from kernel.scope import OutOfScope, narrow_filters, scope_of
from kernel.settings import Settings
from kernel.telemetry import (
    context_from_kafka_headers,
    current_trace_headers,
    exporting,
    tracer,
)
from kernel.topics import BILLING, DEALS, ERP_INBOUND, INSIGHTS, LEADS
from kernel.waiting import applied, parse_prefer
from services.insights.adapters.codec import CLOCK_KEY, decode, encode_output, encode_tick
from services.insights.adapters.config import load_rules, load_settings
from services.insights.adapters.feed import SourceFeed
from services.insights.adapters.store import ReadModelStore
from services.insights.domain.engine import ANNOUNCED, Engine, Output
from services.insights.domain.events import Event, iso
from services.insights.domain.state import Projection
from services.insights.entrypoints.queries import QUERIES, QueryError, answer, validated
from services.insights.entrypoints.routes import WORKER_TITLE, worker_openapi

log = logging.getLogger(__name__)

APP_ID = "l2c-insights"
# Records folded per store transaction at most (catching up reads full batches; live
# traffic is cut by the batching window first).
BATCH_RECORDS = 2000
AS_OF_KEPT = 3  # projections folded for an as_of, kept for the next queries
SOURCES = (LEADS, DEALS, BILLING, ERP_INBOUND, INSIGHTS)
# Ticks go to one partition of l2c.insights.v1, so that the watermark knows where to wait
# for them.
TICK_PARTITION = 0
_CLOCK_KEY = CLOCK_KEY.encode()


def tagged(body: Any) -> tuple[bytes, str]:
    """A read model's answer as JSON, and its ETag (a digest of those bytes)."""
    dumped = faust_json.dumps(body)  # as faust's own JSON responses encode it
    payload = dumped if isinstance(dumped, bytes) else dumped.encode()
    return payload, f'"{hashlib.blake2b(payload, digest_size=12).hexdigest()}"'


def store_path(settings: Settings) -> Path:
    return (settings.data_dir / "insights" / "read_models.sqlite3").resolve()


class Answers:
    """Read-model answers kept until the projection next changes: dashboards asking the
    same question between two commits get the kept answer instead of a recomputation
    (answers depend on the projection only, never on the wall clock). Each answer is kept
    under the commit it was computed after, so one computed across a commit is not kept
    as if it were current."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.commits = 0
        self._kept: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]] = (
            OrderedDict()
        )

        self._next = asyncio.Event()

    def changed(self) -> None:
        self.commits += 1
        self._kept.clear()
        self._next.set()
        self._next = asyncio.Event()

    async def next_change(self, timeout: float) -> None:
        """Until the projection next changes, or ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._next.wait(), timeout)

    async def get(
        self,
        name: str,
        params: dict[str, str],
        compute: Callable[[], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        key = (name, tuple(sorted(params.items())))
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        commits = self.commits
        body = await compute()
        if commits == self.commits:
            self._kept[key] = body
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return body


class InsightsWorker:
    """The projection, its store and its engine, shared by the agent and the views."""

    def __init__(self, settings: Settings) -> None:
        self.store = ReadModelStore(store_path(settings))
        self.generation = self.store.generation()
        self.projection = self.store.load(cached=settings.insights_cached_records)
        self.rules = load_rules()
        self.settings = load_settings()
        self.engine = Engine(self.projection, self.rules, self.settings)
        self.answers = Answers()
        self.kernel_settings = settings
        # Queries run here, off the loop that folds, on the store's last commit.
        self.queries = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insights-query")
        # Read models as of a past event time: folded again from the topics, one at a
        # time, the last few kept (they do not change unless late events arrive, and the
        # Answers cache is cleared then too).
        self._as_of: OrderedDict[datetime, Projection] = OrderedDict()
        self._as_of_lock: asyncio.Lock | None = None
        self._folded_during: list[datetime] = []

    def forget_as_of(self, since: datetime) -> None:
        """Events of event time ``since`` were folded: the models as of it or later change."""
        for moment in [m for m in self._as_of if m >= since]:
            del self._as_of[moment]
        if self._as_of_lock is not None and self._as_of_lock.locked():
            self._folded_during.append(since)  # a fold under way may have missed them

    async def as_of(self, moment: datetime) -> Projection:
        from services.insights.rebuild import projection_as_of  # it imports this module

        if self._as_of_lock is None:
            self._as_of_lock = asyncio.Lock()
        async with self._as_of_lock:
            if moment in self._as_of:
                self._as_of.move_to_end(moment)
                return self._as_of[moment]
            self._folded_during = []
            projection = await projection_as_of(self.kernel_settings, moment)
            if not any(since <= moment for since in self._folded_during):
                self._as_of[moment] = projection  # else: answer it, keep it not
            while len(self._as_of) > AS_OF_KEPT:
                self._as_of.popitem(last=False)
            return projection

    async def answer(self, name: str, params: dict[str, str], moment: datetime | None) -> Any:
        """A read model's answer, computed in the query thread: on the committed records,
        or on the records as of ``moment``."""
        if moment is not None:
            past = await self.as_of(moment)
            compute = partial(answer, name, params, past, self.rules, self.settings)
        else:
            compute = partial(self._answer_committed, name, params)
        loop = asyncio.get_running_loop()
        return await self.answers.get(
            name, params, partial(loop.run_in_executor, self.queries, compute)
        )

    def _answer_committed(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        with self.store.reading() as projection:
            return answer(name, params, projection, self.rules, self.settings)


def add_docs(app: faust.App) -> None:
    """``/docs`` (Swagger UI), ``/redoc`` and ``/openapi.json`` of the worker's views, with
    the documentation assets served from the installed package (no CDN)."""
    document = worker_openapi()

    @app.page("/openapi.json")
    class OpenApi(View):
        async def get(self, request: Request) -> Response:
            return self.json(document)

    @app.page("/docs")
    class SwaggerUi(View):
        async def get(self, request: Request) -> Response:
            return self.html(apidocs.swagger_page(WORKER_TITLE))

    @app.page("/redoc")
    class ReDoc(View):
        async def get(self, request: Request) -> Response:
            return self.html(apidocs.redoc_page(WORKER_TITLE))

    @app.page(apidocs.ASSETS_URL + "/{name}")
    class Asset(View):
        async def get(self, request: Request, name: str) -> Response:
            found = apidocs.asset(name)
            if found is None:
                return self.json({"error": "not_found", "message": name}, status=404)
            return self.bytes(found[0], content_type=found[1])


def _credentials(settings: Settings) -> faust.SASLCredentials | None:
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    assert settings.kafka_password is not None  # the settings insist on it
    return faust.SASLCredentials(
        username=settings.kafka_username,
        password=settings.kafka_password.get_secret_value(),
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=create_ssl_context()
        if settings.kafka_security_protocol == "SASL_SSL"
        else None,
    )


def create_app(settings: Settings, web_port: int = 8004) -> faust.App:
    """Build the worker app; nothing connects until a worker starts it."""
    worker = InsightsWorker(settings)
    app = faust.App(
        settings.group_id(APP_ID),
        version=worker.generation,
        broker=f"kafka://{settings.kafka_bootstrap.split(',')[0]}",
        store="memory://",
        datadir=str((settings.data_dir / "insights").resolve()),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        consumer_auto_offset_reset="earliest",
        web_enabled=True,
        web_host=settings.bind_host,
        web_port=web_port,
        web_in_thread=False,
        # faust's own pages (partition assignment, tables, graphs, stats) answer without
        # an identity: off; the worker serves only its read models, docs and probes.
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        broker_credentials=_credentials(settings),
        producer_acks=-1,
        producer_linger_ms=5,  # outputs of one batch go out in a few requests, not one each
        producer_partitioner=key_partitioner,
    )
    app.insights = worker  # type: ignore[attr-defined]
    # faust's consumer, conductor and tables stay off: the sources are read by SourceFeed
    # (no faust topics or assignor group either); faust runs the producer, the timer and
    # the web views.
    app.boot_strategy = BootStrategy(app, enable_kafka_consumer=False)
    raw = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    said = app.topic(INSIGHTS.name, **raw)  # type: ignore[arg-type]

    framed = Framer(settings, INSIGHTS.name, INSIGHTS.value)  # a schema registry's format

    async def say(key: str, value: bytes, partition: int | None = None) -> None:
        """Send one event record with the headers every event topic's records carry."""
        with tracer().start_as_current_span(f"publish {INSIGHTS.name}", kind=SpanKind.PRODUCER):
            headers = envelope_record_headers(value, current_trace_headers())
            await framed.ready()
            await said.send(
                key=key.encode(), value=framed(value), headers=headers, partition=partition
            )

    async def publish_outbox() -> None:
        """Send what the store has queued, a page at a time: one span per page, straight to
        the producer (faust's per-message channel machinery cost more than the fold)."""
        while rows := worker.store.pending():
            with tracer().start_as_current_span(
                f"publish {INSIGHTS.name}", kind=SpanKind.PRODUCER
            ) as span:
                span.set_attribute("messaging.batch.message_count", len(rows))
                trace_headers = current_trace_headers()
                await framed.ready()
                for _, key, value in rows:
                    await app.producer.send(
                        INSIGHTS.name,
                        key.encode(),
                        framed(value),
                        None,
                        None,
                        envelope_record_headers(value, trace_headers),
                    )
                await app.producer.flush()
            worker.store.published(rows[-1][0])

    async def dead_letter(record: ConsumerRecord, reason: str) -> None:
        DEAD_LETTERS.labels(APP_ID, record.topic, reason_kind(reason)).inc()
        headers = dead_letter_headers(
            record.topic, record.partition, record.offset, record.headers, reason, APP_ID
        )
        await app.producer.send_and_wait(
            record.topic + ".dlq", record.key, record.value, None, None, headers
        )

    ends = PartitionEnds(
        settings.kafka_bootstrap,
        [t.name for t in SOURCES if t is not INSIGHTS],
        client_options(settings),
    )

    async def expect_sources() -> None:
        """Every source partition there is: the watermark waits for each."""
        try:
            found = await ends.ends()
        except Exception:  # noqa: BLE001 - ticks name the partitions too
            log.warning("insights could not list the source partitions", exc_info=True)
            return
        expected = [f"{tp.topic}:{tp.partition}" for tp in found]
        if settings.insights_tick_seconds > 0:
            expected.append(f"{INSIGHTS.name}:{TICK_PARTITION}")
        worker.engine.expect(expected)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def close_ends(app: faust.App, **kwargs: object) -> None:
        await ends.stop()

    def fold(record: ConsumerRecord, event: Event | None) -> list[Output]:
        where = f"{record.topic}:{record.partition}"
        if event is None or (record.topic == INSIGHTS.name and event.type != "ClockTicked"):
            return worker.engine.passed(where, record.offset)  # insights' own output
        return worker.engine.handle(event, where, record.offset)

    async def project(records: list[ConsumerRecord]) -> bool:
        """Fold a batch and commit it with its outputs in one store transaction; whether
        it said anything."""
        outbox: list[tuple[str, bytes]] = []
        p = worker.projection
        earliest: datetime | None = None  # of the events this batch folds
        for record in records:
            topic = record.topic
            if record.offset < p.position(topic, record.partition):
                continue  # already in the store
            traced = (
                tracer().start_as_current_span(
                    "insights project", context=context_from_kafka_headers(record.headers)
                )
                if exporting()
                else contextlib.nullcontext()
            )
            with traced:
                event: Event | None = None
                try:
                    # Insights' own announcements are read back for their positions only
                    # (the watermark's): not decoded, as they are never folded.
                    if topic != INSIGHTS.name or record.key == _CLOCK_KEY:
                        event = decode(topic, record.value, record.timestamp)
                except Exception as exc:  # noqa: BLE001 - no record may stop the worker
                    if topic != ERP_INBOUND.name:  # billing dead-letters the ERP's
                        await dead_letter(record, f"undecodable: {dead_letter_reason(exc)}")
                now = datetime.now(UTC)
                if event is not None and (earliest is None or event.occurred_at < earliest):
                    earliest = event.occurred_at
                try:
                    outputs = fold(record, event)
                except Exception as exc:  # noqa: BLE001 - dead-letter, carry on
                    log.exception("insights could not fold %s:%s", topic, record.partition)
                    await dead_letter(record, f"not folded: {dead_letter_reason(exc)}")
                    try:
                        outputs = fold(record, None)
                    except Exception:  # noqa: BLE001 - judging failed: the next record retries
                        log.exception("insights could not judge after %s", topic)
                        outputs = []
                outbox += [encode_output(o, now) for o in outputs]
        worker.store.commit(p, outbox)
        worker.answers.changed()
        if earliest is not None:
            worker.forget_as_of(since=earliest)
        INSIGHTS_RECORDS.inc(len(records))
        return bool(outbox)

    @app.task
    async def feed() -> None:
        """Read the sources until the worker stops; brokers that fail are waited for.

        A batch that cannot be folded and committed (a dead letter that cannot be sent
        included) stops the worker, faust exiting with the error: the projection in
        memory may then be ahead of the store, and a restart reads the store again.
        Outputs are sent after their commit; what could not be sent stays in the store's
        outbox and goes with the next batch's."""
        unsent = True  # what a crash left unsent
        backoff = 0.5
        await expect_sources()
        while True:
            source = SourceFeed(
                settings,
                f"{APP_ID}-v{worker.generation}",  # one group per store generation
                [t.name for t in SOURCES],
                worker.projection.position,
                BATCH_RECORDS,
                settings.insights_batch_seconds,
            )
            try:
                await source.start()
                while True:
                    if unsent:
                        await publish_outbox()
                        unsent = False
                    records = await source.batch()
                    if not records:
                        continue
                    try:
                        unsent = await project(records)
                    except Exception as exc:
                        raise RuntimeError("insights could not fold and commit a batch") from exc
                    p = worker.projection
                    reached = {(r.topic, r.partition) for r in records}
                    await source.committed({tp: p.position(*tp) for tp in reached})
                    backoff = 0.5
            except KafkaError:
                log.warning("insights lost the brokers; reading again", exc_info=True)
                unsent = True
            finally:
                await source.stop()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    if settings.insights_tick_seconds > 0:

        @app.timer(interval=settings.insights_tick_seconds)
        async def tick() -> None:
            at = datetime.now(UTC)  # first the time, then where the partitions end
            try:
                found = await ends.ends()
            except Exception:  # noqa: BLE001 - no tick this time; the next one tries again
                log.warning("insights could not read the partitions' ends", exc_info=True)
                return
            marks = {(tp.topic, tp.partition): offset for tp, offset in found.items()}
            await say(*encode_tick(at, marks), partition=TICK_PARTITION)

    verifier = TokenVerifier.from_settings(settings)

    async def held(
        view: View,
        name: str,
        params: dict[str, str],
        moment: datetime | None,
        headers: Mapping[str, str],
    ) -> Response:
        """The answer with its ETag. ``If-None-Match`` naming the current answer gets 304;
        with ``Prefer: wait=N`` as well, the request is held until the answer changes
        (each commit of the projection looks again), for up to N seconds."""
        payload, tag = tagged(await worker.answer(name, params, moment))
        seen = {t.strip() for t in headers.get("If-None-Match", "").split(",")}
        wait = parse_prefer(headers.get("Prefer", "")) if moment is None else 0.0
        answer_headers = {"ETag": tag}
        if tag in seen and wait > 0:
            answer_headers["Preference-Applied"] = applied(wait)
            deadline = time.monotonic() + wait
            while tag in seen and (left := deadline - time.monotonic()) > 0:
                await worker.answers.next_change(left)
                payload, tag = tagged(await worker.answer(name, params, moment))
            answer_headers["ETag"] = tag
        if tag in seen or "*" in seen:
            return view.bytes(b"", status=304, headers=answer_headers)
        return view.bytes(payload, content_type="application/json", headers=answer_headers)

    def view(name: str) -> type[View]:
        route = f"GET /insights/{name}"

        class ReadModelView(View):
            async def get(self, request: Request) -> Response:
                try:
                    who = await admit(verifier, request.headers.get("Authorization"), route)
                    params = narrow_filters(
                        dict(request.query.items()), scope_of(who.subject, who.roles, who.teams)
                    )
                except Unauthenticated as exc:
                    return self.json(
                        {"error": "unauthenticated", "message": str(exc)},
                        status=401,
                        headers={"WWW-Authenticate": 'Bearer realm="l2c"'},
                    )
                except (Forbidden, OutOfScope) as exc:
                    return self.json({"error": "forbidden", "message": str(exc)}, status=403)
                try:
                    moment = getattr(validated(name, params), "as_of", None)
                    return await held(self, name, params, moment, request.headers)
                except QueryError as exc:
                    return self.json(exc.body, status=exc.status)

        return ReadModelView

    for name in QUERIES:
        app.page(f"/insights/{name}")(view(name))

    add_docs(app)

    @app.page("/metrics")
    class Metrics(View):
        """Prometheus metrics; the open breaches and the watermark are read at scrape."""

        async def get(self, request: Request) -> Response:
            open_by_rule: dict[str, int] = {}
            for key in worker.projection.all(ANNOUNCED):
                rule = key.split("|", 1)[0]
                open_by_rule[rule] = open_by_rule.get(rule, 0) + 1
            INSIGHTS_BREACHES_OPEN.clear()
            for rule, count in open_by_rule.items():
                INSIGHTS_BREACHES_OPEN.labels(rule).set(count)
            mark = worker.engine.watermark.value
            if mark is not None:
                INSIGHTS_WATERMARK_LAG.set((datetime.now(UTC) - mark).total_seconds())
            body, content_type = exposition()
            # aiohttp takes the charset apart from the type (the text is UTF-8 either way).
            kind = ";".join(p for p in content_type.split(";") if "charset" not in p)
            return self.bytes(body, content_type=kind.strip())

    @app.page("/readyz")
    class Ready(View):
        """Ready when the topics answer and the worker is within ``insights_ready_lag``
        records of their ends (a rebuilt or restarted worker catching up is not ready)."""

        async def get(self, request: Request) -> Response:
            try:
                found = await ends.ends()
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                return self.json(
                    {
                        "error": "not_ready",
                        "status": "unavailable",
                        "message": f"{type(exc).__name__}: {exc}",
                    },
                    status=503,
                )
            p = worker.projection
            lag = sum(max(0, end - p.position(tp.topic, tp.partition)) for tp, end in found.items())
            if lag <= settings.insights_ready_lag:
                return self.json({"status": "ready", "lag": lag})
            return self.json(
                {
                    "error": "not_ready",
                    "status": "catching_up",
                    "message": f"{lag} records behind the topics' ends",
                    "lag": lag,
                },
                status=503,
            )

    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            mark = worker.engine.watermark
            return self.json(
                {
                    "status": "ok",
                    "generation": worker.generation,
                    "watermark": iso(mark.value) if mark.value else None,
                    "judged_until": iso(mark.judged) if mark.judged else None,
                    "late_events": mark.late_events,
                    "unpublished_outputs": worker.store.unpublished(),
                    # next offset to read, per "topic:partition" (lag and fold-rate readings)
                    "positions": dict(worker.projection.meta["positions"]),
                }
            )

    return app
