"""The benchmark's growth table: flows/s and CPU per flow against the empty system."""

from __future__ import annotations

from devenv.flowbench import Results, growth_table


def _level(grown: int, seconds: float, cpu: dict[str, float], rss: dict[str, float]) -> Results:
    level = Results(clients=32, seconds=seconds, cpu=cpu, rss_mb=rss, grown=grown)
    level.latencies = [1.0] * 96
    return level


def test_growth_is_shown_as_rates_and_cpu_per_flow_against_the_empty_system() -> None:
    empty = _level(0, 10.0, {"leads": 4.8, "kafka": 4.8}, {"leads": 90, "kafka": 200})
    ten = _level(10_000, 12.0, {"leads": 4.8, "kafka": 4.8}, {"leads": 100, "kafka": 200})
    hundred = _level(100_000, 8.0, {"leads": 7.2, "kafka": 7.2}, {"leads": 110, "kafka": 260})
    rows = [line for line in growth_table([empty, ten, hundred]) if line.startswith("| ")]
    assert rows[2] == "| 0 | 9.60 | 1.00 | 100 ms | 1.00 | |"
    assert rows[3] == "| 10,000 | 8.00 | 0.83 | 100 ms | 1.00 | 1.00× (leads) |"
    assert rows[4] == "| 100,000 | 12.00 | 1.25 | 150 ms | 1.50 | 1.30× (kafka) |"
    assert growth_table([empty]) == []
