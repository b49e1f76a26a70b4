"""What an auditor reads of one aggregate: its history, event by event, and its state as
it stood at a moment. Both come from the store (the truth), not from a read model.

- History: each stored event with who (the verified actor), when (``occurred_at``, the
  business time, and ``recorded_at``, when the store took it), why (the event's reason,
  where it has one), causation and correlation, and its position in the store's log (the
  ``store_position`` its published envelope carries). Paged by version
  (``after``/``limit``, a ``Link: rel="next"`` header), as JSON, JSON Lines
  (``Accept: application/x-ndjson``) or CSV (``Accept: text/csv``).
- As of: ``?as_of=`` takes a version number (the state after that event) or an RFC 3339
  time with an offset (the state the store held then: events recorded up to that moment).
  The aggregate is replayed from the store up to that point (from a snapshot where one
  exists); the cached current state is not touched.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic_core import to_jsonable_python

from kernel.contracts import EventContracts, envelope_as_dict
from kernel.errors import InvalidCommand, NotFound

if TYPE_CHECKING:
    from kernel.domain import L2CAggregate
    from kernel.store import ServiceApplication

    A = TypeVar("A", bound=L2CAggregate)

AsOf = int | datetime

MAX_PAGE = 1000
DEFAULT_PAGE = 100
JSON_LINES = "application/x-ndjson"
CSV = "text/csv"

AS_OF_QUERY = Query(
    None,
    max_length=64,
    description="a version number (the state after that event) or an RFC 3339 time with "
    "an offset (the state as the store held it then); omitted: the current state",
    examples=["3", "2026-06-30T23:59:59Z"],
)


def _after_query() -> Any:
    # A new one per route: FastAPI names the parameter on the object it is given.
    return Query(
        None, ge=-1, le=2**53, description="the last version already read (next page: after it)"
    )


def _limit_query() -> Any:
    return Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="events on this page")


CSV_COLUMNS = (
    "version",
    "event",
    "event_type",
    "event_id",
    "occurred_at",
    "recorded_at",
    "actor_id",
    "actor_kind",
    "actor_roles",
    "actor_client_id",
    "reason",
    "correlation_id",
    "causation_id",
    "external_id",
    "store_position",
    "payload",
)

# The documented answers of a history route (OpenAPI).
HISTORY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": 'One page of events, oldest first; `Link: <...>; rel="next"` '
        "while more follow",
        "content": {
            "application/json": {},
            JSON_LINES: {"schema": {"type": "string"}},
            CSV: {"schema": {"type": "string"}},
        },
    }
}


def parse_as_of(raw: str | None) -> AsOf | None:
    """``None``, a version, or an aware moment; InvalidCommand (422) for anything else."""
    if raw is None:
        return None
    text = raw.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidCommand(
            f"as_of must be a version number or an RFC 3339 time, got {raw!r}"
        ) from None
    if moment.tzinfo is None:
        raise InvalidCommand(f"as_of {raw!r} has no UTC offset (add Z or +08:00)")
    return moment


def version_as_of(
    app: ServiceApplication, aggregate_id: uuid.UUID, as_of: AsOf, label: str | None = None
) -> int:
    """The aggregate's version at ``as_of``; NotFound, naming it by ``label``, when it did
    not exist yet (or has no such version)."""
    name = label or str(aggregate_id)
    if isinstance(as_of, int):
        last = next(iter(app.events.get(aggregate_id, desc=True, limit=1)), None)
        if last is None or as_of > last.originator_version:
            latest = "" if last is None else f" (the latest is {last.originator_version})"
            raise NotFound(f"{name} has no version {as_of}{latest}")
        return as_of
    version: int | None = None
    event: Any
    for event in app.events.get(aggregate_id):
        if event.timestamp > as_of:
            break
        version = event.originator_version
    if version is None:
        raise NotFound(f"{name} did not exist yet at {as_of.isoformat()}")
    return version


def state_as_of(
    app: ServiceApplication,
    cls: type[A],
    aggregate_id: uuid.UUID,
    raw: str | None,
    label: str | None = None,
) -> A:
    """The aggregate now (``raw`` None) or as of ``raw`` (see :func:`parse_as_of`);
    ``label`` names it in a NotFound (the class and id otherwise)."""
    as_of = parse_as_of(raw)
    current = app.load(cls, aggregate_id)
    if as_of is None:
        return current
    name = label or f"{cls.__name__} {aggregate_id}"
    past: Any = app.repository.get(
        aggregate_id, version=version_as_of(app, aggregate_id, as_of, name)
    )
    if not isinstance(past, cls):
        raise NotFound(f"{name} not found")
    return past


def entry(event: Any, contracts: EventContracts | None, position: int | None) -> dict[str, Any]:
    """One event as the auditor reads it: metadata, reason, and its payload as published
    (or, for an event no topic carries, its stored attributes)."""
    meta: dict[str, str] = getattr(event, "metadata", {}) or {}
    envelope = contracts.envelope(event, position or 0) if contracts is not None else None
    if envelope is not None:
        payload = envelope_as_dict(envelope)["payload"]
        event_type = envelope.event_type
    else:
        payload = {
            key: to_jsonable_python(value, fallback=str)
            for key, value in vars(event).items()
            if key not in ("originator_id", "originator_version", "timestamp", "metadata")
        }
        event_type = ""
    reason = getattr(event, "reason", None)
    return {
        "version": event.originator_version,
        "event": type(event).__qualname__,
        "event_type": event_type,
        "event_id": meta.get("event_id", ""),
        "occurred_at": meta.get("occurred_at") or event.timestamp.isoformat(),
        "recorded_at": event.timestamp.isoformat(),
        "actor": {
            "id": meta.get("actor_id", ""),
            "kind": meta.get("actor_kind", ""),
            "roles": meta.get("actor_roles", "").split(),
            "client_id": meta.get("actor_client_id", ""),
        },
        "reason": reason if isinstance(reason, str) and reason else None,
        "correlation_id": meta.get("correlation_id", ""),
        "causation_id": meta.get("causation_id", ""),
        "external_id": meta.get("external_id", ""),
        "store_position": position,
        "payload": payload,
    }


def history_page(
    app: ServiceApplication,
    aggregate_id: uuid.UUID,
    contracts: EventContracts | None,
    *,
    after: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``limit`` entries after version ``after``, and whether more follow."""
    gt = after if after is not None and after >= 0 else None
    events = list(app.events.get(aggregate_id, gt=gt, limit=limit + 1))
    more = len(events) > limit
    events = events[:limit]
    positions = (
        app.store_positions(
            aggregate_id, events[0].originator_version, events[-1].originator_version
        )
        if events
        else {}
    )
    return [entry(e, contracts, positions.get(e.originator_version)) for e in events], more


