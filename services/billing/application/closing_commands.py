"""How the deals service's reports change a deal's closing record (and book its order
when a won deal has an accepted quote). Declared in ``catalog.py``."""

from __future__ import annotations

from typing import Any

from kernel.domain import L2CAggregate
from kernel.store import Result
from services.billing.domain import commands
from services.billing.domain.closing import DealClosing


def record_deal_opened(
    app: Any, c: commands.RecordDealOpened, _: int | None
) -> tuple[list[DealClosing], Result]:
    if app.exists(DealClosing.create_id(c.deal_id)):
        return [], {"deal_id": str(c.deal_id), "known": True}
    return [DealClosing.open(c.deal_id, c.account, c.owner_id, c.name, c.team)], {
        "deal_id": str(c.deal_id),
        "known": False,
    }


def record_deal_lost(
    app: Any, c: commands.RecordDealLost, expected_version: int | None
) -> tuple[list[DealClosing], Result]:
    closing = app.load(DealClosing, DealClosing.create_id(c.deal_id), expected_version)
    closing.lost(c.reason)
    return [closing], {"deal_id": str(c.deal_id), "status": closing.status}


def record_deal_won(
    app: Any, c: commands.RecordDealWon, _: int | None
) -> tuple[list[L2CAggregate], Result]:
    """Deals says the deal is won; with an accepted quote the order is booked now,
    otherwise when the customer accepts one."""
    closing_id = DealClosing.create_id(c.deal_id)
    if app.exists(closing_id):
        closing = app.load(DealClosing, closing_id)
    else:
        closing = DealClosing.open(c.deal_id, c.account, "", "")
    if not closing.won(c.amount.to_domain(), c.closed_at):
        return [], {"deal_id": str(c.deal_id), "order_id": None}
    booked = app._book_if_ready(closing)
    return [closing, *booked], {
        "deal_id": str(c.deal_id),
        "order_id": str(booked[0].id) if booked else None,
    }
