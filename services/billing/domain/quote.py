"""The Quote aggregate: priced lines for a deal, discount approval, customer acceptance.

draft ⇄ (revise) → submitted: approved at once when every discount is within its
threshold, else pending_approval → approved | rejected (a rejected quote may be revised
and submitted again). An approved quote is frozen; the customer accepts it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation
from services.billing.domain.pricing import ApprovalNeed, PricedLine, total_of
from services.billing.domain.schedule import InstallmentTerms, check_terms


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACCEPTED = "accepted"


EDITABLE = (QuoteStatus.DRAFT, QuoteStatus.REJECTED)


class Quote(L2CAggregate):
    @classmethod
    def draft(
        cls,
        *,
        deal_id: uuid.UUID,
        account: str,
        owner_id: str,
        requester_role: str,
        lines: Sequence[PricedLine],
        currency: str,
        rule_versions: dict[str, int],
        needs: Sequence[ApprovalNeed],
        plan: Sequence[InstallmentTerms],
        quoted_on: date,
        valid_until: date,
    ) -> Quote:
        check_terms(plan)
        if valid_until < quoted_on:
            raise InvalidCommand(f"valid_until {valid_until} is before the quote date")
        return cls(
            deal_id=deal_id,
            account=account,
            owner_id=owner_id,
            requester_role=requester_role,
            currency=currency,
            lines=[line.as_dict() for line in lines],
            total=total_of(lines, currency),
            rule_versions=dict(rule_versions),
            needs=[n.as_dict() for n in needs],
            plan=[t.as_dict() for t in plan],
            quoted_on=quoted_on,
            valid_until=valid_until,
        )

    @event("Drafted")
    def __init__(
        self,
        deal_id: uuid.UUID,
        account: str,
        owner_id: str,
        requester_role: str,
        currency: str,
        lines: list[dict[str, Any]],
        total: Money,
        rule_versions: dict[str, int],
        needs: list[dict[str, str]],
        plan: list[dict[str, Any]],
        quoted_on: date,
        valid_until: date,
    ) -> None:
        self.deal_id = deal_id
        self.account = account
        self.owner_id = owner_id
        self.requester_role = requester_role
        self.currency = currency
        self.status = QuoteStatus.DRAFT
        self.decisions: list[dict[str, str]] = []
        self.accepted_by = ""
        self._set_content(lines, total, rule_versions, needs, plan, quoted_on, valid_until)

    def _set_content(
        self,
        lines: list[dict[str, Any]],
        total: Money,
        rule_versions: dict[str, int],
        needs: list[dict[str, str]],
        plan: list[dict[str, Any]],
        quoted_on: date,
        valid_until: date,
    ) -> None:
        self.lines = lines
        self.total = total
        self.rule_versions = rule_versions
        self.needs = needs
        self.plan = plan
        self.quoted_on = quoted_on
        self.valid_until = valid_until

    # -- reading -----------------------------------------------------------------------

    def priced_lines(self) -> list[PricedLine]:
        return [PricedLine.from_dict(d) for d in self.lines]

    def terms(self) -> list[InstallmentTerms]:
        return [InstallmentTerms.from_dict(d) for d in self.plan]

    @property
    def largest_discount(self) -> Decimal:
        return max((Decimal(d["discount_percent"]) for d in self.lines), default=Decimal(0))

    # -- commands ----------------------------------------------------------------------

    def revise(
        self,
        *,
        lines: Sequence[PricedLine],
        rule_versions: dict[str, int],
        needs: Sequence[ApprovalNeed],
        plan: Sequence[InstallmentTerms],
        quoted_on: date,
        valid_until: date,
    ) -> None:
        if self.status not in EDITABLE:
            raise RuleViolation(
                f"quote {self.id} is {self.status.value}; only a draft or rejected quote "
                "can be revised (an approved quote is frozen)"
            )
        check_terms(plan)
        self._revised(
            lines=[line.as_dict() for line in lines],
            total=total_of(lines, self.currency),
            rule_versions=dict(rule_versions),
            needs=[n.as_dict() for n in needs],
            plan=[t.as_dict() for t in plan],
            quoted_on=quoted_on,
            valid_until=valid_until,
        )

    @event("Revised")
    def _revised(
        self,
        lines: list[dict[str, Any]],
        total: Money,
        rule_versions: dict[str, int],
        needs: list[dict[str, str]],
        plan: list[dict[str, Any]],
        quoted_on: date,
        valid_until: date,
    ) -> None:
        self._set_content(lines, total, rule_versions, needs, plan, quoted_on, valid_until)
        self.status = QuoteStatus.DRAFT

    def submit(self) -> None:
        if self.status not in EDITABLE:
            raise RuleViolation(f"quote {self.id} is {self.status.value}; it cannot be submitted")
        if self.needs:
            self._submitted(needs=self.needs, deal_id=self.deal_id)
        else:
            self._approved(
                by="policy",
                role="",
                reason="every discount is within its threshold",
                automatic=True,
                deal_id=self.deal_id,
            )

    @event("Submitted")
    def _submitted(self, needs: list[dict[str, str]], deal_id: uuid.UUID) -> None:
        self.status = QuoteStatus.PENDING_APPROVAL

    def approve(self, by: str, role: str, reason: str, may_approve: bool) -> None:
        self._check_pending("approved")
        if not may_approve:
            raise RuleViolation(
                f"role {role!r} may not approve a discount of {self.largest_discount}% "
                f"on quote {self.id}"
            )
        self._approved(by=by, role=role, reason=reason, automatic=False, deal_id=self.deal_id)

    @event("Approved")
    def _approved(
        self, by: str, role: str, reason: str, automatic: bool, deal_id: uuid.UUID
    ) -> None:
        self.status = QuoteStatus.APPROVED
        self.decisions.append({"decision": "approved", "by": by, "role": role, "reason": reason})

    def reject(self, by: str, role: str, reason: str) -> None:
        self._check_pending("rejected")
        if not reason.strip():
            raise InvalidCommand("a rejection needs a reason the rep can act on")
        self._rejected(by=by, role=role, reason=reason, deal_id=self.deal_id)

    @event("Rejected")
    def _rejected(self, by: str, role: str, reason: str, deal_id: uuid.UUID) -> None:
        self.status = QuoteStatus.REJECTED
        self.decisions.append({"decision": "rejected", "by": by, "role": role, "reason": reason})

    def _check_pending(self, verb: str) -> None:
        if self.status is not QuoteStatus.PENDING_APPROVAL:
            raise RuleViolation(
                f"quote {self.id} is {self.status.value}; only a quote pending approval "
                f"can be {verb}"
            )

    def accept(self, by: str, on: date) -> None:
        if self.status is not QuoteStatus.APPROVED:
            raise RuleViolation(
                f"quote {self.id} is {self.status.value}; the customer can accept an "
                "approved quote only"
            )
        if on > self.valid_until:
            raise RuleViolation(f"quote {self.id} expired on {self.valid_until}")
        self._accepted(by=by, deal_id=self.deal_id, total=self.total)

    @event("Accepted")
    def _accepted(self, by: str, deal_id: uuid.UUID, total: Money) -> None:
        self.status = QuoteStatus.ACCEPTED
        self.accepted_by = by