def history_response(
    request: Request,
    app: ServiceApplication,
    aggregate_id: uuid.UUID,
    contracts: EventContracts | None,
    *,
    kind: str,
    key: str,
    after: int | None,
    limit: int,
) -> Response:
    """A page of the history, in the format the ``Accept`` header asks for."""
    entries, more = history_page(app, aggregate_id, contracts, after=after, limit=limit)
    headers: dict[str, str] = {}
    next_after = entries[-1]["version"] if more else None
    if next_after is not None:
        url = request.url.include_query_params(after=next_after, limit=limit)
        headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
    accept = request.headers.get("accept", "")
    if JSON_LINES in accept or "application/jsonl" in accept:
        lines = (json.dumps(e, separators=(",", ":")) + "\n" for e in entries)
        return StreamingResponse(lines, media_type=JSON_LINES, headers=headers)
    if CSV in accept:
        return StreamingResponse(
            _csv_rows(entries), media_type="text/csv; charset=utf-8", headers=headers
        )
    return JSONResponse(
        {"kind": kind, "id": key, "events": entries, "next_after": next_after},
        headers=headers,
    )


def _cell(value: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with ' ."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_rows(entries: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for e in entries:
        actor = e["actor"]
        writer.writerow(
            [
                e["version"],
                e["event"],
                e["event_type"],
                e["event_id"],
                e["occurred_at"],
                e["recorded_at"],
                _cell(actor["id"]),
                actor["kind"],
                _cell(" ".join(actor["roles"])),
                _cell(actor["client_id"]),
                _cell(e["reason"] or ""),
                _cell(e["correlation_id"]),
                _cell(e["causation_id"]),
                _cell(e["external_id"]),
                "" if e["store_position"] is None else e["store_position"],
                json.dumps(e["payload"], separators=(",", ":"), sort_keys=True),
            ]
        )
        yield flush()


def add_history_route(
    router: APIRouter,
    path: str,
    *,
    app: ServiceApplication,
    cls: type[L2CAggregate],
    contracts: EventContracts | None,
    kind: str,
    resolve: Callable[[Any], uuid.UUID],
    key_type: type = uuid.UUID,
    summary: str = "",
) -> None:
    """``GET <path>`` (ending in ``/history``, with at most one path parameter): the
    history of the ``cls`` aggregate that ``resolve`` finds for the parameter (called
    with None without one). ``resolve`` also applies the caller's scope (NotFound, as
    for a missing one)."""
    param = path[path.index("{") + 1 : path.index("}")] if "{" in path else None

    def endpoint(request: Request, **arguments: Any) -> Response:
        key = arguments[param] if param else None
        aggregate_id = resolve(key)
        app.load(cls, aggregate_id)  # 404 for a missing one, or one of another kind
        return history_response(
            request,
            app,
            aggregate_id,
            contracts,
            kind=kind,
            key=str(aggregate_id if key is None else key),
            after=arguments["after"],
            limit=arguments["limit"],
        )

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    ]
    if param is not None:
        parameters.append(inspect.Parameter(param, keyword, annotation=key_type))
    parameters += [
        inspect.Parameter("after", keyword, default=_after_query(), annotation=int | None),
        inspect.Parameter("limit", keyword, default=_limit_query(), annotation=int),
    ]
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = f"{kind.replace(' ', '_')}_history"
    router.add_api_route(
        path,
        endpoint,
        methods=["GET"],
        tags=["audit"],
        summary=summary
        or f"Every event of the {kind} with who, when, why and its store "
        "position, oldest first (audit)",
        responses=HISTORY_RESPONSES,
        response_class=JSONResponse,
    )
