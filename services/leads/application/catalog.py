"""The leads service's command catalog: every command, the lead it changes, how it is
carried out, the route it is offered on and its policy facts. The HTTP routes and their
OpenAPI are made from it (``kernel.command_routes``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.commands import Catalog, Command, Facts, Route
from kernel.rule_commands import publish_rules_command
from kernel.store import Result
from services.leads.application import account_commands, campaign_commands, lead_commands
from services.leads.application.views import (
    AccountAnswer,
    CampaignAnswer,
    CaptureAccepted,
    CommandAccepted,
    MergeAnswer,
    RoutedAnswer,
    UnmergeAnswer,
    account_view,
    campaign_view,
    lead_view,
    routed_view,
    scored_view,
)
from services.leads.domain import commands as c
from services.leads.domain.account import Account
from services.leads.domain.campaign import Campaign
from services.leads.domain.lead import Lead

LEADS = Catalog("leads")
MARKETING, SALES = ("marketing", "manager"), ("rep", "manager")


def _lead(
    name: str,
    message: type[Command],
    change: lead_commands.Change,
    answer: Callable[[Lead], Result],
    route: Route | None,
    roles: tuple[str, ...],
    response_model: Any = None,
    **facts: bool,
) -> None:
    """A command on one lead (``lead_id``), routing it when it just qualified."""
    LEADS.command(
        name,
        message,
        Lead,
        "lead_id",
        use_case=lead_commands.lead_use_case(change, answer),
        route=route,
        facts=Facts(roles=roles, **facts),
        answer=answer,
        response_model=response_model,
    )


# Qualification and conversion
_lead(
    "qualify_lead",
    c.QualifyLead,
    lead_commands.qualify,
    routed_view,
    Route(
        "POST",
        "/leads/{lead_id}/qualify",
        200,
        ("leads",),
        "Marketing qualifies the lead (MQL)",
        "NoteRequest",
    ),
    MARKETING,
    CommandAccepted,
)
_lead(
    "accept_lead",
    c.AcceptLead,
    lead_commands.accept,
    lead_view,
    Route(
        "POST",
        "/leads/{lead_id}/accept",
        200,
        ("leads",),
        "Sales accepts the lead (SQL)",
        "AcceptRequest",
    ),
    SALES,
    CommandAccepted,
)
_lead(
    "reject_lead",
    c.RejectLead,
    lead_commands.reject,
    lead_view,
    Route(
        "POST",
        "/leads/{lead_id}/reject",
        200,
        ("leads",),
        "Sales rejects the MQL, with a reason",
        "RejectRequest",
    ),
    SALES,
    CommandAccepted,
    reason_required=True,
)
_lead(
    "convert_lead",
    c.ConvertLead,
    lead_commands.convert,
    lead_view,
    Route(
        "POST",
        "/leads/{lead_id}/convert",
        200,
        ("leads",),
        "Convert the lead; the deals service opens a deal from the event",
        "ConvertLeadRequest",
    ),
    SALES,
    CommandAccepted,
)
# Routing decisions
_lead(
    "reject_assignment",
    c.RejectAssignment,
    lead_commands.reject_assignment,
    routed_view,
    Route(
        "POST",
        "/leads/{lead_id}/assignment/reject",
        200,
        ("routing",),
        "The rep rejects a mismatched lead: it is routed again without them",
        "RepDecision",
    ),
    SALES,
    RoutedAnswer,
    reason_required=True,
)
_lead(
    "return_lead",
    c.ReturnLead,
    lead_commands.return_lead,
    routed_view,
    Route(
        "POST",
        "/leads/{lead_id}/return",
        200,
        ("routing",),
        "The rep returns an immature lead: it goes back to a nurture pool",
        "ReturnRequest",
    ),
    SALES,
    RoutedAnswer,
    reason_required=True,
)
_lead(
    "assign_lead",
    c.AssignLead,
    lead_commands.assign,
    routed_view,
    Route(
        "POST",
        "/leads/{lead_id}/assign",
        200,
        ("routing",),
        "Route a lead by hand (manual queue, or a manager moving it)",
        "AssignRequest",
    ),
    ("manager",),
    RoutedAnswer,
)
# Duplicates
LEADS.command(
    "merge_leads",
    c.MergeLeads,
    Lead,
    "lead_id",
    use_case=lead_commands.merge_leads,
    route=Route(
        "POST",
        "/leads/{lead_id}/merges",
        200,
        ("duplicates",),
        "Merge a duplicate into this lead (both keep their histories)",
        "MergeRequest",
    ),
    facts=Facts(roles=MARKETING),
    answer=lead_view,
    response_model=MergeAnswer,
)
LEADS.command(
    "undo_merge",
    c.UndoMerge,
    Lead,
    "lead_id",
    use_case=lead_commands.undo_merge,
    route=Route(
        "POST",
        "/leads/{lead_id}/unmerge",
        200,
        ("duplicates",),
        "Undo the merge of this lead (compensating events)",
    ),
    facts=Facts(roles=MARKETING),
    answer=lead_view,
    response_model=UnmergeAnswer,
)
LEADS.command(
    "erase_personal_data",
    c.ErasePersonalData,
    Lead,
    "lead_id",
    use_case=lead_commands.erase_personal_data,
    after=lead_commands.destroy_personal_key,
    route=Route(
        "POST",
        "/leads/{lead_id}/erasure",
        200,
        ("privacy",),
        "Erase the person behind this lead (crypto-shredding)",
        "ErasureRequest",
    ),
    facts=Facts(roles=("manager", "admin"), reason_required=True),
    answer=lead_view,
    response_model=CommandAccepted,
)

# Rule sets
publish_rules_command(
    LEADS,
    "routing",
    lambda app: app.routing_rules,
    "/rules/routing",
    ("rules",),
    "Publish a new version of the routing rules (validated; evented)",
)
publish_rules_command(
    LEADS,
    "scoring",
    lambda app: app.scoring_rules,
    "/rules/scoring",
    ("rules",),
    "Publish a new version of the scoring rules (validated; evented)",
)
# Territories: activating them (``activate_territories``) publishes this version, then
# places each account with ``place_account``.
publish_rules_command(
    LEADS, "territories", lambda app: app.territory_rules, "", ("territories",), ""
)

# Accounts
LEADS.command(
    "register_account",
    c.RegisterAccount,
    Account,
    "",
    use_case=account_commands.register_account,
    route=Route(
        "POST", "/accounts", 201, ("accounts",), body_name="AccountRequest", if_match=False
    ),
    facts=Facts(roles=SALES),
    answer=account_view,
    response_model=AccountAnswer,
    retries=3,
)
LEADS.command(
    "record_visit",
    c.RecordVisit,
    Account,
    "account_id",
    handler=c.record_visit,
    route=Route(
        "POST",
        "/accounts/{account_id}/visits",
        200,
        ("accounts",),
        "A rep visited the account (resets its public-pool clock)",
        "VisitRequest",
    ),
    facts=Facts(roles=SALES, backdated=True),
    answer=account_view,
    response_model=AccountAnswer,
)
LEADS.command(
    "claim_account",
    c.ClaimAccount,
    Account,
    "account_id",
    use_case=account_commands.claim_account,
    route=Route(
        "POST",
        "/accounts/{account_id}/claim",
        200,
        ("accounts",),
        "Take an account from the public pool",
        "ClaimRequest",
    ),
    facts=Facts(roles=SALES),
    answer=account_view,
    response_model=AccountAnswer,
)
LEADS.command(
    "place_account",
    c.PlaceAccount,
    Account,
    "account_id",
    use_case=account_commands.place_account,
    facts=Facts(roles=("policy",)),
    answer=account_view,
    response_model=AccountAnswer,
)

# Engagement and campaigns
_lead(
    "record_engagement",
    c.RecordEngagement,
    lead_commands.engage,
    scored_view,
    Route(
        "POST",
        "/leads/{lead_id}/engagements",
        200,
        ("scoring",),
        "Record an engagement signal; the lead is re-scored on event time",
        "EngagementRequest",
    ),
    ("marketing", "rep", "manager", "telephony"),
    RoutedAnswer,
    backdated=True,
    external_id=True,
)
LEADS.command(
    "launch_campaign",
    c.LaunchCampaign,
    Campaign,
    "",
    use_case=campaign_commands.launch_campaign,
    route=Route(
        "POST", "/campaigns", 201, ("campaigns",), body_name="CampaignRequest", if_match=False
    ),
    facts=Facts(roles=MARKETING),
    answer=campaign_view,
    response_model=CampaignAnswer,
)
LEADS.command(
    "record_campaign_cost",
    c.RecordCampaignCost,
    Campaign,
    "",
    use_case=campaign_commands.record_campaign_cost,
    route=Route(
        "PUT", "/campaigns/{campaign_id}/cost", 200, ("campaigns",), body_name="CostRequest"
    ),
    facts=Facts(roles=MARKETING),
    answer=campaign_view,
    response_model=CampaignAnswer,
)

# Capture
LEADS.command(
    "capture_lead",
    c.CaptureLead,
    Lead,
    "",
    use_case=lead_commands.capture_from_form,
    route=Route(
        "POST",
        "/leads",
        201,
        ("leads",),
        "Capture a lead (web form, referral, ...); duplicates are flagged",
        "CaptureLeadRequest",
        if_match=False,
    ),
    facts=Facts(roles=("marketing", "rep", "manager", "web")),
    answer=lead_view,
    response_model=CaptureAccepted,
    retries=3,
)
LEADS.command(
    "register_for_campaign",
    c.RegisterForCampaign,
    Lead,
    "",
    use_case=lead_commands.register_for_campaign,
    route=Route(
        "POST",
        "/campaigns/{campaign_id}/registrations",
        201,
        ("campaigns",),
        "Someone registered for a campaign's event: a lead from channel 'event'",
        "ContactModel",
        if_match=False,
    ),
    facts=Facts(roles=("marketing", "web")),
    answer=lead_view,
    response_model=CaptureAccepted,
    retries=3,
)
LEADS.command(
    "capture",
    c.Capture,
    Lead,
    "",
    use_case=lead_commands.capture,
    facts=Facts(roles=("import", "telephony"), external_id=True),
    answer=lead_view,
    retries=3,
)

# Enrichment: the provider is asked outside the transaction (``enrich_from``), what came of
# it is recorded by one of these
_lead(
    "enrich_lead",
    c.EnrichLead,
    lead_commands.enrich,
    scored_view,
    None,
    ("policy",),
    external_id=True,
)
_lead(
    "record_enrichment_failure",
    c.RecordEnrichmentFailure,
    lead_commands.enrichment_failed,
    scored_view,
    None,
    ("policy",),
)

# The clocks
LEADS.command(
    "flag_missed_deadline",
    c.FlagMissedDeadline,
    Lead,
    "lead_id",
    use_case=lead_commands.flag_missed_deadline,
    facts=Facts(roles=("policy",)),
    answer=lead_view,
)
LEADS.command(
    "return_to_public_pool",
    c.ReturnToPublicPool,
    Account,
    "account_id",
    use_case=account_commands.return_to_public_pool,
    facts=Facts(roles=("policy",)),
    answer=account_view,
    response_model=AccountAnswer,
)
