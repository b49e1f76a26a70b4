"""The worker's projection keeps the kinds that grow with the business on its store (the
shelf) and only a bounded cache of them in memory; its breaches, records and every read
model are the same as those of a projection that holds everything."""

from __future__ import annotations

import contextlib
from pathlib import Path

from devenv.quarter import Quarter
from kernel.contracts import ContractError
from services.insights.adapters.codec import decode
from services.insights.adapters.config import load_rules, load_settings
from services.insights.adapters.store import ReadModelStore
from services.insights.domain.engine import Engine
from services.insights.domain.events import Event, week_start
from services.insights.domain.reports import comparable_records
from services.insights.domain.state import SHELVED, Projection
from services.insights.entrypoints.queries import QUERIES, answer
from tests.integration.insights.test_quarter import ticks

CACHE = 25
PARAMS = {"campaigns/reverse-funnel": {"target": "1000000"}}


def quarter_events() -> list[Event]:
    quarter = Quarter()
    assert quarter.expected.first_deal_at is not None
    records = sorted(
        [*quarter.records, *ticks(week_start(quarter.expected.first_deal_at))],
        key=lambda r: r.at,
    )
    events = []
    for r in records:
        with contextlib.suppress(ContractError):  # the quarter's broken records
            events.append(decode(r.topic, r.value))
    return events


def test_a_shelved_projection_answers_as_one_that_holds_everything(tmp_path: Path) -> None:
    rules, settings = load_rules(), load_settings()
    events = quarter_events()
    whole = Projection()
    whole_engine = Engine(whole, rules, settings)
    store = ReadModelStore(tmp_path / "rm.sqlite3")
    shelved = store.load(cached=CACHE)
    shelved_engine = Engine(shelved, rules, settings)

    def held_beyond_resident() -> int:
        return shelved.in_memory - sum(len(records) for records in shelved.records.values())

    most_held = 0
    for n, event in enumerate(events):
        expected = whole_engine.handle(event)
        assert shelved_engine.handle(event) == expected, (n, event.type)
        if n % 200 == 199:
            store.commit(shelved)
            most_held = max(most_held, held_beyond_resident())
    store.commit(shelved)

    # In memory: the resident kinds and at most CACHE shelved records, however many leads.
    assert not set(shelved.records) & SHELVED
    assert held_beyond_resident() <= CACHE and most_held <= CACHE
    assert len(whole.all("lead")) > 20 * CACHE
    assert len(shelved.all("lead")) == len(whole.all("lead"))

    assert comparable_records(shelved) == comparable_records(whole)
    # The breach logs too (they depend on the watermark, which both engines share here).
    logged = sorted(whole.all("breach_log"))
    assert logged and {k: shelved.get("breach_log", k) for k in logged} == {
        k: whole.get("breach_log", k) for k in logged
    }
    kind, subject = logged[0].split(":", 1)
    asked = {**PARAMS, "breaches/history": {f"{kind}_id": subject}}
    with store.reading() as frozen:
        assert frozen.frozen and not set(frozen.records) & SHELVED
        for name in QUERIES:
            params = asked.get(name, {})
            expected_answer = answer(name, params, whole, rules, settings)
            assert answer(name, params, frozen, rules, settings) == expected_answer, name
            assert answer(name, params, shelved, rules, settings) == expected_answer, name

    # One order's reconciliation follows the shelf's indexes: it walks no kind and loads
    # none of the worker's bookkeeping, and answers as the whole projection does.
    orders = sorted(whole.all("order"))[:5]
    assert orders
    for order_id in orders:
        with store.reading() as frozen:
            mine = answer("reconciliation", {"order_id": order_id}, frozen, rules, settings)
            assert mine == answer("reconciliation", {"order_id": order_id}, whole, rules, settings)
            assert [row["order_id"] for row in mine["orders"]] == [order_id]
            assert frozen.indexed == set() and not {"announced", "due"} & set(frozen.records)

    # Reopened, the store gives the same projection back.
    store.close()
    again = ReadModelStore(tmp_path / "rm.sqlite3")
    assert comparable_records(again.load(cached=CACHE)) == comparable_records(whole)
    again.close()
