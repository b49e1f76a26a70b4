"""The schema of the deals service's sales-process definitions (rule set "processes"),
validated whenever a version is published."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from services.deals.domain.pipeline import Pipeline, Stage

IDENTIFIER = r"^[a-z][a-z0-9_]{0,39}$"


class StageSchema(BaseModel):
    name: str = Field(pattern=IDENTIFIER)
    win_probability_percent: int = Field(ge=1, le=99)
    exit_criteria: list[str] = Field(default_factory=list)
    required_key_events: list[str] = Field(default_factory=list)
    # The stage's SOP: the key events a good deal shows in this stage, in order. Insights
    # compares each deal's actual key events with it (process adherence).
    key_event_path: list[str] = Field(default_factory=list)


class ProcessSchema(BaseModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]{1,63}$")
    name: str = Field(min_length=1)
    qualification: Literal["BANT", "BANTCC"] = "BANT"
    stages: list[StageSchema] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_stages(self) -> ProcessSchema:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"process {self.id!r} repeats a stage name")
        return self


class ProcessesSchema(BaseModel):
    default_process: str
    processes: list[ProcessSchema] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_exists(self) -> ProcessesSchema:
        ids = [p.id for p in self.processes]
        if len(set(ids)) != len(ids):
            raise ValueError("process ids must be unique")
        if self.default_process not in ids:
            raise ValueError(f"default_process {self.default_process!r} is not defined")
        return self

    def process(self, process_id: str, version: int) -> Pipeline | None:
        for p in self.processes:
            if p.id == process_id:
                return Pipeline(
                    p.id,
                    p.name,
                    tuple(
                        Stage(
                            s.name,
                            s.win_probability_percent,
                            tuple(s.exit_criteria),
                            tuple(s.required_key_events),
                        )
                        for s in p.stages
                    ),
                    version,
                    p.qualification,
                )
        return None
