"""The Deal aggregate: opened from a converted lead, advanced stage by stage, won or lost.

A deal keeps the pipeline it was opened under, so a later change of the company's
pipeline does not rewrite open deals.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation
from services.deals.domain.pipeline import Pipeline

_DEAL_FOR_LEAD = uuid.UUID("0b7a6a0e-54c4-4b43-8d0b-3d1f2f3f6c11")


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class LossReason(StrEnum):
    COMPETITOR = "competitor"
    CUSTOMER = "customer"  # budget cut, project cancelled, ...
    OUR_SIDE = "our_side"  # product gap, price, delivery
    NO_DECISION = "no_decision"


class Deal(L2CAggregate):
    @staticmethod
    def create_id(lead_id: uuid.UUID) -> uuid.UUID:
        """One deal per converted lead: its id follows from the lead's."""
        return uuid.uuid5(_DEAL_FOR_LEAD, str(lead_id))

    @classmethod
    def open(
        cls,
        lead_id: uuid.UUID,
        name: str,
        amount: Money,
        owner_id: str,
        company: str,
        pipeline: Pipeline,
    ) -> Deal:
        if not name.strip():
            raise InvalidCommand("a deal needs a name")
        if not amount.is_positive:
            raise InvalidCommand(f"a deal's amount must be positive, got {amount}")
        return cls(
            lead_id=lead_id,
            name=name.strip(),
            amount=amount,
            owner_id=owner_id,
            company=company,
            pipeline=pipeline.as_data(),
        )

    @event("Opened")
    def __init__(
        self,
        lead_id: uuid.UUID,
        name: str,
        amount: Money,
        owner_id: str,
        company: str,
        pipeline: dict[str, Any],
    ) -> None:
        self.lead_id = lead_id
        self.name = name
        self.amount = amount
        self.owner_id = owner_id
        self.company = company
        self.pipeline = pipeline
        self.stage = Pipeline.from_data(pipeline).first.name
        self.status = DealStatus.OPEN
        self.loss_reason = ""

    @property
    def pipeline_definition(self) -> Pipeline:
        return Pipeline.from_data(self.pipeline)

    @property
    def win_probability_percent(self) -> int:
        if self.status is DealStatus.WON:
            return 100
        if self.status is DealStatus.LOST:
            return 0
        pipeline = self.pipeline_definition
        return pipeline.stages[pipeline.index_of(self.stage)].win_probability_percent

    def advance_to(self, stage_name: str) -> None:
        self._check_open("advance")
        pipeline = self.pipeline_definition
        target = pipeline.index_of(stage_name)
        current = pipeline.index_of(self.stage)
        if target <= current:
            raise RuleViolation(
                f"deal {self.id} is in {self.stage!r}; it can only advance to a later stage"
            )
        self._stage_advanced(
            from_stage=self.stage,
            to_stage=stage_name,
            win_probability_percent=pipeline.stages[target].win_probability_percent,
        )

    def win(self) -> None:
        self._check_open("be won")
        self._won(amount=self.amount, lead_id=self.lead_id, company=self.company)

    def lose(self, reason: str, competitor: str = "", note: str = "") -> None:
        self._check_open("be lost")
        try:
            why = LossReason(reason)
        except ValueError:
            raise InvalidCommand(
                f"loss reason {reason!r} is not one of {', '.join(r.value for r in LossReason)}"
            ) from None
        if why is LossReason.COMPETITOR and not competitor.strip():
            raise InvalidCommand("a deal lost to a competitor must name the competitor")
        self._lost(reason=why.value, competitor=competitor.strip(), note=note)

    def _check_open(self, action: str) -> None:
        if self.status is not DealStatus.OPEN:
            raise RuleViolation(f"deal {self.id} is {self.status.value}; it cannot {action}")

    @event("StageAdvanced")
    def _stage_advanced(self, from_stage: str, to_stage: str, win_probability_percent: int) -> None:
        self.stage = to_stage

    @event("Won")
    def _won(self, amount: Money, lead_id: uuid.UUID, company: str) -> None:
        self.status = DealStatus.WON

    @event("Lost")
    def _lost(self, reason: str, competitor: str, note: str) -> None:
        self.status = DealStatus.LOST
        self.loss_reason = reason
