"""Row-level scope, as pure rules."""

from __future__ import annotations

import pytest

from kernel.errors import NotFound
from kernel.scope import EVERYTHING, OutOfScope, narrow_filters, scope_of

REP = scope_of("is-ana", frozenset({"rep"}), ("inside-sales",))
MANAGER = scope_of("mia", frozenset({"manager"}), ("inside-sales",))
TWO_TEAMS = scope_of("max", frozenset({"manager"}), ("apac", "emea"))


def test_who_sees_everything() -> None:
    for role in ("auditor", "finance", "admin", "integration"):
        assert scope_of("x", frozenset({role}), ()).everything
    assert scope_of("x", frozenset({"rep", "auditor"}), ()).everything
    assert not REP.everything and not MANAGER.everything


def test_a_rep_sees_their_own_and_their_teams_unassigned_records() -> None:
    assert REP.allows("is-ana", "inside-sales")
    assert REP.allows("is-ana", "")  # their own, whatever the team
    assert REP.allows("", "inside-sales")  # waiting in their team's queue
    assert not REP.allows("is-tom", "inside-sales")  # a colleague's
    assert not REP.allows("", "apac")  # another team's queue
    assert not REP.allows("", "")


def test_a_manager_sees_their_teams_records_and_their_own() -> None:
    assert MANAGER.allows("is-tom", "inside-sales")
    assert MANAGER.allows("mia", "apac")
    assert not MANAGER.allows("apac-li", "apac")
    assert not MANAGER.allows("someone", "")  # no team recorded: not theirs
    assert MANAGER.allows("", "")  # not routed yet: the managers' pool
    assert not REP.allows("", "")


def test_out_of_scope_reads_as_not_found() -> None:
    with pytest.raises(NotFound, match="deal 7 not found"):
        REP.require("is-tom", "inside-sales", "deal 7")
    REP.require("is-ana", "inside-sales", "deal 7")


def test_read_model_questions_are_narrowed_to_the_scope() -> None:
    assert narrow_filters({"basis": "activity"}, EVERYTHING) == {"basis": "activity"}
    assert narrow_filters({}, REP) == {"rep": "is-ana"}
    assert narrow_filters({"rep": "is-ana"}, REP) == {"rep": "is-ana"}
    with pytest.raises(OutOfScope):
        narrow_filters({"rep": "is-tom"}, REP)
    assert narrow_filters({}, MANAGER) == {"team": "inside-sales"}
    with pytest.raises(OutOfScope):
        narrow_filters({"team": "apac"}, MANAGER)
    assert narrow_filters({"team": "emea"}, TWO_TEAMS) == {"team": "emea"}
    with pytest.raises(OutOfScope, match="name one of your teams"):
        narrow_filters({}, TWO_TEAMS)
