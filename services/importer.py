"""``l2c import``: an existing history (a legacy CRM's leads, last year's deals, an ERP's
payments) loaded through the command side, as the services' own commands with the
business time each fact happened at — never written around the stores.

The input is JSON Lines, one object per line, in the order things happened:

    {"command": "capture_lead", "ref": "l1", "occurred_at": "2026-07-01T09:30:00Z",
     "external_id": "crm-1001", "group": "crm-1001", "fields": {"full_name": "..."}}
    {"command": "qualify_lead", "occurred_at": "...", "fields": {"lead_id": "{@l1.lead_id}"}}
    {"read": "/deals/by-lead/{@l1.lead_id}", "ref": "d1"}
    {"read": "/orders/by-deal/{@d1.deal_id}", "until": "invoice_ids", "ref": "o1"}
    {"webhook": "erp/payments", "fields": {"invoice_id": "{@o1.invoice_ids.0}", ...}}

- ``command``: a command of any service's catalog, by name (``fields``: its fields, the
  path's included), sent to the gateway with ``Occurred-At`` and ``External-Id``.
- ``read``: a GET, repeated until it answers (and, with ``until``, until that field of
  the answer is not empty) — for what a policy makes from an earlier line (a converted
  lead's deal, a won deal's order and invoices).
- ``webhook``: an integration's webhook (``erp/payments``, ``erp/invoices-posted``, ...),
  sent with the integration's token.
- ``ref`` names the line's answer; ``{@ref.path}`` in a later line's strings is replaced
  by that answer's field (``path``: keys and list indexes, dotted). A string that is only
  a reference takes the field's value as it is.
- ``group``: lines of one group run in order; groups run side by side (``--parallel``).
  Lines without a group are one group.

Every line gets an entry in the report (JSON Lines: line, status ``ok``/``failed``, the
answer or the error), appended as it completes. Run again with the same report and the
lines already ``ok`` are skipped (their answers still resolve references): an interrupted
import resumes. Each command is sent with an idempotency key made from its content (or
applied once per ``External-Id``), so running a file twice changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from kernel.commands import Catalog

KINDS = ("command", "read", "webhook")
_REFERENCE = re.compile(r"\{@([A-Za-z0-9_.:-]+?)\.([A-Za-z0-9_.-]+)\}")
_RETRY_STATUSES = (404, 429, 502, 503, 504)  # not there yet (a policy makes it), or busy
MAX_LINE_BYTES = 1 << 20


class LineError(Exception):
    """A line that cannot be sent: its reason goes to the report."""


@dataclass(frozen=True)
class Line:
    number: int
    kind: str  # command | read | webhook
    name: str  # the command's name, the read's path, the webhook's name
    fields: dict[str, Any] = field(default_factory=dict)
    ref: str = ""
    group: str = ""
    occurred_at: str = ""
    external_id: str = ""
    until: str = ""
    key: str = ""  # the idempotency key (content digest and occurrence)


def parse(number: int, text: str) -> Line:
    """One line of the input, checked for shape (the services check the values)."""
    if len(text.encode()) > MAX_LINE_BYTES:
        raise LineError(f"longer than {MAX_LINE_BYTES} bytes")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise LineError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise LineError("not a JSON object")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise LineError(f"needs exactly one of {', '.join(KINDS)}")
    unknown = set(raw) - {*KINDS, "fields", "ref", "group", "occurred_at", "external_id", "until"}
    if unknown:
        raise LineError(f"unknown keys {sorted(unknown)}")
    kind = kinds[0]
    values = {k: raw.get(k, "") for k in ("ref", "group", "occurred_at", "external_id", "until")}
    for key, value in [(kind, raw[kind]), *values.items()]:
        if not isinstance(value, str) or len(value) > 2000:
            raise LineError(f"{key} must be a string of at most 2000 characters")
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        raise LineError("fields must be an object")
    if values["occurred_at"]:
        try:
            if datetime.fromisoformat(values["occurred_at"]).tzinfo is None:
                raise ValueError
        except ValueError:
            raise LineError(
                f"occurred_at must be an RFC 3339 time with an offset: {values['occurred_at']!r}"
            ) from None
    return Line(number, kind, raw[kind], fields, **values)


class Routes:
    """Where each command of the catalogs is offered over HTTP."""

    def __init__(self, catalogs: Iterable[Catalog]) -> None:
        self._routes: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        for catalog in catalogs:
            for spec in catalog:
                if spec.route is not None:
                    route = spec.route
                    self._routes[spec.name] = (route.method, route.path, route.path_fields)

    def request(self, name: str, fields: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """Method, path and body of command ``name`` with ``fields``."""
        if name not in self._routes:
            raise LineError(f"no command {name!r} is offered over HTTP")
        method, path, in_path = self._routes[name]
        missing = [f for f in in_path if f not in fields]
        if missing:
            raise LineError(f"{name} needs {', '.join(missing)} in fields")
        for part in in_path:
            path = path.replace("{" + part + "}", httpx.URL(str(fields[part])).raw_path.decode())
        return method, path, {k: v for k, v in fields.items() if k not in in_path}


def default_routes() -> Routes:
    from services.billing.application.catalog import BILLING
    from services.deals.application.catalog import DEALS
    from services.leads.application.catalog import LEADS

    return Routes([LEADS, DEALS, BILLING])


class References:
    """The answers of lines that named a ``ref``; a reference to one not answered yet
    waits for it (another group may answer it), one that failed fails too."""

    def __init__(self, defined: set[str]) -> None:
        self.defined = defined
        self._answers: dict[str, Any] = {}
        self._failed: dict[str, str] = {}
        self._changed = asyncio.Condition()

    async def settle(self, name: str, answer: Any = None, failure: str = "") -> None:
        async with self._changed:
            if failure:
                self._failed[name] = failure
            else:
                self._answers[name] = answer
            self._changed.notify_all()

    async def resolve(self, value: Any, timeout: float) -> Any:
        if isinstance(value, dict):
            return {k: await self.resolve(v, timeout) for k, v in value.items()}
        if isinstance(value, list):
            return [await self.resolve(v, timeout) for v in value]
        if not isinstance(value, str) or "{@" not in value:
            return value
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return await self._field(whole.group(1), whole.group(2), timeout)
        parts, at = [], 0
        for match in _REFERENCE.finditer(value):
            found = await self._field(match.group(1), match.group(2), timeout)
            parts += [value[at : match.start()], str(found)]
            at = match.end()
        return "".join([*parts, value[at:]])

    async def _field(self, name: str, path: str, timeout: float) -> Any:
        if name not in self.defined:
            raise LineError(f"no line names ref {name!r}")
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: name in self._answers or name in self._failed),
                    timeout,
                )
            except TimeoutError:
                raise LineError(f"ref {name!r} not answered within {timeout:.0f}s") from None
        if name in self._failed:
            raise LineError(f"ref {name!r} failed: {self._failed[name]}")
        return pick(self._answers[name], path, name)


def pick(answer: Any, path: str, name: str = "answer") -> Any:
    value = answer
    for step in path.split("."):
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            raise LineError(f"{name} has no {path!r}")
    return value


class Report:
    """The per-line report: read back to resume, appended to as lines complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[int, dict[str, Any]] = {}
        if path.exists():
            for text in path.read_text().splitlines():
                try:
                    entry = json.loads(text)
                except ValueError:
                    continue  # a line cut short by an interruption: done again
                if isinstance(entry, dict) and entry.get("status") == "ok":
                    self.done[int(entry["line"])] = entry
        self._out = path.open("a")
        if self._out.tell() and not path.read_bytes().endswith(b"\n"):
            self._out.write("\n")  # end the entry an interruption cut short

    def write(self, entry: dict[str, Any]) -> None:
        self._out.write(json.dumps(entry, default=str) + "\n")
        self._out.flush()

    def close(self) -> None:
        self._out.close()


