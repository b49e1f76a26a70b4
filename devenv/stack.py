"""Where a `make run` stack is: ``<data-dir>/run.json``, written once every process answers.

The launcher writes it; the ``l2c`` command reads it so that operator commands reach the
stack that is running (its broker's port and its services' URLs) instead of assuming
defaults. ``L2C_*`` variables that are set win over it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUN_FILE = "run.json"
# The environment variable each run.json entry stands for.
_ENV_OF_URL = {
    "leads": "L2C_LEADS_URL",
    "deals": "L2C_DEALS_URL",
    "billing": "L2C_BILLING_URL",
    "insights": "L2C_INSIGHTS_URL",
}


class StackNotRunning(Exception):
    """No running `make run` stack could be found for a data directory."""


@dataclass(frozen=True)
class RunningStack:
    data_dir: Path
    kafka_bootstrap: str
    urls: dict[str, str]
    pid: int = 0
    pids: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "kafka_bootstrap": self.kafka_bootstrap,
            "urls": self.urls,
            "pids": self.pids,
        }

    def write(self) -> None:
        path = self.data_dir / RUN_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.as_json(), indent=2))
        os.replace(tmp, path)

    def env(self) -> dict[str, str]:
        """The ``L2C_*`` settings that point a process at this stack."""
        values = {"L2C_DATA_DIR": str(self.data_dir), "L2C_KAFKA_BOOTSTRAP": self.kafka_bootstrap}
        for name, var in _ENV_OF_URL.items():
            if name in self.urls:
                values[var] = self.urls[name]
        return values


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_stack(data_dir: Path) -> RunningStack:
    """The stack running on ``data_dir``; StackNotRunning says why there is none."""
    path = data_dir / RUN_FILE
    if not path.exists():
        raise StackNotRunning(f"no stack is running on {data_dir} (no {path}); start `make run`")
    try:
        raw = json.loads(path.read_text())
        stack = RunningStack(
            data_dir=data_dir,
            kafka_bootstrap=str(raw["kafka_bootstrap"]),
            urls={str(k): str(v) for k, v in raw["urls"].items()},
            pid=int(raw.get("pid", 0)),
            pids={str(k): int(v) for k, v in raw.get("pids", {}).items()},
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StackNotRunning(f"{path} is not a run file: {exc}") from None
    if stack.pid and not pid_alive(stack.pid):
        raise StackNotRunning(
            f"the stack recorded in {path} (launcher pid {stack.pid}) is not running; "
            "start `make run`"
        )
    return stack


def recorded_pids(data_dir: Path) -> list[int]:
    """Every pid a run file records (launcher and processes), whether or not they live."""
    try:
        raw = json.loads((data_dir / RUN_FILE).read_text())
        return [int(raw.get("pid", 0)), *(int(p) for p in raw.get("pids", {}).values())]
    except (OSError, ValueError, TypeError, AttributeError):
        return []
