import uuid
from datetime import date
from decimal import Decimal

import pytest

from kernel.domain import Money
from kernel.errors import InvalidCommand, RuleViolation
from services.leads.domain.campaign import Campaign
from services.leads.domain.lead import Contact, DuplicateMatch, Lead, LeadStatus

BANT_OK = {"budget": "approved", "authority": "COO", "need": "downtime", "timeline": "Q3"}


def campaign(**overrides: object) -> Campaign:
    fields: dict[str, object] = dict(
        slug="spring-expo",
        name="Spring Expo",
        channel_type="event",
        cost=Money(Decimal("12000"), "EUR"),
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 3),
    )
    fields.update(overrides)
    return Campaign.launch(**fields)  # type: ignore[arg-type]


def lead(name: str = "Ann") -> Lead:
    return Lead.capture(Contact(name, email=f"{name.lower()}@acme.com"), "web_form")


def test_a_campaign_has_a_channel_type_a_cost_and_a_period() -> None:
    c = campaign()
    assert (c.channel_type, c.cost, c.runs_on(date(2026, 3, 2)), c.runs_on(date(2026, 3, 4))) == (
        "event",
        Money(Decimal("12000"), "EUR"),
        True,
        False,
    )
    assert c.id == Campaign.create_id("spring-expo")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "Spring Expo"}, "lowercase"),
        ({"channel_type": "billboard"}, "not one of"),
        ({"ends_on": date(2026, 2, 1)}, "before it starts"),
        ({"cost": Money(Decimal("-1"), "EUR")}, "cannot be negative"),
    ],
)
def test_an_invalid_campaign_is_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        campaign(**overrides)


def test_recording_the_same_cost_again_changes_nothing() -> None:
    c = campaign()
    c.collect_events()
    c.record_cost(Money(Decimal("12000"), "EUR"))
    assert c.collect_events() == []
    c.record_cost(Money(Decimal("15000"), "EUR"))
    assert [type(e).__name__ for e in c.collect_events()] == ["CostRecorded"]


def test_a_lead_is_flagged_once_per_match_and_never_as_its_own_duplicate() -> None:
    ann = lead()
    other = uuid.uuid4()
    ann.flag_duplicates(
        [
            DuplicateMatch("lead", other, "same email address"),
            DuplicateMatch("lead", ann.id, "same email address"),
        ]
    )
    ann.flag_duplicates([DuplicateMatch("lead", other, "same email address")])
    assert ann.duplicates == [
        {"owner_kind": "lead", "owner_id": str(other), "reason": "same email address"}
    ]


def test_merging_folds_the_duplicate_into_the_survivor_and_undo_restores_it() -> None:
    survivor, duplicate = lead("Ann"), lead("Anne")
    duplicate.qualify_as_mql("")
    duplicate.merge_into(survivor)
    assert (duplicate.status, duplicate.merged_into, survivor.absorbed) == (
        LeadStatus.MERGED,
        survivor.id,
        [duplicate.id],
    )
    duplicate.undo_merge(survivor)
    assert (duplicate.status, duplicate.merged_into, survivor.absorbed) == (
        LeadStatus.MQL,
        None,
        [],
    )
    names = [type(e).__name__ for e in duplicate.collect_events()]
    assert names[-2:] == ["Merged", "MergeUndone"]


def test_a_lead_cannot_be_merged_twice_into_itself_or_once_converted() -> None:
    survivor, duplicate = lead("Ann"), lead("Anne")
    with pytest.raises(InvalidCommand, match="into itself"):
        survivor.merge_into(survivor)
    duplicate.merge_into(survivor)
    with pytest.raises(RuleViolation, match="already merged"):
        duplicate.merge_into(lead("Third"))
    converted = lead("Conv")
    converted.qualify_as_mql("")
    converted.accept_as_sql("")
    converted.convert("D", Money(Decimal(1), "EUR"), "rep", BANT_OK)
    with pytest.raises(RuleViolation, match="is converted"):
        converted.merge_into(survivor)


def test_sales_rejects_an_mql_with_a_known_reason() -> None:
    mql = lead()
    mql.qualify_as_mql("")
    with pytest.raises(InvalidCommand, match="not one of"):
        mql.reject_by_sales("meh")
    mql.reject_by_sales("no_budget", "next fiscal year")
    assert (mql.status, mql.rejection) == (LeadStatus.REJECTED, "no_budget")
