"""The worker keeps read-model answers until the projection changes, and no more of them
than its bound."""

from __future__ import annotations

from typing import Any

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
