"""Lead scoring: fit against the ideal customer profile plus engagement that decays with
event time. Pure: the same profile, engagements, rules and moment give the same score, so
any recorded score can be explained and recomputed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EngagementKind(StrEnum):
    EMAIL_OPENED = "email_opened"
    LINK_CLICKED = "link_clicked"
    SITE_VISIT = "site_visit"
    EVENT_ATTENDED = "event_attended"
    CALL_ANSWERED = "call_answered"


@dataclass(frozen=True)
class FitRule:
    id: str
    field: str  # industry, company_size, headcount, region, product_interest
    points: float
    any_of: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None

    def matches(self, profile: Profile) -> bool:
        value = getattr(profile, self.field)
        if self.any_of:
            return str(value).lower() in {v.lower() for v in self.any_of}
        if not isinstance(value, int) or value <= 0:
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class ScoringRules:
    version: int
    fit: tuple[FitRule, ...]
    engagement_points: dict[str, float]
    half_life_days: float
    grades: tuple[tuple[str, float], ...]  # (grade, minimum), best first
    hot_from: float
    warm_from: float
    qualify_from: float

    def grade_of(self, total: float) -> str:
        for grade, minimum in self.grades:
            if total >= minimum:
                return grade
        return self.grades[-1][0]

    def temperature_of(self, total: float) -> str:
        if total >= self.hot_from:
            return "hot"
        return "warm" if total >= self.warm_from else "cold"


@dataclass(frozen=True)
class Profile:
    industry: str = ""
    company_size: str = ""  # "smb", "mid_market", "enterprise"
    headcount: int = 0
    region: str = ""
    product_interest: str = ""


@dataclass(frozen=True)
class Engagement:
    kind: str
    occurred_at: datetime


@dataclass(frozen=True)
class Contribution:
    rule: str  # "fit:industry:manufacturing", "engagement:link_clicked@2026-11-02T..."
    points: float


@dataclass(frozen=True)
class Score:
    total: float
    grade: str
    temperature: str
    rule_set_version: int
    as_of: datetime
    contributions: tuple[Contribution, ...]
    qualify_from: float


def score(
    profile: Profile, engagements: list[Engagement], rules: ScoringRules, as_of: datetime
) -> Score:
    """Score as of a moment of event time: engagements after it do not count yet; older ones
    count for less, halving every ``half_life_days``."""
    contributions = [
        Contribution(f"fit:{rule.id}", round(rule.points, 2))
        for rule in rules.fit
        if rule.matches(profile)
    ]
    for engagement in sorted(engagements, key=lambda e: e.occurred_at):
        if engagement.occurred_at > as_of:
            continue
        base = rules.engagement_points.get(engagement.kind, 0.0)
        age_days = (as_of - engagement.occurred_at).total_seconds() / 86400
        points = round(base * 0.5 ** (age_days / rules.half_life_days), 2)
        if points:
            contributions.append(
                Contribution(
                    f"engagement:{engagement.kind}@{engagement.occurred_at.isoformat()}", points
                )
            )
    total = round(sum(c.points for c in contributions), 2)
    return Score(
        total,
        rules.grade_of(total),
        rules.temperature_of(total),
        rules.version,
        as_of,
        tuple(contributions),
        rules.qualify_from,
    )
