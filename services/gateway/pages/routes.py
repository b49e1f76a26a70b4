"""The pages, served by the gateway under ``/pages``.

Each page asks the same read models and services the API answers from, with the caller's
own token (so roles and row-level scope apply as they do to the API), and draws what they
answer; nothing is computed a second time. A page's sections that the caller's roles do
not open say so instead of failing the page.

Signing in: a proxy in front of the gateway may send the ``Authorization`` header (as to
the API); a person can also paste a token into ``/pages/sign-in``, which verifies it and
keeps it in an HttpOnly, SameSite=Strict cookie for GETs under ``/pages`` until it
expires. ``/pages/changes`` is a server-sent event stream saying when the read models
moved; ``static/live.js`` then fetches the page again and swaps its content.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from kernel.access import PAGES_PREFIX, SESSION_COOKIE, allowed
from kernel.auth import Forbidden, Unauthenticated
from kernel.settings import Settings
from services.gateway.pages import charts
from services.gateway.pages.timeline import deal_timeline
from services.gateway.pages.view import (
    PAGES,
    Asked,
    PageError,
    checked,
    chosen,
    identity_of,
    is_page,
    message_page,
    must,
    render,
    safe_next,
    sign_in_page,
)

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
Handler = Callable[[Request, Exception], Awaitable[Response]]
CHANGES_POLL_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0
CHANGES_LIFETIME_SECONDS = 600.0

STEP_NAMES = {
    "lead": "Lead",
    "mql": "MQL",
    "sql": "SQL",
    "deal": "Deal",
    "won": "Won",
    "invoiced": "Invoiced",
    "paid": "Paid",
}
BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")
BUCKET_NAMES = {
    "not_due": "Not due",
    "1-30": "1–30 days",
    "31-60": "31–60 days",
    "61-90": "61–90 days",
    "90+": "Over 90 days",
}
MISMATCH_MEANING = {
    "invoice_not_posted": "invoiced here, not posted by the ERP in time",
    "amount_differs": "the ERP posted another amount or currency",
    "payment_without_invoice": "the ERP received a payment naming no invoice of ours",
    "overpayment": "paid more than invoiced",
    "installment_overdue": "an installment is past due and unpaid",
}
SLICES = (
    ("since", "From (day)", "date"),
    ("until", "To (day)", "date"),
    ("team", "Team", "text"),
    ("rep", "Rep", "text"),
    ("channel", "Channel", "text"),
    ("campaign", "Campaign", "text"),
    ("product_line", "Product line", "text"),
)


# -- the routes -------------------------------------------------------------------------


def add_pages(api: FastAPI, settings: Settings) -> None:  # noqa: C901 - one route each
    insights = f"{settings.insights_url}/insights"

    async def html_unauthenticated(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await json_unauthenticated(request, exc)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return sign_in_page(request, f"Sign in to see this page: {exc}", 401, here)

    async def html_forbidden(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await json_forbidden(request, exc)
        return message_page(request, 403, "Not open to your roles", str(exc))

    # The API's own answers (JSON) for everything that is not a page.
    json_unauthenticated = cast(Handler, api.exception_handlers[Unauthenticated])
    json_forbidden = cast(Handler, api.exception_handlers[Forbidden])
    api.add_exception_handler(Unauthenticated, html_unauthenticated)
    api.add_exception_handler(Forbidden, html_forbidden)

    @api.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        titles = {404: "Not found", 422: "Cannot show this selection", 403: "Not open"}
        return message_page(
            request, exc.status, titles.get(exc.status, "Not available"), exc.message
        )

    @api.get("/pages/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        found = STATIC / name
        if found.parent != STATIC or not found.is_file() or found.suffix not in STATIC_TYPES:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(
            found,
            media_type=STATIC_TYPES[found.suffix],
            headers={"Cache-Control": "public, max-age=300"},
        )

    @api.get("/pages/sign-in", include_in_schema=False)
    def sign_in_form(request: Request, next: str = PAGES_PREFIX) -> Response:  # noqa: A002
        return sign_in_page(request, "", 200, safe_next(next))

    @api.post("/pages/sign-in", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0].strip()
        next_path = safe_next((form.get("next") or [PAGES_PREFIX])[0])
        verifier = request.app.state.verifier
        if not token or len(token) > 8192:
            return sign_in_page(request, "Paste an access token.", 401, next_path)
        try:
            identity = await run_in_threadpool(verifier.verify, token)
        except Unauthenticated as exc:
            return sign_in_page(request, f"That token is not accepted: {exc}", 401, next_path)
        lifetime = max(0, int(identity.expires_at - time.time()))
        answer = RedirectResponse(next_path, status_code=303)
        answer.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=lifetime,
            path=PAGES_PREFIX,
            httponly=True,
            samesite="strict",
            secure=_over_https(request),
        )
        return answer

    @api.post("/pages/sign-out", include_in_schema=False)
    def sign_out(request: Request) -> Response:
        answer = RedirectResponse(f"{PAGES_PREFIX}/sign-in", status_code=303)
        answer.delete_cookie(SESSION_COOKIE, path=PAGES_PREFIX)
        return answer

    @api.get("/pages", include_in_schema=False)
    def index(request: Request) -> Response:
        identity = identity_of(request)
        pages = [p for p in PAGES if identity is not None and allowed(p.route, identity)]
        return render(
            request,
            "index.html",
            "Pages",
            pages=[{"href": p.path, "label": p.label, "about": p.about} for p in pages],
        )

    @api.get("/pages/changes", include_in_schema=False)
    async def changes(request: Request) -> Response:
        """Server-sent events: ``changed`` whenever the insights worker has read further
        (its positions moved), a comment every 15 s to keep the connection open."""
        client: httpx.AsyncClient = request.app.state.http

        async def positions() -> str | None:
            try:
                answer = await client.get(f"{settings.insights_url}/healthz", timeout=5.0)
                return json.dumps(answer.json().get("positions"), sort_keys=True)
            except (httpx.HTTPError, ValueError, AttributeError):
                return None

        async def stream() -> AsyncIterator[str]:
            # The browser reconnects after ``retry`` ms: a stream ends when the worker
            # does not answer and after CHANGES_LIFETIME_SECONDS (connections stay bounded).
            yield "retry: 5000\n\n"
            last = await positions()
            if last is None:
                yield "event: unavailable\ndata: the insights worker does not answer\n\n"
                return
            started = quiet_since = time.monotonic()
            while time.monotonic() - started < CHANGES_LIFETIME_SECONDS:
                if await request.is_disconnected():
                    return
                await asyncio.sleep(CHANGES_POLL_SECONDS)
                now = await positions()
                if now is None:
                    yield "event: unavailable\ndata: the insights worker does not answer\n\n"
                    return
                if now != last:
                    last = now
                    quiet_since = time.monotonic()
                    yield f"event: changed\ndata: {now}\n\n"
                elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                    quiet_since = time.monotonic()
                    yield ": still here\n\n"

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @api.get("/pages/funnel", include_in_schema=False)
    async def funnel_page(request: Request) -> Response:
        ask = Asked(request)
        values = chosen(request, (*(name for name, _, _ in SLICES), "basis"))
        params = checked("funnel", dict(values))
        funnel = must(*await ask.get(f"{insights}/funnel", params))
        teams_params = {k: v for k, v in params.items() if k != "basis"}
        teams_status, teams = await ask.get(f"{insights}/funnel/teams", teams_params)
        steps = funnel["steps"]
        later = [s for s in steps[1:] if s["conversion_from_previous"] is not None]
        company_leak = (
            min(later, key=lambda s: s["conversion_from_previous"])["step"]
            if (later and steps[0]["count"])
            else None
        )
        labels = [STEP_NAMES[s["step"]] for s in steps]
        funnel_chart = charts.bars(
            "Lead to cash",
            labels,
            {
                "unique": [s["count"] for s in steps],
                "duplicates": [funnel.get("duplicates", 0)] + [None] * (len(steps) - 1),
            },
            "records reaching the step",
            "step",
            horizontal=True,
            stacked=True,
        )
        teams_chart, company_conversion = "", {}
        if teams_status == 200:
            company_conversion = {
                s["step"]: s["conversion_from_previous"] for s in teams["company"]
            }
            transitions = [s["step"] for s in teams["company"][1:]]
            series = {
                "company": [_percent(company_conversion.get(t)) for t in transitions],
            }
            for team in teams["teams"]:
                by_step = {s["step"]: s["conversion_from_previous"] for s in team["steps"]}
                series[team["team"]] = [_percent(by_step.get(t)) for t in transitions]
            teams_chart = charts.bars(
                "Conversion from the previous step",
                [STEP_NAMES[t] for t in transitions],
                series,
                "step reached",
                "% of the previous step",
            )
        return render(
            request,
            "funnel.html",
            "Funnel",
            funnel=funnel,
            funnel_chart=funnel_chart,
            company_leak=company_leak,
            teams_status=teams_status,
            teams=teams,
            teams_chart=teams_chart,
            company_conversion=company_conversion,
            step_names=STEP_NAMES,
            filter_fields=[*SLICES, ("basis", "Basis", ["activity", "cohort"])],
            values=values,
        )

    @api.get("/pages/pipeline", include_in_schema=False)
    async def pipeline_page(request: Request) -> Response:
        ask = Asked(request)
        names = ("team", "rep", "channel", "campaign", "product_line", "grain")
        values = chosen(request, names)
        values.setdefault("grain", "month")
        checked("forecast", values)
        forecast = must(*await ask.get(f"{insights}/forecast", values))
        slices = {k: v for k, v in values.items() if k != "grain"}
        accuracy_status, accuracy = await ask.get(f"{insights}/forecast/accuracy", slices)
        periods = sorted({row["period"] for row in forecast["rows"]})
        categories = sorted({row["category"] for row in forecast["rows"]})
        cells = {(r["period"], r["category"]): float(r["weighted"]) for r in forecast["rows"]}
        pipeline_chart = charts.bars(
            "Weighted pipeline",
            periods,
            {c: [cells.get((p, c)) for p in periods] for c in categories},
            f"close {forecast['grain']}",
            forecast["currency"],
            stacked=True,
        )
        accuracy_chart = ""
        if accuracy_status == 200 and accuracy["teams"]:
            series: dict[str, list[tuple[datetime, float]]] = {}
            for team in accuracy["teams"]:
                weeks = [(datetime.fromisoformat(w["week_start"]), w) for w in team["weeks"]]
                series[f"{team['team']} forecast"] = [(t, float(w["forecast"])) for t, w in weeks]
                series[f"{team['team']} won"] = [(t, float(w["actual"])) for t, w in weeks]
            accuracy_chart = charts.lines_over_time(
                "Forecast against won", series, "week (Monday)", accuracy["currency"]
            )
        return render(
            request,
            "pipeline.html",
            "Pipeline and forecast",
            forecast=forecast,
            pipeline_chart=pipeline_chart,
            accuracy_status=accuracy_status,
            accuracy=accuracy,
            accuracy_chart=accuracy_chart,
            filter_fields=[
                *fields("team", "rep", "channel", "campaign", "product_line"),
                ("grain", "Close period", ["month", "quarter"]),
            ],
            values=values,
        )

    @api.get("/pages/health", include_in_schema=False)
    async def health_page(request: Request) -> Response:
        ask = Asked(request)
        values = checked("breaches", chosen(request, ("team", "rep", "rule", "severity")))
        breaches = must(*await ask.get(f"{insights}/breaches", {**values, "limit": "500"}))
        by_rule = sorted(breaches["summary"]["by_rule"].items())
        rules_chart = charts.bars(
            "Open breaches by rule",
            [rule for rule, _ in by_rule],
            {"open": [count for _, count in by_rule]},
            "open breaches",
            "rule",
            horizontal=True,
        )
        return render(
            request,
            "health.html",
            "Health",
            breaches=breaches,
            rules_chart=rules_chart,
            filter_fields=[
                *fields("team", "rep"),
                ("rule", "Rule", "text"),
                ("severity", "Severity", ["", "low", "medium", "high"]),
            ],
            values=values,
        )

    @api.get("/pages/cash", include_in_schema=False)
    async def cash_page(request: Request) -> Response:
        ask = Asked(request)
        values = checked(
            "receivables", chosen(request, ("team", "rep", "product_line", "currency"))
        )
        reconciliation = must(
            *await ask.get(f"{insights}/reconciliation", {**values, "limit": "500"})
        )
        receivables = must(*await ask.get(f"{insights}/receivables", values))
        counts = reconciliation["mismatch_counts"]
        mismatch_chart = charts.bars(
            "Mismatches by class",
            list(counts),
            {"mismatches": list(counts.values())},
            "count",
            "class",
            horizontal=True,
        )
        groups = receivables["groups"]
        aging_chart = charts.bars(
            "Receivables aging",
            [g["group"] for g in groups],
            {BUCKET_NAMES[b]: [float(g["buckets"][b]) for g in groups] for b in BUCKETS},
            receivables["currency"],
            "team",
            horizontal=True,
            stacked=True,
        )
        dso_chart = charts.bars(
            "DSO",
            [g["group"] for g in groups],
            {"DSO (days)": [g["dso_days"] for g in groups]},
            "team",
            "days",
        )
        mismatched = [row for row in reconciliation["orders"] if row["mismatches"]]
        return render(
            request,
            "cash.html",
            "Cash",
            reconciliation=reconciliation,
            receivables=receivables,
            mismatched=mismatched,
            mismatch_chart=mismatch_chart,
            aging_chart=aging_chart,
            dso_chart=dso_chart,
            buckets=BUCKETS,
            bucket_names=BUCKET_NAMES,
            mismatch_meaning=MISMATCH_MEANING,
            filter_fields=[
                *fields("team", "rep", "product_line"),
                ("currency", "Currency", "text"),
            ],
            values=values,
        )

    @api.get("/pages/deals/{deal_id}", include_in_schema=False)
    async def deal_page(request: Request, deal_id: str) -> Response:
        return await deal_timeline(request, settings, Asked(request), deal_id)


def fields(*names: str) -> list[tuple[str, str, str]]:
    """The filter fields of these slicing dimensions, as every page labels them."""
    return [field for field in SLICES if field[0] in names]


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _over_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"
