import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kernel.errors import RuleViolation
from services.leads.domain.lead import Contact, Lead, LeadStatus
from services.leads.domain.routing import DeskBoard, Overdue, RoutingRule, RoutingRules, Team
from services.leads.domain.scoring import Profile

RULES = RoutingRules(
    version=2,
    rules=(
        RoutingRule("enterprise", "key-accounts", company_size=("enterprise",)),
        RoutingRule("apac-automation", "apac", region=("APAC",), product_line=("automation",)),
        RoutingRule("big", "key-accounts", min_headcount=5000),
    ),
    default_queue="inside-sales",
    teams={
        "key-accounts": Team("key-accounts", "least_loaded", ("anna", "bo")),
        "apac": Team("apac", "round_robin", ("chen", "li", "sato")),
        "inside-sales": Team("inside-sales", "round_robin", ("ana",)),
    },
    speed_to_lead_minutes={"A": 60, "D": 4320},
)
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("profile", "team", "why"),
    [
        (
            Profile(company_size="enterprise", region="APAC", product_interest="automation"),
            "key-accounts",
            "rule enterprise (routing rules v2)",
        ),
        (
            Profile(region="apac", product_interest="Automation"),
            "apac",
            "rule apac-automation (routing rules v2)",
        ),
        (Profile(headcount=8000), "key-accounts", "rule big (routing rules v2)"),
        (
            Profile(region="EMEA"),
            "inside-sales",
            "no rule matched: default queue (routing rules v2)",
        ),
    ],
)
def test_the_first_matching_rule_wins_else_the_default_queue(
    profile: Profile, team: str, why: str
) -> None:
    assert RULES.team_for(profile) == (team, why)


def test_round_robin_takes_reps_in_turn_and_skips_those_who_rejected() -> None:
    board = DeskBoard()
    picks = []
    for _ in range(4):
        rep = board.desk("apac").pick(RULES.teams["apac"], set())
        assert rep is not None
        board.routed(str(uuid.uuid4()), "apac", rep, NOW)
        picks.append(rep)
    assert picks == ["chen", "li", "sato", "chen"]
    assert board.desk("apac").pick(RULES.teams["apac"], {"chen", "li", "sato"}) is None


def test_assignments_decided_but_not_yet_stored_count_as_turns_and_load() -> None:
    board = DeskBoard()
    apac, accounts = board.desk("apac"), board.desk("key-accounts")
    assert apac.pick(RULES.teams["apac"], set(), pending=["chen"]) == "li"
    assert apac.pick(RULES.teams["apac"], set(), pending=["chen", "li"]) == "sato"
    board.routed(str(uuid.uuid4()), "key-accounts", "anna", NOW)
    assert accounts.pick(RULES.teams["key-accounts"], set(), pending=["bo", "bo"]) == "anna"


def test_least_loaded_picks_the_rep_with_fewest_open_leads() -> None:
    board = DeskBoard()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    board.routed(first, "key-accounts", "anna", NOW)
    assert board.desk("key-accounts").pick(RULES.teams["key-accounts"], set()) == "bo"
    board.routed(second, "key-accounts", "bo", NOW)
    board.released(first)
    assert board.desk("key-accounts").pick(RULES.teams["key-accounts"], set()) == "anna"


def test_a_lead_routed_again_leaves_its_earlier_team() -> None:
    board = DeskBoard()
    lead = str(uuid.uuid4())
    board.routed(lead, "apac", "chen", NOW)
    board.routed(lead, "key-accounts", "bo", NOW + timedelta(hours=1))
    assert board.desk("apac").open == {} and board.desk("apac").deadlines == {}
    assert board.desk("key-accounts").open == {lead: "bo"}
    assert (board.desk("apac").turns, board.desk("key-accounts").turns) == (1, 1)


def test_overdue_leads_are_those_past_their_deadline_and_not_yet_touched() -> None:
    board = DeskBoard()
    late, touched, early, gone = (str(uuid.uuid4()) for _ in range(4))
    board.routed(late, "apac", "chen", NOW - timedelta(minutes=1))
    board.routed(touched, "apac", "li", NOW - timedelta(minutes=1))
    board.routed(early, "apac", "sato", NOW + timedelta(minutes=1))
    board.routed(gone, "inside-sales", "ana", NOW - timedelta(minutes=2))
    board.touched(touched)
    board.released(gone)
    assert board.overdue(NOW) == [Overdue("apac", late, NOW - timedelta(minutes=1))]
    board.touched(late)  # its miss was recorded: the clock stops
    assert board.overdue(NOW) == []
    assert board.desk("apac").open == {late: "chen", touched: "li", early: "sato"}


def mql() -> Lead:
    lead = Lead.capture(Contact("Mei", email="mei@robotics.cn"), "web_form")
    lead.qualify_as_mql("")
    return lead


def test_a_rep_can_reject_or_return_only_a_lead_assigned_to_them() -> None:
    lead = mql()
    lead.route_to("apac", "chen", "rule x", NOW)
    with pytest.raises(RuleViolation, match="assigned to chen, not li"):
        lead.reject_assignment("li", "not my region")
    lead.reject_assignment("chen", "not my region")
    assert (lead.rep, lead.rejected_by, lead.awaits_routing) == ("", ["chen"], True)
    lead.route_to("apac", "li", "rule x", NOW)
    lead.return_to_nurture("li", "still researching")
    assert (lead.status, lead.pool, lead.rep) == (LeadStatus.NURTURING, "cold", "")


def test_a_missed_deadline_is_recorded_once_and_only_while_untouched() -> None:
    lead = mql()
    lead.route_to("apac", "chen", "rule x", NOW)
    assert lead.miss_speed_to_lead(NOW - timedelta(hours=1)) is False  # another deadline
    assert lead.miss_speed_to_lead(NOW) is True
    lead.accept_as_sql("called back")
    assert lead.miss_speed_to_lead(NOW) is False
