"""Forecast, reconciliation, campaign ROI, reverse funnel and adherence; numbers by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from services.insights.domain.adherence import adherence_summary, deals_adherence
from services.insights.domain.campaigns import campaign_roi, reverse_funnel
from services.insights.domain.engine import Engine, ReadModelSettings
from services.insights.domain.forecast import accuracy, pipeline
from services.insights.domain.health import HealthRules
from services.insights.domain.receivables import (
    Thresholds,
    bucket,
    order_rows,
    receivables,
    unmatched_payments,
)
from services.insights.domain.slicing import Slice
from services.insights.domain.state import Projection
from tests.unit.insights.feed import PROCESSES, Feed, at, eur

RULES = HealthRules.model_validate(
    {"rules": [{"id": "r", "kind": "open_blockers_above", "threshold": 3}]}
)


def test_pipeline_weighted_by_probability_per_close_period_and_category() -> None:
    f = Feed()
    f.deal("P1", at(0), amount="1000.00", probability=10)
    f.add("DealCloseDatePlanned", "P1", at(0), close_date="2026-08-15")
    f.deal("P2", at(0), amount="2000.00", probability=60)
    f.add("DealCloseDatePlanned", "P2", at(0), close_date="2026-09-30")
    f.add("DealForecastCategoryChanged", "P2", at(1), category="commit")
    f.deal("P3", at(0), amount="500.00", probability=30)
    f.add("DealCloseDatePlanned", "P3", at(0), close_date="2026-09-25")
    f.add("DealCloseDatePlanned", "P3", at(1), close_date="2026-10-01", slipped=True)
    f.add("DealCloseDatePlanned", "P3", at(2), close_date="2026-10-05", slipped=True)
    f.deal("P4", at(0), amount="900.00")
    f.won("P4", at(2), "900.00")
    report = pipeline(f.projection(), Slice())
    assert report["rows"] == [
        {
            "period": "2026-Q3",
            "category": "commit",
            "deals": 1,
            "amount": "2000.00",
            "weighted": "1200.00",
            "slipped_deals": 0,
            "slips": 0,
        },
        {
            "period": "2026-Q3",
            "category": "pipeline",
            "deals": 1,
            "amount": "1000.00",
            "weighted": "100.00",
            "slipped_deals": 0,
            "slips": 0,
        },
        {
            "period": "2026-Q4",
            "category": "pipeline",
            "deals": 1,
            "amount": "500.00",
            "weighted": "150.00",
            "slipped_deals": 1,  # moved later twice
            "slips": 2,
        },
    ]
    assert report["total_weighted"] == "1450.00" and report["slipped_deals"] == 1


def test_weekly_snapshots_as_of_monday_and_accuracy_after_the_quarter() -> None:
    f = Feed()
    f.lead("L1", at(-5), team="north", rep="ann", mql=0, sql=1)
    f.deal("P1", at(0), lead="L1", owner="ann", amount="1000.00", probability=10)
    f.add("DealCloseDatePlanned", "P1", at(1), close_date="2026-09-15")
    f.advance("P1", at(9), "product_understanding", 30)  # Wednesday of the second week
    f.won("P1", at(60), "1200.00")  # 2026-09-04
    f.tick(datetime(2026, 10, 5, 12, tzinfo=UTC))
    p = Projection()
    engine = Engine(p, RULES, ReadModelSettings())
    outputs = [o for e in f.events for o in engine.handle(e)]
    snapshots = {o.key: o.data for o in outputs if o.kind == "snapshot"}
    # Mondays from the week after the first deal up to the tick: 07-13 … 10-05.
    assert sorted(snapshots)[0] == "2026-07-13" and sorted(snapshots)[-1] == "2026-10-05"
    assert len(snapshots) == 13
    first = snapshots["2026-07-13"]["lines"]
    assert [(x["deal_id"], x["probability"], x["amount"]) for x in first] == [("P1", 10, "1000.00")]
    assert snapshots["2026-07-20"]["lines"][0]["probability"] == 30
    won_line = snapshots["2026-09-07"]["lines"][0]
    assert (won_line["category"], won_line["probability"], won_line["amount"]) == (
        "won",
        100,
        "1200.00",
    )
    report = accuracy(p, Slice())
    north = {t["team"]: t for t in report["teams"]}["north"]
    weeks = {w["week_start"][:10]: w for w in north["weeks"]}
    assert len(weeks) == 12  # the Q3 Mondays; the Q4 one has nothing to compare with yet
    assert weeks["2026-07-13"] == {
        "week_start": "2026-07-13T00:00:00+00:00",
        "quarter": "2026-Q3",
        "forecast": "100.00",
        "actual": "1200.00",
        "error": -0.9167,
    }
    assert weeks["2026-07-20"]["forecast"] == "300.00"
    assert weeks["2026-09-07"]["error"] == 0.0
    # A second run over the same events takes no snapshot twice.
    assert [o for e in f.events for o in engine.handle(e)] == []


def _order_feed() -> Feed:
    f = Feed()
    f.lead("L1", at(-3), team="north", rep="ann", mql=0, sql=1, campaign="spring")
    f.deal("D1", at(-2), lead="L1", owner="ann", amount="1000.00")
    f.won("D1", at(0), "1000.00")
    f.add(
        "OrderBooked",
        "O1",
        at(0),
        deal_id="D1",
        amount=eur("1000.00"),
        owner_id="ann",
        lines=[{"product_line": "analytics", "net_amount": eur("1000.00")}],
        installments=[
            {"number": 1, "amount": eur("500.00"), "trigger": "on_booking", "status": "invoiced"},
            {"number": 2, "amount": eur("500.00"), "trigger": "on_date", "due_date": "2026-07-16"},
        ],
    )
    f.add(
        "InvoiceIssued",
        "I1",
        at(0),
        order_id="O1",
        amount=eur("500.00"),
        issued_on="2026-07-06",
        due_on="2026-08-05",
    )
    f.add(
        "InvoiceIssued",
        "I2",
        at(10),
        order_id="O1",
        amount=eur("500.00"),
        issued_on="2026-07-16",
        due_on="2026-10-30",
    )
    f.add("InstallmentInvoiced", "O1", at(10), installment=2, invoice_id="I2")
    f.add("InvoicePostedByErp", "I2", at(11), erp_number="E-2")
    f.erp("ErpInvoicePosted", "m1", at(11), invoice_id="I2", amount=eur("450.00"))
    f.add(
        "PaymentApplied", "I2", at(20), payment_id="P1", amount=eur("500.00"), excess=eur("100.00")
    )
    f.erp(
        "ErpPaymentReceived",
        "m2",
        at(21),
        payment_id="P9",
        invoice_id="I-unknown",
        amount=eur("70.00"),
    )
    f.erp(
        "ErpPaymentReceived",
        "m2",
        at(21),
        payment_id="P9",
        invoice_id="I-unknown",
        amount=eur("70.00"),
    )
    f.tick(at(75))  # 2026-09-19
    return f


def test_order_reconciliation_rows_and_mismatch_classes() -> None:
    p = _order_feed().projection()
    (row,) = order_rows(p, Slice(), Thresholds())
    assert {
        k: row[k] for k in ("booked", "scheduled", "invoiced", "erp_posted", "paid", "outstanding")
    } == {
        "booked": "1000.00",
        "scheduled": "1000.00",
        "invoiced": "1000.00",
        "erp_posted": "500.00",
        "paid": "500.00",
        "outstanding": "500.00",
    }
    assert (row["team"], row["product_line"], row["status"]) == (
        "north",
        "analytics",
        "partially_paid",
    )
    classes = sorted((m["class"], m["invoice_id"]) for m in row["mismatches"])
    assert classes == [
        ("amount_differs", "I2"),
        ("installment_overdue", "I1"),
        ("invoice_not_posted", "I1"),
        ("overpayment", "I2"),
    ]
    (unmatched,) = unmatched_payments(p)  # the ERP sent it twice; it is one payment
    assert (unmatched["payment_id"], unmatched["amount"]) == ("P9", "70.00")


def test_aging_buckets_and_dso() -> None:
    report = receivables(_order_feed().projection(), Slice(), Thresholds(dso_days=90))
    # I1: 500 outstanding, due 08-05, 45 days past due on 09-19.
    assert report["total"]["buckets"] == {
        "not_due": "0.00",
        "1-30": "0.00",
        "31-60": "500.00",
        "61-90": "0.00",
        "90+": "0.00",
    }
    # 500 receivable ÷ 1000 invoiced in the last 90 days × 90 = 45 days
    assert report["total"]["dso_days"] == 45.0
    assert [g["group"] for g in report["groups"]] == ["north"]


def test_an_invoice_due_today_is_current_as_the_overdue_rule_says() -> None:
    assert bucket(-1) == "not_due"
    assert bucket(0) == "not_due"  # due on the as-of day: not overdue yet
    assert bucket(1) == "1-30"
    assert bucket(30) == "1-30"
    assert bucket(31) == "31-60"
    assert bucket(91) == "90+"


def _campaign_feed() -> Feed:
    f = Feed()
    f.add(
        "CampaignLaunched",
        "c-spring",
        at(-10),
        campaign_id="spring",
        name="Spring",
        channel_type="web",
        cost=eur("800.00"),
    )
    f.add("CampaignCostRecorded", "c-spring", at(-5), campaign_id="spring", cost=eur("1000.00"))
    for n, (mql, sql) in enumerate([(1, 2), (1, 2), (1, None), (None, None)]):
        f.lead(f"W{n}", at(0), channel="web_form", campaign="spring", mql=mql, sql=sql)
    f.deal("DW0", at(3), lead="W0", amount="3000.00")
    f.won("DW0", at(9), "3000.00")
    f.add("OrderBooked", "OW0", at(9), deal_id="DW0", amount=eur("3000.00"))
    f.add("InvoiceIssued", "IW0", at(9), order_id="OW0", amount=eur("1000.00"))
    f.add("PaymentApplied", "IW0", at(12), payment_id="PW", amount=eur("1000.00"))
    f.deal("DW1", at(3), lead="W1")
    f.add("DealLost", "DW1", at(8))
    for n, sql in enumerate([2, 2]):
        f.lead(f"E{n}", at(0), channel="event", mql=1, sql=sql)
    f.deal("DE0", at(3), lead="E0", amount="1000.00")
    f.won("DE0", at(5), "1000.00")
    return f


def test_campaign_roi() -> None:
    (spring,) = campaign_roi(_campaign_feed().projection(), Slice())
    assert {
        k: spring[k]
        for k in (
            "cost",
            "leads",
            "mql",
            "sql",
            "mql_to_sql_acceptance",
            "deals",
            "won",
            "won_revenue",
            "cash_collected",
            "roi",
            "cash_roi",
            "cost_per_lead",
        )
    } == {
        "cost": "1000.00",
        "leads": 4,
        "mql": 3,
        "sql": 2,
        "mql_to_sql_acceptance": 0.6667,
        "deals": 2,
        "won": 1,
        "won_revenue": "3000.00",
        "cash_collected": "1000.00",
        "roi": 2.0,
        "cash_roi": 0.0,
        "cost_per_lead": "250.00",
    }


def test_reverse_funnel_splits_the_target_by_revenue_share_and_rounds_up() -> None:
    report = reverse_funnel(_campaign_feed().projection(), Slice(), Decimal("8000"))
    plans = {row["channel"]: row["plan"] for row in report["channels"]}
    # web: 3/4 of 8000 = 6000 → 2 won at 3000 → 4 deals (1 in 2 won) → 4 SQL → 6 MQL
    # (2 of 3 accepted) → 8 leads (3 of 4 qualified)
    assert plans["web_form"] == {
        "share_of_target": 0.75,
        "revenue": "6000.00",
        "won_deals": 2,
        "deals": 4,
        "sql": 4,
        "mql": 6,
        "leads": 8,
    }
    # event: 2000 → 2 won → 2 deals → 4 SQL (1 deal per 2 SQL) → 4 MQL → 4 leads
    assert plans["event"] == {
        "share_of_target": 0.25,
        "revenue": "2000.00",
        "won_deals": 2,
        "deals": 2,
        "sql": 4,
        "mql": 4,
        "leads": 4,
    }


def test_adherence_against_the_preset_key_event_path() -> None:
    f = Feed()
    f.add(
        "RuleSetPublished",
        "rules",
        at(-1),
        name="processes",
        version=1,
        document_json=__import__("json").dumps(PROCESSES),
    )
    f.deal("A", at(0), owner="ann")
    f.add("DealKeyEventRecorded", "A", at(1), kind="customer_need", stage="contact")
    f.add("DealKeyEventRecorded", "A", at(2), kind="opening", stage="contact")
    f.advance("A", at(3), "product_understanding", 30)
    f.add(
        "DealKeyEventRecorded",
        "A",
        at(4),
        kind="product_introduction",
        stage="product_understanding",
    )
    f.advance("A", at(5), "quote", 60)
    f.won("A", at(9), "100.00")
    f.deal("B", at(0), owner="bob")
    f.add("DealKeyEventRecorded", "B", at(1), kind="opening", stage="contact")
    f.add("DealKeyEventRecorded", "B", at(2), kind="customer_need", stage="contact")
    f.add("DealLost", "B", at(4))
    f.deal("C", at(0), owner="bob")
    f.advance("C", at(1), "quote", 60)
    rows = {r["deal_id"]: r for r in deals_adherence(f.projection(), Slice())}
    assert rows["A"]["deviations"] == [
        {"stage": "contact", "deviation": "out_of_order:customer_need"},
        {"stage": "product_understanding", "deviation": "missing:customer_approval"},
        {"stage": "quote", "deviation": "missing:price_objection"},
        {"stage": "quote", "deviation": "missing:next_step_agreement"},
    ]
    assert rows["B"]["adherent"] is True
    # C jumped from contact to quote; it is still in quote, so quote is not judged yet.
    assert rows["C"]["deviations"] == [
        {"stage": "contact", "deviation": "missing:opening"},
        {"stage": "contact", "deviation": "missing:customer_need"},
        {"stage": "product_understanding", "deviation": "skipped_stage"},
    ]
    summary = adherence_summary(list(rows.values()))
    assert summary["deviations_per_rep"] == {"ann": 4, "bob": 3}
    effect = {e["deviation"]: e for e in summary["win_rate_by_deviation"]}
    assert effect["out_of_order:customer_need@contact"] == {
        "deviation": "out_of_order:customer_need@contact",
        "decided_with": 1,
        "win_rate_with": 1.0,
        "decided_without": 1,
        "win_rate_without": 0.0,
    }


def test_redelivered_events_change_nothing() -> None:
    f = _order_feed()
    once = f.projection()
    twice = Projection()
    for event in f.events + f.events[3:]:
        twice.apply(event)
    assert twice.records == once.records
