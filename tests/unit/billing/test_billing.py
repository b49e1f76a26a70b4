import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kernel.domain import Money
from kernel.errors import InvalidCommand, RuleViolation
from services.billing.domain.invoice import Invoice, InvoiceStatus
from services.billing.domain.order import Order

DEAL = uuid.UUID("22222222-2222-2222-2222-222222222222")
DUE = datetime(2026, 12, 31, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def test_an_order_is_booked_once_per_deal() -> None:
    assert Order.book(DEAL, eur("100"), "Acme").id == Order.create_id(DEAL)


def test_invoices_may_not_exceed_what_the_order_booked() -> None:
    order = Order.book(DEAL, eur("100"), "Acme")
    order.record_invoice(uuid.uuid4(), eur("60"))
    with pytest.raises(InvalidCommand, match="exceeds what is left to invoice"):
        order.record_invoice(uuid.uuid4(), eur("40.01"))
    order.record_invoice(uuid.uuid4(), eur("40"))
    assert order.uninvoiced == eur("0")


def test_an_invoice_in_another_currency_than_the_order_is_refused() -> None:
    order = Order.book(DEAL, eur("100"), "Acme")
    with pytest.raises(InvalidCommand, match="differs"):
        order.record_invoice(uuid.uuid4(), Money(Decimal("10"), "USD"))


def test_payments_reduce_what_is_outstanding_until_the_invoice_is_paid() -> None:
    invoice = Invoice.issue(uuid.uuid4(), eur("100"), DUE)
    assert invoice.apply_payment("PAY-1", eur("30")) is True
    assert invoice.outstanding == eur("70")
    assert invoice.apply_payment("PAY-2", eur("70")) is True
    assert invoice.status is InvoiceStatus.PAID
    names = [type(e).__name__ for e in invoice.collect_events()]
    assert names == ["Issued", "PaymentApplied", "PaymentApplied", "Paid"]


def test_a_payment_the_erp_sends_twice_is_applied_once() -> None:
    invoice = Invoice.issue(uuid.uuid4(), eur("100"), DUE)
    invoice.apply_payment("PAY-1", eur("30"))
    assert invoice.apply_payment("PAY-1", eur("30")) is False
    assert invoice.outstanding == eur("70")


def test_an_overpayment_is_refused_with_the_outstanding_amount() -> None:
    invoice = Invoice.issue(uuid.uuid4(), eur("100"), DUE)
    with pytest.raises(InvalidCommand, match="exceeds the 100 EUR outstanding"):
        invoice.apply_payment("PAY-1", eur("100.01"))


def test_a_paid_invoice_takes_no_further_payment() -> None:
    invoice = Invoice.issue(uuid.uuid4(), eur("10"), DUE)
    invoice.apply_payment("PAY-1", eur("10"))
    with pytest.raises(RuleViolation, match="already paid"):
        invoice.apply_payment("PAY-2", eur("1"))


def test_a_due_date_needs_a_time_zone() -> None:
    with pytest.raises(InvalidCommand, match="time zone"):
        Invoice.issue(uuid.uuid4(), eur("10"), datetime(2026, 12, 31))
