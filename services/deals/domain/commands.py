"""The deals service's commands: what each one says, and what it does to a deal.

Each command is a message (``kernel.commands.Command``) with its validation; each handler
is a plain function ``(deal, command)`` calling the deal's methods, which record the
events. Where a command is offered and who may send it is declared in the catalog
(``application/catalog.py``); nothing here does I/O.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from kernel.commands import Command, EventTime, MoneyModel, PlannedTime
from services.deals.domain.deal import Deal, LossReason
from services.deals.domain.qualification import Qualification

# -- activities, blockers, questions ----------------------------------------------------------


class LogActivity(Command):
    """A rep's visit, call, meeting, email or message."""

    deal_id: uuid.UUID
    kind: str = Field(pattern="^(visit|call|meeting|email|im)$")
    at: EventTime
    summary: str = Field("", max_length=2000)
    stakeholder_id: str = Field("", max_length=64)
    duration_seconds: int = Field(0, ge=0, le=2**32 - 1)  # uint32 on the wire


def log_activity(deal: Deal, c: LogActivity) -> None:
    deal.log_activity(c.kind, c.at, c.summary, c.stakeholder_id, c.duration_seconds)


class RecordCall(Command):
    """A call as telephony recorded it: duration, the rep's share of talk, its call id."""

    deal_id: uuid.UUID
    at: EventTime
    duration_seconds: int = Field(0, ge=0, le=2**32 - 1)
    rep_talk_ratio: float = Field(ge=0, le=1)
    call_id: str = Field(min_length=1, max_length=200)


def record_call(deal: Deal, c: RecordCall) -> None:
    deal.log_activity(
        "call",
        c.at,
        duration_seconds=c.duration_seconds,
        rep_talk_ratio=c.rep_talk_ratio,
        source="telephony",
        ref=f"call:{c.call_id}",
    )


class RaiseBlocker(Command):
    deal_id: uuid.UUID
    blocker_id: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=1000)


def raise_blocker(deal: Deal, c: RaiseBlocker) -> None:
    deal.raise_blocker(c.blocker_id, c.description)


class ResolveBlocker(Command):
    deal_id: uuid.UUID
    blocker_id: str = Field(min_length=1, max_length=64)
    resolution: str = Field(min_length=1, max_length=1000)


def resolve_blocker(deal: Deal, c: ResolveBlocker) -> None:
    deal.resolve_blocker(c.blocker_id, c.resolution)


class AskQuestion(Command):
    """A customer question, and when it was asked."""

    deal_id: uuid.UUID
    question_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    asked_at: EventTime


def ask_question(deal: Deal, c: AskQuestion) -> None:
    deal.ask_question(c.question_id, c.text, c.asked_at)


class AnswerQuestion(Command):
    deal_id: uuid.UUID
    question_id: str = Field(min_length=1, max_length=64)
    answered_at: EventTime


def answer_question(deal: Deal, c: AnswerQuestion) -> None:
    deal.answer_question(c.question_id, c.answered_at)


# -- next steps and the forecast -----------------------------------------------------------


class AgreeNextStep(Command):
    deal_id: uuid.UUID
    step_id: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=500)
    owner: str = Field(min_length=1, max_length=100)
    due_at: PlannedTime


def agree_next_step(deal: Deal, c: AgreeNextStep) -> None:
    deal.agree_next_step(c.step_id, c.description, c.owner, c.due_at)


class CompleteNextStep(Command):
    deal_id: uuid.UUID
    step_id: str = Field(min_length=1, max_length=64)


def complete_next_step(deal: Deal, c: CompleteNextStep) -> None:
    deal.complete_next_step(c.step_id)


class RescheduleNextStep(Command):
    deal_id: uuid.UUID
    step_id: str = Field(min_length=1, max_length=64)
    due_at: PlannedTime
    reason: str = Field(min_length=1, max_length=500)


def reschedule_next_step(deal: Deal, c: RescheduleNextStep) -> None:
    deal.reschedule_next_step(c.step_id, c.due_at, c.reason)


class MarkNextStepOverdue(Command):
    """The next-step clock: an open step is past its due time."""

    deal_id: uuid.UUID
    step_id: str = Field(min_length=1, max_length=64)
    now: datetime


def mark_next_step_overdue(deal: Deal, c: MarkNextStepOverdue) -> None:
    deal.mark_overdue(c.step_id, c.now)


class PlanClose(Command):
    """Close date, amount, forecast category (each change an event). A changed amount, a
    changed category and a close date moved later each need the reason."""

    deal_id: uuid.UUID
    close_date: date | None = None
    amount: MoneyModel | None = None
    forecast_category: str = Field("", description="pipeline, best_case or commit")
    reason: str = Field(
        "",
        max_length=500,
        description="why: required when the amount or category changes or the date slips",
    )


def plan_close(deal: Deal, c: PlanClose) -> None:
    if c.close_date is not None:
        deal.plan_close(c.close_date, c.reason)
    if c.amount is not None:
        deal.change_amount(c.amount.to_domain(), c.reason)
    if c.forecast_category:
        deal.categorise(c.forecast_category, c.reason)


# -- qualification and the decision map ------------------------------------------------------


class UpdateMeddic(Command):
    """Set MEDDIC elements (only those sent change)."""

    deal_id: uuid.UUID
    metrics: str | None = Field(None, max_length=10_000)
    economic_buyer: str | None = Field(None, max_length=10_000)
    decision_criteria: str | None = Field(None, max_length=10_000)
    decision_process: str | None = Field(None, max_length=10_000)
    identified_pain: str | None = Field(None, max_length=10_000)
    champion: str | None = Field(None, max_length=10_000)


