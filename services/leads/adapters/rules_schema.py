"""Schemas of the leads service's rule sets, validated whenever a version is published."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from services.leads.domain.scoring import EngagementKind, FitRule, ScoringRules

FIT_FIELDS = ("industry", "company_size", "headcount", "region", "product_interest")


class FitRuleSchema(BaseModel):
    id: str = Field(min_length=1, max_length=80)
    field: str = Field(pattern=f"^({'|'.join(FIT_FIELDS)})$")
    points: float = Field(ge=-100, le=100)
    any_of: list[str] = Field(default_factory=list)
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> FitRuleSchema:
        if bool(self.any_of) == (self.min is not None or self.max is not None):
            raise ValueError(f"rule {self.id!r} needs either any_of or min/max")
        if (self.min is not None or self.max is not None) and self.field != "headcount":
            raise ValueError(f"rule {self.id!r}: min/max apply to headcount only")
        return self


class GradeSchema(BaseModel):
    grade: str = Field(min_length=1, max_length=2)
    min: float


class ScoringRulesSchema(BaseModel):
    fit: list[FitRuleSchema]
    engagement: dict[EngagementKind, float]
    half_life_days: float = Field(gt=0, le=3650)
    grades: list[GradeSchema] = Field(min_length=1)
    hot_from: float
    warm_from: float
    qualify_from: float

    @model_validator(mode="after")
    def _ordered(self) -> ScoringRulesSchema:
        minimums = [g.min for g in self.grades]
        if minimums != sorted(minimums, reverse=True):
            raise ValueError("grades must be listed best first, with falling minimums")
        if self.warm_from > self.hot_from:
            raise ValueError("warm_from must not exceed hot_from")
        ids = [r.id for r in self.fit]
        if len(set(ids)) != len(ids):
            raise ValueError("fit rule ids must be unique")
        return self

    def to_domain(self, version: int) -> ScoringRules:
        return ScoringRules(
            version=version,
            fit=tuple(
                FitRule(r.id, r.field, r.points, tuple(r.any_of), r.min, r.max) for r in self.fit
            ),
            engagement_points={k.value: v for k, v in self.engagement.items()},
            half_life_days=self.half_life_days,
            grades=tuple((g.grade, g.min) for g in self.grades),
            hot_from=self.hot_from,
            warm_from=self.warm_from,
            qualify_from=self.qualify_from,
        )
