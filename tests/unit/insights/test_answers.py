"""The worker keeps read-model answers until the projection changes, and no more of them
than its bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.insights.entrypoints.queries import QueryError, validated
from services.insights.processors import Answers


def test_a_question_is_computed_once_until_the_projection_changes() -> None:
    answers, computed = Answers(), []

    def compute(tag: str) -> Any:
        def run() -> dict[str, Any]:
            computed.append(tag)
            return {"tag": tag, "n": len(computed)}

        return run

    first = answers.get("funnel", {"team": "north"}, compute("a"))
    again = answers.get("funnel", {"team": "north"}, compute("b"))
    other = answers.get("funnel", {"team": "south"}, compute("c"))
    assert (first, again, computed) == ({"tag": "a", "n": 1}, first, ["a", "c"])
    assert other == {"tag": "c", "n": 2}
    answers.changed()
    assert answers.get("funnel", {"team": "north"}, compute("d")) == {"tag": "d", "n": 3}


def test_the_least_recently_asked_answer_goes_first_when_full() -> None:
    answers, computed = Answers(size=2), []

    def ask(name: str) -> None:
        answers.get(name, {}, lambda: computed.append(name) or {"name": name})  # type: ignore[func-returns-value]

    for name in ("a", "b", "a", "c", "a", "b"):
        ask(name)
    assert computed == ["a", "b", "c", "b"]


def test_a_read_model_as_of_needs_a_plausible_time_with_an_offset() -> None:
    good = validated("funnel", {"as_of": "2026-07-31T12:00:00+02:00"})
    assert good.model_dump()["as_of"] == datetime(2026, 7, 31, 10, tzinfo=UTC)
    far = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for bad, why in (
        ("2026-07-31T12:00:00", "timezone"),
        ("1999-12-31T00:00:00Z", "before 2000"),
        (far, "after"),
        ("soon", "datetime"),
    ):
        with pytest.raises(QueryError) as refused:
            validated("breaches", {"as_of": bad})
        assert refused.value.status == 422
        assert why in str(refused.value.body), (bad, refused.value.body)