def update_meddic(deal: Deal, c: UpdateMeddic) -> None:
    sent = c.model_dump(exclude={"deal_id"}, exclude_none=True)
    deal.update_meddic(sent)


class AddStakeholder(Command):
    deal_id: uuid.UUID
    stakeholder_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    level: str = Field(
        max_length=40, examples=["vp"], description="staff, manager, director, vp, c_level"
    )
    department: str = Field("", max_length=100)
    role: str = Field(max_length=40, examples=["power_sponsor"])
    attitude: str = Field("neutral", max_length=40, examples=["neutral"])
    phone: str = Field("", max_length=40, description="lets telephony find the deal")


def add_stakeholder(deal: Deal, c: AddStakeholder) -> None:
    deal.add_stakeholder(
        c.stakeholder_id, c.name, c.level, c.department, c.role, c.attitude, c.phone
    )


class EraseStakeholder(Command):
    """Forget a stakeholder as a person: their name and phone can no longer be read
    anywhere (their key is destroyed); the decision map keeps their role and attitude."""

    deal_id: uuid.UUID
    stakeholder_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="the request or legal ground (e.g. 'GDPR art. 17 request #4711')",
    )


class ChangeStakeholder(Command):
    """A stakeholder's role or attitude changed."""

    deal_id: uuid.UUID
    stakeholder_id: str = Field(min_length=1, max_length=64)
    role: str = Field("", max_length=40)
    attitude: str = Field("", max_length=40)
    note: str = Field("", max_length=500)


def change_stakeholder(deal: Deal, c: ChangeStakeholder) -> None:
    deal.change_stakeholder(c.stakeholder_id, role=c.role, attitude=c.attitude, note=c.note)


class RecordContact(Command):
    deal_id: uuid.UUID
    stakeholder_id: str = Field(min_length=1, max_length=64)
    channel: str = Field(pattern="^(visit|call|meeting|email|im)$")


def record_contact(deal: Deal, c: RecordContact) -> None:
    deal.record_contact(c.stakeholder_id, c.channel)


# -- the sales process and closing ----------------------------------------------------------


class Override(BaseModel):
    by: str = Field(min_length=1, max_length=100, description="the manager who overrides")
    reason: str = Field(min_length=1, max_length=500)


class AdvanceDeal(Command):
    deal_id: uuid.UUID
    stage: str = Field(min_length=1, max_length=40, examples=["product_understanding"])
    override: Override | None = Field(
        None, description="advance without the exit criteria (recorded with who and why)"
    )


def advance_deal(deal: Deal, c: AdvanceDeal) -> None:
    override = c.override
    deal.advance_to(c.stage, override.by if override else "", override.reason if override else "")


class MoveDealBack(Command):
    """Move the deal to an earlier stage, saying why."""

    deal_id: uuid.UUID
    stage: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=500)


def move_deal_back(deal: Deal, c: MoveDealBack) -> None:
    deal.move_back_to(c.stage, c.reason)


class CompleteAction(Command):
    """A standard action (exit criterion) of the deal's process is done."""

    deal_id: uuid.UUID
    action: str = Field(min_length=1, max_length=60, examples=["need_confirmed"])
    note: str = Field("", max_length=2000)


def complete_action(deal: Deal, c: CompleteAction) -> None:
    deal.complete_action(c.action, c.note)


class RecordKeyEvent(Command):
    """Record a key event of the sales conversation."""

    deal_id: uuid.UUID
    kind: str = Field(min_length=1, max_length=40, examples=["customer_approval"])
    source: str = Field("rep", max_length=40)
    ref: str = Field("", max_length=200)


def record_key_event(deal: Deal, c: RecordKeyEvent) -> None:
    deal.record_key_event(c.kind, c.source, c.ref)


class MigrateDeal(Command):
    """Move the deal onto the current version of a process."""

    deal_id: uuid.UUID
    process_id: str = Field(
        "",
        max_length=64,
        description="another process; empty: the current version of the deal's own",
    )


class WinDeal(Command):
    deal_id: uuid.UUID
    amount: MoneyModel | None = Field(
        None, description="the amount won, when it is not the deal's amount (needs a reason)"
    )
    reason: str = Field("", max_length=500, description="why it was won (or at that amount)")


def win_deal(deal: Deal, c: WinDeal) -> None:
    deal.win(c.amount.to_domain() if c.amount else None, c.reason)


class LoseDeal(Command):
    deal_id: uuid.UUID
    reason: LossReason
    competitor: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


def lose_deal(deal: Deal, c: LoseDeal) -> None:
    deal.lose(c.reason.value, c.competitor, c.note)


class CloseWithoutDecision(Command):
    """Close the deal: the customer decided nothing."""

    deal_id: uuid.UUID
    note: str = Field("", max_length=2000)


def close_without_decision(deal: Deal, c: CloseWithoutDecision) -> None:
    deal.close_without_decision(c.note)


# -- accounts ----------------------------------------------------------------------------------


class AssessRelationship(Command):
    """Relationship level and customer quadrant (relationship x potential)."""

    account: str = Field(min_length=1, max_length=200)
    level: str = Field(
        "",
        max_length=40,
        description="vendor, preferred_vendor, solution_consultant, "
        "strategic_contributor, trusted_partner",
    )
    relationship: str = Field("", max_length=10, description="good or bad")
    potential: str = Field("", max_length=10, description="big or small")


# -- opening -----------------------------------------------------------------------------------


class OpenDealForLead(Command):
    """A converted lead becomes a deal, behind its process's qualification gate."""

    lead_id: uuid.UUID
    name: str = Field(max_length=200)
    amount: MoneyModel
    owner_id: str = Field(max_length=100)
    company: str = Field(max_length=200)
    process_id: str = Field("", max_length=64)
    qualification: Qualification | None = None
    team: str = Field("", max_length=100)
