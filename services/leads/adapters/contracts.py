"""Leads-context events -> protobuf payloads on l2c.leads.v1."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from l2c.v1 import leads_pb2

from kernel.contracts import EventContracts, money_to_proto, rule_set_contracts, timestamp
from services.leads.domain.account import Account
from services.leads.domain.campaign import Campaign
from services.leads.domain.lead import Lead


def _captured(e: Any) -> Message:
    return leads_pb2.LeadCaptured(
        lead_id=str(e.originator_id),
        full_name=e.full_name,
        email=e.email,
        company=e.company,
        phone=e.phone,
        source=e.source,
        campaign_id=e.campaign_id,
        website=e.website,
        job_title=e.job_title,
        region=e.region,
        product_interest=e.product_interest,
        external_ref=e.external_ref,
    )


def _duplicate_flagged(e: Any) -> Message:
    return leads_pb2.LeadDuplicateFlagged(
        lead_id=str(e.originator_id),
        matches=[leads_pb2.DuplicateMatch(**m) for m in e.matches],
    )


def _converted(e: Any) -> Message:
    return leads_pb2.LeadConverted(
        lead_id=str(e.originator_id),
        deal_name=e.deal_name,
        expected_amount=money_to_proto(e.expected_amount),
        owner_id=e.owner_id,
        company=e.company,
        source=e.source,
        campaign_id=e.campaign_id,
        qualification=leads_pb2.Qualification(**e.qualification),
        process_id=e.process_id,
        team=getattr(e, "team", ""),
    )


def _campaign_launched(e: Any) -> Message:
    return leads_pb2.CampaignLaunched(
        campaign_id=e.slug,
        name=e.name,
        channel_type=e.channel_type,
        cost=money_to_proto(e.cost),
        starts_on=e.starts_on.isoformat(),
        ends_on=e.ends_on.isoformat(),
    )


def _id(e: Any) -> str:
    return str(e.originator_id)


def _scored(e: Any) -> Message:
    return leads_pb2.LeadScored(
        lead_id=_id(e),
        total=e.total,
        grade=e.grade,
        temperature=e.temperature,
        rule_set_version=e.rule_set_version,
        as_of=timestamp(e.as_of),
        contributions=[leads_pb2.ScoreContribution(**c) for c in e.contributions],
    )


LEAD_CONTRACTS = EventContracts(
    "leads",
    {
        **rule_set_contracts(),
        Lead.EngagementRecorded: lambda e: leads_pb2.LeadEngagementRecorded(  # type: ignore[attr-defined]
            lead_id=_id(e), kind=e.kind, occurred_at=timestamp(e.occurred_at), ref=e.ref
        ),
        Lead.Enriched: lambda e: leads_pb2.LeadEnriched(  # type: ignore[attr-defined]
            lead_id=_id(e),
            industry=e.industry,
            company_size=e.company_size,
            headcount=e.headcount,
            region=e.region,
            provider=e.provider,
        ),
        Lead.EnrichmentFailed: lambda e: leads_pb2.LeadEnrichmentFailed(  # type: ignore[attr-defined]
            lead_id=_id(e), reason=e.reason, attempts=e.attempts, retryable=e.retryable
        ),
        Lead.Scored: _scored,  # type: ignore[attr-defined]
        Lead.EnteredNurture: lambda e: leads_pb2.LeadEnteredNurture(  # type: ignore[attr-defined]
            lead_id=_id(e), pool=e.pool, reason=e.reason
        ),
        Lead.Requalified: lambda e: leads_pb2.LeadRequalified(  # type: ignore[attr-defined]
            lead_id=_id(e), from_pool=e.pool, reason=e.reason
        ),
        Lead.Captured: _captured,  # type: ignore[attr-defined]
        Lead.DuplicateFlagged: _duplicate_flagged,  # type: ignore[attr-defined]
        Lead.Merged: lambda e: leads_pb2.LeadMerged(  # type: ignore[attr-defined]
            lead_id=_id(e), survivor_id=str(e.survivor_id), previous_status=e.previous_status
        ),
        Lead.AbsorbedDuplicate: lambda e: leads_pb2.LeadAbsorbedDuplicate(  # type: ignore[attr-defined]
            lead_id=_id(e), duplicate_id=str(e.duplicate_id)
        ),
        Lead.MergeUndone: lambda e: leads_pb2.LeadMergeUndone(  # type: ignore[attr-defined]
            lead_id=_id(e), survivor_id=str(e.survivor_id), restored_status=e.restored_status
        ),
        Lead.AbsorptionUndone: lambda e: leads_pb2.LeadAbsorptionUndone(  # type: ignore[attr-defined]
            lead_id=_id(e), duplicate_id=str(e.duplicate_id)
        ),
        Lead.MarketingQualified: lambda e: leads_pb2.LeadMarketingQualified(  # type: ignore[attr-defined]
            lead_id=_id(e), note=e.note
        ),
        Lead.SalesAccepted: lambda e: leads_pb2.LeadSalesAccepted(  # type: ignore[attr-defined]
            lead_id=_id(e), note=e.note, campaign_id=e.campaign_id, source=e.source
        ),
        Lead.SalesRejected: lambda e: leads_pb2.LeadSalesRejected(  # type: ignore[attr-defined]
            lead_id=_id(e), reason=e.reason, note=e.note, campaign_id=e.campaign_id, source=e.source
        ),
        Lead.Converted: _converted,  # type: ignore[attr-defined]
        Lead.PersonalDataErased: lambda e: leads_pb2.LeadPersonalDataErased(  # type: ignore[attr-defined]
            lead_id=_id(e), reason=e.reason
        ),
        Lead.Routed: lambda e: leads_pb2.LeadRouted(  # type: ignore[attr-defined]
            lead_id=_id(e),
            team=e.team,
            rep=e.rep,
            reason=e.reason,
            deadline_at=timestamp(e.deadline_at),
            grade=e.grade,
        ),
        Lead.QueuedForManualRouting: lambda e: leads_pb2.LeadQueuedForManualRouting(  # type: ignore[attr-defined]
            lead_id=_id(e), team=e.team, reason=e.reason
        ),
        Lead.AssignmentRejected: lambda e: leads_pb2.LeadAssignmentRejected(  # type: ignore[attr-defined]
            lead_id=_id(e), rep=e.rep, team=e.team, reason=e.reason
        ),
        Lead.ReturnedToNurture: lambda e: leads_pb2.LeadReturnedToNurture(  # type: ignore[attr-defined]
            lead_id=_id(e), rep=e.rep, pool=e.pool, reason=e.reason
        ),
        Lead.SpeedToLeadMissed: lambda e: leads_pb2.LeadSpeedToLeadMissed(  # type: ignore[attr-defined]
            lead_id=_id(e), rep=e.rep, team=e.team, deadline_at=timestamp(e.deadline_at)
        ),
        Account.TerritoryAssigned: lambda e: leads_pb2.AccountTerritoryAssigned(  # type: ignore[attr-defined]
            account_id=_id(e),
            territory=e.territory,
            owner=e.owner,
            public_pool_after_days=e.public_pool_after_days,
            rules_version=e.rules_version,
        ),
        Account.Visited: lambda e: leads_pb2.AccountVisited(  # type: ignore[attr-defined]
            account_id=_id(e), rep=e.rep, at=timestamp(e.at)
        ),
        Account.ReturnedToPublicPool: lambda e: leads_pb2.AccountReturnedToPublicPool(  # type: ignore[attr-defined]
            account_id=_id(e),
            previous_owner=e.previous_owner,
            due_at=timestamp(e.due_at),
            days_without_visit=e.days_without_visit,
        ),
        Account.Claimed: lambda e: leads_pb2.AccountClaimed(  # type: ignore[attr-defined]
            account_id=_id(e), rep=e.rep
        ),
        Campaign.Launched: _campaign_launched,  # type: ignore[attr-defined]
        Campaign.CostRecorded: lambda e: leads_pb2.CampaignCostRecorded(  # type: ignore[attr-defined]
            campaign_id=e.slug, cost=money_to_proto(e.cost)
        ),
        Account.Registered: lambda e: leads_pb2.AccountRegistered(  # type: ignore[attr-defined]
            account_id=_id(e), name=e.name, domain=e.domain, region=e.region, industry=e.industry
        ),
    },
)
