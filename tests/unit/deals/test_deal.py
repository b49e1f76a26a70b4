import uuid
from decimal import Decimal

import pytest

from kernel.domain import Money
from kernel.errors import InvalidCommand, RuleViolation
from services.deals.adapters.pipeline_config import load_pipeline
from services.deals.domain.deal import Deal, DealStatus
from services.deals.domain.pipeline import Pipeline, Stage

PIPELINE = Pipeline("p", "Test", (Stage("contact", 10), Stage("quote", 40), Stage("close", 80)))
LEAD = uuid.UUID("11111111-1111-1111-1111-111111111111")


def opened(pipeline: Pipeline = PIPELINE) -> Deal:
    return Deal.open(
        LEAD, "Line automation", Money(Decimal("48000"), "EUR"), "rep-7", "Acme", pipeline
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


def test_the_shipped_default_pipeline_loads_and_validates() -> None:
    pipeline = load_pipeline()
    assert pipeline.first.name == "qualification"
    assert [s.win_probability_percent for s in pipeline.stages] == [10, 25, 50, 75]


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
