"""Lead events -> protobuf payloads on l2c.leads.v1."""

from __future__ import annotations

from l2c.v1 import leads_pb2

from kernel.contracts import EventContracts, money_to_proto
from services.leads.domain.lead import Lead


def _captured(e: Lead.Captured) -> leads_pb2.LeadCaptured:  # type: ignore[name-defined]
    return leads_pb2.LeadCaptured(
        lead_id=str(e.originator_id),
        full_name=e.full_name,
        email=e.email,
        company=e.company,
        phone=e.phone,
        source=e.source,
        campaign_id=e.campaign_id,
    )


def _mql(e: Lead.MarketingQualified) -> leads_pb2.LeadMarketingQualified:  # type: ignore[name-defined]
    return leads_pb2.LeadMarketingQualified(lead_id=str(e.originator_id), note=e.note)


def _sql(e: Lead.SalesAccepted) -> leads_pb2.LeadSalesAccepted:  # type: ignore[name-defined]
    return leads_pb2.LeadSalesAccepted(lead_id=str(e.originator_id), note=e.note)


def _converted(e: Lead.Converted) -> leads_pb2.LeadConverted:  # type: ignore[name-defined]
    return leads_pb2.LeadConverted(
        lead_id=str(e.originator_id),
        deal_name=e.deal_name,
        expected_amount=money_to_proto(e.expected_amount),
        owner_id=e.owner_id,
        company=e.company,
        source=e.source,
        campaign_id=e.campaign_id,
    )


LEAD_CONTRACTS = EventContracts(
    "leads",
    {
        Lead.Captured: _captured,  # type: ignore[attr-defined]
        Lead.MarketingQualified: _mql,  # type: ignore[attr-defined]
        Lead.SalesAccepted: _sql,  # type: ignore[attr-defined]
        Lead.Converted: _converted,  # type: ignore[attr-defined]
    },
)
