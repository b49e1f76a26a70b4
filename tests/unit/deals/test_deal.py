import json
import uuid
from decimal import Decimal

import pytest

from kernel.domain import Money
from kernel.errors import InvalidCommand, RuleViolation
from services.deals.adapters.pipeline_config import ProcessesSchema
from services.deals.application import CONFIG_DIR
from services.deals.domain.deal import Deal, DealStatus
from services.deals.domain.pipeline import Pipeline, Stage
from services.deals.domain.qualification import Qualification

PIPELINE = Pipeline("p", "Test", (Stage("contact", 10), Stage("quote", 40), Stage("close", 80)))
LEAD = uuid.UUID("11111111-1111-1111-1111-111111111111")


BANT = Qualification(budget="50k", authority="COO", need="downtime", timeline="Q3")


def opened(pipeline: Pipeline = PIPELINE) -> Deal:
    return Deal.open(
        LEAD, "Line automation", Money(Decimal("48000"), "EUR"), "rep-7", "Acme", pipeline, BANT
    )


def test_a_deal_is_not_opened_without_bant_and_the_refusal_lists_what_is_missing() -> None:
    with pytest.raises(RuleViolation, match="needs BANT; missing: authority, timeline"):
        Deal.open(
            LEAD,
            "D",
            Money(Decimal("1"), "EUR"),
            "rep",
            "Acme",
            PIPELINE,
            Qualification(budget="50k", need="downtime"),
        )


def test_a_deal_opens_in_the_first_stage_with_its_win_probability() -> None:
    deal = opened()
    assert (deal.stage, deal.win_probability_percent, deal.status) == (
        "contact",
        10,
        DealStatus.OPEN,
    )


def test_one_lead_gives_one_deal_id() -> None:
    assert opened().id == opened().id == Deal.create_id(LEAD)


def test_advancing_moves_to_a_later_stage_and_records_the_probability() -> None:
    deal = opened()
    deal.advance_to("close")
    event = deal.collect_events()[-1]
    assert (event.from_stage, event.to_stage, event.win_probability_percent) == (
        "contact",
        "close",
        80,
    )
    assert deal.win_probability_percent == 80


def test_a_deal_cannot_advance_backwards_or_to_an_unknown_stage() -> None:
    deal = opened()
    deal.advance_to("quote")
    with pytest.raises(RuleViolation, match="later stage"):
        deal.advance_to("contact")
    with pytest.raises(InvalidCommand, match="no stage 'won'"):
        deal.advance_to("won")


def test_a_deal_keeps_the_pipeline_it_was_opened_under() -> None:
    deal = opened()
    assert deal.pipeline_definition == PIPELINE


def test_a_won_deal_is_certain_and_closed() -> None:
    deal = opened()
    deal.win()
    assert deal.win_probability_percent == 100
    with pytest.raises(RuleViolation, match="is won"):
        deal.advance_to("quote")
    with pytest.raises(RuleViolation, match="is won"):
        deal.lose("customer")


def test_a_lost_deal_needs_a_known_reason_and_the_competitor_when_it_was_one() -> None:
    deal = opened()
    with pytest.raises(InvalidCommand, match="not one of"):
        deal.lose("bad luck")
    with pytest.raises(InvalidCommand, match="name the competitor"):
        deal.lose("competitor")
    deal.lose("competitor", competitor="Rival GmbH")
    assert (deal.status, deal.loss_reason, deal.win_probability_percent) == (
        DealStatus.LOST,
        "competitor",
        0,
    )


def test_the_shipped_processes_validate_and_give_versioned_pipelines() -> None:
    schema = ProcessesSchema.model_validate_json((CONFIG_DIR / "processes.json").read_text())
    simple = schema.process("simple-product-sale", version=3)
    assert simple is not None and simple.version == 3
    assert [s.win_probability_percent for s in simple.stages] == [10, 30, 60, 80]
    solution = schema.process("solution-sale", version=3)
    assert solution is not None
    assert solution.stage("power_sponsor").required_key_events == ("customer_approval",)


def test_a_processes_document_naming_an_unknown_default_is_refused() -> None:
    document = json.loads((CONFIG_DIR / "processes.json").read_text())
    document["default_process"] = "nope"
    with pytest.raises(ValueError, match="default_process 'nope' is not defined"):
        ProcessesSchema.model_validate(document)


