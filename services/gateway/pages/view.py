"""What every page shares: formatting, the templates, asking the read models and services
on the caller's behalf, and rendering with the navigation the caller's roles open."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kernel.access import PAGES_PREFIX, SESSION_COOKIE, allowed, credentials_of
from kernel.auth import Identity
from kernel.telemetry import current_trace_headers
from services.insights.entrypoints.queries import QueryError, validated

HERE = Path(__file__).parent
# Inline SVG charts carry their own <style>; everything else comes from this origin.
CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)


class Page:
    """One page in the navigation."""

    def __init__(self, path: str, label: str, about: str) -> None:
        self.path, self.label, self.about = path, label, about

    @property
    def route(self) -> str:
        return f"GET {self.path}"


PAGES = (
    Page("/pages/funnel", "Funnel", "lead to cash per step and team, with the leak step"),
    Page("/pages/pipeline", "Pipeline", "weighted pipeline by close month, slips, forecast"),
    Page("/pages/health", "Health", "breaches open now, by rule, team and rep"),
    Page("/pages/cash", "Cash", "reconciliation mismatches, receivables aging, DSO"),
)


# -- formatting -------------------------------------------------------------------------


def _number(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return "—"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _when(value: Any) -> str:
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _records(offsets: dict[str, dict[str, int]]) -> str:
    return f"{sum(sum(parts.values()) for parts in offsets.values()):,}"


TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters.update(number=_number, money=_money, pct=_pct, when=_when, records=_records)


# -- asking the read models and services ------------------------------------------------


class Asked:
    """What a page asks on the caller's behalf: their token goes along, and the answer's
    status comes back with the body (a page shows a refused section, not an error)."""

    def __init__(self, request: Request) -> None:
        self.client: httpx.AsyncClient = request.app.state.http
        self.credentials = credentials_of(request)

    async def get(self, url: str, params: dict[str, str] | None = None) -> tuple[int, Any]:
        headers = current_trace_headers()
        if self.credentials:
            headers["Authorization"] = self.credentials
        try:
            answer = await self.client.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            return 503, {"error": "upstream_unavailable", "message": str(exc)}
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return 502, {"error": "upstream_error", "message": f"{url}: not JSON"}


class PageError(Exception):
    """The page's main read model did not answer: said with its status and message."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status = status
        self.message = body.get("message", str(body)) if isinstance(body, dict) else str(body)


def must(status: int, body: Any) -> Any:
    if status != 200:
        raise PageError(status, body)
    return body


def checked(name: str, params: dict[str, str]) -> dict[str, str]:
    """``params`` as read model ``name`` takes them; a 422 page (the read model's own
    message) for a bad one, before anything is asked."""
    try:
        validated(name, params)
    except QueryError as exc:
        raise PageError(exc.status, exc.body) from None
    return params


def chosen(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The filters a page was asked with (empty ones left out)."""
    return {k: v for k, v in request.query_params.items() if k in names and v.strip()}


# -- rendering --------------------------------------------------------------------------


def identity_of(request: Request) -> Identity | None:
    return getattr(request.state, "identity", None)


def _nav(identity: Identity | None, current: str) -> list[dict[str, Any]]:
    if identity is None:
        return []
    return [
        {"href": page.path, "label": page.label, "current": page.path == current}
        for page in PAGES
        if allowed(page.route, identity)
    ]


def render(
    request: Request, template: str, title: str, status: int = 200, **context: Any
) -> HTMLResponse:
    identity = identity_of(request)
    html = TEMPLATES.get_template(template).render(
        title=title,
        nav=_nav(identity, request.url.path),
        signed_in=identity is not None and SESSION_COOKIE in request.cookies,
        who=identity.subject if identity else "",
        roles=", ".join(sorted(identity.roles)) if identity else "",
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=_page_headers())


def _page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def message_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "message.html", title, status, message=message, link=None)


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/")


def sign_in_page(request: Request, message: str, status: int, next_path: str) -> HTMLResponse:
    return render(request, "sign_in.html", "Sign in", status, message=message, next=next_path)


def safe_next(value: str) -> str:
    """Where to go after signing in: a page of ours only (never another site)."""
    if value.startswith(PAGES_PREFIX) and not value.startswith("//") and "\\" not in value:
        return value
    return PAGES_PREFIX
