"""Sales processes: ordered stages, each with a win probability, the standard actions that
must be done to leave it (exit criteria) and the key events that must have happened.
Data, not code: companies define their own, and each version is an event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kernel.errors import InvalidCommand

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Stage:
    name: str
    win_probability_percent: int
    exit_criteria: tuple[str, ...] = ()
    required_key_events: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pipeline:
    """One sales process as a deal follows it (``version``: the rule-set version it came
    from; a deal keeps it until migrated)."""

    id: str
    name: str
    stages: tuple[Stage, ...]
    version: int = 0
    qualification: str = "BANT"  # the gate to open a deal: "BANT" or "BANTCC"

    def __post_init__(self) -> None:
        if not self.stages:
            raise InvalidCommand(f"process {self.id!r} has no stages")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise InvalidCommand(f"process {self.id!r} repeats a stage name: {names}")
        for stage in self.stages:
            if not _NAME.match(stage.name):
                raise InvalidCommand(f"stage name {stage.name!r} must be a lowercase identifier")
            if not 0 < stage.win_probability_percent < 100:
                raise InvalidCommand(
                    f"stage {stage.name!r}: win probability must be between 1 and 99 percent "
                    "(0 and 100 mean lost and won)"
                )

    @property
    def first(self) -> Stage:
        return self.stages[0]

    def index_of(self, stage_name: str) -> int:
        for i, stage in enumerate(self.stages):
            if stage.name == stage_name:
                return i
        raise InvalidCommand(
            f"process {self.id!r} has no stage {stage_name!r}; "
            f"its stages are {', '.join(s.name for s in self.stages)}"
        )

    def stage(self, name: str) -> Stage:
        return self.stages[self.index_of(name)]

    def missing_to_leave(
        self, from_stage: str, to_stage: str, done: set[str], key_events: set[str]
    ) -> list[str]:
        """Exit criteria and key events still missing on the way from one stage to a later
        one (every stage passed must be complete)."""
        missing = []
        for stage in self.stages[self.index_of(from_stage) : self.index_of(to_stage)]:
            missing += [f"{stage.name}: action {a}" for a in stage.exit_criteria if a not in done]
            missing += [
                f"{stage.name}: key event {k}"
                for k in stage.required_key_events
                if k not in key_events
            ]
        return missing

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "qualification": self.qualification,
            "stages": [
                {
                    "name": s.name,
                    "win_probability_percent": s.win_probability_percent,
                    "exit_criteria": list(s.exit_criteria),
                    "required_key_events": list(s.required_key_events),
                }
                for s in self.stages
            ],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Pipeline:
        stages = []
        for s in data["stages"]:
            if isinstance(s, list):  # deals opened before exit criteria existed
                stages.append(Stage(str(s[0]), int(s[1])))
            else:
                stages.append(
                    Stage(
                        s["name"],
                        int(s["win_probability_percent"]),
                        tuple(s.get("exit_criteria", ())),
                        tuple(s.get("required_key_events", ())),
                    )
                )
        return cls(
            str(data["id"]),
            str(data["name"]),
            tuple(stages),
            int(data.get("version", 0)),
            str(data.get("qualification", "BANT")),
        )
