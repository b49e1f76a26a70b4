"""Aggregates copy deeply: the store hands each command a copy of the aggregate it caches,
so that a refused command leaves the cache as it was. The copy is a pickle round trip,
and the generic deep copy for whatever pickle cannot take."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import kernel.domain
from kernel.store import IdempotencyRecord


def _record() -> IdempotencyRecord:
    return IdempotencyRecord(key="k-1", fingerprint="f", result={"lines": [{"n": 1}]})


def _independent(record: IdempotencyRecord, copied: IdempotencyRecord) -> None:
    assert copied is not record and type(copied) is IdempotencyRecord
    assert (copied.id, copied.version, copied.key, copied.result) == (
        record.id,
        record.version,
        record.key,
        record.result,
    )
    copied.result["lines"][0]["n"] = 2
    assert record.result == {"lines": [{"n": 1}]}
    # Each holds its own pending events.
    assert [type(e).__name__ for e in copied.collect_events()] == ["Recorded"]
    assert [type(e).__name__ for e in record.collect_events()] == ["Recorded"]


def test_a_copy_is_made_by_pickle_and_shares_nothing_mutable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = _record()
    pickled: list[Any] = []
    dumps = kernel.domain.pickle.dumps

    def counted(obj: Any, *args: Any, **kwargs: Any) -> bytes:
        pickled.append(obj)
        return dumps(obj, *args, **kwargs)

    monkeypatch.setattr(kernel.domain.pickle, "dumps", counted)
    copied = copy.deepcopy(record)
    assert pickled == [record]
    _independent(record, copied)


def test_what_pickle_cannot_take_is_copied_the_generic_way() -> None:
    record = _record()
    record.explain = lambda: "not picklable"  # type: ignore[attr-defined]
    copied = copy.deepcopy(record)
    assert copied.explain is record.explain  # type: ignore[attr-defined]
    _independent(record, copied)
