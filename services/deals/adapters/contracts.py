"""Deal events -> protobuf payloads on l2c.deals.v1."""

from __future__ import annotations

from datetime import datetime

from l2c.v1 import deals_pb2

from kernel.contracts import EventContracts, money_to_proto, timestamp
from services.deals.domain.deal import Deal
from services.deals.domain.pipeline import Pipeline


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
    )


def _advanced(e: Deal.StageAdvanced) -> deals_pb2.DealStageAdvanced:  # type: ignore[name-defined]
    return deals_pb2.DealStageAdvanced(
        deal_id=str(e.originator_id),
        from_stage=e.from_stage,
        to_stage=e.to_stage,
        win_probability_percent=e.win_probability_percent,
    )


def _won(e: Deal.Won) -> deals_pb2.DealWon:  # type: ignore[name-defined]
    return deals_pb2.DealWon(
        deal_id=str(e.originator_id),
        amount=money_to_proto(e.amount),
        company=e.company,
        lead_id=str(e.lead_id),
        closed_at=timestamp(datetime.fromisoformat(e.metadata["occurred_at"])),
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
        Deal.Opened: _opened,  # type: ignore[attr-defined]
        Deal.StageAdvanced: _advanced,  # type: ignore[attr-defined]
        Deal.Won: _won,  # type: ignore[attr-defined]
        Deal.Lost: _lost,  # type: ignore[attr-defined]
    },
)
