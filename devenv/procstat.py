"""What a process has used so far, read from /proc (Linux): for the benchmarks."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# A fixed piece of pure-Python work, run by a process of its own five times a second and
# timed in the CPU time it took (not wall time: waiting for a core is not counted). When
# the machine runs slower (other tenants on the same physical cores, clock changes), the
# same work takes more CPU time, and so does every process of a benchmarked stack.
_PROBE = """
import time

def work():
    total = 0
    for n in range(20000):
        total += n * n % 7
    return total

while True:  # until the benchmark kills it
    started = time.process_time()
    work()
    print(time.process_time() - started, flush=True)
    time.sleep(0.2)
"""


class SpeedProbe:
    """How fast the machine runs Python now: the median CPU time of the fixed work since a
    mark, in µs. Benchmarks compare it between levels measured minutes apart."""

    def __init__(self) -> None:
        self._samples: list[float] = []
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _PROBE], stdout=subprocess.PIPE, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._samples.append(float(line))

    def mark(self) -> int:
        return len(self._samples)

    def since(self, mark: int) -> float:
        """Median µs of the work's runs since ``mark`` (nan when none ran)."""
        taken = self._samples[mark:]
        return statistics.median(taken) * 1e6 if taken else float("nan")

    def stop(self) -> None:
        self._proc.kill()
        self._proc.wait()
        self._reader.join(5)
