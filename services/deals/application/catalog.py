"""The deals service's command catalog: every command, the deal it changes, its handler,
the route it is offered on and its policy facts. The HTTP routes and their OpenAPI are
made from it (``kernel.command_routes``); policies send the same messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.commands import Catalog, Command, Facts, Route
from kernel.rule_commands import publish_rules_command
from services.deals.application.deal_commands import (
    add_stakeholder,
    destroy_stakeholder_key,
    erase_stakeholder,
    migrate_deal,
    open_deal,
)
from services.deals.application.relationship_commands import assess_relationship
from services.deals.application.views import DealState, RelationshipView, deal_state
from services.deals.domain import commands as c
from services.deals.domain.deal import Deal
from services.deals.domain.relationship import AccountRelationship

DEALS = Catalog("deals", answer=deal_state, response_model=DealState)
REPS = ("rep", "manager")


def _deal(
    name: str,
    message: type[Command],
    handler: Callable[[Deal, Any], object],
    route: Route | None,
    roles: tuple[str, ...] = REPS,
    **facts: bool,
) -> None:
    """A command that changes one deal, named by its ``deal_id``."""
    DEALS.command(
        name,
        message,
        Deal,
        "deal_id",
        handler=handler,
        route=route,
        facts=Facts(roles=roles, **facts),
    )


# Activities, blockers and questions
_deal(
    "log_activity",
    c.LogActivity,
    c.log_activity,
    Route(
        "POST",
        "/deals/{deal_id}/activities",
        201,
        ("activities",),
        "A rep's visit, call, meeting or email",
        "ActivityRequest",
    ),
    backdated=True,
)
_deal(
    "record_call",
    c.RecordCall,
    c.record_call,
    None,
    roles=("telephony",),
    backdated=True,
    external_id=True,
)
_deal(
    "raise_blocker",
    c.RaiseBlocker,
    c.raise_blocker,
    Route("POST", "/deals/{deal_id}/blockers", 201, ("activities",), body_name="BlockerRequest"),
)
_deal(
    "resolve_blocker",
    c.ResolveBlocker,
    c.resolve_blocker,
    Route(
        "POST",
        "/deals/{deal_id}/blockers/{blocker_id}/resolve",
        200,
        ("activities",),
        body_name="ResolutionRequest",
    ),
)
_deal(
    "ask_question",
    c.AskQuestion,
    c.ask_question,
    Route(
        "POST",
        "/deals/{deal_id}/questions",
        201,
        ("activities",),
        "A customer question, and when it was asked",
        "QuestionRequest",
    ),
    backdated=True,
)
_deal(
    "answer_question",
    c.AnswerQuestion,
    c.answer_question,
    Route(
        "POST",
        "/deals/{deal_id}/questions/{question_id}/answer",
        200,
        ("activities",),
        body_name="AnswerRequest",
    ),
    backdated=True,
)
# Next steps and the forecast
_deal(
    "mark_next_step_overdue",
    c.MarkNextStepOverdue,
    c.mark_next_step_overdue,
    None,
    roles=("policy",),
)
_deal(
    "agree_next_step",
    c.AgreeNextStep,
    c.agree_next_step,
    Route("POST", "/deals/{deal_id}/next-steps", 201, ("next steps",), body_name="NextStepRequest"),
)
_deal(
    "complete_next_step",
    c.CompleteNextStep,
    c.complete_next_step,
    Route("POST", "/deals/{deal_id}/next-steps/{step_id}/done", 200, ("next steps",)),
)
_deal(
    "reschedule_next_step",
    c.RescheduleNextStep,
    c.reschedule_next_step,
    Route(
        "POST",
        "/deals/{deal_id}/next-steps/{step_id}/reschedule",
        200,
        ("next steps",),
        body_name="RescheduleRequest",
    ),
    reason_required=True,
)
_deal(
    "plan_close",
    c.PlanClose,
    c.plan_close,
    Route(
        "PUT",
        "/deals/{deal_id}/forecast",
        200,
        ("forecast",),
        "Close date, amount, forecast category (each change an event)",
        "ForecastRequest",
    ),
)

# Qualification and the decision map
_deal(
    "update_meddic",
    c.UpdateMeddic,
    c.update_meddic,
    Route(
        "PUT",
        "/deals/{deal_id}/meddic",
        200,
        ("qualification",),
        "Set MEDDIC elements (only those sent change)",
        "MeddicRequest",
    ),
)
DEALS.command(
    "add_stakeholder",
    c.AddStakeholder,
    Deal,
    "deal_id",
    use_case=add_stakeholder,
    route=Route(
        "POST",
        "/deals/{deal_id}/stakeholders",
        201,
        ("decision map",),
        body_name="StakeholderRequest",
    ),
    facts=Facts(roles=REPS),
)
DEALS.command(
    "erase_stakeholder",
    c.EraseStakeholder,
    Deal,
    "deal_id",
    use_case=erase_stakeholder,
    after=destroy_stakeholder_key,
    route=Route(
        "POST",
        "/deals/{deal_id}/stakeholders/{stakeholder_id}/erasure",
        200,
        ("privacy",),
        "Erase a stakeholder as a person (crypto-shredding)",
        "ErasureRequest",
    ),
    facts=Facts(roles=("manager", "admin"), reason_required=True),
)
_deal(
    "change_stakeholder",
    c.ChangeStakeholder,
    c.change_stakeholder,
    Route(
        "PATCH",
        "/deals/{deal_id}/stakeholders/{stakeholder_id}",
        200,
        ("decision map",),
        "A stakeholder's role or attitude changed",
        "StakeholderChange",
    ),
)
_deal(
    "record_contact",
    c.RecordContact,
    c.record_contact,
    Route(
        "POST",
        "/deals/{deal_id}/stakeholders/{stakeholder_id}/contacts",
        200,
        ("decision map",),
        body_name="ContactRequest",
    ),
)

# The sales process and closing
_deal(
    "advance_deal",
    c.AdvanceDeal,
    c.advance_deal,
    Route("POST", "/deals/{deal_id}/advance", body_name="AdvanceRequest"),
)
_deal(
    "move_deal_back",
    c.MoveDealBack,
    c.move_deal_back,
    Route(
        "POST",
        "/deals/{deal_id}/move-back",
        summary="Move the deal to an earlier stage, saying why",
        body_name="MoveBackRequest",
    ),
    reason_required=True,
)
_deal(
    "complete_action",
    c.CompleteAction,
    c.complete_action,
    Route(
        "POST",
        "/deals/{deal_id}/actions",
        summary="A standard action (exit criterion) of the deal's process is done",
        body_name="ActionRequest",
    ),
)
_deal(
    "record_key_event",
    c.RecordKeyEvent,
    c.record_key_event,
    Route(
        "POST",
        "/deals/{deal_id}/key-events",
        summary="Record a key event of the sales conversation",
        body_name="KeyEventRequest",
    ),
    roles=(*REPS, "telephony"),
    external_id=True,
)
DEALS.command(
    "migrate_deal",
    c.MigrateDeal,
    Deal,
    "deal_id",
    use_case=migrate_deal,
    route=Route(
        "POST",
        "/deals/{deal_id}/migrate",
        summary="Move the deal onto the current version of a process",
        body_name="MigrateRequest",
    ),
    facts=Facts(roles=("manager",)),
)
_deal("win_deal", c.WinDeal, c.win_deal, Route("POST", "/deals/{deal_id}/win"))
_deal(
    "lose_deal",
    c.LoseDeal,
    c.lose_deal,
    Route("POST", "/deals/{deal_id}/lose", body_name="LoseRequest"),
    reason_required=True,
)
_deal(
    "close_without_decision",
    c.CloseWithoutDecision,
    c.close_without_decision,
    Route(
        "POST",
        "/deals/{deal_id}/no-decision",
        summary="Close the deal: the customer decided nothing",
        body_name="NoDecisionRequest",
    ),
)

# Accounts and the sales processes
DEALS.command(
    "assess_relationship",
    c.AssessRelationship,
    AccountRelationship,
    "",
    use_case=assess_relationship,
    route=Route(
        "PUT",
        "/relationships/{account}",
        200,
        ("accounts",),
        "Relationship level and customer quadrant (relationship x potential)",
        "RelationshipRequest",
    ),
    facts=Facts(roles=REPS),
    answer=lambda held: held.view(),
    response_model=RelationshipView,
    retries=2,
)
publish_rules_command(
    DEALS,
    "processes",
    lambda app: app.processes,
    "/rules/processes",
    ("processes",),
    "Publish a new version of the processes (open deals keep theirs)",
)

# Opening: only the lead-converted policy opens deals
DEALS.command(
    "open_deal",
    c.OpenDealForLead,
    Deal,
    "",
    use_case=open_deal,
    facts=Facts(roles=("policy",)),
    retries=0,
)
