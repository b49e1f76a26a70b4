"""The next-step clock. (Activities, blockers, questions, next steps and the forecast are
commands of the catalog: ``domain/commands.py``.)"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from eventsourcing.utils import get_topic

from kernel.domain import command_context, current_context
from services.deals.application.buyers import BuyerUseCases
from services.deals.domain import commands
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
                    self.dispatch(
                        commands.MarkNextStepOverdue(deal_id=deal_id, step_id=step_id, now=now),
                        idempotency_key=f"overdue:{deal_id}:{step_id}:{due_at.isoformat()}",
                    )
                flagged.append(f"{deal_id}/{step_id}")
        return flagged
