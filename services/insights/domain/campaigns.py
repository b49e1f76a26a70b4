"""Campaign ROI and the reverse funnel.

Per campaign: its cost, the leads it brought (merged duplicates excluded), how many
marketing qualified and how many sales accepted (MQL→SQL acceptance), the deals opened,
the revenue won and the cash collected from them, and ROI = (won revenue − cost) ÷ cost
(cash ROI likewise with cash collected).

The reverse funnel works backwards from a revenue target: each channel is asked for its
share of the target in proportion to the revenue it won in the observed period, and the
channel's own observed conversion rates (lead→MQL→SQL→deal→won, average won deal size)
give the leads it must bring. Every step rounds up: half a deal is a deal.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import Any

from services.insights.domain.slicing import Slice, cents, ratio
from services.insights.domain.state import Projection, Record


def _deal_cash(p: Projection, deal: Record) -> Decimal:
    return sum(
        (
            Decimal(i.get("paid", "0"))
            for o in p.orders_of_deal(deal["id"])
            for i in p.invoices_of_order(o["id"])
        ),
        Decimal(0),
    )


def _tally(p: Projection, leads: list[Record], currency: str) -> dict[str, Any]:
    mql = sum(1 for lead in leads if lead.get("mql_at"))
    sql = sum(1 for lead in leads if lead.get("sql_at"))
    deals = [d for lead in leads if (d := p.deal_of_lead(lead["id"])) is not None]
    won = [d for d in deals if d.get("status") == "won"]
    revenue = sum(
        (Decimal(d.get("won_amount", "0")) for d in won if d.get("currency") == currency),
        Decimal(0),
    )
    cash = sum((_deal_cash(p, d) for d in won if d.get("currency") == currency), Decimal(0))
    return {
        "leads": len(leads),
        "mql": mql,
        "sql": sql,
        "deals": len(deals),
        "won": len(won),
        "revenue": revenue,
        "cash": cash,
    }


def _leads(p: Projection, scope: Slice) -> list[Record]:
    return [
        lead
        for lead in p.all("lead").values()
        if not lead.get("merged_into")
        and lead.get("captured_at")
        and scope.in_period(lead["captured_at"])
        and scope.matches(p.lead_dims(lead))
    ]


def campaign_roi(p: Projection, scope: Slice) -> list[dict[str, Any]]:
    leads = _leads(p, scope)
    by_campaign: dict[str, list[Record]] = {}
    for lead in leads:
        if lead.get("campaign"):
            by_campaign.setdefault(lead["campaign"], []).append(lead)
    rows = []
    for campaign_id in sorted(set(by_campaign) | set(p.all("campaign"))):
        campaign = p.get("campaign", campaign_id) or {}
        tally = _tally(p, by_campaign.get(campaign_id, []), scope.currency)
        cost = (
            Decimal(campaign.get("cost", "0"))
            if campaign.get("currency", scope.currency) == scope.currency
            else Decimal(0)
        )
        rows.append(
            {
                "campaign_id": campaign_id,
                "name": campaign.get("name", ""),
                "channel_type": campaign.get("channel_type", ""),
                "currency": scope.currency,
                "cost": cents(cost),
                "leads": tally["leads"],
                "mql": tally["mql"],
                "sql": tally["sql"],
                "mql_to_sql_acceptance": ratio(tally["sql"], tally["mql"]),
                "deals": tally["deals"],
                "won": tally["won"],
                "won_revenue": cents(tally["revenue"]),
                "cash_collected": cents(tally["cash"]),
                "cost_per_lead": cents(cost / tally["leads"]) if tally["leads"] else None,
                "roi": ratio(float(tally["revenue"] - cost), float(cost)),
                "cash_roi": ratio(float(tally["cash"] - cost), float(cost)),
            }
        )
    return rows


def _needed(count: int | None, reached: int, started: int) -> int | None:
    """How many must start a step so that ``count`` reach the next one, at the observed
    rate reached/started (exact, rounded up)."""
    if count is None or reached <= 0:
        return None
    return math.ceil(Fraction(count * started, reached))


def reverse_funnel(p: Projection, scope: Slice, target: Decimal) -> dict[str, Any]:
    by_channel: dict[str, list[Record]] = {}
    for lead in _leads(p, scope):
        by_channel.setdefault(lead.get("channel") or "direct", []).append(lead)
    tallies = {channel: _tally(p, leads, scope.currency) for channel, leads in by_channel.items()}
    total_revenue = sum((t["revenue"] for t in tallies.values()), Decimal(0))
    rows = []
    for channel in sorted(tallies):
        t = tallies[channel]
        rates = {
            "lead_to_mql": ratio(t["mql"], t["leads"]),
            "mql_to_sql": ratio(t["sql"], t["mql"]),
            "sql_to_deal": ratio(t["deals"], t["sql"]),
            "win_rate": ratio(t["won"], t["deals"]),
        }
        row: dict[str, Any] = {
            "channel": channel,
            "observed": {
                "leads": t["leads"],
                "mql": t["mql"],
                "sql": t["sql"],
                "deals": t["deals"],
                "won": t["won"],
                "won_revenue": cents(t["revenue"]),
                "average_deal_size": cents(t["revenue"] / t["won"])
                if t["won"] and t["revenue"]
                else None,
            },
            "rates": rates,
        }
        if total_revenue > 0 and t["revenue"] > 0:
            share = t["revenue"] / total_revenue
            channel_target = (target * share).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
            won_needed = math.ceil(channel_target / (t["revenue"] / t["won"]))
            deals_needed = _needed(won_needed, t["won"], t["deals"])
            sql_needed = _needed(deals_needed, t["deals"], t["sql"])
            mql_needed = _needed(sql_needed, t["sql"], t["mql"])
            leads_needed = _needed(mql_needed, t["mql"], t["leads"])
            row["plan"] = {
                "share_of_target": round(float(share), 4),
                "revenue": cents(channel_target),
                "won_deals": won_needed,
                "deals": deals_needed,
                "sql": sql_needed,
                "mql": mql_needed,
                "leads": leads_needed,
            }
        else:
            row["plan"] = None  # no revenue observed: no basis to plan from
        rows.append(row)
    return {
        "currency": scope.currency,
        "target": cents(target),
        "observed_revenue": cents(total_revenue),
        "channels": rows,
    }
