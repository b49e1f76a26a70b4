"""The next-step clock. (Activities, blockers, questions, next steps and the forecast are
commands of the catalog: ``domain/commands.py``.)"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from eventsourcing.utils import get_topic

from kernel.domain import command_context, current_context
from services.deals.application.buyers import BuyerUseCases
from services.deals.application.views import deal_state
from services.deals.domain.deal import Deal


class ActivityUseCases(BuyerUseCases):
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
