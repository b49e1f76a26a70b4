from datetime import UTC, datetime, timedelta

import pytest

from services.leads.domain.lead import Contact, Lead, LeadStatus
from services.leads.domain.scoring import (
    Engagement,
    FitRule,
    Profile,
    ScoringRules,
    score,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
RULES = ScoringRules(
    version=3,
    fit=(
        FitRule("industry:manufacturing", "industry", 20, any_of=("manufacturing",)),
        FitRule("headcount:200+", "headcount", 10, min=200),
        FitRule("interest:automation", "product_interest", 15, any_of=("automation",)),
    ),
    engagement_points={"link_clicked": 10, "event_attended": 20},
    half_life_days=30,
    grades=(("A", 70), ("B", 50), ("C", 30), ("D", 0)),
    hot_from=70,
    warm_from=40,
    qualify_from=50,
)
FIT = Profile(industry="Manufacturing", headcount=480, product_interest="automation")


def test_fit_rules_add_their_points_and_name_themselves() -> None:
    result = score(FIT, [], RULES, NOW)
    assert result.total == 45
    assert [(c.rule, c.points) for c in result.contributions] == [
        ("fit:industry:manufacturing", 20),
        ("fit:headcount:200+", 10),
        ("fit:interest:automation", 15),
    ]
    assert (result.grade, result.temperature, result.rule_set_version) == ("C", "warm", 3)


def test_engagement_halves_every_half_life_of_event_time() -> None:
    fresh = score(Profile(), [Engagement("link_clicked", NOW)], RULES, NOW)
    month_old = score(Profile(), [Engagement("link_clicked", NOW - timedelta(days=30))], RULES, NOW)
    two_months = score(
        Profile(), [Engagement("link_clicked", NOW - timedelta(days=60))], RULES, NOW
    )
    assert (fresh.total, month_old.total, two_months.total) == (10, 5, 2.5)


def test_engagement_after_the_moment_scored_does_not_count_yet() -> None:
    later = [Engagement("event_attended", NOW + timedelta(hours=1))]
    assert score(FIT, later, RULES, NOW).total == 45


def test_a_headcount_rule_ignores_unknown_headcount() -> None:
    assert score(Profile(headcount=0), [], RULES, NOW).total == 0


@pytest.mark.parametrize(
    ("total", "grade", "temperature"),
    [(75, "A", "hot"), (55, "B", "warm"), (30, "C", "cold"), (0, "D", "cold")],
)
def test_grades_and_temperatures_follow_the_thresholds(
    total: float, grade: str, temperature: str
) -> None:
    assert (RULES.grade_of(total), RULES.temperature_of(total)) == (grade, temperature)


def new_lead() -> Lead:
    return Lead.capture(Contact("Mei", email="mei@robotics.cn"), "web_form")


def test_a_new_lead_under_the_threshold_enters_a_pool_saying_why() -> None:
    lead = new_lead()
    lead.apply_score(score(Profile(), [Engagement("link_clicked", NOW)], RULES, NOW))
    assert (lead.status, lead.pool) == (LeadStatus.NURTURING, "cold")
    entered = lead.collect_events()[-1]
    assert type(entered).__name__ == "EnteredNurture"
    assert entered.reason == "score 10.0 below threshold 50 (scoring rules v3)"


def test_engagement_lifting_a_nurtured_lead_over_the_threshold_requalifies_it() -> None:
    lead = new_lead()
    lead.apply_score(score(FIT, [], RULES, NOW))  # 45: warm pool
    assert (lead.status, lead.pool) == (LeadStatus.NURTURING, "warm")
    lead.record_engagement("event_attended", NOW, ref="expo-badge-17")
    lead.apply_score(score(FIT, lead.engagement_history, RULES, NOW))
    assert lead.status is LeadStatus.MQL
    requalified = lead.collect_events()[-1]
    assert type(requalified).__name__ == "Requalified"
    assert requalified.reason == "score 65.0 reached threshold 50 (scoring rules v3)"


def test_a_new_lead_at_the_threshold_is_marketing_qualified_at_once() -> None:
    lead = new_lead()
    lead.apply_score(score(FIT, [Engagement("link_clicked", NOW)], RULES, NOW))
    assert lead.status is LeadStatus.MQL


def test_an_unchanged_score_is_not_recorded_again() -> None:
    lead = new_lead()
    lead.apply_score(score(FIT, [], RULES, NOW))
    lead.collect_events()
    lead.apply_score(score(FIT, [], RULES, NOW + timedelta(days=1)))
    assert lead.collect_events() == []


def test_the_same_signal_twice_is_one_engagement() -> None:
    lead = new_lead()
    assert lead.record_engagement("link_clicked", NOW, ref="mail-1") is True
    assert lead.record_engagement("link_clicked", NOW, ref="mail-1") is False
    assert len(lead.engagement_history) == 1
