"""One deal's story on one time axis: the deal's own events (from the deals service's
store, with who and why), its quotes', order's and invoices' (payments are events of the
invoices), and the health breaches opened and cleared on it (the insights worker's breach
log). The deal's state comes from its store too, now or as of a version or time.

Each history is the service's own audit answer (``GET /<kind>/{id}/history``), asked
with the caller's token: a role that may not read money histories sees the deal's own
events and a note saying what it may not see.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from kernel.settings import Settings
from services.gateway.pages import charts
from services.gateway.pages.view import Asked, PageError, must, render

LANES = ("deal", "quote", "order", "invoice", "breach")
HISTORY_LIMIT = "1000"
STATE_FIELDS = (
    ("Status", "status"),
    ("Stage", "stage"),
    ("Win probability", "win_probability_percent"),
    ("Amount", "amount"),
    ("Currency", "currency"),
    ("Close date", "close_date"),
    ("Forecast category", "forecast_category"),
    ("Owner", "owner_id"),
    ("Company", "company"),
    ("Open blockers", "open_blockers"),
    ("Activities", "activities"),
    ("Version", "version"),
)


def _entries(lane: str, history: list[dict[str, Any]], own: bool) -> list[dict[str, Any]]:
    """Timeline entries of one aggregate's history; ``own``: the deal's, whose state the
    page can show as of each of its versions."""
    found = []
    for event in history:
        actor = event["actor"]
        who, roles = actor["id"], " ".join(actor["roles"])
        found.append(
            {
                "at": event.get("occurred_at") or event.get("recorded_at"),
                "lane": lane,
                "what": _name(event["event_type"] or event["event"]),
                "who": f"{who} ({roles})" if who and roles else who,
                "why": event.get("reason") or "",
                "detail": "",
                "as_of": event.get("version") if own else None,
            }
        )
    return found


def _events_of(history: dict[str, Any]) -> list[dict[str, Any]]:
    return list(history["events"])


async def deal_timeline(request: Request, settings: Settings, ask: Asked, deal_id: str) -> Response:
    try:
        uuid.UUID(deal_id)
    except ValueError:
        raise PageError(404, {"message": f"{deal_id!r} is not a deal id"}) from None
    as_of = (request.query_params.get("as_of") or "").strip()[:64]
    deals, billing = settings.deals_url, settings.billing_url
    state_params = {"as_of": as_of} if as_of else None
    (
        deal_answer,
        history_answer,
        quotes_answer,
        order_answer,
        breaches_answer,
    ) = await asyncio.gather(
        ask.get(f"{deals}/deals/{deal_id}", state_params),
        ask.get(f"{deals}/deals/{deal_id}/history", {"limit": HISTORY_LIMIT}),
        ask.get(f"{billing}/quotes", {"deal_id": deal_id, "limit": "500"}),
        ask.get(f"{billing}/orders/by-deal/{deal_id}"),
        ask.get(f"{settings.insights_url}/insights/breaches/history", {"deal_id": deal_id}),
    )
    deal = must(*deal_answer)
    entries = _entries("deal", _events_of(must(*history_answer)), own=True)
    refusals: list[tuple[str, int]] = []

    async def money_history(lane: str, path: str) -> None:
        status, body = await ask.get(f"{billing}{path}/history", {"limit": HISTORY_LIMIT})
        refused = (f"{lane.capitalize()} histories", status)
        if status == 200:
            entries.extend(_entries(lane, _events_of(body), own=False))
        elif refused not in refusals:
            refusals.append(refused)

    quote_status, quotes = quotes_answer
    if quote_status == 200:
        ids = [q.get("quote_id") or q.get("id") for q in _rows(quotes)]
        await asyncio.gather(*(money_history("quote", f"/quotes/{q}") for q in ids if q))
    else:
        refusals.append(("Quotes", quote_status))
    order_status, order = order_answer
    if order_status == 200:
        order_id = order.get("order_id") or order.get("id")
        await money_history("order", f"/orders/{order_id}")
        invoices_status, invoices = await ask.get(
            f"{billing}/invoices", {"order_id": str(order_id), "limit": "500"}
        )
        if invoices_status == 200:
            ids = [i.get("invoice_id") or i.get("id") for i in _rows(invoices)]
            await asyncio.gather(*(money_history("invoice", f"/invoices/{i}") for i in ids if i))
        else:
            refusals.append(("Invoices", invoices_status))
    elif order_status != 404:  # 404: no order booked yet
        refusals.append(("The order", order_status))

    breach_status, breach_log = breaches_answer
    if breach_status == 200:
        for b in breach_log.get("entries", []):
            detail = (
                f"{b.get('message')} (observed {b.get('observed')}, threshold {b.get('threshold')})"
            )
            entries.append(_breach(b, "detected_at", f"breached: {b['rule']}", detail))
            if b.get("cleared_at"):
                entries.append(_breach(b, "cleared_at", f"cleared: {b['rule']}", ""))
    else:
        refusals.append(("Breaches", breach_status))

    entries = [e for e in entries if e["at"]]
    entries.sort(key=lambda e: (_moment(e["at"]), LANES.index(e["lane"])))
    points: dict[str, list[tuple[datetime, str]]] = {}
    for number, e in enumerate(entries, 1):
        e["number"] = number
        points.setdefault(e["lane"], []).append((_moment(e["at"]), str(number)))
    lanes = [lane for lane in LANES if lane in points] or ["deal"]
    chart = charts.timeline("Deal timeline", lanes, points)
    state = [(label, _shown(deal.get(key))) for label, key in STATE_FIELDS]
    return render(
        request,
        "deal.html",
        f"Deal {deal.get('name') or deal_id}",
        deal=deal,
        as_of=as_of,
        state=state,
        entries=entries,
        timeline_chart=chart,
        refusals=refusals,
    )


def _rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("items")
    return list(items) if isinstance(items, list) else []


def _breach(b: dict[str, Any], moment: str, what: str, detail: str) -> dict[str, Any]:
    who = " / ".join(x for x in (b.get("rep"), b.get("team")) if x)
    return {
        "at": b.get(moment),
        "lane": "breach",
        "what": what,
        "who": f"insights (rep {who})" if who else "insights",
        "why": "",
        "detail": detail,
        "as_of": None,
    }


def _name(event_type: str) -> str:
    """``l2c.v1.DealWon`` -> ``DealWon`` (the page is about one product's events)."""
    return event_type.rsplit(".", 1)[-1]


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(value)
