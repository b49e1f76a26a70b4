"""Billing's documents over its API, as an auditor reads them: the history of a quote,
an order, an invoice, an account's credit and a rule set, and each as it stood at a
version or a time; within the caller's scope like every other read (SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from kernel.domain import Money
from kernel.settings import Settings
from services.billing.application import BillingApplication
from services.billing.domain.pricing import LineRequest
from services.billing.entrypoints.http import build_api
from tests.auth_support import TestClient, bearer
from tests.integration.billing.support import book_order


def _events(http: TestClient, path: str) -> list[tuple[int, str]]:
    answer = http.get(path)
    assert answer.status_code == 200, answer.text
    return [(e["version"], e["event"]) for e in answer.json()["events"]]


def test_quote_order_invoice_and_credit_histories_and_past_states(
    store_settings: Settings,
) -> None:
    app = BillingApplication(store_settings)
    order_id = book_order(app, [LineRequest("CRM-CLOUD", 1)])
    order = app.get_order(order_id)
    invoice_id = order.invoice_ids[0]
    http = TestClient(build_api(app))

    quote_events = _events(http, f"/quotes/{order.quote_id}/history")
    assert quote_events[0] == (0, "Quote.Drafted")
    assert quote_events[-1] == (len(quote_events) - 1, "Quote.Accepted")
    assert http.get(f"/quotes/{order.quote_id}?as_of=0").json()["status"] == "draft"
    assert http.get(f"/quotes/{order.quote_id}").json()["status"] == "accepted"

    order_events = _events(http, f"/orders/{order_id}/history")
    assert order_events[0] == (0, "Order.Booked")
    assert "Order.InstallmentInvoiced" in [name for _, name in order_events]
    assert [v for v, _ in order_events] == list(range(len(order_events)))
    booked = http.get(f"/orders/{order_id}?as_of=0").json()
    assert booked["version"] == 0 and booked["invoice_ids"] == []
    assert http.get(f"/orders/{order_id}").json()["invoice_ids"] == [str(invoice_id)]

    # Paid after a moment we note; the invoice as of that moment is still open.
    before_payment = datetime.now(UTC).isoformat()
    outstanding = Money.of(Decimal(http.get(f"/invoices/{invoice_id}").json()["amount"]), "EUR")
    app.apply_payment(invoice_id, payment_id="pay-1", amount=outstanding)
    assert [name for _, name in _events(http, f"/invoices/{invoice_id}/history")][0] == (
        "Invoice.Issued"
    )
    then = http.get(f"/invoices/{invoice_id}", params={"as_of": before_payment}).json()
    now = http.get(f"/invoices/{invoice_id}").json()
    assert then["status"] == "open" and then["paid"] == "0"
    assert now["status"] == "paid" and now["payment_ids"] == ["pay-1"]

    credit = http.get("/accounts/Acme/credit/history").json()
    assert credit["kind"] == "credit account" and credit["id"] == "Acme"
    reasons = [e["reason"] for e in credit["events"]]
    assert reasons[0] is None and "order_booked" in reasons
    opened = http.get("/accounts/Acme/credit?as_of=0").json()
    assert opened["version"] == 0
    assert opened["by_currency"]["EUR"]["exposure"] == "0"
    assert http.get("/accounts/Acme/credit").json()["version"] == credit["events"][-1]["version"]


def test_rules_as_of_a_time_and_their_history(store_settings: Settings) -> None:
    app = BillingApplication(store_settings)
    http = TestClient(build_api(app))
    published = http.get("/rules/credit/history").json()["events"]
    assert [e["event"] for e in published] == ["RuleSet.Published"]
    assert published[0]["payload"]["version"] == 1

    now = datetime.now(UTC).isoformat()
    assert http.get("/rules/credit", params={"as_of": now}).json()["version"] == 1
    before = http.get("/rules/credit", params={"as_of": "2000-01-01T00:00:00Z"})
    assert before.status_code == 404
    assert "the credit rules did not exist yet" in before.json()["message"]
    by_number = http.get("/rules/credit?as_of=1")
    assert by_number.status_code == 422
    assert "/rules/credit/versions/1" in by_number.json()["message"]
    assert http.get("/rules/nothing/history").status_code == 404


def test_hostile_as_of_and_paging_are_refused_plainly(store_settings: Settings) -> None:
    app = BillingApplication(store_settings)
    order_id = book_order(app, [LineRequest("CRM-CLOUD", 1)])
    http = TestClient(build_api(app))
    for bad in ("yesterday", "2026-12-01T00:00:00", "-1", str(2**70), "9" * 5000, "\x00"):
        answer = http.get(f"/orders/{order_id}", params={"as_of": bad})
        assert answer.status_code in (404, 422), (bad, answer.text)
        assert answer.json()["error"] in ("not_found", "invalid_command", "invalid_request")
    assert http.get(f"/orders/{order_id}?as_of=99").status_code == 404
    far_future = http.get(f"/orders/{order_id}", params={"as_of": "9999-12-31T23:59:59Z"})
    assert far_future.json() == http.get(f"/orders/{order_id}").json()
    assert http.get(f"/orders/{uuid.uuid4()}/history").status_code == 404
    assert http.get(f"/accounts/{'x' * 10_000}/credit/history").status_code in (404, 422)


def test_histories_answer_within_the_callers_scope(store_settings: Settings) -> None:
    app = BillingApplication(store_settings)
    deal = uuid.uuid4()
    order_id = book_order(app, [LineRequest("CRM-CLOUD", 1)], deal_id=deal)
    invoice_id = app.get_order(order_id).invoice_ids[0]
    other_rep = bearer("someone-else", ["rep"], teams=["apac"])
    auditor = bearer("audit", ["auditor"])
    http = TestClient(build_api(app))
    for path in (
        f"/orders/{order_id}/history",
        f"/invoices/{invoice_id}/history",
        f"/orders/{order_id}?as_of=0",
    ):
        assert http.get(path, headers=other_rep).status_code in (403, 404), path
        assert http.get(path, headers=auditor).status_code == 200, path
