"""Walks the billing command catalog: every command with a route, on an example prepared
for it, refuses a stale If-Match, repeats its answer for a repeated Idempotency-Key and
stamps the caller's metadata on its events (``tests/integration/command_walk.py``). A
routed command without an example fails the walk."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kernel.domain import Money
from kernel.rules import RuleSet
from kernel.settings import Settings
from services.billing.application import BillingApplication
from services.billing.application.catalog import BILLING
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order
from services.billing.domain.pricing import LineRequest
from services.billing.domain.quote import Quote
from services.billing.domain.schedule import InstallmentTerms
from services.billing.entrypoints.http import build_api
from tests.auth_support import TestClient
from tests.integration.billing.support import book_order
from tests.integration.command_walk import walk

Example = tuple[str, dict[str, Any] | None, type[Any], uuid.UUID | str]
LINES = [{"item": "CRM-CLOUD", "quantity": 1}]
FULL = (InstallmentTerms("on booking", 100),)  # type: ignore[arg-type]


class Billing:
    def __init__(self) -> None:
        self.app = BillingApplication(Settings(data_dir=Path(tempfile.mkdtemp()), store="sqlite"))
        self.http = TestClient(build_api(self.app))
        self.n = 0

    def deal(self) -> uuid.UUID:
        self.n += 1
        deal_id = uuid.uuid4()
        self.app.record_deal_opened(deal_id, account=f"acct-{self.n}", owner_id="r", name="CRM")
        return deal_id

    def quote(self, discount: int = 0, submitted: bool = False) -> str:
        lines = [{"item": "CRM-CLOUD", "quantity": 1, "discount_percent": str(discount)}]
        body = {"deal_id": str(self.deal()), "lines": lines, "requester_role": "sales_rep"}
        quote_id = str(self.http.post("/quotes", json=body).json()["quote_id"])
        if submitted:
            self.http.post(f"/quotes/{quote_id}/submit").raise_for_status()
        return quote_id

    def order(self, account: str = "", plan: Any = None, limit: str = "") -> uuid.UUID:
        self.n += 1
        account = account or f"acct-o{self.n}"
        if limit:
            self.app.set_credit_limit(account, limit=Money.of(limit, "EUR"), by="fin", reason="x")
        lines = [LineRequest("CRM-CLOUD", 1), LineRequest("TRAINING", 2)]
        return book_order(self.app, lines, plan or FULL, account=account)

    def invoice(self, order_id: uuid.UUID) -> uuid.UUID:
        return uuid.UUID(str(self.app.get_order(order_id).invoice_ids[0]))


def _quote(url: str, body: dict[str, Any] | None, **state: Any) -> Callable[[Billing], Example]:
    def prepare(w: Billing) -> Example:
        quote_id = w.quote(**state)
        return url.format(quote_id=quote_id), body, Quote, uuid.UUID(quote_id)

    return prepare


def _order(url: str, body: dict[str, Any], **state: Any) -> Callable[[Billing], Example]:
    def prepare(w: Billing) -> Example:
        order_id = w.order(**state)
        return url.format(order_id=order_id), body, Order, order_id

    return prepare


def _apply_credit(w: Billing) -> Example:
    account = f"acct-cash{w.n}"
    first = w.invoice(w.order(account=account))
    outstanding = w.app.get_invoice(first).outstanding
    w.app.apply_payment(first, payment_id="pay-1", amount=outstanding + Money.of("500", "EUR"))
    second = w.invoice(w.order(account=account))
    body = {"amount": {"amount": "200", "currency": "EUR"}}
    return f"/invoices/{second}/apply-credit", body, Invoice, second


def _credit_note(w: Billing) -> Example:
    invoice_id = w.invoice(w.order())
    body = {"amount": {"amount": "100", "currency": "EUR"}, "reason": "goodwill"}
    return f"/invoices/{invoice_id}/credit-notes", body, Invoice, invoice_id


def _rules(name: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Billing], Example]:
    def prepare(w: Billing) -> Example:
        document = w.http.get(f"/rules/{name}").json()["document"]
        change(document)
        return (
            f"/rules/{name}",
            {"document": document, "note": "walk"},
            RuleSet,
            RuleSet.create_id(name),
        )

    return prepare


EXAMPLES: dict[str, Callable[[Billing], Example]] = {
    "create_quote": lambda w: (
        "/quotes",
        {"deal_id": str(w.deal()), "lines": LINES, "requester_role": "sales_rep"},
        Quote,
        "quote_id",
    ),
    "revise_quote": _quote("/quotes/{quote_id}", {"lines": [{"item": "CRM-CLOUD", "quantity": 1}]}),
    "submit_quote": _quote("/quotes/{quote_id}/submit", None),
    "approve_quote": _quote(
        "/quotes/{quote_id}/approve",
        {"by": "dora", "role": "sales_director", "reason": "strategic logo"},
        discount=25,
        submitted=True,
    ),
    "reject_quote": _quote(
        "/quotes/{quote_id}/reject",
        {"by": "dora", "role": "sales_director", "reason": "too deep"},
        discount=25,
        submitted=True,
    ),
    "accept_quote": _quote("/quotes/{quote_id}/accept", {"accepted_by": "buyer"}, submitted=True),
    "release_credit_hold": _order(
        "/orders/{order_id}/credit-release",
        {"by": "fin", "reason": "paid upfront before", "payment_terms": "net_15", "net_days": 15},
        limit="1000",
    ),
    "cancel_order": _order(
        "/orders/{order_id}/cancel",
        {"by": "mgr", "reason": "duplicate"},
        plan=(InstallmentTerms("go-live", 100, "on_milestone", milestone="go_live"),),  # type: ignore[arg-type]
    ),
    "report_milestone": _order(
        "/orders/{order_id}/milestones/go_live",
        {"status": "delivered", "at": "2026-11-20T10:00:00Z", "by": "pm"},
        plan=(
            InstallmentTerms("advance", 30),  # type: ignore[arg-type]
            InstallmentTerms("go-live", 70, "on_milestone", milestone="go_live"),  # type: ignore[arg-type]
        ),
    ),
    "amend_order": _order(
        "/orders/{order_id}/amendments",
        {
            "lines": [{"item": "CRM-CLOUD", "quantity": 1}, {"item": "TRAINING", "quantity": 3}],
            "by": "mgr",
            "reason": "one more day",
        },
    ),
    "return_lines": _order(
        "/orders/{order_id}/returns",
        {"return_id": "RMA-1", "lines": {"2": 1}, "reason": "one day not needed"},
    ),
    "set_credit_limit": lambda w: (
        "/accounts/walk-acct/credit-limit",
        {"limit": {"amount": "90000", "currency": "EUR"}, "by": "fin", "reason": "grew"},
        CreditAccount,
        CreditAccount.create_id("walk-acct"),
    ),
    "apply_account_credit": _apply_credit,
    "issue_credit_note": _credit_note,
    "publish_catalog_rules": _rules(
        "catalog", lambda d: d["product_lines"].update(walk="Walk line")
    ),
    "publish_price_book_rules": _rules(
        "price_book", lambda d: d["unit_prices"].update({"TRAINING": "950.00"})
    ),
    "publish_discounts_rules": _rules(
        "discounts", lambda d: d.update(default_threshold_percent="11")
    ),
    "publish_credit_rules": _rules("credit", lambda d: d["default_limits"].update(EUR="260000.00")),
}


@pytest.fixture(scope="module")
def billing() -> Billing:
    return Billing()


def test_every_routed_command_has_an_example() -> None:
    assert {s.name for s in BILLING if s.route is not None} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_command_is_idempotent_guarded_and_stamped(billing: Billing, name: str) -> None:
    url, body, kind, aggregate = EXAMPLES[name](billing)
    walk(billing.app, billing.http, BILLING[name], url, body, kind, aggregate)