@dataclass
class Summary:
    lines: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0  # ok in an earlier run
    started: float = field(default_factory=time.monotonic)

    def progress(self) -> str:
        finished = self.ok + self.failed + self.skipped
        rate = (self.ok + self.failed) / max(1e-9, time.monotonic() - self.started)
        share = 100 * finished / self.lines if self.lines else 100.0
        return (
            f"{finished}/{self.lines} lines ({share:.0f}%), {self.ok} ok, {self.failed} failed,"
            f" {self.skipped} done before, {rate:.0f} lines/s"
        )


def read_lines(path: Path) -> tuple[list[Line], list[tuple[int, str]]]:
    """The lines of the input and the reasons the unreadable ones are unreadable; each
    line gets its idempotency key (its content's digest and how often that content came
    before), so the same history sent twice is applied once."""
    lines, errors = [], []
    seen: Counter[str] = Counter()
    with path.open(encoding="utf-8", errors="replace") as source:
        for number, text in enumerate(source, start=1):
            if not text.strip():
                continue
            try:
                line = parse(number, text)
            except LineError as exc:
                errors.append((number, str(exc)))
                continue
            digest = hashlib.sha256(
                json.dumps(
                    [line.kind, line.name, line.fields, line.occurred_at], sort_keys=True
                ).encode()
            ).hexdigest()[:40]
            seen[digest] += 1
            lines.append(replace(line, key=f"import:{digest}:{seen[digest]}"))
    return lines, errors


