"""``Prefer: wait=N``: the header's value, and waits that end when an aggregate they
missed is committed (also when the commit lands between the look and the wait)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from kernel.errors import NotFound
from kernel.waiting import MAX_WAIT_SECONDS, Changes, note_missing, parse_prefer, recording_missing


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("wait=5", 5.0),
        ("respond-async, wait=7", 7.0),
        ('wait="3"', 3.0),
        ("WAIT=2; foo=bar", 2.0),
        ("wait=999999", MAX_WAIT_SECONDS),
        ("wait=-1", 0.0),
        ("wait=1.5", 0.0),
        ("wait=abc", 0.0),
        ("wait=" + "9" * 5000, 0.0),
        ("handling=lenient", 0.0),
        ("", 0.0),
        ("\x00wait", 0.0),
    ],
)
def test_the_prefer_header_is_read_leniently(header: str, seconds: float) -> None:
    assert parse_prefer(header) == seconds


def test_a_wait_ends_when_an_id_it_missed_is_committed() -> None:
    changes, wanted, other = Changes(), uuid.uuid4(), uuid.uuid4()

    async def scenario() -> float:
        since = changes.sequence
        loop = asyncio.get_running_loop()
        loop.call_later(
            0.05, lambda: threading.Thread(target=changes.committed, args=([other],)).start()
        )
        loop.call_later(
            0.2, lambda: threading.Thread(target=changes.committed, args=([wanted],)).start()
        )
        started = time.monotonic()
        await changes.wait([wanted], since, timeout=5)
        return time.monotonic() - started

    waited = asyncio.run(scenario())
    assert 0.15 < waited < 2, waited  # not woken by the other id, woken by this one
    assert changes.waiting() == 0


def test_a_commit_between_the_look_and_the_wait_is_not_missed() -> None:
    changes, wanted = Changes(), uuid.uuid4()
    since = changes.sequence
    changes.committed([wanted])  # after the look that missed it, before the wait began

    async def scenario() -> float:
        started = time.monotonic()
        await changes.wait([wanted], since, timeout=5)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 1


def test_a_wait_gives_up_after_its_timeout() -> None:
    changes = Changes()

    async def scenario() -> float:
        started = time.monotonic()
        await changes.wait([uuid.uuid4()], changes.sequence, timeout=0.2)
        return time.monotonic() - started

    assert 0.15 < asyncio.run(scenario()) < 2
    assert changes.waiting() == 0


def test_missing_ids_are_recorded_only_inside_a_recording() -> None:
    outside = uuid.uuid4()
    note_missing(outside)  # no recording open: nothing kept, nothing raised
    inside = uuid.uuid4()
    with recording_missing() as missing:
        note_missing(inside)
        with pytest.raises(NotFound):
            raise NotFound("x")
    assert missing == [inside]
