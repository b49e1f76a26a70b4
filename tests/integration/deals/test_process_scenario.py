"""Scenario: a few hundred generated deals run through the two shipped processes by reps who
sometimes skip steps (and get overridden), move back, win, lose or stall; every deal's event
stream is then checked against its process."""

from __future__ import annotations

import collections
import random
import uuid
from pathlib import Path

from kernel.domain import Money
from kernel.errors import RuleViolation
from kernel.settings import Settings
from services.deals.application import DealsApplication
from services.deals.domain.commands import (
    AdvanceDeal,
    CloseWithoutDecision,
    CompleteAction,
    LoseDeal,
    MoveDealBack,
    Override,
    RecordKeyEvent,
    WinDeal,
)
from services.deals.domain.deal import Deal
from services.deals.domain.qualification import Qualification

DEALS = 300
FULL = Qualification(
    budget="b", authority="a", need="n", timeline="t", company_situation="c", competitors="x"
)


def run_deal(app: DealsApplication, rng: random.Random, process_id: str) -> uuid.UUID:
    deal_id = uuid.UUID(
        str(
            app.open_deal_for_lead(
                lead_id=uuid.uuid4(),
                name="Deal",
                amount=Money.of(rng.randint(5, 500) * 1000, "EUR"),
                owner_id=f"rep-{rng.randint(1, 9)}",
                company="Acme",
                process_id=process_id,
                qualification=FULL,
            )["deal_id"]
        )
    )
    stages = app.process(process_id).stages
    position = 0
    while position < len(stages) - 1 and rng.random() < 0.85:
        stage = stages[position]
        for action in stage.exit_criteria:
            if rng.random() < 0.9:
                app.dispatch(CompleteAction(deal_id=deal_id, action=action))
        for kind in stage.required_key_events:
            if rng.random() < 0.8:
                app.dispatch(
                    RecordKeyEvent(deal_id=deal_id, kind=kind, source="conversation_intelligence")
                )
        target = stages[position + 1].name
        try:
            app.dispatch(AdvanceDeal(deal_id=deal_id, stage=target))
        except RuleViolation:
            if rng.random() < 0.5:
                app.dispatch(
                    AdvanceDeal(
                        deal_id=deal_id,
                        stage=target,
                        override=Override(by="manager-kim", reason="customer pushed the timeline"),
                    )
                )
            else:
                break
        position += 1
        if position > 1 and rng.random() < 0.1:
            app.dispatch(
                MoveDealBack(
                    deal_id=deal_id, stage=stages[position - 1].name, reason="champion left"
                )
            )
            position -= 1
    roll = rng.random()
    if roll < 0.4:
        app.dispatch(WinDeal(deal_id=deal_id))
    elif roll < 0.7:
        app.dispatch(LoseDeal(deal_id=deal_id, reason="competitor", competitor="Rival GmbH"))
    elif roll < 0.8:
        app.dispatch(CloseWithoutDecision(deal_id=deal_id, note="budget frozen"))
    return deal_id


def test_hundreds_of_deals_through_two_processes_leave_consistent_event_streams(
    tmp_path: Path,
) -> None:
    app = DealsApplication(Settings(data_dir=tmp_path))
    rng = random.Random(11)
    deals = {
        run_deal(app, rng, process): process
        for process in ("simple-product-sale", "solution-sale") * (DEALS // 2)
    }
    assert len(deals) == DEALS
    outcomes: collections.Counter[str] = collections.Counter()
    overrides = moves_back = 0
    for deal_id, process_id in deals.items():
        process = app.process(process_id)
        events = app.history(Deal, deal_id)
        assert [e.originator_version for e in events] == list(range(len(events)))
        assert type(events[0]).__name__ == "Opened"
        done: set[str] = set()
        key_events: set[str] = set()
        stage = process.first.name
        for event in events[1:]:
            name = type(event).__name__
            if name == "ActionCompleted":
                done.add(event.action)
            elif name == "KeyEventRecorded":
                key_events.add(event.kind)
            elif name == "StageAdvanced":
                assert event.from_stage == stage
                missing = process.missing_to_leave(stage, event.to_stage, done, key_events)
                assert event.missing == missing
                assert bool(event.overridden_by) == bool(missing)
                overrides += bool(missing)
                assert (
                    event.win_probability_percent
                    == process.stage(event.to_stage).win_probability_percent
                )
                stage = event.to_stage
            elif name == "StageMovedBack":
                assert process.index_of(event.to_stage) < process.index_of(stage)
                moves_back += 1
                stage = event.to_stage
        deal = app.get_deal(deal_id)
        assert deal.stage == stage
        outcomes[deal.status.value] += 1
    assert sum(outcomes.values()) == DEALS
    assert set(outcomes) == {"open", "won", "lost", "no_decision"}
    assert overrides > 0 and moves_back > 0
