"""The benchmarks' machine-speed probe: fixed work timed in CPU time by its own process."""

from __future__ import annotations

import math
import time

from devenv.procstat import SpeedProbe


def test_the_probe_reports_the_median_cpu_time_of_its_work_since_a_mark() -> None:
    probe = SpeedProbe()
    try:
        start = probe.mark()
        deadline = time.monotonic() + 30
        while probe.mark() < start + 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert probe.mark() >= start + 3
        micros = probe.since(start)
        # 20,000 rounds of a multiply and a modulo take well over a microsecond and well
        # under a second on any machine that runs the tests.
        assert 1 < micros < 1_000_000
        assert math.isnan(probe.since(probe.mark() + 1000))
    finally:
        probe.stop()
    assert probe._proc.poll() is not None
