"""The billing aggregates without a store: quotes, orders, invoices, credit accounts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kernel.domain import Money
from kernel.errors import InvalidCommand, RuleViolation
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice, InvoiceStatus
from services.billing.domain.order import Order, OrderStatus
from services.billing.domain.pricing import LineRequest, price_lines
from services.billing.domain.quote import Quote, QuoteStatus
from services.billing.domain.schedule import InstallmentTerms
from tests.unit.billing.rules import APPROVAL, CATALOG, CREDIT, PRICE_BOOK, d

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
DEAL = uuid.UUID("22222222-2222-2222-2222-222222222222")
VERSIONS = {"catalog": 1, "price_book": 1, "discounts": 1}
PLAN = [
    InstallmentTerms("advance", d("30")),
    InstallmentTerms("go-live", d("50"), "on_milestone", milestone="go_live"),
    InstallmentTerms("year end", d("20"), "on_date", due_date=date(2026, 12, 31)),
]


def eur(v: str) -> Money:
    return Money.of(v, "EUR")


def lines(seat_discount: str = "0") -> list:  # type: ignore[type-arg]
    return price_lines(
        [LineRequest("CRM-CLOUD", 1), LineRequest("CRM-SEAT", 50, d(seat_discount))],
        CATALOG,
        PRICE_BOOK,
        TODAY,
    )


def quote(seat_discount: str = "0", role: str = "sales_rep") -> Quote:
    priced = lines(seat_discount)
    return Quote.draft(
        deal_id=DEAL,
        account="Acme",
        owner_id="rep-1",
        requester_role=role,
        lines=priced,
        currency="EUR",
        rule_versions=VERSIONS,
        needs=APPROVAL.needs(priced, role),
        plan=PLAN,
        quoted_on=TODAY,
        valid_until=date(2026, 12, 23),
    )


def test_a_quote_within_thresholds_is_approved_on_submission_and_then_frozen() -> None:
    q = quote("10")
    q.submit()
    assert q.status is QuoteStatus.APPROVED
    assert q.decisions[0]["by"] == "policy"
    with pytest.raises(RuleViolation, match="frozen"):
        q.revise(
            lines=lines(),
            rule_versions=VERSIONS,
            needs=[],
            plan=PLAN,
            quoted_on=TODAY,
            valid_until=TODAY,
        )


def test_a_large_discount_waits_for_an_approver_whose_role_covers_it() -> None:
    q = quote("22")
    q.submit()
    assert q.status is QuoteStatus.PENDING_APPROVAL
    with pytest.raises(RuleViolation, match="may not approve a discount of 22%"):
        q.approve("mia", "sales_manager", "ok", APPROVAL.may_approve("sales_manager", d("22")))
    q.approve(
        "dan", "sales_director", "strategic logo", APPROVAL.may_approve("sales_director", d("22"))
    )
    assert q.status is QuoteStatus.APPROVED
    assert q.decisions == [
        {"decision": "approved", "by": "dan", "role": "sales_director", "reason": "strategic logo"}
    ]


def test_a_rejected_quote_can_be_revised_and_submitted_again() -> None:
    q = quote("22")
    q.submit()
    with pytest.raises(InvalidCommand, match="reason"):
        q.reject("dan", "sales_director", " ")
    q.reject("dan", "sales_director", "too deep; try 10%")
    assert q.status is QuoteStatus.REJECTED
    q.revise(
        lines=lines("10"),
        rule_versions=VERSIONS,
        needs=[],
        plan=PLAN,
        quoted_on=TODAY,
        valid_until=date(2026, 12, 23),
    )
    q.submit()
    assert q.status is QuoteStatus.APPROVED
    assert q.total == eur("33600.00")  # 12000 + 50 x 480 x 0.9


def test_only_an_approved_quote_within_its_validity_can_be_accepted() -> None:
    q = quote()
    with pytest.raises(RuleViolation, match="approved quote only"):
        q.accept("buyer", TODAY)
    q.submit()
    with pytest.raises(RuleViolation, match="expired"):
        q.accept("buyer", date(2026, 12, 24))
    q.accept("buyer", date(2026, 12, 23))
    assert q.status is QuoteStatus.ACCEPTED


def booked(q: Quote | None = None) -> Order:
    q = q or quote()
    return Order.book(
        deal_id=DEAL,
        quote_id=q.id,
        account="Acme",
        owner_id="rep-1",
        lines=q.priced_lines(),
        terms=q.terms(),
        rule_versions=VERSIONS,
        booked_on=TODAY,
    )


def confirmed() -> Order:
    order = booked()
    account = CreditAccount.open("Acme", CREDIT.limits())
    order.decide_credit(account.check(order.amount, CREDIT.payment_terms()))
    return order


def balanced(order: Order) -> bool:
    return order.amount == order.invoiced - order.credited + order.uninvoiced


def test_the_order_is_one_per_deal_and_its_schedule_adds_up() -> None:
    order = booked()
    assert order.id == Order.create_id(DEAL)
    assert order.amount == eur("36000.00")
    assert [i.amount for i in order.installments] == [
        eur("10800.00"),
        eur("18000.00"),
        eur("7200.00"),
    ]
    assert balanced(order)


def test_the_credit_check_picks_terms_by_utilisation_or_holds_for_finance() -> None:
    account = CreditAccount.open("Acme", {"EUR": eur("50000")})
    decision = account.check(eur("36000.00"), CREDIT.payment_terms())
    assert (decision.approved, decision.terms and decision.terms.name) == (True, "net_30")
    account.change("order_booked", "o1", uninvoiced=eur("10000"))
    decision = account.check(eur("36000.00"), CREDIT.payment_terms())  # 92%: shorter terms
    assert (decision.approved, decision.terms and decision.terms.name) == (True, "net_15")
    account.change("payment_applied", "p1", cash=eur("1000"))  # unapplied cash lowers it
    account.change("invoice_issued", "i1", uninvoiced=eur("-5000"), unpaid=eur("5000"))
    assert account.exposure("EUR") == eur("9000")
    decision = account.check(eur("41000.01"), CREDIT.payment_terms())
    assert not decision.approved
    assert "would exceed the 50000 EUR credit limit" in decision.reason
    order = booked()
    order.decide_credit(decision)
    assert order.status is OrderStatus.CREDIT_HOLD
    assert order.invoiceable(TODAY) == []
    order.release("fin", "prepayment agreed", "prepayment", 0)
    assert [i.number for i in order.invoiceable(TODAY)] == [1]


def test_installments_become_invoiceable_on_booking_on_their_date_and_on_acceptance() -> None:
    order = confirmed()
    assert [i.number for i in order.invoiceable(TODAY)] == [1]
    order.record_invoiced(1, uuid.uuid4())
    assert order.invoiceable(TODAY) == []
    order.report_delivered("go_live", NOW, "api", "")
    assert order.invoiceable(TODAY) == []  # delivered is not accepted
    assert order.accept_milestone("go_live", NOW, "cto", "api", "cert-1") is True
    assert order.accept_milestone("go_live", NOW, "cto", "erp", "cert-1") is False  # resent
    assert [i.number for i in order.invoiceable(TODAY)] == [2]
    assert [i.number for i in order.invoiceable(date(2026, 12, 31))] == [2, 3]
    with pytest.raises(InvalidCommand, match="no delivery milestone 'golive'"):
        order.accept_milestone("golive", NOW, "cto", "api", "")


def test_an_amendment_replans_the_open_installments_and_keeps_the_order_balanced() -> None:
    order = confirmed()
    order.record_invoiced(1, uuid.uuid4())  # 10800.00 invoiced
    priced = price_lines(
        [LineRequest("CRM-CLOUD", 1), LineRequest("CRM-SEAT", 71)], CATALOG, PRICE_BOOK, TODAY
    )  # 12000 + 34080 = 46080
    delta = order.amend(priced, "rep-1", "21 more seats")
    assert order.amount == eur("46080.00")
    assert delta == eur("10080.00")
    # 35280 left, 50:20 -> 25200.00 and 10080.00
    assert [i.amount for i in order.installments] == [
        eur("10800.00"),
        eur("25200.00"),
        eur("10080.00"),
    ]
    assert balanced(order)
    too_small = price_lines(  # 6000 + 2400 = 8400, below the 10800.00 invoiced
        [LineRequest("CRM-CLOUD", 1, d("50")), LineRequest("CRM-SEAT", 5)],
        CATALOG,
        PRICE_BOOK,
        TODAY,
    )
    with pytest.raises(RuleViolation, match="below the 10800.00 EUR already invoiced"):
        order.amend(too_small, "rep-1", "cut")


def test_a_return_credits_the_invoiced_part_and_replans_the_rest() -> None:
    order = confirmed()
    order.record_invoiced(1, uuid.uuid4())  # 10800.00 invoiced of 36000.00
    credit, delta = order.return_lines("RMA-1", {2: 20}, "unused seats")
    # 20 of 50 seats at 480.00 = 9600.00; all of it can be credited on invoices
    assert (credit, delta) == (eur("9600.00"), eur("0.00"))
    assert order.amount == eur("26400.00")
    assert balanced(order)
    credit, delta = order.return_lines("RMA-2", {2: 30}, "all seats back")
    # 14400.00 more: only 1200.00 still invoiced-and-uncredited; 13200.00 leaves the schedule
    assert (credit, delta) == (eur("1200.00"), eur("-13200.00"))
    assert order.amount == eur("12000.00")
    assert balanced(order)
    with pytest.raises(RuleViolation, match="already recorded"):
        order.return_lines("RMA-1", {1: 1}, "again")
    with pytest.raises(InvalidCommand, match="can return 1 to 0"):
        order.return_lines("RMA-3", {2: 1}, "none left")


def invoice(amount: str = "1000.00") -> Invoice:
    return Invoice.issue(
        order_id=uuid.uuid4(),
        installment=1,
        account="Acme",
        amount=eur(amount),
        issued_on=TODAY,
        net_days=30,
        description="x",
    )


def test_payments_partial_full_and_in_excess() -> None:
    inv = invoice()
    assert inv.due_on == date(2026, 12, 23)
    assert inv.apply_payment("P1", eur("400.00")) == eur("0.00")
    assert inv.status is InvoiceStatus.PARTIALLY_PAID
    assert inv.apply_payment("P1", eur("400.00")) is None  # the ERP resent it
    assert inv.apply_payment("P2", eur("700.00")) == eur("100.00")  # excess kept as credit
    assert inv.status is InvoiceStatus.PAID
    assert inv.outstanding == eur("0")
    assert inv.apply_payment("P3", eur("50.00")) == eur("50.00")  # a paid invoice: all credit
    names = [type(e).__name__ for e in inv.collect_events()]
    assert names == ["Issued", "PaymentApplied", "PaymentApplied", "Paid", "PaymentApplied"]
    with pytest.raises(InvalidCommand, match="differs"):
        inv.apply_payment("P4", Money.of("1", "USD"))


def test_a_credit_note_lowers_what_is_owed_and_returns_what_was_paid_as_credit() -> None:
    inv = invoice()
    inv.apply_payment("P1", eur("800.00"))
    refund = inv.issue_credit_note(str(uuid.uuid4()), eur("300.00"), "price concession")
    assert refund == eur("100.00")  # 200 still owed is cancelled, 100 paid comes back
    assert inv.outstanding == eur("0")
    with pytest.raises(InvalidCommand, match="exceeds the 700.00 EUR still creditable"):
        inv.issue_credit_note(str(uuid.uuid4()), eur("700.01"), "too much")


def test_the_erp_must_post_our_amount_and_keep_its_number() -> None:
    inv = invoice()
    with pytest.raises(InvalidCommand, match="posted invoice .* for 999.99 EUR"):
        inv.post("ERP-1", eur("999.99"), NOW)
    assert inv.post("ERP-1", eur("1000.00"), NOW) is True
    assert inv.post("ERP-1", eur("1000.00"), NOW) is False
    with pytest.raises(RuleViolation, match="was posted as ERP-1"):
        inv.post("ERP-2", eur("1000.00"), NOW)


def test_exposure_is_kept_per_currency_and_a_missing_limit_holds() -> None:
    account = CreditAccount.open("Acme", {"EUR": eur("100")})
    account.change("order_booked", "o", uninvoiced=Money.of("50", "USD"))
    assert account.exposure("EUR") == eur("0")
    decision = account.check(Money.of("10", "GBP"), CREDIT.payment_terms())
    assert not decision.approved and "no credit limit in GBP" in decision.reason
    assert Decimal(account.exposure("USD").amount) == 50
