"""CPQ: configure, price and quote; discount approval; the customer's acceptance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from kernel.domain import L2CAggregate
from kernel.errors import RuleViolation
from kernel.store import Result, fingerprint_of
from services.billing.application.base import BillingBase, Rules
from services.billing.application.views import quote_view
from services.billing.domain.closing import DealClosing
from services.billing.domain.pricing import LineRequest, PricedLine, price_lines
from services.billing.domain.quote import Quote
from services.billing.domain.schedule import InstallmentTerms

DEFAULT_VALIDITY = timedelta(days=30)
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
        def decide() -> tuple[list[Quote], Result]:
            closing = self.closing_of(deal_id)
            if closing.status == "lost":
                raise RuleViolation(f"deal {deal_id} is lost; it cannot be quoted")
            today = self.today()
            rules, priced = self.price(lines, today)
            quote = Quote.draft(
                deal_id=deal_id,
                account=closing.account,
                owner_id=closing.owner_id,
                requester_role=requester_role,
                lines=priced,
                currency=rules.price_book.currency,
                rule_versions=rules.versions,
                needs=rules.approval.needs(priced, requester_role),
                plan=plan,
                quoted_on=today,
                valid_until=valid_until or today + DEFAULT_VALIDITY,
            )
            return [quote], quote_view(quote)

        return self.execute(
            "create_quote",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("quote", deal_id, lines, requester_role, plan, valid_until),
        )

    def revise_quote(
        self,
        quote_id: uuid.UUID,
        *,
        lines: Sequence[LineRequest],
        plan: Sequence[InstallmentTerms] = ON_BOOKING,
        valid_until: date | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def change(quote: Quote) -> None:
            today = self.today()
            rules, priced = self.price(lines, today)
            quote.revise(
                lines=priced,
                rule_versions=rules.versions,
                needs=rules.approval.needs(priced, quote.requester_role),
                plan=plan,
                quoted_on=today,
                valid_until=valid_until or today + DEFAULT_VALIDITY,
            )

        return self.update(
            "revise_quote",
            Quote,
            quote_id,
            change,
            quote_view,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[lines, plan, valid_until],
        )

    def submit_quote(
        self,
        quote_id: uuid.UUID,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "submit_quote",
            Quote,
            quote_id,
            lambda q: q.submit(),
            quote_view,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
        )

    def approve_quote(
        self,
        quote_id: uuid.UUID,
        *,
        by: str,
        role: str,
        reason: str,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def change(quote: Quote) -> None:
            # Judged by the approval rules the quote was priced with.
            policy = self.rules_at(quote.rule_versions).approval
            quote.approve(by, role, reason, policy.may_approve(role, quote.largest_discount))

        return self.update(
            "approve_quote",
            Quote,
            quote_id,
            change,
            quote_view,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[by, role, reason],
        )

    def reject_quote(
        self,
        quote_id: uuid.UUID,
        *,
        by: str,
        role: str,
        reason: str,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "reject_quote",
            Quote,
            quote_id,
            lambda q: q.reject(by, role, reason),
            quote_view,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[by, role, reason],
        )

    def accept_quote(
        self,
        quote_id: uuid.UUID,
        *,
        by: str,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        """The customer accepts; when the deal is already won, its order is booked now."""

        def decide() -> tuple[list[L2CAggregate], Result]:
            quote = self.load(Quote, quote_id, expected_version)
            closing = self.load(DealClosing, DealClosing.create_id(quote.deal_id))
            quote.accept(by, self.today())
            closing.quote_accepted(quote.id)
            booked = self._book_if_ready(closing)
            result = quote_view(quote)
            result["order_id"] = str(booked[0].id) if booked else None
            return [quote, closing, *booked], result

        return self.execute(
            "accept_quote",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("accept", quote_id, by),
            retries=2 if expected_version is None else 0,
        )

    def get_quote(self, quote_id: uuid.UUID) -> Quote:
        return self.load(Quote, quote_id)

    def _book_if_ready(self, closing: DealClosing) -> list[L2CAggregate]:
        raise NotImplementedError  # the orders layer books
