"""The Deal aggregate: opened from a converted lead, advanced stage by stage, won or lost.

A deal keeps the pipeline it was opened under, so a later change of the company's
pipeline does not rewrite open deals.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from kernel.domain import ERASED, L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation
from services.deals.domain.decision_map import Attitude, BuyerRole, Level, coverage
from services.deals.domain.pipeline import Pipeline
from services.deals.domain.qualification import MEDDIC, Qualification, meddic_completeness

_DEAL_FOR_LEAD = uuid.UUID("0b7a6a0e-54c4-4b43-8d0b-3d1f2f3f6c11")


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    NO_DECISION = "no_decision"


class ForecastCategory(StrEnum):
    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"


class LossReason(StrEnum):
    COMPETITOR = "competitor"
    CUSTOMER = "customer"  # budget cut, project cancelled, ...
    OUR_SIDE = "our_side"  # product gap, price, delivery
    NO_DECISION = "no_decision"


class Deal(L2CAggregate):
    @staticmethod
    def create_id(lead_id: uuid.UUID) -> uuid.UUID:
        """One deal per converted lead: its id follows from the lead's."""
        return uuid.uuid5(_DEAL_FOR_LEAD, str(lead_id))

    @classmethod
    def open(
        cls,
        lead_id: uuid.UUID,
        name: str,
        amount: Money,
        owner_id: str,
        company: str,
        pipeline: Pipeline,
        qualification: Qualification | None = None,
        team: str = "",
    ) -> Deal:
        """Open a deal, if it passes the process's qualification gate (BANT or BANTCC)."""
        if not name.strip():
            raise InvalidCommand("a deal needs a name")
        if not amount.is_positive:
            raise InvalidCommand(f"a deal's amount must be positive, got {amount}")
        qualification = qualification or Qualification()
        missing = qualification.missing(pipeline.qualification)
        if missing:
            raise RuleViolation(
                f"a {pipeline.id} deal needs {pipeline.qualification}; missing: "
                f"{', '.join(missing)}"
            )
        return cls(
            lead_id=lead_id,
            name=name.strip(),
            amount=amount,
            owner_id=owner_id,
            company=company,
            pipeline=pipeline.as_data(),
            qualification=qualification.as_data(),
            team=team,
        )

    @event("Opened")
    def __init__(
        self,
        lead_id: uuid.UUID,
        name: str,
        amount: Money,
        owner_id: str,
        company: str,
        pipeline: dict[str, Any],
        qualification: dict[str, str],
        team: str = "",  # recorded since access scopes (earlier deals have none)
    ) -> None:
        self.lead_id = lead_id
        self.team = team
        self.qualification = qualification
        self.meddic: dict[str, str] = {}
        self.stakeholders: dict[str, dict[str, Any]] = {}
        self.close_date: date | None = None
        self.forecast_category = ForecastCategory.PIPELINE.value
        self.next_steps: dict[str, dict[str, Any]] = {}
        self.activities = 0
        self.blockers: dict[str, bool] = {}  # id -> resolved
        self.questions: dict[str, datetime | None] = {}  # id -> answered at
        self.name = name
        self.amount = amount
        self.owner_id = owner_id
        self.company = company
        self.pipeline = pipeline
        self.stage = Pipeline.from_data(pipeline).first.name
        self.status = DealStatus.OPEN
        self.loss_reason = ""
        self.actions_done: list[str] = []
        self.key_events: list[str] = []

    @property
    def pipeline_definition(self) -> Pipeline:
        return Pipeline.from_data(self.pipeline)

    @property
    def win_probability_percent(self) -> int:
        if self.status is DealStatus.WON:
            return 100
        if self.status in (DealStatus.LOST, DealStatus.NO_DECISION):
            return 0
        pipeline = self.pipeline_definition
        return pipeline.stages[pipeline.index_of(self.stage)].win_probability_percent

    # -- forecast ----------------------------------------------------------------------

    def plan_close(self, close_date: date, reason: str = "") -> None:
        """Every change is an event, so slipped close dates can be counted; moving the
        date later (a slip) needs a reason, which the event records."""
        self._check_open("change its close date")
        if close_date != self.close_date:
            slipped = bool(self.close_date and close_date > self.close_date)
            if slipped:
                _require_reason(reason, f"moving the close date later than {self.close_date}")
            self._close_date_planned(
                previous=self.close_date,
                close_date=close_date,
                slipped=slipped,
                reason=reason.strip(),
            )

    @event("CloseDatePlanned")
    def _close_date_planned(
        self, previous: date | None, close_date: date, slipped: bool, reason: str = ""
    ) -> None:
        self.close_date = close_date

    def change_amount(self, amount: Money, reason: str = "") -> None:
        """The deal's amount moves the forecast: a change needs a reason."""
        self._check_open("change its amount")
        if amount.currency != self.amount.currency:
            raise InvalidCommand(f"deal {self.id} is in {self.amount.currency}")
        if not amount.is_positive:
            raise InvalidCommand(f"a deal's amount must be positive, got {amount}")
        if amount != self.amount:
            _require_reason(reason, f"changing the amount from {self.amount} to {amount}")
            self._amount_changed(previous=self.amount, amount=amount, reason=reason.strip())

    @event("AmountChanged")
    def _amount_changed(self, previous: Money, amount: Money, reason: str = "") -> None:
        self.amount = amount

    def categorise(self, category: str, reason: str = "") -> None:
        """The forecast category a manager commits to: a change needs a reason."""
        self._check_open("change its forecast category")
        value = _choice(ForecastCategory, category, "forecast category")
        if value != self.forecast_category:
            _require_reason(
                reason, f"changing the forecast category from {self.forecast_category} to {value}"
            )
            self._forecast_category_changed(
                previous=self.forecast_category, category=value, reason=reason.strip()
            )

    @event("ForecastCategoryChanged")
    def _forecast_category_changed(self, previous: str, category: str, reason: str = "") -> None:
        self.forecast_category = category

    # -- next steps --------------------------------------------------------------------

    def agree_next_step(self, step_id: str, description: str, owner: str, due_at: datetime) -> None:
        """Every agreed next step is a to-do with an owner and a due date."""
        if step_id in self.next_steps:
            raise RuleViolation(f"next step {step_id!r} already exists on deal {self.id}")
        if not description.strip() or not owner.strip():
            raise InvalidCommand("a next step needs a description and an owner")
        if due_at.tzinfo is None:
            raise InvalidCommand("a due date must carry a time zone")
        self._next_step_agreed(
            step_id=step_id, description=description.strip(), owner=owner.strip(), due_at=due_at
        )

    @event("NextStepAgreed")
    def _next_step_agreed(
        self, step_id: str, description: str, owner: str, due_at: datetime
    ) -> None:
        self.next_steps[step_id] = {
            "step_id": step_id,
            "description": description,
            "owner": owner,
            "due_at": due_at,
            "state": "open",
        }

    def complete_next_step(self, step_id: str) -> None:
        step = self._open_step(step_id)
        self._next_step_done(step_id=step["step_id"])

    @event("NextStepDone")
    def _next_step_done(self, step_id: str) -> None:
        self.next_steps[step_id]["state"] = "done"

    def reschedule_next_step(self, step_id: str, due_at: datetime, reason: str) -> None:
        step = self._open_step(step_id)
        if not reason.strip():
            raise InvalidCommand("say why the next step moves")
        self._next_step_rescheduled(
            step_id=step_id, previous=step["due_at"], due_at=due_at, reason=reason.strip()
        )

    @event("NextStepRescheduled")
    def _next_step_rescheduled(
        self, step_id: str, previous: datetime, due_at: datetime, reason: str
    ) -> None:
        self.next_steps[step_id].update(due_at=due_at, state="open")

    def overdue_steps(self, now: datetime) -> list[tuple[str, datetime]]:
        """(step, due) of every open step past due at ``now``, earliest first."""
        return sorted(
            (
                (s["step_id"], s["due_at"])
                for s in self.next_steps.values()
                if s["state"] == "open" and s["due_at"] <= now
            ),
            key=lambda x: x[1],
        )

    def mark_overdue(self, step_id: str, now: datetime) -> bool:
        step = self.next_steps.get(step_id)
        if step is None or step["state"] != "open" or step["due_at"] > now:
            return False
        self._next_step_overdue(step_id=step_id, due_at=step["due_at"])
        return True

    @event("NextStepOverdue")
    def _next_step_overdue(self, step_id: str, due_at: datetime) -> None:
        self.next_steps[step_id]["state"] = "overdue"

    def _open_step(self, step_id: str) -> dict[str, Any]:
        step = self.next_steps.get(step_id)
        if step is None:
            raise InvalidCommand(f"no next step {step_id!r} on deal {self.id}")
        if step["state"] == "done":
            raise RuleViolation(f"next step {step_id!r} is done")
        return step

    # -- activities, blockers and customer questions -------------------------------------

    def log_activity(
        self,
        kind: str,
        at: datetime,
        summary: str = "",
        stakeholder_id: str = "",
        duration_seconds: int = 0,
        rep_talk_ratio: float | None = None,
        source: str = "rep",
        ref: str = "",
    ) -> None:
        if kind not in ("visit", "call", "meeting", "email", "im"):
            raise InvalidCommand(f"activity {kind!r} is not one of visit, call, meeting, email, im")
        if at.tzinfo is None:
            raise InvalidCommand("an activity's time must carry a time zone")
        if rep_talk_ratio is not None and not 0 <= rep_talk_ratio <= 1:
            raise InvalidCommand("the rep's talk ratio is a share between 0 and 1")
        if stakeholder_id:
            self._stakeholder(stakeholder_id)
        self._activity_logged(
            kind=kind,
            at=at,
            summary=summary,
            stakeholder_id=stakeholder_id,
            duration_seconds=duration_seconds,
            rep_talk_ratio=rep_talk_ratio if rep_talk_ratio is not None else -1.0,
            source=source,
            ref=ref,
        )

    @event("ActivityLogged")
    def _activity_logged(
        self,
        kind: str,
        at: datetime,
        summary: str,
        stakeholder_id: str,
        duration_seconds: int,
        rep_talk_ratio: float,
        source: str,
        ref: str,
    ) -> None:
        self.activities += 1
        if stakeholder_id:
            self.stakeholders[stakeholder_id]["contacted"] = True

    def raise_blocker(self, blocker_id: str, description: str) -> None:
        """A stuck point on the deal (the 4th open one calls for a manager's review)."""
        if blocker_id in self.blockers:
            raise RuleViolation(f"blocker {blocker_id!r} is already recorded")
        self._blocker_raised(
            blocker_id=blocker_id,
            description=description.strip(),
            open_blockers=self.open_blockers + 1,
        )

    @event("BlockerRaised")
    def _blocker_raised(self, blocker_id: str, description: str, open_blockers: int) -> None:
        self.blockers[blocker_id] = False

    def resolve_blocker(self, blocker_id: str, resolution: str) -> None:
        if self.blockers.get(blocker_id) is not False:
            raise InvalidCommand(f"no open blocker {blocker_id!r} on deal {self.id}")
        self._blocker_resolved(blocker_id=blocker_id, resolution=resolution.strip())

    @event("BlockerResolved")
    def _blocker_resolved(self, blocker_id: str, resolution: str) -> None:
        self.blockers[blocker_id] = True

    @property
    def open_blockers(self) -> int:
        return sum(1 for resolved in self.blockers.values() if not resolved)

    def ask_question(self, question_id: str, text: str, asked_at: datetime) -> None:
        if question_id in self.questions:
            raise RuleViolation(f"question {question_id!r} is already recorded")
        self._question_asked(question_id=question_id, text=text.strip(), asked_at=asked_at)

    @event("CustomerQuestionAsked")
    def _question_asked(self, question_id: str, text: str, asked_at: datetime) -> None:
        self.questions[question_id] = None

    def answer_question(self, question_id: str, answered_at: datetime) -> None:
        if question_id not in self.questions or self.questions[question_id] is not None:
            raise InvalidCommand(f"no open question {question_id!r} on deal {self.id}")
        self._question_answered(question_id=question_id, answered_at=answered_at)

    @event("CustomerQuestionAnswered")
    def _question_answered(self, question_id: str, answered_at: datetime) -> None:
        self.questions[question_id] = answered_at

    # -- MEDDIC and the decision map ---------------------------------------------------

    def update_meddic(self, values: dict[str, str]) -> None:
        unknown = sorted(set(values) - set(MEDDIC))
        if unknown:
            raise InvalidCommand(f"not MEDDIC elements: {unknown}; they are {', '.join(MEDDIC)}")
        for name in MEDDIC:
            if name in values and values[name].strip() != self.meddic.get(name, ""):
                after = {**self.meddic, name: values[name].strip()}
                self._meddic_updated(
                    element=name,
                    value=values[name].strip(),
                    completeness=meddic_completeness(after),
                )

    @event("MeddicUpdated")
    def _meddic_updated(self, element: str, value: str, completeness: float) -> None:
        self.meddic[element] = value

    @property
    def meddic_completeness(self) -> float:
        return meddic_completeness(self.meddic)

    def add_stakeholder(
        self,
        stakeholder_id: str,
        name: str,
        level: str,
        department: str,
        role: str,
        attitude: str,
        phone: str = "",
    ) -> None:
        if stakeholder_id in self.stakeholders:
            raise RuleViolation(f"stakeholder {stakeholder_id!r} is already on the map")
        if not name.strip():
            raise InvalidCommand("a stakeholder needs a name")
        self._stakeholder_added(
            stakeholder_id=stakeholder_id,
            name=name.strip(),
            level=_choice(Level, level, "level"),
            department=department.strip(),
            role=_choice(BuyerRole, role, "role"),
            attitude=_choice(Attitude, attitude, "attitude"),
            phone=phone.strip(),
        )

    @event("StakeholderAdded")
    def _stakeholder_added(
        self,
        stakeholder_id: str,
        name: str,
        level: str,
        department: str,
        role: str,
        attitude: str,
        phone: str,
    ) -> None:
        self.stakeholders[stakeholder_id] = {
            "stakeholder_id": stakeholder_id,
            "name": name,
            "level": level,
            "department": department,
            "role": role,
            "attitude": attitude,
            "phone": phone,
            "contacted": False,
        }

    def change_stakeholder(
        self, stakeholder_id: str, *, role: str = "", attitude: str = "", note: str = ""
    ) -> None:
        current = self._stakeholder(stakeholder_id)
        new_role = _choice(BuyerRole, role, "role") if role else current["role"]
        new_attitude = _choice(Attitude, attitude, "attitude") if attitude else current["attitude"]
        if (new_role, new_attitude) != (current["role"], current["attitude"]):
            self._stakeholder_changed(
                stakeholder_id=stakeholder_id, role=new_role, attitude=new_attitude, note=note
            )

    @event("StakeholderChanged")
    def _stakeholder_changed(
        self, stakeholder_id: str, role: str, attitude: str, note: str
    ) -> None:
        self.stakeholders[stakeholder_id].update(role=role, attitude=attitude)

    def record_contact(self, stakeholder_id: str, channel: str) -> None:
        self._stakeholder(stakeholder_id)
        self._stakeholder_contacted(stakeholder_id=stakeholder_id, channel=channel)

    @event("StakeholderContacted")
    def _stakeholder_contacted(self, stakeholder_id: str, channel: str) -> None:
        self.stakeholders[stakeholder_id]["contacted"] = True

    def erase_stakeholder(self, stakeholder_id: str, reason: str) -> bool:
        """The stakeholder asked to be forgotten: their name and phone read ERASED from now
        on and the service destroys the key that sealed them; the map keeps their role,
        level and attitude. False: already erased."""
        current = self._stakeholder(stakeholder_id)
        if not reason.strip():
            raise InvalidCommand("an erasure needs a reason (the request or the legal ground)")
        if current.get("erased"):
            return False
        self._stakeholder_erased(stakeholder_id=stakeholder_id, reason=reason.strip())
        return True

    @event("StakeholderErased")
    def _stakeholder_erased(self, stakeholder_id: str, reason: str) -> None:
        self.stakeholders[stakeholder_id].update(name=ERASED, phone=ERASED, erased=True)

    def _stakeholder(self, stakeholder_id: str) -> dict[str, Any]:
        if stakeholder_id not in self.stakeholders:
            raise InvalidCommand(f"no stakeholder {stakeholder_id!r} on deal {self.id}")
        return self.stakeholders[stakeholder_id]

    @property
    def coverage(self) -> dict[str, Any]:
        return coverage(self.stakeholders)

    # -- the process ---------------------------------------------------------------------

    def complete_action(self, action: str, note: str = "") -> None:
        """A standard action (exit criterion) of the process is done."""
        self._check_open("record actions")
        known = sorted({a for s in self.pipeline_definition.stages for a in s.exit_criteria})
        if action not in known:
            raise InvalidCommand(
                f"{action!r} is not a standard action of process "
                f"{self.pipeline_definition.id!r}; its actions are {', '.join(known)}"
            )
        if action not in self.actions_done:
            self._action_completed(stage=self.stage, action=action, note=note)

    @event("ActionCompleted")
    def _action_completed(self, stage: str, action: str, note: str) -> None:
        self.actions_done.append(action)

    def record_key_event(self, kind: str, source: str, ref: str = "") -> None:
        """A key event of the sales conversation (customer approval, price objection, ...)."""
        self._check_open("record key events")
        if not re.match(r"^[a-z][a-z0-9_]{0,39}$", kind):
            raise InvalidCommand(f"key event {kind!r} must be a lowercase identifier")
        self._key_event_recorded(kind=kind, stage=self.stage, source=source, ref=ref)

    @event("KeyEventRecorded")
    def _key_event_recorded(self, kind: str, stage: str, source: str, ref: str) -> None:
        if kind not in self.key_events:
            self.key_events.append(kind)

    def advance_to(self, stage_name: str, override_by: str = "", override_reason: str = "") -> None:
        """Move forward. Every stage left behind must have its exit criteria and key events,
        unless a manager overrides (the event records who, why and what was missing)."""
        self._check_open("advance")
        pipeline = self.pipeline_definition
        target = pipeline.index_of(stage_name)
        if target <= pipeline.index_of(self.stage):
            raise RuleViolation(
                f"deal {self.id} is in {self.stage!r}; it can only advance to a later stage "
                "(move it back instead)"
            )
        missing = pipeline.missing_to_leave(
            self.stage, stage_name, set(self.actions_done), set(self.key_events)
        )
        if missing and not override_by:
            raise RuleViolation(
                f"deal {self.id} cannot leave {self.stage!r} yet; missing: {'; '.join(missing)}"
            )
        if missing and not override_reason.strip():
            raise InvalidCommand("a manager's override needs a reason")
        self._stage_advanced(
            from_stage=self.stage,
            to_stage=stage_name,
            win_probability_percent=pipeline.stages[target].win_probability_percent,
            overridden_by=override_by if missing else "",
            override_reason=override_reason.strip() if missing else "",
            missing=missing,
        )

    def move_back_to(self, stage_name: str, reason: str) -> None:
        self._check_open("move back")
        pipeline = self.pipeline_definition
        if pipeline.index_of(stage_name) >= pipeline.index_of(self.stage):
            raise RuleViolation(
                f"deal {self.id} is in {self.stage!r}; {stage_name!r} is not an earlier stage"
            )
        if not reason.strip():
            raise InvalidCommand("say why the deal moves back (loss reviews read it)")
        self._stage_moved_back(
            from_stage=self.stage,
            to_stage=stage_name,
            reason=reason.strip(),
            win_probability_percent=pipeline.stage(stage_name).win_probability_percent,
        )

    @event("StageMovedBack")
    def _stage_moved_back(
        self, from_stage: str, to_stage: str, reason: str, win_probability_percent: int
    ) -> None:
        self.stage = to_stage

    def migrate_to(self, process: Pipeline) -> bool:
        """Follow a newer version (or another process): keep the stage if it still exists,
        else start from the first; False when the deal already follows it."""
        self._check_open("migrate")
        current = self.pipeline_definition
        if (process.id, process.version) == (current.id, current.version):
            return False
        names = [s.name for s in process.stages]
        stage = self.stage if self.stage in names else process.first.name
        self._process_migrated(
            from_process=current.id,
            from_version=current.version,
            pipeline=process.as_data(),
            stage=stage,
        )
        return True

    @event("ProcessMigrated")
    def _process_migrated(
        self, from_process: str, from_version: int, pipeline: dict[str, Any], stage: str
    ) -> None:
        self.pipeline = pipeline
        self.stage = stage

    def win(self, amount: Money | None = None, reason: str = "") -> None:
        """Won at the deal's amount, or at another one with a reason (recorded as an
        amount change, then the win, both with the reason)."""
        self._check_open("be won")
        if amount is not None and amount != self.amount:
            self.change_amount(amount, reason)
        self._won(
            amount=self.amount, lead_id=self.lead_id, company=self.company, reason=reason.strip()
        )

    def lose(self, reason: str, competitor: str = "", note: str = "") -> None:
        self._check_open("be lost")
        try:
            why = LossReason(reason)
        except ValueError:
            raise InvalidCommand(
                f"loss reason {reason!r} is not one of {', '.join(r.value for r in LossReason)}"
            ) from None
        if why is LossReason.COMPETITOR and not competitor.strip():
            raise InvalidCommand("a deal lost to a competitor must name the competitor")
        self._lost(reason=why.value, competitor=competitor.strip(), note=note)

    def close_without_decision(self, note: str) -> None:
        self._check_open("be closed")
        self._no_decision(note=note.strip())

    @event("ClosedWithoutDecision")
    def _no_decision(self, note: str) -> None:
        self.status = DealStatus.NO_DECISION

    def _check_open(self, action: str) -> None:
        if self.status is not DealStatus.OPEN:
            raise RuleViolation(f"deal {self.id} is {self.status.value}; it cannot {action}")

    @event("StageAdvanced")
    def _stage_advanced(
        self,
        from_stage: str,
        to_stage: str,
        win_probability_percent: int,
        overridden_by: str,
        override_reason: str,
        missing: list[str],
    ) -> None:
        self.stage = to_stage

    @event("Won")
    def _won(self, amount: Money, lead_id: uuid.UUID, company: str, reason: str = "") -> None:
        self.status = DealStatus.WON

    @event("Lost")
    def _lost(self, reason: str, competitor: str, note: str) -> None:
        self.status = DealStatus.LOST
        self.loss_reason = reason


def _choice(kind: Any, value: str, what: str) -> str:
    names = [m.name.lower() for m in kind] if kind is Level else [m.value for m in kind]
    if value.lower() not in names:
        raise InvalidCommand(f"{what} {value!r} is not one of {', '.join(names)}")
    return value.lower()


REASON_MAX = 500


def _require_reason(reason: str, change: str) -> None:
    """Changes that move money or a forecast say why (the event keeps it for the audit)."""
    if not reason.strip():
        raise InvalidCommand(f"{change} needs a reason")
    if len(reason) > REASON_MAX:
        raise InvalidCommand(f"a reason is at most {REASON_MAX} characters")
