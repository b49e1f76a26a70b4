"""Funnel, team comparison and velocity on hand-built streams, numbers checked by hand."""

from __future__ import annotations

import json

from services.insights.domain.funnel import funnel, team_comparison
from services.insights.domain.slicing import Slice, percentile
from services.insights.domain.velocity import velocity
from tests.unit.insights.feed import PROCESSES, Feed, at, eur


def _funnel_feed() -> Feed:
    f = Feed()
    f.lead("L1", at(0), team="north", rep="ann", mql=1, sql=2, campaign="spring")
    f.lead("L2", at(0), team="north", rep="ann", mql=1)
    f.lead("L3", at(1), team="south", rep="bob", mql=1, sql=2, channel="event")
    f.lead("L4", at(1), channel="event")
    f.lead("L5", at(2))
    f.add("LeadMerged", "L5", at(3), survivor_id="L1")  # a duplicate: not a lead of its own
    f.deal("D1", at(3), lead="L1", owner="ann")
    f.won("D1", at(10), "1000.00")
    f.add("OrderBooked", "O1", at(10), deal_id="D1", amount=eur("1000.00"))
    f.add("InvoiceIssued", "I1", at(11), order_id="O1", amount=eur("1000.00"))
    f.add("PaymentApplied", "I1", at(15), payment_id="P1", amount=eur("400.00"))
    f.add("PaymentApplied", "I1", at(20), payment_id="P2", amount=eur("600.00"))
    f.deal("D3", at(4), lead="L3", owner="bob")
    f.add("DealLost", "D3", at(9), reason="competitor")
    return f


def counts(report: dict) -> dict[str, int]:  # type: ignore[type-arg]
    return {row["step"]: row["count"] for row in report["steps"]}


def test_funnel_counts_each_step_once_per_lead_down_to_cash() -> None:
    report = funnel(_funnel_feed().projection(), Slice())
    assert counts(report) == {
        "lead": 4,
        "mql": 3,
        "sql": 2,
        "deal": 2,
        "won": 1,
        "invoiced": 1,
        "paid": 1,
    }
    conversions = {row["step"]: row["conversion_from_previous"] for row in report["steps"]}
    assert conversions["mql"] == 0.75 and conversions["sql"] == 0.6667
    assert conversions["won"] == 0.5


def test_flagged_duplicates_stand_beside_the_funnel_not_in_its_base() -> None:
    # Given the funnel above, plus two leads flagged as duplicates at capture, one of
    # which marketing qualified all the same
    f = _funnel_feed()
    f.lead("L6", at(2))
    f.add("LeadDuplicateFlagged", "L6", at(2), matches=[{"owner_kind": "lead", "owner_id": "L1"}])
    f.lead("L7", at(2), mql=3)
    f.add("LeadDuplicateFlagged", "L7", at(2), matches=[{"owner_kind": "account", "owner_id": "A"}])
    report = funnel(f.projection(), Slice())
    # Then the base is the unique leads (and the qualified one), the other is beside it
    assert counts(report)["lead"] == 5
    assert counts(report)["mql"] == 4
    assert report["duplicates"] == 1


def test_funnel_slices_by_dimension_and_period() -> None:
    p = _funnel_feed().projection()
    assert counts(funnel(p, Slice({"channel": "event"})))["lead"] == 2
    assert counts(funnel(p, Slice({"campaign": "spring"})))["paid"] == 1
    # Activity in the first week only: the payment that completed cash came on day 20.
    week = Slice(since=at(0).date(), until=at(6).date())
    assert counts(funnel(p, week)) == {
        "lead": 4,
        "mql": 3,
        "sql": 2,
        "deal": 2,
        "won": 0,
        "invoiced": 0,
        "paid": 0,
    }
    by_team = funnel(p, Slice(), group_by="team")
    assert [g["group"] for g in by_team["groups"]] == ["north", "south", "unassigned"]


def test_paid_needs_payments_to_cover_the_order() -> None:
    f = _funnel_feed()
    f.events = [
        e for e in f.events if not (e.type == "PaymentApplied" and e.data["payment_id"] == "P2")
    ]
    assert counts(funnel(f.projection(), Slice()))["paid"] == 0


