"""The benchmark's growth table: flows/s and CPU per flow against the empty reference stack
measured in the same minutes, and against the empty system at the start."""

from __future__ import annotations

from collections import Counter

from devenv.flowbench import Results, growth_table, merged


def _level(
    seconds: float,
    cpu: dict[str, float],
    rss: dict[str, float],
    *,
    grown: int = 0,
    beside: int = 0,
    flows: int = 96,
) -> Results:
    level = Results(32, seconds=seconds, cpu=cpu, rss_mb=rss, grown=grown, beside=beside)
    level.latencies = [1.0] * flows
    level.flows = flows
    return level


def test_growth_is_shown_against_the_empty_stack_of_the_same_minutes_and_the_start() -> None:
    start = _level(10.0, {"leads": 4.8, "kafka": 4.8}, {"leads": 90, "kafka": 200})
    ten = _level(12.0, {"leads": 4.8, "kafka": 4.8}, {"leads": 100, "kafka": 200}, grown=10_000)
    beside_ten = _level(12.0, {"leads": 4.8, "kafka": 4.8}, {"leads": 80}, beside=10_000)
    hundred = _level(8.0, {"leads": 7.2, "kafka": 7.2}, {"leads": 110, "kafka": 260}, grown=100_000)
    # The machine was slower in the minutes of the last level: the empty stack too.
    beside_hundred = _level(9.6, {"leads": 6.0, "kafka": 6.0}, {"leads": 80}, beside=100_000)
    hundred.rounds, beside_hundred.rounds = [11.0, 13.25], [9.5, 10.5]
    levels = [start, ten, beside_ten, hundred, beside_hundred]
    rows = [line for line in growth_table(levels) if line.startswith("| ")]
    assert rows[2] == "| 0 (start) | 9.60 | | | | 1.00 | 100 ms | | |"
    assert rows[3] == (
        "| 10,000 | 8.00 | 8.00 | **1.00** | — / — | 0.83 | 100 ms | 1.00 | 1.00× (leads) |"
    )
    assert rows[4] == (
        "| 100,000 | 12.00 | 10.00 | **1.20** | 11.0–13.2 / 9.5–10.5 | 1.25 | 150 ms | 1.20 "
        "| 1.30× (kafka) |"
    )
    assert growth_table([start]) == []
    assert beside_ten.label == "32, empty stack beside 10,000"
    assert hundred.label == "32, after 100,000 earlier leads"


def test_rounds_of_one_stack_add_up_to_one_level() -> None:
    first = _level(4.0, {"leads": 1.0}, {"leads": 90}, grown=10_000, flows=96)
    first.errors = Counter({"409": 1})
    second = _level(6.0, {"leads": 2.0, "kafka": 1.0}, {"leads": 95}, grown=10_000, flows=94)
    level = merged([first, second])
    assert (level.flows, level.completed, level.seconds) == (190, 190, 10.0)
    assert level.rate == 19.0
    assert level.cpu == {"leads": 3.0, "kafka": 1.0}
    assert level.rss_mb == {"leads": 95}
    assert level.rounds == [24.0, 94 / 6.0]
    assert level.errors == Counter({"409": 1})
    assert level.grown == 10_000
