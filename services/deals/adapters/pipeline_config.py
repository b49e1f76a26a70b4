"""Loads a pipeline definition from a JSON file, validated against a schema at load."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from services.deals.domain.pipeline import Pipeline, Stage

DEFAULT_PIPELINE_FILE = Path(__file__).resolve().parent.parent / "config" / "default_pipeline.json"


class StageSchema(BaseModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    win_probability_percent: int = Field(ge=1, le=99)


class PipelineSchema(BaseModel):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    stages: list[StageSchema] = Field(min_length=1)


def load_pipeline(path: Path = DEFAULT_PIPELINE_FILE) -> Pipeline:
    schema = PipelineSchema.model_validate_json(path.read_text())
    return Pipeline(
        schema.id,
        schema.name,
        tuple(Stage(s.name, s.win_probability_percent) for s in schema.stages),
    )