class Importer:
    def __init__(
        self,
        gateway: str,
        auth: httpx.Auth,
        routes: Routes,
        *,
        parallel: int = 4,
        wait_seconds: float = 60.0,
        progress: Callable[[str], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.transport = transport  # the network unless given (tests: an app in-process)
        self.gateway = gateway.rstrip("/")
        self.auth = auth
        self.routes = routes
        self.parallel = max(1, parallel)
        self.wait = wait_seconds
        self.progress = progress

    async def run(self, source: Path, report: Report) -> Summary:
        lines, unreadable = read_lines(source)
        summary = Summary(lines=len(lines) + len(unreadable))
        refs = References({line.ref for line in lines if line.ref})
        for number, reason in unreadable:
            summary.failed += 1
            report.write({"line": number, "status": "failed", "error": reason})
        for line in lines:
            earlier = report.done.get(line.number)
            if earlier is not None:
                summary.skipped += 1
                if line.ref:
                    await refs.settle(line.ref, earlier.get("answer"))
        queues: list[list[Line]] = [[] for _ in range(self.parallel)]
        slot: dict[str, int] = {}
        for line in lines:
            if line.number in report.done:
                continue
            index = slot.setdefault(line.group, len(slot) % self.parallel)
            queues[index].append(line)
        limits = httpx.Limits(max_connections=self.parallel * 2)
        async with httpx.AsyncClient(
            base_url=self.gateway,
            auth=self.auth,
            timeout=60,
            limits=limits,
            transport=self.transport,
        ) as http:
            ticker = asyncio.create_task(self._tick(summary))
            try:
                await asyncio.gather(
                    *(self._work(http, queue, refs, report, summary) for queue in queues)
                )
            finally:
                ticker.cancel()
        if self.progress:
            self.progress(summary.progress())
        return summary

    async def _tick(self, summary: Summary) -> None:
        while self.progress:
            await asyncio.sleep(2)
            self.progress(summary.progress())

    async def _work(
        self,
        http: httpx.AsyncClient,
        queue: list[Line],
        refs: References,
        report: Report,
        summary: Summary,
    ) -> None:
        for line in queue:
            try:
                answer = await self._send(http, line, refs)
            except LineError as exc:
                summary.failed += 1
                report.write({"line": line.number, "status": "failed", "error": str(exc)})
                if line.ref:
                    await refs.settle(line.ref, failure=f"line {line.number}: {exc}")
                continue
            summary.ok += 1
            entry = {"line": line.number, "status": "ok", "answer": answer}
            report.write({**entry, "ref": line.ref} if line.ref else entry)
            if line.ref:
                await refs.settle(line.ref, answer)

    async def _send(self, http: httpx.AsyncClient, line: Line, refs: References) -> Any:
        fields = await refs.resolve(line.fields, self.wait)
        headers: dict[str, str] = {}
        if line.kind == "read":
            method, path, body = "GET", await refs.resolve(line.name, self.wait), None
        elif line.kind == "webhook":
            method, path, body = "POST", f"/integrations/{line.name}", fields
            headers["Idempotency-Key"] = line.key
        else:
            method, path, body = self.routes.request(line.name, fields)
            if line.external_id:
                headers["External-Id"] = line.external_id  # applied once per command and id
            else:
                headers["Idempotency-Key"] = line.key
        if line.occurred_at:
            headers["Occurred-At"] = line.occurred_at
        deadline = time.monotonic() + self.wait
        delay = 0.05
        while True:
            try:
                response = await http.request(method, path, json=body, headers=headers)
            except httpx.TransportError as exc:
                status, text = 0, f"{type(exc).__name__}: {exc}"
            else:
                status, text = response.status_code, response.text[:500]
                if response.is_success:
                    value = response.json() if response.content else None
                    if not line.until or _filled(value, line.until):
                        return value
                    text = f"{line.until} still empty"
            if status >= 300 and status not in _RETRY_STATUSES:
                raise LineError(f"{method} {path}: {status} {_message(text)}")
            if time.monotonic() > deadline:
                raise LineError(
                    f"{method} {path}: gave up after {self.wait:.0f}s ({status} {_message(text)})"
                )
            await asyncio.sleep(delay)
            delay = min(1.0, delay * 2)


def _filled(answer: Any, path: str) -> bool:
    try:
        return bool(pick(answer, path))
    except LineError:
        return False


def _message(text: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        return text
    return str(body.get("message", text)) if isinstance(body, dict) else text


class BearerTokens(httpx.Auth):
    """Given tokens: the integration's on its webhooks, the migration token elsewhere."""

    def __init__(self, token: str, erp_token: str = "") -> None:
        self.token, self.erp_token = token, erp_token

    def auth_flow(self, request: httpx.Request) -> Any:
        erp = request.url.path.startswith("/integrations/erp/") and self.erp_token
        request.headers["Authorization"] = f"Bearer {self.erp_token if erp else self.token}"
        yield request


def main_import(
    source: Path,
    gateway: str,
    auth: httpx.Auth,
    report_path: Path | None = None,
    *,
    parallel: int = 4,
    wait_seconds: float = 60.0,
    quiet: bool = False,
) -> int:
    report = Report(report_path or source.with_name(source.name + ".report.jsonl"))
    importer = Importer(
        gateway,
        auth,
        default_routes(),
        parallel=parallel,
        wait_seconds=wait_seconds,
        progress=None if quiet else (lambda text: print(f"l2c import: {text}", file=sys.stderr)),
    )
    try:
        summary = asyncio.run(importer.run(source, report))
    finally:
        report.close()
    print(
        json.dumps(
            {
                "lines": summary.lines,
                "ok": summary.ok,
                "failed": summary.failed,
                "done_before": summary.skipped,
                "report": str(report.path),
            }
        )
    )
    return 1 if summary.failed else 0
