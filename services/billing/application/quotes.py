"""CPQ: configure, price and quote; discount approval; the customer's acceptance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from kernel.commands import build
from kernel.domain import L2CAggregate
from kernel.errors import RuleViolation
from kernel.store import Result
from services.billing.application.base import BillingBase, Rules
from services.billing.application.views import quote_view
from services.billing.domain import commands
from services.billing.domain.closing import DealClosing
from services.billing.domain.pricing import LineRequest, PricedLine, price_lines
from services.billing.domain.quote import Quote
from services.billing.domain.schedule import InstallmentTerms

DEFAULT_VALIDITY = timedelta(days=30)
ON_BOOKING = (InstallmentTerms("on booking", Decimal(100)),)


def create_quote(
    app: QuoteUseCases, c: commands.CreateQuote, _: int | None
) -> tuple[list[Quote], Result]:
    closing = app.closing_of(c.deal_id)
    if closing.status == "lost":
        raise RuleViolation(f"deal {c.deal_id} is lost; it cannot be quoted")
    today = app.today()
    rules, priced = app.price([line.to_domain() for line in c.lines], today)
    quote = Quote.draft(
        deal_id=c.deal_id,
        account=closing.account,
        owner_id=closing.owner_id,
        requester_role=c.requester_role,
        lines=priced,
        currency=rules.price_book.currency,
        rule_versions=rules.versions,
        needs=rules.approval.needs(priced, c.requester_role),
        plan=[term.to_domain() for term in c.payment_plan],
        quoted_on=today,
        valid_until=c.valid_until or today + DEFAULT_VALIDITY,
    )
    return [quote], quote_view(quote)


def revise_quote(
    app: QuoteUseCases, c: commands.ReviseQuote, expected_version: int | None
) -> tuple[list[Quote], Result]:
    quote = app.load(Quote, c.quote_id, expected_version)
    today = app.today()
    rules, priced = app.price([line.to_domain() for line in c.lines], today)
    quote.revise(
        lines=priced,
        rule_versions=rules.versions,
        needs=rules.approval.needs(priced, quote.requester_role),
        plan=[term.to_domain() for term in c.payment_plan],
        quoted_on=today,
        valid_until=c.valid_until or today + DEFAULT_VALIDITY,
    )
    return [quote], quote_view(quote)


def approve_quote(
    app: QuoteUseCases, c: commands.ApproveQuote, expected_version: int | None
) -> tuple[list[Quote], Result]:
    quote = app.load(Quote, c.quote_id, expected_version)
    # Judged by the approval rules the quote was priced with.
    policy = app.rules_at(quote.rule_versions).approval
    quote.approve(c.by, c.role, c.reason, policy.may_approve(c.role, quote.largest_discount))
    return [quote], quote_view(quote)


def accept_quote(
    app: QuoteUseCases, c: commands.AcceptQuote, expected_version: int | None
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


class QuoteUseCases(BillingBase):
    def price(
        self, lines: Sequence[LineRequest], on: date | None = None, rules: Rules | None = None
    ) -> tuple[Rules, list[PricedLine]]:
        rules = rules or self.rules_now()
        return rules, price_lines(lines, rules.catalog, rules.price_book, on or self.today())

    def preview(self, lines: Sequence[LineRequest], requester_role: str) -> Result:
        """Validate and price without saving: what a quote with these lines would say."""
        rules, priced = self.price(lines)
        needs = rules.approval.needs(priced, requester_role)
        return {
            "rule_versions": rules.versions,
            "currency": rules.price_book.currency,
            "lines": [line.as_dict() for line in priced],
            "total": str(sum(line.net_amount.amount for line in priced)),
            "approval_needed": [n.as_dict() for n in needs],
        }

    def create_quote(
        self,
        deal_id: uuid.UUID,
        *,
        lines: Sequence[LineRequest],
        requester_role: str,
        plan: Sequence[InstallmentTerms] = ON_BOOKING,
        valid_until: date | None = None,
        idempotency_key: str | None = None,
    ) -> Result:
        """``CreateQuote`` from domain values."""
        command = build(
            commands.CreateQuote,
            deal_id=deal_id,
            lines=[line.__dict__ for line in lines],
            requester_role=requester_role,
            payment_plan=[term.__dict__ for term in plan],
            valid_until=valid_until,
        )
        return self.dispatch(command, idempotency_key=idempotency_key)

    def get_quote(self, quote_id: uuid.UUID) -> Quote:
        return self.load(Quote, quote_id)

    def _book_if_ready(self, closing: DealClosing) -> list[L2CAggregate]:
        raise NotImplementedError  # the orders layer books