GATED = Pipeline(
    "solution",
    "Solution",
    (
        Stage("goal", 10, ("pain_identified",)),
        Stage("sponsor", 50, ("power_sponsor_won",), ("customer_approval",)),
        Stage("close", 90),
    ),
    version=1,
)


def gated() -> Deal:
    return opened(GATED)


def test_advancing_without_exit_criteria_is_refused_listing_what_is_missing() -> None:
    deal = gated()
    with pytest.raises(
        RuleViolation,
        match="missing: goal: action pain_identified; sponsor: "
        "action power_sponsor_won; sponsor: key event "
        "customer_approval",
    ):
        deal.advance_to("close")
    deal.complete_action("pain_identified")
    deal.advance_to("sponsor")
    deal.complete_action("power_sponsor_won")
    with pytest.raises(RuleViolation, match="key event customer_approval"):
        deal.advance_to("close")
    deal.record_key_event("customer_approval", source="conversation_intelligence")
    deal.advance_to("close")
    assert (deal.stage, deal.win_probability_percent) == ("close", 90)


def test_a_manager_may_override_missing_criteria_and_the_event_says_who_why_and_what() -> None:
    deal = gated()
    with pytest.raises(InvalidCommand, match="needs a reason"):
        deal.advance_to("sponsor", override_by="manager-kim")
    deal.advance_to("sponsor", override_by="manager-kim", override_reason="CEO intro done")
    advanced = deal.collect_events()[-1]
    assert (advanced.overridden_by, advanced.override_reason, advanced.missing) == (
        "manager-kim",
        "CEO intro done",
        ["goal: action pain_identified"],
    )


def test_unknown_actions_are_refused_and_repeats_change_nothing() -> None:
    deal = gated()
    with pytest.raises(InvalidCommand, match="not a standard action"):
        deal.complete_action("lunch")
    deal.complete_action("pain_identified")
    deal.collect_events()
    deal.complete_action("pain_identified")
    assert deal.collect_events() == []


def test_moving_back_is_allowed_evented_and_needs_a_reason() -> None:
    deal = gated()
    deal.advance_to("close", override_by="kim", override_reason="fast track")
    with pytest.raises(InvalidCommand, match="say why"):
        deal.move_back_to("goal", "")
    deal.move_back_to("goal", "the sponsor left the company")
    assert (deal.stage, deal.win_probability_percent) == ("goal", 10)
    with pytest.raises(RuleViolation, match="not an earlier stage"):
        deal.move_back_to("close", "x")


