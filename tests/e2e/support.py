"""The system as `make run` starts it, for end-to-end tests: a launcher in the
background, its output collected line by line, its run file, a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def l2c_run(data_dir: Path, *args: str) -> list[str]:
    """The launcher command (`l2c run`) on its own data directory and free ports."""
    return [
        sys.executable, "-m", "services.cli", "--data-dir", str(data_dir), "run",
        "--ports", "auto", *args,
    ]  # fmt: skip


class Launched:
    """A launcher in the background (``command``), on ``data_dir``; never the developer's
    broker (L2C_KAFKA_BOOTSTRAP is dropped)."""

    def __init__(self, command: list[str], data_dir: Path, env: dict[str, str] | None = None):
        environment = {**os.environ, "L2C_DATA_DIR": str(data_dir), **(env or {})}
        environment.pop("L2C_KAFKA_BOOTSTRAP", None)
        self.data_dir = data_dir
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.proc.poll() is not None:
                time.sleep(0.5)  # let the reader take the last lines
                if not any(text in line for line in self.lines):
                    pytest.fail(f"the launcher ended before {text!r}:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} within {timeout}s:\n{self.output}")
            time.sleep(0.2)

    def run_file(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.data_dir / "run.json").read_text())
        return data

    def stop(self, sig: signal.Signals = signal.SIGINT) -> None:
        """Ctrl-C (or ``sig``) to the launcher, as a user would; it stops everything."""
        os.kill(self.run_file()["pid"], sig)
        assert self.proc.wait(120) == 0, self.output
        time.sleep(0.5)  # let the reader take the last lines
        assert "stopped" in self.output, self.output


def wait_until(check: Any, timeout: float = 90.0) -> Any:
    """``check()`` until it is truthy (HTTP errors count as not yet); its value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout}s; last: {last!r}")
