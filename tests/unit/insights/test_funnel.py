from datetime import UTC, date, datetime
from decimal import Decimal

from services.insights.domain.funnel import (
    Fact,
    ReconciliationRow,
    funnel_key,
    funnel_report,
    step_reached_by,
)

T1 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def order_fact(event_id: str, kind: str, amount: str, at: datetime = T1) -> Fact:
    return Fact(event_id, kind, at, order_id="o-1", amount=Decimal(amount), currency="EUR")


def test_lead_and_deal_events_mark_their_funnel_step_on_the_day_they_happened() -> None:
    reached = step_reached_by(Fact("e-1", "deal_won", T2))
    assert reached is not None
    assert (reached.step, reached.day, reached.key) == ("won", date(2026, 11, 2), "won|2026-11-02")
    assert step_reached_by(Fact("e-2", "invoice_issued", T2)) is None


def test_a_reconciliation_row_sums_booked_invoiced_paid_and_what_is_outstanding() -> None:
    row = ReconciliationRow("o-1")
    row.apply(order_fact("e1", "order_booked", "100"))
    row.apply(order_fact("e2", "invoice_issued", "60"))
    row.apply(order_fact("e3", "payment_applied", "25"))
    report = row.as_report()
    assert {k: report[k] for k in ("booked", "invoiced", "paid", "outstanding", "uninvoiced")} == {
        "booked": "100",
        "invoiced": "60",
        "paid": "25",
        "outstanding": "35",
        "uninvoiced": "40",
    }
    assert report["status"] == "partially_paid"


def test_an_order_reaches_invoiced_at_its_first_invoice_and_paid_when_fully_paid() -> None:
    row = ReconciliationRow("o-1")
    assert row.apply(order_fact("e1", "order_booked", "100")) == []
    assert [s.step for s in row.apply(order_fact("e2", "invoice_issued", "50"))] == ["invoiced"]
    assert row.apply(order_fact("e3", "invoice_issued", "50")) == []
    assert row.apply(order_fact("e4", "payment_applied", "60")) == []
    paid = row.apply(order_fact("e5", "payment_applied", "40", at=T2))
    assert [(s.step, s.day, s.dedupe_id) for s in paid] == [("paid", date(2026, 11, 2), "o-1:paid")]


def test_payments_seen_before_the_booking_still_complete_the_order_later() -> None:
    row = ReconciliationRow("o-1")
    row.apply(order_fact("e2", "invoice_issued", "100"))
    row.apply(order_fact("e3", "payment_applied", "100"))
    assert [s.step for s in row.apply(order_fact("e1", "order_booked", "100"))] == ["paid"]


def test_a_row_survives_its_table_round_trip() -> None:
    row = ReconciliationRow("o-1")
    row.apply(order_fact("e1", "order_booked", "100.50"))
    assert ReconciliationRow.from_data(row.to_data()) == row


def test_the_funnel_report_totals_steps_in_a_window_and_gives_conversions() -> None:
    counts = {
        funnel_key("lead", date(2026, 11, 1)): 4,
        funnel_key("lead", date(2026, 11, 2)): 6,
        funnel_key("mql", date(2026, 11, 2)): 5,
        funnel_key("sql", date(2026, 11, 3)): 2,
    }
    report = funnel_report(counts)
    steps = {s["step"]: s for s in report["steps"]}
    assert (steps["lead"]["count"], steps["mql"]["count"], steps["sql"]["count"]) == (10, 5, 2)
    assert steps["mql"]["conversion_from_previous"] == 0.5
    assert steps["lead"]["conversion_from_previous"] is None
    window = funnel_report(counts, since=date(2026, 11, 2), until=date(2026, 11, 2))
    assert [s["count"] for s in window["steps"]][:3] == [6, 5, 0]
    assert list(window["by_day"]) == ["2026-11-02"]
