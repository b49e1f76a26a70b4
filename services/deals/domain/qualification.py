"""Qualification: the BANT(CC) gate a deal must pass to be opened, and MEDDIC, kept per
deal with a completeness score."""

from __future__ import annotations

from dataclasses import dataclass, fields

BANT = ("budget", "authority", "need", "timeline")
BANTCC = (*BANT, "company_situation", "competitors")
MEDDIC = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "identified_pain",
    "champion",
)


@dataclass(frozen=True)
class Qualification:
    budget: str = ""
    authority: str = ""  # who decides and who takes part
    need: str = ""  # a defined business problem, not "we want a CRM"
    timeline: str = ""  # when they must buy
    company_situation: str = ""
    competitors: str = ""

    def missing(self, gate: str) -> list[str]:
        required = BANTCC if gate == "BANTCC" else BANT
        return [name for name in required if not getattr(self, name).strip()]

    def as_data(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def meddic_completeness(meddic: dict[str, str]) -> float:
    """Share of the six MEDDIC elements known, 0.0 to 1.0."""
    return round(sum(1 for name in MEDDIC if meddic.get(name, "").strip()) / len(MEDDIC), 4)