def test_each_team_against_the_company_names_its_leakiest_step() -> None:
    report = team_comparison(_funnel_feed().projection(), Slice(), basis="cohort")
    company = {row["step"]: row["count"] for row in report["company"]}
    # Teams take over at routing: the lead no team ever saw (L4) is not in the comparison.
    assert company == {"lead": 3, "mql": 3, "sql": 2, "deal": 2, "won": 1, "invoiced": 1, "paid": 1}
    teams = {row["team"]: row for row in report["teams"]}
    # north: mql→sql 1/2 = 0.5 against the company's 2/3 = 0.6667 (gap −0.1667)
    assert teams["north"]["leaks_most_at"] == {"from": "mql", "to": "sql", "gap": -0.1667}
    # south: deal→won 0/1 against 1/2 (gap −0.5) is worse than lead→mql 1/2 against 3/4
    assert teams["south"]["leaks_most_at"] == {"from": "deal", "to": "won", "gap": -0.5}


def _velocity_feed() -> Feed:
    f = Feed()
    f.deal("A", at(0), owner="ann")
    f.advance("A", at(4), "product_understanding", 30)
    f.advance("A", at(10), "quote", 60)
    f.won("A", at(16), "3000.00")
    f.deal("B", at(0), owner="ann")
    f.advance("B", at(2), "product_understanding", 30)
    f.add("DealLost", "B", at(12), reason="customer")
    f.deal("C", at(0), owner="bob")
    f.advance("C", at(6), "product_understanding", 30)
    f.won("C", at(30), "1000.00")
    f.deal("D", at(0), owner="bob")
    return f


def test_velocity_time_in_stage_cycle_win_rate_and_productivity() -> None:
    overall = velocity(_velocity_feed().projection(), Slice())["overall"]
    assert overall["time_in_stage_days"]["contact"] == {"stays": 3, "median": 4.0, "p90": 6.0}
    assert overall["time_in_stage_days"]["product_understanding"] == {
        "stays": 3,
        "median": 10.0,
        "p90": 24.0,
    }
    assert overall["deals_decided"] == 3 and overall["won"] == 2 and overall["lost"] == 1
    assert overall["win_rate"] == 0.6667
    assert overall["average_deal_size"] == "2000.00"
    assert overall["cycle_days"] == {"average": 19.33, "median": 16.0, "p90": 30.0}
    # 3 deals × 2000 × 2/3 ÷ (58/3 days) = 4000 × 3 / 58 = 206.896… per day
    assert overall["productivity_per_day"] == "206.90"


def test_velocity_per_rep() -> None:
    groups = {
        g["group"]: g for g in velocity(_velocity_feed().projection(), Slice(), "rep")["groups"]
    }
    assert groups["ann"]["win_rate"] == 0.5 and groups["ann"]["average_deal_size"] == "3000.00"
    # bob: one deal, won, 1000 in 30 days -> 1 × 1000 × 1 ÷ 30
    assert groups["bob"]["productivity_per_day"] == "33.33"


def test_nearest_rank_percentile() -> None:
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([], 0.9) is None


def test_team_stage_funnel_names_the_stage_where_its_deals_leak() -> None:
    f = Feed()
    f.add(
        "RuleSetPublished",
        "rules",
        at(-9),
        name="processes",
        version=1,
        document_json=json.dumps(PROCESSES),
    )
    for n, (team, rep) in enumerate(
        [("north", "ann"), ("north", "ann"), ("south", "bob"), ("south", "bob")]
    ):
        f.lead(f"L{n}", at(-5), team=team, rep=rep, mql=1, sql=2)
        f.deal(f"D{n}", at(0), lead=f"L{n}", owner=rep)
    for deal in ("D0", "D1"):
        f.advance(deal, at(2), "product_understanding", 30)
        f.advance(deal, at(4), "quote", 60)
    f.won("D0", at(6), "500.00")
    f.advance("D2", at(2), "product_understanding", 30)
    teams = {t["team"]: t for t in team_comparison(f.projection(), Slice())["teams"]}
    (north,) = teams["north"]["stages"]
    assert north["company_counts"] == {
        "contact": 4,
        "product_understanding": 3,
        "quote": 2,
        "close": 0,
        "won": 1,
    }
    assert north["leaks_most_at"] is None
    (south,) = teams["south"]["stages"]
    assert south["counts"] == {
        "contact": 2,
        "product_understanding": 1,
        "quote": 0,
        "close": 0,
        "won": 0,
    }
    # product_understanding → quote: 0/1 against the company's 2/3
    assert south["leaks_most_at"] == {
        "from": "product_understanding",
        "to": "quote",
        "gap": -0.6667,
    }
