"""The worker keeps read-model answers until the projection changes, and no more of them
than its bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.insights.entrypoints.queries import QueryError, validated
from services.insights.processors import Answers


def _computing(computed: list[str], tag: str) -> Any:
    async def run() -> dict[str, Any]:
        computed.append(tag)
        return {"tag": tag, "n": len(computed)}

    return run


async def test_a_question_is_computed_once_until_the_projection_changes() -> None:
    answers, computed = Answers(), list[str]()

    first = await answers.get("funnel", {"team": "north"}, _computing(computed, "a"))
    again = await answers.get("funnel", {"team": "north"}, _computing(computed, "b"))
    other = await answers.get("funnel", {"team": "south"}, _computing(computed, "c"))
    assert (first, again, computed) == ({"tag": "a", "n": 1}, first, ["a", "c"])
    assert other == {"tag": "c", "n": 2}
    answers.changed()
    again = await answers.get("funnel", {"team": "north"}, _computing(computed, "d"))
    assert again == {"tag": "d", "n": 3}


async def test_an_answer_computed_across_a_commit_is_not_kept() -> None:
    answers, computed = Answers(), list[str]()

    async def slow() -> dict[str, Any]:
        answers.changed()  # a batch committed while the query ran
        return {"tag": "stale"}

    assert await answers.get("funnel", {}, slow) == {"tag": "stale"}
    assert await answers.get("funnel", {}, _computing(computed, "fresh")) == {
        "tag": "fresh",
        "n": 1,
    }


async def test_the_least_recently_asked_answer_goes_first_when_full() -> None:
    answers, computed = Answers(size=2), list[str]()
    for name in ("a", "b", "a", "c", "a", "b"):
        await answers.get(name, {}, _computing(computed, name))
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
