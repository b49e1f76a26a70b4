"""The demo seeder: idempotent commands, a policy's head start counts as done."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from devenv.demo import Seeder, SeedingFailed, _at_or_past, _fixed_time


def seeder(handler: httpx.MockTransport) -> Seeder:
    return Seeder(httpx.Client(transport=handler), say=lambda _: None)


def test_a_refused_step_that_the_state_shows_taken_counts_as_done() -> None:
    # Given the scoring policy already made the lead an MQL (the qualify is refused)
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(409, json={"error": "rule_violation"})

    # When the demo asks to qualify it, Then the step is done without an error
    result = seeder(httpx.MockTransport(answer)).command(
        "qualify", "http://leads/leads/1/qualify", {}, key="k", done=lambda: True
    )
    assert result == {}
    assert sent[0].headers["Idempotency-Key"] == "k"


def test_a_conflict_is_retried_until_the_command_goes_through() -> None:
    answers = iter([409, 409, 200])

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), json={"ok": True})

    result = seeder(httpx.MockTransport(answer)).command(
        "accept", "http://leads/x", {}, key="k", done=lambda: False
    )
    assert result == {"ok": True}


def test_an_invalid_command_stops_seeding_with_the_answer() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"error": "invalid_request", "message": "no budget"})

    with pytest.raises(SeedingFailed, match="no budget"):
        seeder(httpx.MockTransport(answer)).command("convert", "http://leads/x", {}, key="k")


def test_progress_order_compares_states() -> None:
    order = ["new", "mql", "sql", "converted"]
    assert _at_or_past(order, "sql", "mql")
    assert _at_or_past(order, "mql", "mql")
    assert not _at_or_past(order, "new", "mql")
    assert not _at_or_past(order, "unknown", "mql")


def test_a_business_time_is_chosen_once_per_data_directory(tmp_path: Path) -> None:
    first = _fixed_time(tmp_path, "payment_received_at")
    again = _fixed_time(tmp_path, "payment_received_at")
    assert first == again
    assert (tmp_path / "demo.json").exists()
