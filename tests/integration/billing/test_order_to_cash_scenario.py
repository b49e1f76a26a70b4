"""Scenario: a few hundred generated won deals through quotes, credit checks, milestones,
invoices, payments (partial, exact, in excess), amendments and returns. Every amount is
checked against figures the test computes on its own from the generated data."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from kernel.domain import Money
from kernel.settings import Settings
from services.billing.adapters.contracts import BILLING_CONTRACTS, ERP_OUTBOUND_CONTRACTS
from services.billing.application import BillingApplication
from services.billing.domain.pricing import LineRequest
from services.billing.domain.schedule import InstallmentTerms
from tests.integration.billing.support import book_order

ORDERS = 240
CENT = Decimal("0.01")
LIST = {
    "CRM-CLOUD": Decimal(12000),
    "CRM-SEAT": Decimal(480),
    "TRAINING": Decimal(900),
    "BI-DASH": Decimal(6000),
}
PROMOTION = {"BI-DASH": Decimal(15)}  # the launch offer, valid on every run date here


def expected_net(item: str, qty: int, discount: Decimal) -> Decimal:
    amount = LIST[item] * qty
    amount -= (amount * PROMOTION.get(item, Decimal(0)) / 100).quantize(Decimal("0.0001"))
    amount -= (amount * discount / 100).quantize(Decimal("0.0001"))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def generate(rng: random.Random) -> tuple[list[LineRequest], tuple[InstallmentTerms, ...]]:
    lines = [
        LineRequest("CRM-CLOUD", 1, Decimal(rng.randint(0, 12))),
        LineRequest("CRM-SEAT", rng.randint(5, 400), Decimal(rng.randint(0, 2000)) / 100),
    ]
    if rng.random() < 0.5:
        lines.append(LineRequest("TRAINING", rng.randint(1, 10)))
    if rng.random() < 0.3:
        lines.append(LineRequest("BI-DASH", 1, Decimal(rng.randint(0, 15))))
    shape = rng.choice(["one", "two", "three"])
    if shape == "one":
        plan: tuple[InstallmentTerms, ...] = (InstallmentTerms("all", Decimal(100)),)
    elif shape == "two":
        first = Decimal(rng.randint(1, 99))
        plan = (
            InstallmentTerms("advance", first),
            InstallmentTerms("acceptance", 100 - first, "on_milestone", milestone="acceptance"),
        )
    else:
        plan = (
            InstallmentTerms("advance", Decimal("33.3333")),
            InstallmentTerms("go-live", Decimal("33.3333"), "on_milestone", milestone="go_live"),
            InstallmentTerms(
                "acceptance", Decimal("33.3334"), "on_milestone", milestone="acceptance"
            ),
        )
    return lines, plan


def test_generated_orders_keep_every_amount_exact(store_settings: Settings) -> None:
    app = BillingApplication(store_settings)
    rng = random.Random(20261123)
    run = uuid.uuid4().hex[:8]
    expected_cash: dict[str, Decimal] = {}
    expected_unpaid: dict[str, Decimal] = {}
    at = datetime(2026, 11, 23, tzinfo=UTC)
    for n in range(ORDERS):
        account = f"acct-{run}-{n % 40}"
        lines, plan = generate(rng)
        app.set_credit_limit(
            account,
            limit=Money.of("100000000", "EUR"),
            by="fin",
            reason="x",
            idempotency_key=f"{run}-limit-{account}",
        )
        order_id = book_order(app, lines, plan, account=account)
        order = app.get_order(order_id)
        total = sum(
            (expected_net(r.item, r.quantity, r.discount_percent) for r in lines), Decimal(0)
        )
        assert order.amount.amount == total
        shares = [i.amount.amount for i in order.installments]
        assert sum(shares, Decimal(0)) == total
        for i, share in zip(order.installments, shares, strict=True):
            assert abs(share - total * i.terms.percent / 100) < CENT
        # Amend a few orders before delivery: more seats, at the contract's prices.
        if n % 7 == 0:
            more = [
                *lines[:1],
                LineRequest("CRM-SEAT", lines[1].quantity + 10, lines[1].discount_percent),
                *lines[2:],
            ]
            order = app.get_order(order_id)
            app.amend_order(order_id, lines=more, by="rep", reason="10 more seats")
            total = sum(
                (expected_net(r.item, r.quantity, r.discount_percent) for r in more), Decimal(0)
            )
            lines = more
        for milestone in ("go_live", "acceptance"):
            if milestone in app.get_order(order_id).milestones:
                app.report_milestone(
                    order_id, milestone, status="accepted", at=at, by="cust", source="api"
                )
        order = app.get_order(order_id)
        assert order.uninvoiced.is_zero and order.invoiced.amount == total
        invoices = [app.get_invoice(i) for i in order.invoice_ids]
        assert sum((i.amount.amount for i in invoices), Decimal(0)) == total
        cash = Decimal(0)
        unpaid = Decimal(0)
        for k, inv in enumerate(invoices):
            kind = rng.choice(["none", "part", "exact", "excess"])
            pay = {
                "none": Decimal(0),
                "part": (inv.amount.amount / 3).quantize(CENT),
                "exact": inv.amount.amount,
                "excess": inv.amount.amount + Decimal("12.34"),
            }[kind]
            if pay:
                result = app.apply_payment(
                    inv.id, payment_id=f"{run}-{n}-{k}", amount=Money.of(pay, "EUR")
                )
                assert Decimal(result["excess"]) == max(pay - inv.amount.amount, Decimal(0))
                again = app.apply_payment(
                    inv.id, payment_id=f"{run}-{n}-{k}", amount=Money.of(pay, "EUR")
                )
                assert again["applied"] is False  # the ERP resent it
            applied = min(pay, inv.amount.amount)
            cash += pay - applied
            unpaid += inv.amount.amount - applied
            after = app.get_invoice(inv.id)
            assert after.outstanding.amount == inv.amount.amount - applied
        # Return one training day on some orders: credited on the newest invoices.
        if n % 5 == 0 and any(r.item == "TRAINING" for r in lines):
            number = next(i for i, r in enumerate(lines, 1) if r.item == "TRAINING")
            before = [app.get_invoice(i) for i in order.invoice_ids]
            app.return_lines(
                order_id,
                return_id=f"RMA-{run}-{n}",
                quantities={number: 1},
                reason="one day not needed",
            )
            value = (
                expected_net("TRAINING", lines[number - 1].quantity, Decimal(0))
                / lines[number - 1].quantity
            )
            value = value.quantize(CENT, rounding=ROUND_HALF_UP)
            after_order = app.get_order(order_id)
            assert after_order.amount.amount == total - value
            assert after_order.credited.amount == value
            owed_before = sum((i.outstanding.amount for i in before), Decimal(0))
            owed_after = sum(
                (app.get_invoice(i).outstanding.amount for i in order.invoice_ids), Decimal(0)
            )
            reduced = owed_before - owed_after
            unpaid -= reduced
            cash += value - reduced
        expected_cash[account] = expected_cash.get(account, Decimal(0)) + cash
        expected_unpaid[account] = expected_unpaid.get(account, Decimal(0)) + unpaid
    for account in expected_cash:
        credit = app.get_credit(account)
        assert credit.unapplied_cash("EUR").amount == expected_cash[account], account
        assert credit.unpaid_invoices("EUR").amount == expected_unpaid[account], account
        assert credit.open_uninvoiced("EUR").amount == 0, account
        assert credit.exposure("EUR").amount == expected_unpaid[account] - expected_cash[account]

    # Every stored event has its published contract (the relays would stop on one without).
    published = 0
    for note in app.recorder.select_notifications(1, 1_000_000):
        event = app.mapper.to_domain_event(note)
        ERP_OUTBOUND_CONTRACTS.outbound(event, note.id)
        if BILLING_CONTRACTS.outbound(event, note.id) is not None:
            published += 1
    assert published > ORDERS * 10
