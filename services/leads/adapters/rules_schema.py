"""Schemas of the leads service's rule sets, validated whenever a version is published."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from services.leads.domain.routing import RoutingRule, RoutingRules, Team
from services.leads.domain.scoring import EngagementKind, FitRule, ScoringRules
from services.leads.domain.territory import Territory, TerritoryRules

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


class RoutingRuleSchema(BaseModel):
    id: str = Field(min_length=1, max_length=80)
    team: str = Field(min_length=1, max_length=80)
    company_size: list[str] = Field(default_factory=list)
    product_line: list[str] = Field(default_factory=list)
    region: list[str] = Field(default_factory=list)
    min_headcount: int | None = Field(None, ge=0)


class TeamSchema(BaseModel):
    strategy: Literal["round_robin", "least_loaded"]
    reps: list[str] = Field(min_length=1)


class RoutingRulesSchema(BaseModel):
    rules: list[RoutingRuleSchema]
    default_queue: str
    teams: dict[str, TeamSchema]
    speed_to_lead_minutes: dict[str, int] = Field(min_length=1)

    @model_validator(mode="after")
    def _teams_exist(self) -> RoutingRulesSchema:
        named = {r.team for r in self.rules} | {self.default_queue}
        missing = sorted(named - set(self.teams))
        if missing:
            raise ValueError(f"rules name teams that are not defined: {missing}")
        if any(m <= 0 for m in self.speed_to_lead_minutes.values()):
            raise ValueError("speed-to-lead minutes must be positive")
        return self

    def to_domain(self, version: int) -> RoutingRules:
        return RoutingRules(
            version=version,
            rules=tuple(
                RoutingRule(
                    r.id,
                    r.team,
                    tuple(r.company_size),
                    tuple(r.product_line),
                    tuple(r.region),
                    r.min_headcount,
                )
                for r in self.rules
            ),
            default_queue=self.default_queue,
            teams={name: Team(name, t.strategy, tuple(t.reps)) for name, t in self.teams.items()},
            speed_to_lead_minutes=dict(self.speed_to_lead_minutes),
        )


class TerritorySchema(BaseModel):
    id: str = Field(min_length=1, max_length=80)
    owner: str = Field(min_length=1, max_length=100)
    public_pool_after_days: int = Field(ge=1, le=3650)
    regions: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)


class TerritoryRulesSchema(BaseModel):
    territories: list[TerritorySchema]

    @model_validator(mode="after")
    def _unique(self) -> TerritoryRulesSchema:
        ids = [t.id for t in self.territories]
        if len(set(ids)) != len(ids):
            raise ValueError("territory ids must be unique")
        return self

    def to_domain(self, version: int) -> TerritoryRules:
        return TerritoryRules(
            version,
            tuple(
                Territory(
                    t.id, t.owner, t.public_pool_after_days, tuple(t.regions), tuple(t.industries)
                )
                for t in self.territories
            ),
        )
