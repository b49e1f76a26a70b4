"""Deal events -> protobuf payloads on l2c.deals.v1."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from l2c.v1 import deals_pb2, leads_pb2

from kernel.contracts import EventContracts, money_to_proto, rule_set_contracts, timestamp
from services.deals.domain.deal import Deal
from services.deals.domain.pipeline import Pipeline
from services.deals.domain.relationship import AccountRelationship


def _opened(e: Deal.Opened) -> deals_pb2.DealOpened:  # type: ignore[name-defined]
    pipeline = Pipeline.from_data(e.pipeline)
    return deals_pb2.DealOpened(
        deal_id=str(e.originator_id),
        lead_id=str(e.lead_id),
        name=e.name,
        amount=money_to_proto(e.amount),
        owner_id=e.owner_id,
        pipeline_id=pipeline.id,
        stage=pipeline.first.name,
        win_probability_percent=pipeline.first.win_probability_percent,
        company=e.company,
        process_version=pipeline.version,
        qualification=leads_pb2.Qualification(**e.qualification),
        team=getattr(e, "team", ""),
    )


def _advanced(e: Deal.StageAdvanced) -> deals_pb2.DealStageAdvanced:  # type: ignore[name-defined]
    return deals_pb2.DealStageAdvanced(
        deal_id=str(e.originator_id),
        from_stage=e.from_stage,
        to_stage=e.to_stage,
        win_probability_percent=e.win_probability_percent,
        overridden_by=e.overridden_by,
        override_reason=e.override_reason,
        missing=e.missing,
    )


def _migrated(e: Any) -> Message:
    to = Pipeline.from_data(e.pipeline)
    return deals_pb2.DealProcessMigrated(
        deal_id=str(e.originator_id),
        from_process=e.from_process,
        from_version=e.from_version,
        to_process=to.id,
        to_version=to.version,
        stage=e.stage,
    )


def _won(e: Deal.Won) -> deals_pb2.DealWon:  # type: ignore[name-defined]
    return deals_pb2.DealWon(
        deal_id=str(e.originator_id),
        amount=money_to_proto(e.amount),
        company=e.company,
        lead_id=str(e.lead_id),
        closed_at=timestamp(datetime.fromisoformat(e.metadata["occurred_at"])),
        reason=getattr(e, "reason", ""),
    )


def _lost(e: Deal.Lost) -> deals_pb2.DealLost:  # type: ignore[name-defined]
    return deals_pb2.DealLost(
        deal_id=str(e.originator_id),
        reason=e.reason,
        competitor=e.competitor,
        note=e.note,
    )


DEAL_CONTRACTS = EventContracts(
    "deals",
    {
        **rule_set_contracts(),
        Deal.StageMovedBack: lambda e: deals_pb2.DealStageMovedBack(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            from_stage=e.from_stage,
            to_stage=e.to_stage,
            win_probability_percent=e.win_probability_percent,
            reason=e.reason,
        ),
        Deal.ActionCompleted: lambda e: deals_pb2.DealActionCompleted(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id), stage=e.stage, action=e.action, note=e.note
        ),
        Deal.KeyEventRecorded: lambda e: deals_pb2.DealKeyEventRecorded(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id), kind=e.kind, stage=e.stage, source=e.source, ref=e.ref
        ),
        Deal.ProcessMigrated: _migrated,  # type: ignore[attr-defined]
        Deal.CloseDatePlanned: lambda e: deals_pb2.DealCloseDatePlanned(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            previous=e.previous.isoformat() if e.previous else "",
            close_date=e.close_date.isoformat(),
            slipped=e.slipped,
            reason=getattr(e, "reason", ""),
        ),
        Deal.AmountChanged: lambda e: deals_pb2.DealAmountChanged(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            previous=money_to_proto(e.previous),
            amount=money_to_proto(e.amount),
            reason=getattr(e, "reason", ""),
        ),
        Deal.ForecastCategoryChanged: lambda e: deals_pb2.DealForecastCategoryChanged(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            previous=e.previous,
            category=e.category,
            reason=getattr(e, "reason", ""),
        ),
        Deal.ClosedWithoutDecision: lambda e: deals_pb2.DealClosedWithoutDecision(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id), note=e.note
        ),
        Deal.NextStepAgreed: lambda e: deals_pb2.DealNextStepAgreed(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            step_id=e.step_id,
            description=e.description,
            owner=e.owner,
            due_at=timestamp(e.due_at),
        ),
        Deal.NextStepDone: lambda e: deals_pb2.DealNextStepDone(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id), step_id=e.step_id
        ),
        Deal.NextStepRescheduled: lambda e: deals_pb2.DealNextStepRescheduled(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            step_id=e.step_id,
            previous=timestamp(e.previous),
            due_at=timestamp(e.due_at),
            reason=e.reason,
        ),
        Deal.NextStepOverdue: lambda e: deals_pb2.DealNextStepOverdue(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id), step_id=e.step_id, due_at=timestamp(e.due_at)
        ),
        Deal.ActivityLogged: lambda e: deals_pb2.DealActivityLogged(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            kind=e.kind,
            at=timestamp(e.at),
            summary=e.summary,
            stakeholder_id=e.stakeholder_id,
            duration_seconds=e.duration_seconds,
            rep_talk_ratio=e.rep_talk_ratio,
            source=e.source,
            ref=e.ref,
        ),
        Deal.BlockerRaised: lambda e: deals_pb2.DealBlockerRaised(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            blocker_id=e.blocker_id,
            description=e.description,
            open_blockers=e.open_blockers,
        ),
        Deal.BlockerResolved: lambda e: deals_pb2.DealBlockerResolved(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id), blocker_id=e.blocker_id, resolution=e.resolution
        ),
        Deal.CustomerQuestionAsked: lambda e: deals_pb2.DealCustomerQuestionAsked(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            question_id=e.question_id,
            text=e.text,
            asked_at=timestamp(e.asked_at),
        ),
        Deal.CustomerQuestionAnswered: lambda e: deals_pb2.DealCustomerQuestionAnswered(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            question_id=e.question_id,
            answered_at=timestamp(e.answered_at),
        ),
        AccountRelationship.LevelChanged: lambda e: deals_pb2.AccountRelationshipLevelChanged(  # type: ignore[attr-defined]
            account=e.account, previous=e.previous, level=e.level
        ),
        AccountRelationship.QuadrantChanged: lambda e: deals_pb2.AccountQuadrantChanged(  # type: ignore[attr-defined]
            account=e.account,
            relationship=e.relationship,
            potential=e.potential,
            strategy=e.strategy,
        ),
        Deal.MeddicUpdated: lambda e: deals_pb2.DealMeddicUpdated(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            element=e.element,
            value=e.value,
            completeness=e.completeness,
        ),
        Deal.StakeholderAdded: lambda e: deals_pb2.DealStakeholderAdded(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            stakeholder_id=e.stakeholder_id,
            name=e.name,
            level=e.level,
            department=e.department,
            role=e.role,
            attitude=e.attitude,
            phone=e.phone,
        ),
        Deal.StakeholderErased: lambda e: deals_pb2.DealStakeholderErased(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id), stakeholder_id=e.stakeholder_id, reason=e.reason
        ),
        Deal.StakeholderChanged: lambda e: deals_pb2.DealStakeholderChanged(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id),
            stakeholder_id=e.stakeholder_id,
            role=e.role,
            attitude=e.attitude,
            note=e.note,
        ),
        Deal.StakeholderContacted: lambda e: deals_pb2.DealStakeholderContacted(  # type: ignore[attr-defined]
            deal_id=str(e.originator_id), stakeholder_id=e.stakeholder_id, channel=e.channel
        ),
        Deal.Opened: _opened,  # type: ignore[attr-defined]
        Deal.StageAdvanced: _advanced,  # type: ignore[attr-defined]
        Deal.Won: _won,  # type: ignore[attr-defined]
        Deal.Lost: _lost,  # type: ignore[attr-defined]
    },
)