def test_a_deal_keeps_its_process_version_until_migrated() -> None:
    deal = gated()
    newer = Pipeline(
        "solution",
        "Solution",
        (Stage("goal", 15, ("pain_identified",)), Stage("close", 90)),
        version=2,
    )
    deal.advance_to("sponsor", override_by="kim", override_reason="x")
    assert deal.pipeline_definition.version == 1
    assert deal.migrate_to(newer) is True
    assert (deal.pipeline_definition.version, deal.stage) == (2, "goal")  # stage gone: restart
    assert deal.migrate_to(newer) is False


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ((), "no stages"),
        ((Stage("a", 10), Stage("a", 20)), "repeats a stage"),
        ((Stage("a", 0),), "between 1 and 99"),
        ((Stage("A b", 10),), "lowercase identifier"),
    ],
)
def test_an_invalid_pipeline_is_refused_at_load(stages: tuple[Stage, ...], message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        Pipeline("p", "P", stages)


def test_bant_is_the_default_gate_and_bantcc_adds_company_situation_and_competitors() -> None:
    partial = Qualification(budget="50k", need="downtime")
    assert partial.missing("BANT") == ["authority", "timeline"]
    full = Qualification(budget="b", authority="a", need="n", timeline="t")
    assert full.missing("BANT") == []
    assert full.missing("BANTCC") == ["company_situation", "competitors"]


def test_meddic_completeness_counts_the_elements_known() -> None:
    deal = opened()
    deal.update_meddic({"metrics": "3h saved", "economic_buyer": "CFO", "champion": " "})
    assert deal.meddic_completeness == 0.3333
    with pytest.raises(InvalidCommand, match="not MEDDIC elements"):
        deal.update_meddic({"budget": "x"})


def test_coverage_reports_call_high_call_wide_and_opponents() -> None:
    deal = opened()
    deal.add_stakeholder("a", "Ann", "director", "IT", "technical_evaluator", "supporter")
    deal.add_stakeholder("b", "Bo", "c_level", "Board", "economic_buyer", "opponent")
    assert deal.coverage["call_high"] is None and deal.coverage["call_wide"] == 0.0
    deal.record_contact("a", "visit")
    assert (deal.coverage["call_high"], deal.coverage["call_wide"], deal.coverage["opponents"]) == (
        "director",
        0.5,
        ["Bo"],
    )
    with pytest.raises(RuleViolation, match="already on the map"):
        deal.add_stakeholder("a", "Ann", "director", "IT", "user", "neutral")


def test_close_date_changes_are_events_and_a_later_date_counts_as_a_slip() -> None:
    from datetime import date

    deal = opened()
    deal.plan_close(date(2026, 6, 30))
    with pytest.raises(InvalidCommand, match="moving the close date later .* needs a reason"):
        deal.plan_close(date(2026, 9, 30))
    deal.plan_close(date(2026, 9, 30), "customer's board meets in September")
    deal.plan_close(date(2026, 8, 31))
    planned = [e for e in deal.collect_events() if type(e).__name__ == "CloseDatePlanned"]
    assert [(e.slipped, e.reason) for e in planned] == [
        (False, ""),
        (True, "customer's board meets in September"),
        (False, ""),
    ]
    with pytest.raises(InvalidCommand, match="forecast category 'maybe' is not one of"):
        deal.categorise("maybe", "why not")
    with pytest.raises(InvalidCommand, match="forecast category from pipeline to commit needs"):
        deal.categorise("commit", "   ")
    deal.categorise("commit", "PO in legal review")
    assert deal.forecast_category == "commit"
    deal.categorise("commit")  # no change, nothing to explain
    assert [e.reason for e in deal.collect_events()] == ["PO in legal review"]


def test_money_moves_with_a_reason_and_the_events_keep_it() -> None:
    deal = opened()
    with pytest.raises(InvalidCommand, match="changing the amount .* needs a reason"):
        deal.change_amount(Money(Decimal("52000"), "EUR"))
    with pytest.raises(InvalidCommand, match="at most 500"):
        deal.change_amount(Money(Decimal("52000"), "EUR"), "x" * 501)
    assert deal.amount == Money(Decimal("48000"), "EUR") and len(deal.pending_events) == 1

    deal.change_amount(Money(Decimal("52000"), "EUR"), "two more lines")
    with pytest.raises(InvalidCommand, match="needs a reason"):
        deal.win(Money(Decimal("50000"), "EUR"))
    assert deal.status is DealStatus.OPEN
    deal.win(Money(Decimal("50000"), "EUR"), "2% for a three-year term")
    events = deal.collect_events()[1:]
    assert [(type(e).__name__, e.reason) for e in events] == [
        ("AmountChanged", "two more lines"),
        ("AmountChanged", "2% for a three-year term"),
        ("Won", "2% for a three-year term"),
    ]
    assert events[-1].amount == Money(Decimal("50000"), "EUR")


def test_a_deal_won_at_its_amount_needs_no_reason() -> None:
    deal = opened()
    deal.win()
    won = deal.collect_events()[-1]
    assert (type(won).__name__, won.reason, won.amount) == ("Won", "", deal.amount)


def test_next_steps_are_done_rescheduled_or_overdue_on_event_time() -> None:
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
    deal = opened()
    deal.agree_next_step("demo", "Demo for the plant team", "rep-7", t0)
    deal.agree_next_step("quote", "Send the quote", "rep-7", t0 + timedelta(days=2))
    assert deal.overdue_steps(t0 + timedelta(days=1)) == [("demo", t0)]
    deal.reschedule_next_step("demo", t0 + timedelta(days=3), "plant closed for audit")
    assert deal.overdue_steps(t0 + timedelta(days=1)) == []
    assert deal.mark_overdue("quote", t0 + timedelta(days=2)) is True
    assert deal.mark_overdue("quote", t0 + timedelta(days=2)) is False
    deal.complete_next_step("demo")
    with pytest.raises(RuleViolation, match="is done"):
        deal.reschedule_next_step("demo", t0, "again")
    assert {s["step_id"]: s["state"] for s in deal.next_steps.values()} == {
        "demo": "done",
        "quote": "overdue",
    }


def test_a_deal_closed_without_decision_is_closed_at_zero_probability() -> None:
    deal = opened()
    deal.close_without_decision("budget frozen, no vendor chosen")
    assert (deal.status.value, deal.win_probability_percent) == ("no_decision", 0)
    with pytest.raises(RuleViolation, match="no_decision"):
        deal.win()
