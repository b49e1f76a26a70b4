"""CPQ: configure, price and quote; discount approval; the customer's acceptance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from kernel.commands import build
from kernel.domain import L2CAggregate
from kernel.store import Result
from services.billing.application.base import BillingBase, Rules
from services.billing.domain import commands
from services.billing.domain.closing import DealClosing
from services.billing.domain.pricing import LineRequest, PricedLine, price_lines
from services.billing.domain.quote import Quote
from services.billing.domain.schedule import InstallmentTerms

ON_BOOKING = (InstallmentTerms("on booking", Decimal(100)),)


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
