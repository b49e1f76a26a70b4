"""A sales pipeline: ordered stages, each with a win probability. Data, not code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.errors import InvalidCommand

_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Stage:
    name: str
    win_probability_percent: int


@dataclass(frozen=True)
class Pipeline:
    id: str
    name: str
    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise InvalidCommand(f"pipeline {self.id!r} has no stages")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise InvalidCommand(f"pipeline {self.id!r} repeats a stage name: {names}")
        for stage in self.stages:
            if not _STAGE_NAME.match(stage.name):
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
            f"pipeline {self.id!r} has no stage {stage_name!r}; "
            f"its stages are {', '.join(s.name for s in self.stages)}"
        )

    def as_data(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "stages": [[s.name, s.win_probability_percent] for s in self.stages],
        }

    @classmethod
    def from_data(cls, data: dict[str, object]) -> Pipeline:
        stages = data["stages"]
        assert isinstance(stages, list)
        return cls(
            str(data["id"]), str(data["name"]), tuple(Stage(str(n), int(p)) for n, p in stages)
        )
