"""Activities, blockers, customer questions, next steps and the forecast."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime

from eventsourcing.utils import get_topic

from kernel.domain import Money, command_context, current_context
from kernel.store import Result
from services.deals.application.buyers import BuyerUseCases
from services.deals.application.views import deal_state
from services.deals.domain.deal import Deal


class ActivityUseCases(BuyerUseCases):
    def log_activity(
        self,
        deal_id: uuid.UUID,
        *,
        kind: str,
        at: datetime,
        summary: str = "",
        stakeholder_id: str = "",
        duration_seconds: int = 0,
        rep_talk_ratio: float | None = None,
        source: str = "rep",
        ref: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "log_activity",
            Deal,
            deal_id,
            lambda deal: deal.log_activity(
                kind, at, summary, stakeholder_id, duration_seconds, rep_talk_ratio, source, ref
            ),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[kind, at, summary, stakeholder_id, duration_seconds, rep_talk_ratio, ref],
        )

    def raise_blocker(
        self,
        deal_id: uuid.UUID,
        blocker_id: str,
        description: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "raise_blocker",
            Deal,
            deal_id,
            lambda deal: deal.raise_blocker(blocker_id, description),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[blocker_id, description],
        )

    def resolve_blocker(
        self,
        deal_id: uuid.UUID,
        blocker_id: str,
        resolution: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "resolve_blocker",
            Deal,
            deal_id,
            lambda deal: deal.resolve_blocker(blocker_id, resolution),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[blocker_id, resolution],
        )

    def ask_question(
        self,
        deal_id: uuid.UUID,
        question_id: str,
        text: str,
        asked_at: datetime,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "ask_question",
            Deal,
            deal_id,
            lambda deal: deal.ask_question(question_id, text, asked_at),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[question_id, text, asked_at],
        )

    def answer_question(
        self,
        deal_id: uuid.UUID,
        question_id: str,
        answered_at: datetime,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "answer_question",
            Deal,
            deal_id,
            lambda deal: deal.answer_question(question_id, answered_at),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[question_id, answered_at],
        )

    def plan_close(
        self,
        deal_id: uuid.UUID,
        *,
        close_date: date | None = None,
        amount: Money | None = None,
        category: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        """Close date, amount and forecast category, each change its own event."""

        def change(deal: Deal) -> None:
            if close_date is not None:
                deal.plan_close(close_date)
            if amount is not None:
                deal.change_amount(amount)
            if category:
                deal.categorise(category)

        return self.update(
            "plan_close",
            Deal,
            deal_id,
            change,
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[close_date, str(amount), category],
        )

    def agree_next_step(
        self,
        deal_id: uuid.UUID,
        *,
        step_id: str,
        description: str,
        owner: str,
        due_at: datetime,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "agree_next_step",
            Deal,
            deal_id,
            lambda deal: deal.agree_next_step(step_id, description, owner, due_at),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[step_id, description, owner, due_at],
        )

    def complete_next_step(
        self,
        deal_id: uuid.UUID,
        step_id: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "complete_next_step",
            Deal,
            deal_id,
            lambda deal: deal.complete_next_step(step_id),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[step_id],
        )

    def reschedule_next_step(
        self,
        deal_id: uuid.UUID,
        step_id: str,
        due_at: datetime,
        reason: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "reschedule_next_step",
            Deal,
            deal_id,
            lambda deal: deal.reschedule_next_step(step_id, due_at, reason),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[step_id, due_at, reason],
        )

    def flag_overdue_next_steps(self, now: datetime) -> list[str]:
        """The next-step clock: each open step past due gets an overdue event dated at its due
        time. Deals are found from the log's next-step events."""
        topics = [get_topic(Deal.NextStepAgreed), get_topic(Deal.NextStepRescheduled)]  # type: ignore[attr-defined]
        deal_ids = {
            uuid.UUID(str(n.originator_id))
            for n in self.recorder.select_notifications(1, 1_000_000, topics=topics)
        }
        flagged = []
        for deal_id in deal_ids:
            for step_id, due_at in self.get_deal(deal_id).overdue_steps(now):
                with command_context(
                    replace(
                        current_context(),
                        occurred_at=due_at,
                        actor_id="deals.next-step-clock",
                        actor_kind="policy",
                    )
                ):
                    self._mark_overdue(deal_id, step_id, due_at, now)
                flagged.append(f"{deal_id}/{step_id}")
        return flagged

    def _mark_overdue(
        self, deal_id: uuid.UUID, step_id: str, due_at: datetime, now: datetime
    ) -> None:
        def change(deal: Deal) -> None:
            deal.mark_overdue(step_id, now)

        self.update(
            "mark_overdue",
            Deal,
            deal_id,
            change,
            deal_state,
            idempotency_key=f"overdue:{deal_id}:{step_id}:{due_at.isoformat()}",
        )
