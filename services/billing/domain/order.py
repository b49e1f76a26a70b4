"""The Order aggregate (and its contract): booked from a won deal's accepted quote.

Its money always balances: ``total = invoiced - credited + uninvoiced``, where uninvoiced
is what the planned installments still hold. Amendments re-plan the open installments;
returns and credit notes lower the total.

Lifecycle: booked → confirmed (credit approved or released by finance) or credit_hold;
cancelled while nothing is invoiced. Installments become invoiceable on booking, on their
date, or when their milestone is accepted — but never while the order is on hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money, minor_units
from kernel.errors import InvalidCommand, RuleViolation
from services.billing.domain.credit import CreditDecision
from services.billing.domain.pricing import PricedLine, total_of
from services.billing.domain.schedule import Installment, InstallmentTerms, plan, replan

_ORDER_FOR_DEAL = uuid.UUID("5a0f1b5e-9d7e-4c1a-8f43-7b0c8e2d9a21")


class OrderStatus(StrEnum):
    BOOKED = "booked"  # waiting for its credit check
    CONFIRMED = "confirmed"
    CREDIT_HOLD = "credit_hold"
    CANCELLED = "cancelled"


class Order(L2CAggregate):
    @staticmethod
    def create_id(deal_id: uuid.UUID) -> uuid.UUID:
        """One order per won deal: its id follows from the deal's."""
        return uuid.uuid5(_ORDER_FOR_DEAL, str(deal_id))

    @classmethod
    def book(
        cls,
        *,
        deal_id: uuid.UUID,
        quote_id: uuid.UUID,
        account: str,
        owner_id: str,
        lines: Sequence[PricedLine],
        terms: Sequence[InstallmentTerms],
        rule_versions: Mapping[str, int],
        booked_on: date,
    ) -> Order:
        if not lines:
            raise InvalidCommand("an order needs at least one line")
        currency = lines[0].net_amount.currency
        total = total_of(lines, currency)
        if not total.is_positive:
            raise InvalidCommand(f"an order's total must be positive, got {total}")
        installments = plan(total, terms)
        order_id = cls.create_id(deal_id)
        return cls(
            deal_id=deal_id,
            quote_id=quote_id,
            account=account,
            owner_id=owner_id,
            contract_number=f"C-{order_id.hex[:10].upper()}",
            amount=total,
            lines=[line.as_dict() for line in lines],
            installments=[i.as_dict() for i in installments],
            rule_versions=dict(rule_versions),
            booked_on=booked_on,
        )

    @event("Booked")
    def __init__(
        self,
        deal_id: uuid.UUID,
        quote_id: uuid.UUID,
        account: str,
        owner_id: str,
        contract_number: str,
        amount: Money,
        lines: list[dict[str, Any]],
        installments: list[dict[str, Any]],
        rule_versions: dict[str, int],
        booked_on: date,
    ) -> None:
        self.deal_id = deal_id
        self.quote_id = quote_id
        self.account = account
        self.company = account
        self.owner_id = owner_id
        self.contract_number = contract_number
        self.amount = amount  # the current contract value (the total)
        self.booked_amount = amount
        self.lines = [dict(d) for d in lines]
        self.installments = [Installment.from_dict(d) for d in installments]
        self.rule_versions = rule_versions
        self.booked_on = booked_on
        self.status = OrderStatus.BOOKED
        self.terms_name = ""
        self.net_days = 0
        self.credit_note = ""
        self.invoiced = Money.zero(amount.currency)
        self.credited = Money.zero(amount.currency)
        self.invoice_ids: list[uuid.UUID] = []
        self.milestones: dict[str, dict[str, str]] = {
            i.terms.milestone: {"status": "pending", "delivered_at": "", "accepted_at": ""}
            for i in self.installments
            if i.terms.trigger == "on_milestone"
        }
        self.shipments: list[dict[str, str]] = []
        self.amendments = 0
        self.returns: list[str] = []

    # -- reading -----------------------------------------------------------------------

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def uninvoiced(self) -> Money:
        return sum(
            (i.amount for i in self.installments if i.status == "planned"),
            Money.zero(self.currency),
        )

    @property
    def net_invoiced(self) -> Money:
        return self.invoiced - self.credited

    def priced_lines(self) -> list[PricedLine]:
        return [PricedLine.from_dict(d) for d in self.lines]

    def installment(self, number: int) -> Installment:
        for i in self.installments:
            if i.number == number:
                return i
        raise InvalidCommand(f"order {self.id} has no installment {number}")

    def invoiceable(self, today: date) -> list[Installment]:
        """Planned installments whose condition is met (none while not confirmed)."""
        if self.status is not OrderStatus.CONFIRMED:
            return []
        ready = []
        for i in self.installments:
            if i.status != "planned":
                continue
            t = i.terms
            if (
                t.trigger == "on_booking"
                or (t.trigger == "on_date" and t.due_date is not None and t.due_date <= today)
                or (
                    t.trigger == "on_milestone"
                    and self.milestones.get(t.milestone, {}).get("status") == "accepted"
                )
            ):
                ready.append(i)
        return ready

    # -- credit ------------------------------------------------------------------------

    def decide_credit(self, decision: CreditDecision) -> None:
        if self.status is not OrderStatus.BOOKED:
            raise RuleViolation(f"order {self.id} already had its credit check")
        limit = str(decision.limit) if decision.limit else ""
        if decision.approved and decision.terms is not None:
            self._credit_approved(
                terms=decision.terms.name,
                net_days=decision.terms.net_days,
                exposure=decision.exposure_after,
                limit=limit,
                reason=decision.reason,
            )
        else:
            self._credit_held(exposure=decision.exposure_after, limit=limit, reason=decision.reason)

    @event("CreditApproved")
    def _credit_approved(
        self, terms: str, net_days: int, exposure: Money, limit: str, reason: str
    ) -> None:
        self.status = OrderStatus.CONFIRMED
        self.terms_name = terms
        self.net_days = net_days
        self.credit_note = reason

    @event("CreditHeld")
    def _credit_held(self, exposure: Money, limit: str, reason: str) -> None:
        self.status = OrderStatus.CREDIT_HOLD
        self.credit_note = reason

    def release(self, by: str, reason: str, terms: str, net_days: int) -> None:
        if self.status is not OrderStatus.CREDIT_HOLD:
            raise RuleViolation(f"order {self.id} is {self.status.value}, not on credit hold")
        if not reason.strip():
            raise InvalidCommand("releasing a credit hold needs a reason")
        if net_days < 0:
            raise InvalidCommand("net_days cannot be negative")
        self._released(by=by, reason=reason, terms=terms, net_days=net_days)

    @event("CreditReleased")
    def _released(self, by: str, reason: str, terms: str, net_days: int) -> None:
        self.status = OrderStatus.CONFIRMED
        self.terms_name = terms
        self.net_days = net_days
        self.credit_note = reason

    def cancel(self, by: str, reason: str) -> Money:
        """Cancel an order nothing was invoiced on; returns the exposure it releases."""
        if self.status is OrderStatus.CANCELLED:
            raise RuleViolation(f"order {self.id} is already cancelled")
        if self.invoiced.is_positive:
            raise RuleViolation(
                f"order {self.id} has invoices; use a return or credit note instead"
            )
        # Only a confirmed order counted in the account's exposure.
        confirmed = self.status is OrderStatus.CONFIRMED
        released = self.uninvoiced if confirmed else Money.zero(self.currency)
        self._cancelled(by=by, reason=reason)
        return released

    @event("Cancelled")
    def _cancelled(self, by: str, reason: str) -> None:
        self.status = OrderStatus.CANCELLED

    # -- delivery ----------------------------------------------------------------------

    def _milestone(self, name: str) -> dict[str, str]:
        if name not in self.milestones:
            known = ", ".join(sorted(self.milestones)) or "none"
            raise InvalidCommand(
                f"order {self.id} has no delivery milestone {name!r} (its milestones: {known})"
            )
        return self.milestones[name]

    def report_delivered(self, milestone: str, at: datetime, source: str, reference: str) -> bool:
        """False when it was delivered (or accepted) before: a resent report."""
        self._check_open()
        if self._milestone(milestone)["status"] != "pending":
            return False
        self._delivered(milestone=milestone, at=at, source=source, reference=reference)
        return True

    @event("MilestoneDelivered")
    def _delivered(self, milestone: str, at: datetime, source: str, reference: str) -> None:
        self.milestones[milestone] = {
            **self.milestones[milestone],
            "status": "delivered",
            "delivered_at": at.isoformat(),
        }

    def accept_milestone(
        self, milestone: str, at: datetime, by: str, source: str, reference: str
    ) -> bool:
        """False when it was accepted before. Acceptance implies delivery."""
        self._check_open()
        if self._milestone(milestone)["status"] == "accepted":
            return False
        self._accepted(milestone=milestone, at=at, by=by, source=source, reference=reference)
        return True

    @event("MilestoneAccepted")
    def _accepted(self, milestone: str, at: datetime, by: str, source: str, reference: str) -> None:
        previous = self.milestones[milestone]
        self.milestones[milestone] = {
            "status": "accepted",
            "delivered_at": previous["delivered_at"] or at.isoformat(),
            "accepted_at": at.isoformat(),
        }

    def post_shipment(self, shipment_id: str, milestone: str, at: datetime) -> bool:
        """Record an ERP shipment (False when known); naming a milestone delivers it."""
        if any(s["shipment_id"] == shipment_id for s in self.shipments):
            return False
        if milestone:
            self._milestone(milestone)
        self._shipment_posted(shipment_id=shipment_id, milestone=milestone, at=at)
        return True

    @event("ShipmentPosted")
    def _shipment_posted(self, shipment_id: str, milestone: str, at: datetime) -> None:
        self.shipments.append(
            {"shipment_id": shipment_id, "milestone": milestone, "at": at.isoformat()}
        )
        if milestone and self.milestones[milestone]["status"] == "pending":
            self.milestones[milestone] = {
                **self.milestones[milestone],
                "status": "delivered",
                "delivered_at": at.isoformat(),
            }

    def _check_open(self) -> None:
        if self.status is OrderStatus.CANCELLED:
            raise RuleViolation(f"order {self.id} is cancelled")

    # -- invoicing ---------------------------------------------------------------------

    def record_invoiced(self, number: int, invoice_id: uuid.UUID) -> None:
        inst = self.installment(number)
        if inst.status != "planned":
            raise RuleViolation(f"installment {number} of order {self.id} is {inst.status}")
        if inst.amount.is_zero:
            self._waived(number=number)
        else:
            self._installment_invoiced(number=number, invoice_id=invoice_id, amount=inst.amount)

    @event("InstallmentInvoiced")
    def _installment_invoiced(self, number: int, invoice_id: uuid.UUID, amount: Money) -> None:
        self._set_installment(number, status="invoiced", invoice_id=str(invoice_id))
        self.invoiced = self.invoiced + amount
        self.invoice_ids.append(invoice_id)

    @event("InstallmentWaived")
    def _waived(self, number: int) -> None:
        self._set_installment(number, status="waived")

    def _set_installment(self, number: int, **changes: str) -> None:
        self.installments = [
            Installment.from_dict({**i.as_dict(), **changes}) if i.number == number else i
            for i in self.installments
        ]

    # -- changes -----------------------------------------------------------------------

    def amend(self, lines: Sequence[PricedLine], by: str, reason: str) -> Money:
        """Replace the lines; the open installments are re-planned. Returns the change in
        what is left to invoice."""
        self._check_open()
        if not reason.strip():
            raise InvalidCommand("an amendment needs a reason")
        total = total_of(lines, self.currency)
        if total < self.net_invoiced:
            raise RuleViolation(
                f"the amended total {total} is below the {self.net_invoiced} already invoiced; "
                "return lines or issue a credit note instead"
            )
        before = self.uninvoiced
        installments = replan(self.installments, total - self.net_invoiced)
        self._amended(
            number=self.amendments + 1,
            lines=[line.as_dict() for line in lines],
            amount=total,
            previous=self.amount,
            installments=[i.as_dict() for i in installments],
            by=by,
            reason=reason,
        )
        return self.uninvoiced - before

    @event("Amended")
    def _amended(
        self,
        number: int,
        lines: list[dict[str, Any]],
        amount: Money,
        previous: Money,
        installments: list[dict[str, Any]],
        by: str,
        reason: str,
    ) -> None:
        self.amendments = number
        self.lines = [dict(d) for d in lines]
        self.amount = amount
        self.installments = [Installment.from_dict(d) for d in installments]
        for i in self.installments:
            if i.terms.trigger == "on_milestone" and i.terms.milestone not in self.milestones:
                self.milestones[i.terms.milestone] = {
                    "status": "pending",
                    "delivered_at": "",
                    "accepted_at": "",
                }

    def return_lines(
        self, return_id: str, quantities: Mapping[int, int], reason: str
    ) -> tuple[Money, Money]:
        """Take back quantities of lines. Returns (value to credit on invoices, change in
        what is left to invoice): the invoiced part is credited, the rest re-planned."""
        self._check_open()
        if return_id in self.returns:
            raise RuleViolation(f"return {return_id} was already recorded on order {self.id}")
        if not quantities:
            raise InvalidCommand("a return names at least one line")
        by_number = {int(d["number"]): d for d in self.lines}
        returned: list[dict[str, Any]] = []
        value = Money.zero(self.currency)
        for number, qty in sorted(quantities.items()):
            line = by_number.get(number)
            if line is None:
                raise InvalidCommand(f"order {self.id} has no line {number}")
            if not 0 < qty <= int(line["quantity"]):
                raise InvalidCommand(
                    f"line {number}: can return 1 to {line['quantity']}, not {qty}"
                )
            net = Money.of(line["net_amount"], self.currency)
            if qty == int(line["quantity"]):
                line_value = net
            else:
                unit = Decimal(1).scaleb(-minor_units(self.currency))
                exact = net.amount * qty / int(line["quantity"])
                line_value = Money(exact.quantize(unit, rounding=ROUND_HALF_UP), self.currency)
            returned.append({"line": number, "quantity": qty, "value": str(line_value.amount)})
            value = value + line_value
        credit = value.min(self.net_invoiced)
        rest = value - credit
        before = self.uninvoiced
        installments = replan(self.installments, before - rest)
        self._returned(
            return_id=return_id,
            lines=returned,
            value=value,
            credited=credit,
            installments=[i.as_dict() for i in installments],
            reason=reason,
        )
        return credit, self.uninvoiced - before

    @event("Returned")
    def _returned(
        self,
        return_id: str,
        lines: list[dict[str, Any]],
        value: Money,
        credited: Money,
        installments: list[dict[str, Any]],
        reason: str,
    ) -> None:
        self.returns.append(return_id)
        for r in lines:
            for d in self.lines:
                if int(d["number"]) == r["line"]:
                    d["quantity"] = int(d["quantity"]) - r["quantity"]
                    d["net_amount"] = str(Decimal(d["net_amount"]) - Decimal(r["value"]))
        self.amount = self.amount - value
        self.credited = self.credited + credited
        self.installments = [Installment.from_dict(d) for d in installments]

    def record_credit_note(self, credit_note_id: str, invoice_id: uuid.UUID, amount: Money) -> None:
        """A credit note issued directly on one of the order's invoices lowers its value."""
        if invoice_id not in self.invoice_ids:
            raise InvalidCommand(f"invoice {invoice_id} is not one of order {self.id}'s")
        self._credited(credit_note_id=credit_note_id, invoice_id=invoice_id, amount=amount)

    @event("Credited")
    def _credited(self, credit_note_id: str, invoice_id: uuid.UUID, amount: Money) -> None:
        self.amount = self.amount - amount
        self.credited = self.credited + amount
