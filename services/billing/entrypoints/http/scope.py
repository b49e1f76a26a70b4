"""Row-level scope in billing: a quote, order or invoice belongs to its deal's owner and
team (billing records them when the deal opens); out of scope reads as not found."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pydantic import BaseModel

from kernel.errors import NotFound
from kernel.scope import current_scope
from services.billing.application import BillingApplication


def require_deal(app: BillingApplication, deal_id: uuid.UUID, what: str) -> None:
    scope = current_scope()
    if scope.everything:
        return
    try:
        closing = app.closing_of(deal_id)
    except NotFound:
        raise NotFound(f"{what} not found") from None
    scope.require(closing.owner_id, getattr(closing, "team", ""), what)


def deal_of(app: BillingApplication, command: BaseModel) -> tuple[uuid.UUID, str] | None:
    """The deal a command's record belongs to, and how to name the record."""
    if isinstance(quote_id := getattr(command, "quote_id", None), uuid.UUID):
        return app.get_quote(quote_id).deal_id, f"quote {quote_id}"
    if isinstance(order_id := getattr(command, "order_id", None), uuid.UUID):
        return app.get_order(order_id).deal_id, f"order {order_id}"
    if isinstance(invoice_id := getattr(command, "invoice_id", None), uuid.UUID):
        order = app.get_order(app.get_invoice(invoice_id).order_id)
        return order.deal_id, f"invoice {invoice_id}"
    if isinstance(deal_id := getattr(command, "deal_id", None), uuid.UUID):
        return deal_id, f"deal {deal_id}"
    return None


def guard(app: BillingApplication) -> Callable[[BaseModel], None]:
    def check(command: BaseModel) -> None:
        found = deal_of(app, command)
        if found is not None:
            require_deal(app, *found)

    return check
