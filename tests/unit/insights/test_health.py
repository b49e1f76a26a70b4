"""The health rules as shipped (config/health_rules.json), one deal per rule."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from services.insights.domain.engine import Engine, Output, ReadModelSettings
from services.insights.domain.health import HealthRules, open_breaches
from services.insights.domain.state import Projection
from services.insights.entrypoints.queries import QueryError, answer
from tests.unit.insights.feed import Feed, at

SHIPPED = HealthRules.model_validate(
    json.loads((Path("services/insights/config/health_rules.json")).read_text())
)


def only(rule_id: str) -> HealthRules:
    return HealthRules(rules=[r for r in SHIPPED.rules if r.id == rule_id])


def breaches(f: Feed, rule_id: str, now_days: float) -> list[dict[str, str]]:
    p = f.projection()
    return [b.as_dict() for b in open_breaches(p, only(rule_id), at(now_days))]


def test_more_than_three_open_blockers() -> None:
    f = Feed()
    f.deal("D", at(0))
    for n in range(4):
        f.add("DealBlockerRaised", "D", at(n + 1), blocker_id=f"b{n}")
    (b,) = breaches(f, "too_many_blockers", 5)
    assert (b["observed"], b["threshold"], b["since"][:10]) == ("4", "3", at(4).date().isoformat())
    f.add("DealBlockerResolved", "D", at(5), blocker_id="b0")
    assert breaches(f, "too_many_blockers", 6) == []


def test_question_unanswered_after_24_hours() -> None:
    f = Feed()
    f.deal("D", at(0))
    f.add("DealCustomerQuestionAsked", "D", at(1), question_id="q", asked_at=at(1).isoformat())
    assert breaches(f, "question_unanswered", 1.9) == []
    (b,) = breaches(f, "question_unanswered", 2.25)  # 30 hours later
    assert (b["observed"], b["since"]) == ("30", at(2).isoformat())
    f.add("DealCustomerQuestionAnswered", "D", at(2.5), question_id="q")
    assert breaches(f, "question_unanswered", 3) == []


def test_no_activity_stage_too_long_and_cadence() -> None:
    f = Feed()
    f.deal("D", at(0))  # stage "contact": limit 14 days
    f.add("DealActivityLogged", "D", at(1), kind="call", at=at(1).isoformat())
    (idle,) = breaches(f, "no_activity", 16)
    assert (idle["observed"], idle["since"]) == ("15", at(15).isoformat())
    (stage,) = breaches(f, "stage_too_long", 16)
    assert (stage["observed"], stage["threshold"], stage["since"]) == (
        "16",
        "30",
        at(14).isoformat(),
    )
    (cadence,) = breaches(f, "low_cadence", 16)
    # one touch on day 1: the 7-day window lost it on day 8
    assert (cadence["observed"], cadence["since"]) == ("0", at(8).isoformat())


def test_next_step_overdue_and_close_date_slips() -> None:
    f = Feed()
    f.deal("D", at(0))
    f.add("DealNextStepAgreed", "D", at(1), step_id="s", due_at=at(3).isoformat())
    for n in range(3):
        f.add("DealCloseDatePlanned", "D", at(2 + n), close_date=f"2026-09-0{n + 1}", slipped=n > 0)
    assert breaches(f, "close_date_slipped", 5) == []  # two slips: not more than two
    f.add("DealCloseDatePlanned", "D", at(6), close_date="2026-09-09", slipped=True)
    (slips,) = breaches(f, "close_date_slipped", 7)
    assert (slips["observed"], slips["since"]) == ("3", at(6).isoformat())
    (step,) = breaches(f, "next_step_overdue", 4)
    assert (step["observed"], step["since"]) == ("1", at(3).isoformat())
    f.add("DealNextStepDone", "D", at(8), step_id="s")
    assert breaches(f, "next_step_overdue", 9) == []


def test_talk_ratio_over_the_last_five_calls() -> None:
    f = Feed()
    f.deal("D", at(0))
    for n, ratio in enumerate([0.9, 0.2, 0.2, 0.3, 0.3, 0.4]):
        f.add("DealActivityLogged", "D", at(n + 1), kind="call", rep_talk_ratio=ratio)
    (b,) = breaches(f, "low_talk_ratio", 7)  # the last five: 28% (the first call is out)
    assert (b["observed"], b["threshold"]) == ("28", "30")


def missed(f: Feed, lead: str, flagged: float, deadline: float = 0.5) -> None:
    """A lead routed to ann (north) at day 0 whose first-touch deadline was flagged."""
    f.lead(lead, at(0), team="north", rep="ann", mql=0)
    f.add(
        "LeadSpeedToLeadMissed",
        lead,
        at(flagged),
        rep="ann",
        team="north",
        deadline_at=at(deadline).isoformat(),
    )


def test_speed_to_lead_missed_until_the_lead_is_worked() -> None:
    f = Feed()
    missed(f, "L", flagged=1)
    (b,) = breaches(f, "speed_to_lead_missed", 1)
    assert (b["subject_kind"], b["rep"], b["since"]) == ("lead", "ann", at(0.5).isoformat())
    f.add("LeadSalesAccepted", "L", at(2))
    assert breaches(f, "speed_to_lead_missed", 3) == []


def test_conversation_warnings() -> None:
    f = Feed()
    f.deal("D", at(0))
    f.advance("D", at(2), "product_understanding", 30)
    f.advance("D", at(4), "quote", 60)
    f.add("DealStakeholderAdded", "D", at(1), stakeholder_id="s1", role="economic_buyer")
    f.add("DealKeyEventRecorded", "D", at(5), kind="competitor_mentioned")
    assert breaches(f, "too_few_contacts", 6)[0]["since"] == at(2).isoformat()
    assert breaches(f, "no_power_sponsor", 6)[0]["since"] == at(4).isoformat()  # not contacted
    assert breaches(f, "pricing_not_discussed", 6)[0]["since"] == at(4).isoformat()
    assert breaches(f, "red_flag", 6)[0]["observed"] == "competitor_mentioned"
    assert breaches(f, "red_flag", 20) == []  # older than 14 days
    assert breaches(f, "customer_silent", 20) == []  # 20 days since opening: not yet
    assert breaches(f, "customer_silent", 22)[0]["since"] == at(21).isoformat()
    f.add("DealStakeholderContacted", "D", at(6), stakeholder_id="s1")
    f.add("DealStakeholderAdded", "D", at(6), stakeholder_id="s2", role="user")
    f.add("DealKeyEventRecorded", "D", at(7), kind="price_objection")
    for rule in ("too_few_contacts", "no_power_sponsor", "pricing_not_discussed"):
        assert breaches(f, rule, 8) == [], rule
    # price_objection is a customer signal: silent 21 days after day 7
    assert breaches(f, "customer_silent", 28.5)[0]["since"] == at(28).isoformat()


def test_rules_evaluated_as_of_an_earlier_moment_ignore_what_happened_later() -> None:
    # Given a deal whose blockers, question, next step, activity and closing all come
    # after day 5 (a projection that already folded events beyond the moment asked about)
    f = Feed()
    f.deal("D", at(0))
    for n in range(4):
        f.add("DealBlockerRaised", "D", at(1), blocker_id=f"b{n}")
    f.add("DealCustomerQuestionAsked", "D", at(1), question_id="q", asked_at=at(1).isoformat())
    f.add("DealNextStepAgreed", "D", at(1), step_id="s", due_at=at(2).isoformat())
    f.add("DealBlockerResolved", "D", at(6), blocker_id="b0")
    f.add("DealCustomerQuestionAnswered", "D", at(6), question_id="q")
    f.add("DealNextStepDone", "D", at(6), step_id="s")
    f.add("DealActivityLogged", "D", at(20), kind="call", at=at(20).isoformat())
    f.won("D", at(30), "1000.00")
    # Then as of day 5 each rule sees the deal as it was on day 5
    assert [b["observed"] for b in breaches(f, "too_many_blockers", 5)] == ["4"]
    assert [b["observed"] for b in breaches(f, "question_unanswered", 5)] == ["96"]
    assert [b["observed"] for b in breaches(f, "next_step_overdue", 5)] == ["1"]
    (idle,) = breaches(f, "no_activity", 16)  # the call on day 20 had not happened yet
    assert idle["since"] == at(14).isoformat()
    # And as of day 7 (after the resolutions) and day 31 (after the win) they hold no more
    assert breaches(f, "too_many_blockers", 7) == []
    assert breaches(f, "question_unanswered", 7) == []
    assert breaches(f, "next_step_overdue", 7) == []
    assert breaches(f, "no_activity", 31) == []


def test_closed_deals_have_no_breaches_and_the_engine_announces_and_clears() -> None:
    f = Feed()
    f.deal("D", at(0))
    for n in range(4):
        f.add("DealBlockerRaised", "D", at(1), blocker_id=f"b{n}")
    engine = Engine(Projection(), only("too_many_blockers"), ReadModelSettings())
    # Nothing is judged until the watermark has passed it: day 1 is not passed yet.
    assert [o for e in f.events for o in engine.handle(e)] == []
    closing = f.add("DealLost", "D", at(2))
    (breached,) = engine.handle(closing)  # passes day 1, when four blockers were open
    assert (breached.kind, breached.key) == ("breached", "too_many_blockers|deal:D")
    assert breached.data["detected_at"] == at(1).isoformat()
    (cleared,) = engine.handle(f.tick(at(3)))  # passes day 2, the loss
    assert (cleared.kind, cleared.data["observed"]) == ("cleared", "4")
    assert cleared.data["cleared_at"] == at(2).isoformat()
    assert engine.handle(closing) == []  # redelivered
    # The deal's breach log keeps both moments, for its timeline.
    rules = only("too_many_blockers")
    history = answer(
        "breaches/history", {"deal_id": "D"}, engine.projection, rules, ReadModelSettings()
    )
    (entry,) = history["entries"]
    assert (entry["rule"], entry["observed"], entry["since"]) == (
        "too_many_blockers",
        "4",
        at(1).isoformat(),
    )
    assert (entry["detected_at"], entry["cleared_at"]) == (at(1).isoformat(), at(2).isoformat())
    for bad in ({}, {"deal_id": "D", "lead_id": "L"}):
        with pytest.raises(QueryError) as refused:
            answer("breaches/history", bad, engine.projection, rules, ReadModelSettings())
        assert refused.value.status == 422 and "one subject" in refused.value.body["message"]


def test_the_rule_schema_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="kind"):
        HealthRules.model_validate({"rules": [{"id": "x", "kind": "vibes"}]})


def test_a_back_dated_answer_clears_the_speed_to_lead_breach_it_prevents() -> None:
    f = Feed()
    missed(f, "L", flagged=0.5)  # routed at day 0, due at day 0.5
    engine = Engine(Projection(), only("speed_to_lead_missed"), ReadModelSettings())
    outputs = [o for e in f.events for o in engine.handle(e)]
    outputs += engine.handle(f.tick(at(1)))
    (breached,) = [o for o in outputs if o.kind == "breached"]
    assert breached.key == "speed_to_lead_missed|lead:L"
    # Learnt a day later: sales had accepted the lead at hour 3, before its deadline.
    late = f.add("LeadSalesAccepted", "L", at(0, hours=3))
    outputs = engine.handle(late) + engine.handle(f.tick(at(2)))
    (cleared,) = [o for o in outputs if o.kind == "cleared"]
    assert cleared.key == breached.key
    assert breaches(f, "speed_to_lead_missed", 2) == []
    # Accepted after the deadline instead: the breach stands until then.
    g = Feed()
    missed(g, "M", flagged=0.5)
    g.add("LeadSalesAccepted", "M", at(0.75))
    assert len(breaches(g, "speed_to_lead_missed", 0.6)) == 1
    assert breaches(g, "speed_to_lead_missed", 1) == []


def breaches_said(outputs: list[Output]) -> list[Output]:
    return [o for o in outputs if o.kind != "snapshot"]


def test_a_red_flag_fades_with_time_alone_and_the_deal_is_woken_for_it() -> None:
    f = Feed()
    f.deal("D", at(0))
    f.add("DealKeyEventRecorded", "D", at(5), kind="competitor_mentioned")
    engine = Engine(Projection(), only("red_flag"), ReadModelSettings())
    outputs = breaches_said(
        [o for e in f.events for o in engine.handle(e)] + engine.handle(f.tick(at(6)))
    )
    (breached,) = outputs
    assert (breached.kind, breached.data["detected_at"]) == ("breached", at(5).isoformat())
    # Nothing but ticks from here on: the flag is 14 days old just after day 19, and the
    # deal is judged at the first whole minute after that (no tick falls there).
    outputs = breaches_said([o for day in (10, 19, 19.5) for o in engine.handle(f.tick(at(day)))])
    (cleared,) = outputs
    assert cleared.kind == "cleared"
    assert cleared.data["cleared_at"] == (at(19) + timedelta(minutes=1)).isoformat()


def test_changed_rules_judge_every_subject_at_the_next_tick() -> None:
    """The wakes were worked out with the rules in force; a worker restarted with other
    rules judges every subject once (at its first tick), and then only what is due."""
    f = Feed()
    f.deal("D", at(0))
    for n in range(3):
        f.add("DealBlockerRaised", "D", at(1), blocker_id=f"b{n}")
    p = Projection()
    engine = Engine(p, only("too_many_blockers"), ReadModelSettings())
    assert (
        breaches_said(
            [o for e in f.events for o in engine.handle(e)] + engine.handle(f.tick(at(2)))
        )
        == []
    )
    stricter = only("too_many_blockers").model_copy(deep=True)
    stricter.rules[0].threshold = 2
    # Restarted with the same rules, a tick judges nobody: no event touched D since.
    same = Engine(p, only("too_many_blockers"), ReadModelSettings())
    assert breaches_said(same.handle(f.tick(at(3))) + same.handle(f.tick(at(4)))) == []
    # With three blockers allowed no more, the next tick finds the breach.
    changed = Engine(p, stricter, ReadModelSettings())
    outputs = breaches_said(changed.handle(f.tick(at(5))) + changed.handle(f.tick(at(6))))
    (breached,) = outputs
    assert (breached.key, breached.data["detected_at"]) == (
        "too_many_blockers|deal:D",
        at(5).isoformat(),
    )
    # And only once: its rules are now those the schedule follows.
    again = Engine(p, stricter, ReadModelSettings())
    assert breaches_said(again.handle(f.tick(at(7))) + again.handle(f.tick(at(8)))) == []
