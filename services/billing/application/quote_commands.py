"""How each command on a quote is carried out: pricing with the rules in force, approval
by the rules the quote was priced with, the customer's acceptance. Declared in
``catalog.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kernel.domain import L2CAggregate
from kernel.errors import RuleViolation
from kernel.store import Result
from services.billing.application.views import quote_view
from services.billing.domain import commands
from services.billing.domain.closing import DealClosing
from services.billing.domain.quote import Quote

DEFAULT_VALIDITY = timedelta(days=30)


def _priced(
    app: Any, c: commands.CreateQuote | commands.ReviseQuote, requester_role: str
) -> tuple[str, dict[str, Any]]:
    """The currency and the priced terms of a quote's lines, by the rules in force today:
    prices, the approvals the discounts need, the payment plan, the validity."""
    today = app.today()
    rules, priced = app.price([line.to_domain() for line in c.lines], today)
    return rules.price_book.currency, {
        "lines": priced,
        "rule_versions": rules.versions,
        "needs": rules.approval.needs(priced, requester_role),
        "plan": [term.to_domain() for term in c.payment_plan],
        "quoted_on": today,
        "valid_until": c.valid_until or today + DEFAULT_VALIDITY,
    }


def create_quote(app: Any, c: commands.CreateQuote, _: int | None) -> tuple[list[Quote], Result]:
    closing = app.closing_of(c.deal_id)
    if closing.status == "lost":
        raise RuleViolation(f"deal {c.deal_id} is lost; it cannot be quoted")
    currency, terms = _priced(app, c, c.requester_role)
    quote = Quote.draft(
        deal_id=c.deal_id,
        account=closing.account,
        owner_id=closing.owner_id,
        requester_role=c.requester_role,
        currency=currency,
        **terms,
    )
    return [quote], quote_view(quote)


def revise_quote(
    app: Any, c: commands.ReviseQuote, expected_version: int | None
) -> tuple[list[Quote], Result]:
    quote = app.load(Quote, c.quote_id, expected_version)
    _, terms = _priced(app, c, quote.requester_role)
    quote.revise(**terms)
    return [quote], quote_view(quote)


def approve_quote(
    app: Any, c: commands.ApproveQuote, expected_version: int | None
) -> tuple[list[Quote], Result]:
    quote = app.load(Quote, c.quote_id, expected_version)
    # Judged by the approval rules the quote was priced with.
    policy = app.rules_at(quote.rule_versions).approval
    quote.approve(c.by, c.role, c.reason, policy.may_approve(c.role, quote.largest_discount))
    return [quote], quote_view(quote)


def accept_quote(
    app: Any, c: commands.AcceptQuote, expected_version: int | None
) -> tuple[list[L2CAggregate], Result]:
    """The customer accepts; when the deal is already won, its order is booked now."""
    quote = app.load(Quote, c.quote_id, expected_version)
    closing = app.load(DealClosing, DealClosing.create_id(quote.deal_id))
    quote.accept(c.accepted_by, app.today())
    closing.quote_accepted(quote.id)
    booked = app._book_if_ready(closing)
    result = quote_view(quote)
    result["order_id"] = str(booked[0].id) if booked else None
    return [quote, closing, *booked], result
