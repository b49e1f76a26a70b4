"""Use cases of the deals service."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from kernel.domain import Money, command_context, current_context
from kernel.errors import InvalidCommand, NotFound, RuleViolation
from kernel.rules import RuleCatalog
from kernel.settings import Settings
from kernel.store import Result, ServiceApplication, fingerprint_of
from services.deals.adapters.pipeline_config import ProcessesSchema
from services.deals.domain.contacts import ContactPhone, normalise_phone
from services.deals.domain.deal import Deal, DealStatus
from services.deals.domain.pipeline import Pipeline
from services.deals.domain.qualification import Qualification
from services.deals.domain.relationship import AccountRelationship

CONFIG_DIR = Path(__file__).resolve().parent / "config"


class DealsApplication(ServiceApplication):
    name = "deals"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.processes = RuleCatalog(
            self, "processes", ProcessesSchema, CONFIG_DIR / "processes.json"
        )
        self.processes.ensure_published()

    def process(self, process_id: str = "") -> Pipeline:
        """A sales process as currently defined (the default one when none is named)."""
        version, schema = self.processes.current()
        found = schema.process(process_id or schema.default_process, version)
        if found is None:
            known = ", ".join(p.id for p in schema.processes)
            raise InvalidCommand(f"no sales process {process_id!r}; processes are {known}")
        return found

    def open_deal_for_lead(
        self,
        *,
        lead_id: uuid.UUID,
        name: str,
        amount: Money,
        owner_id: str,
        company: str,
        process_id: str = "",
        qualification: Qualification | None = None,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[Deal], Result]:
            if self.exists(Deal.create_id(lead_id)):
                raise RuleViolation(f"lead {lead_id} already has a deal")
            deal = Deal.open(
                lead_id, name, amount, owner_id, company, self.process(process_id), qualification
            )
            return [deal], deal_state(deal)

        return self.execute(
            "open_deal",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of(
                "open", lead_id, name, str(amount), owner_id, company, process_id, qualification
            ),
        )

    def complete_action(
        self,
        deal_id: uuid.UUID,
        action: str,
        note: str = "",
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "complete_action",
            Deal,
            deal_id,
            lambda deal: deal.complete_action(action, note),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[action, note],
        )

    def record_key_event(
        self,
        deal_id: uuid.UUID,
        kind: str,
        source: str,
        ref: str = "",
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "record_key_event",
            Deal,
            deal_id,
            lambda deal: deal.record_key_event(kind, source, ref),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[kind, source, ref],
        )

    def advance_deal(
        self,
        deal_id: uuid.UUID,
        stage: str,
        *,
        override_by: str = "",
        override_reason: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "advance_deal",
            Deal,
            deal_id,
            lambda deal: deal.advance_to(stage, override_by, override_reason),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stage, override_by, override_reason],
        )

    def move_deal_back(
        self,
        deal_id: uuid.UUID,
        stage: str,
        reason: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "move_deal_back",
            Deal,
            deal_id,
            lambda deal: deal.move_back_to(stage, reason),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stage, reason],
        )

    def migrate_deal(
        self,
        deal_id: uuid.UUID,
        process_id: str = "",
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        """Move a deal onto the current version of its process (or another process)."""

        def change(deal: Deal) -> None:
            deal.migrate_to(self.process(process_id or deal.pipeline_definition.id))

        return self.update(
            "migrate_deal",
            Deal,
            deal_id,
            change,
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[process_id],
        )

    def update_meddic(
        self,
        deal_id: uuid.UUID,
        values: dict[str, str],
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "update_meddic",
            Deal,
            deal_id,
            lambda deal: deal.update_meddic(values),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[values],
        )

    def add_stakeholder(
        self,
        deal_id: uuid.UUID,
        *,
        stakeholder_id: str,
        name: str,
        level: str,
        department: str,
        role: str,
        attitude: str,
        phone: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def decide() -> tuple[list[Any], Result]:
            deal = self.load(Deal, deal_id, expected_version)
            deal.add_stakeholder(stakeholder_id, name, level, department, role, attitude, phone)
            linked = self._link_phone(phone, deal_id) if phone else []
            return [deal, *linked], deal_state(deal)

        return self.execute(
            "add_stakeholder",
            decide,
            idempotency_key=idempotency_key,
            retries=2 if expected_version is None else 0,
            fingerprint=fingerprint_of(
                "add_stakeholder",
                deal_id,
                stakeholder_id,
                name,
                level,
                department,
                role,
                attitude,
                phone,
            ),
        )

    def _link_phone(self, phone: str, deal_id: uuid.UUID) -> list[ContactPhone]:
        number = normalise_phone(phone)
        try:
            contact: ContactPhone = self.repository.get(ContactPhone.create_id(number))
        except AggregateNotFoundError:
            return [ContactPhone(number=number, deal_id=deal_id)]
        contact.link(deal_id)
        return [contact]

    def deal_for_contact(self, phone: str) -> uuid.UUID:
        """The one open deal a contact's number belongs to (refused when none or several)."""
        number = normalise_phone(phone)
        try:
            contact: ContactPhone = self.repository.get(ContactPhone.create_id(number))
        except AggregateNotFoundError:
            raise NotFound(f"no deal has a stakeholder with number {number}") from None
        open_deals = [d for d in contact.deal_ids if self.get_deal(d).status is DealStatus.OPEN]
        if len(open_deals) != 1:
            raise InvalidCommand(
                f"number {number} belongs to {len(open_deals)} open deals; "
                "the message must name the deal"
            )
        return open_deals[0]

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

    def change_stakeholder(
        self,
        deal_id: uuid.UUID,
        stakeholder_id: str,
        *,
        role: str = "",
        attitude: str = "",
        note: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "change_stakeholder",
            Deal,
            deal_id,
            lambda deal: deal.change_stakeholder(
                stakeholder_id, role=role, attitude=attitude, note=note
            ),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stakeholder_id, role, attitude, note],
        )

    def record_contact(
        self,
        deal_id: uuid.UUID,
        stakeholder_id: str,
        channel: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "record_contact",
            Deal,
            deal_id,
            lambda deal: deal.record_contact(stakeholder_id, channel),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stakeholder_id, channel],
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

    def close_without_decision(
        self,
        deal_id: uuid.UUID,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "close_without_decision",
            Deal,
            deal_id,
            lambda deal: deal.close_without_decision(note),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[note],
        )

    def assess_relationship(
        self,
        account: str,
        *,
        level: str = "",
        relationship: str = "",
        potential: str = "",
        idempotency_key: str | None = None,
    ) -> Result:
        """Relationship level and customer quadrant of an account (created on first use)."""

        def decide() -> tuple[list[AccountRelationship], Result]:
            try:
                held: AccountRelationship = self.repository.get(
                    AccountRelationship.create_id(account)
                )
            except AggregateNotFoundError:
                if not account.strip():
                    raise InvalidCommand("name the account") from None
                held = AccountRelationship(account=account)
            held.assess(level, relationship, potential)
            return [held], held.view()

        return self.execute(
            "assess_relationship",
            decide,
            idempotency_key=idempotency_key,
            retries=2,
            fingerprint=fingerprint_of("relationship", account, level, relationship, potential),
        )

    def relationship_of(self, account: str) -> dict[str, str]:
        return self.load(AccountRelationship, AccountRelationship.create_id(account)).view()

    def win_deal(
        self,
        deal_id: uuid.UUID,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "win_deal",
            Deal,
            deal_id,
            lambda deal: deal.win(),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
        )

    def lose_deal(
        self,
        deal_id: uuid.UUID,
        *,
        reason: str,
        competitor: str = "",
        note: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "lose_deal",
            Deal,
            deal_id,
            lambda deal: deal.lose(reason, competitor, note),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[reason, competitor, note],
        )

    def get_deal(self, deal_id: uuid.UUID) -> Deal:
        return self.load(Deal, deal_id)

    def deal_id_for_lead(self, lead_id: uuid.UUID) -> uuid.UUID:
        return Deal.create_id(lead_id)


def deal_state(deal: Deal) -> dict[str, Any]:
    process = deal.pipeline_definition
    return {
        "deal_id": str(deal.id),
        "status": deal.status.value,
        "stage": deal.stage,
        "win_probability_percent": deal.win_probability_percent,
        "process": {"id": process.id, "version": process.version},
        "actions_done": list(deal.actions_done),
        "key_events": list(deal.key_events),
        "meddic_completeness": deal.meddic_completeness,
        "close_date": deal.close_date.isoformat() if deal.close_date else None,
        "amount": str(deal.amount.amount),
        "forecast_category": deal.forecast_category,
        "activities": deal.activities,
        "open_blockers": deal.open_blockers,
        "next_steps": [{**s, "due_at": s["due_at"].isoformat()} for s in deal.next_steps.values()],
        "version": deal.version,
    }
