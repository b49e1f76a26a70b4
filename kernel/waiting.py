"""``Prefer: wait=N``: a request that would answer 404 waits for what it missed instead of
making its client poll.

Much of what a client of an event-driven system asks for appears a moment after the
command that causes it: the deal a converted lead opens, the order a won deal books, a
quote on a deal the billing service has not heard of yet. Asked with ``Prefer: wait=N``
(RFC 7240), a read or a command that finds an aggregate missing is held until this
process commits that aggregate, then run again, for up to ``N`` seconds (at most
``MAX_WAIT_SECONDS``); the answer is whatever the last run gives, with
``Preference-Applied: wait=N`` when the request was held. A command that failed wrote
nothing, so running it again is safe (and its idempotency key still holds).

The wake-up comes from this process's own commits, which is where the policies that
create these aggregates run. A commit by another process on the same store (a second
replica, the importer) is found by a fresh look every ``RECHECK_SECONDS``.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from kernel.errors import NotFound

T = TypeVar("T")

MAX_WAIT_SECONDS = 20.0
RECHECK_SECONDS = 1.0
_REMEMBERED = 4096  # recently committed ids kept, for a commit that lands between two looks


@dataclass
class WaitPreference:
    """What the request asked for (seconds, capped) and whether it was held."""

    seconds: float
    applied: bool = False


requested: ContextVar[WaitPreference | None] = ContextVar("l2c_wait", default=None)


def parse_prefer(value: str) -> float:
    """Seconds of ``wait=N`` in a ``Prefer`` header; 0 when absent or malformed (a
    preference a server does not understand is ignored, RFC 7240 §2)."""
    for preference in value.split(","):
        name, _, raw = preference.split(";", 1)[0].strip().partition("=")
        if name.strip().lower() != "wait":
            continue
        raw = raw.strip().strip('"')
        if not raw.isdigit() or len(raw) > 6:
            return 0.0
        return min(float(raw), MAX_WAIT_SECONDS)
    return 0.0


def applied(seconds: float) -> str:
    """The ``Preference-Applied`` value for a request that was held."""
    return f"wait={seconds:.0f}"


_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class Changes:
    """Which aggregates this process committed, for requests waiting for one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sequence = 0
        self._recent: OrderedDict[uuid.UUID, int] = OrderedDict()
        self._waiters: dict[uuid.UUID, list[_Waiter]] = {}

    @property
    def sequence(self) -> int:
        return self._sequence

    def committed(self, ids: Iterable[uuid.UUID]) -> None:
        """Called by the committing thread after a save."""
        woken: list[_Waiter] = []
        with self._lock:
            self._sequence += 1
            for aggregate_id in ids:
                self._recent[aggregate_id] = self._sequence
                self._recent.move_to_end(aggregate_id)
                woken.extend(self._waiters.pop(aggregate_id, ()))
            while len(self._recent) > _REMEMBERED:
                self._recent.popitem(last=False)
        for loop, future in woken:
            loop.call_soon_threadsafe(_resolve, future)

    async def wait(self, ids: Iterable[uuid.UUID], since: int, timeout: float) -> None:
        """Until one of ``ids`` is committed after ``since`` (a ``sequence`` read before
        the look that missed them), or ``timeout`` seconds."""
        ids = list(ids)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if any(self._recent.get(i, 0) > since for i in ids):
                return
            for aggregate_id in ids:
                self._waiters.setdefault(aggregate_id, []).append((loop, future))
        try:
            await asyncio.wait([future], timeout=timeout)
        finally:
            with self._lock:
                for aggregate_id in ids:
                    waiting = self._waiters.get(aggregate_id)
                    if waiting is None:
                        continue
                    waiting[:] = [w for w in waiting if w[1] is not future]
                    if not waiting:
                        del self._waiters[aggregate_id]

    def waiting(self) -> int:
        with self._lock:
            return sum(len(w) for w in self._waiters.values())


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


CHANGES = Changes()

# -- which aggregates a run found missing (one worker thread runs one attempt) -------------

_missing = threading.local()


def note_missing(aggregate_id: uuid.UUID) -> None:
    """Called where the store finds no aggregate; kept only while a waiting run records."""
    found: list[uuid.UUID] | None = getattr(_missing, "ids", None)
    if found is not None:
        found.append(aggregate_id)


@contextmanager
def recording_missing() -> Iterator[list[uuid.UUID]]:
    outer = getattr(_missing, "ids", None)
    found: list[uuid.UUID] = []
    _missing.ids = found
    try:
        yield found
    finally:
        _missing.ids = outer


def _attempt(
    run: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[int, list[uuid.UUID], T | None, NotFound | None]:
    since = CHANGES.sequence
    with recording_missing() as missing:
        try:
            return since, missing, run(*args, **kwargs), None
        except NotFound as exc:
            return since, list(missing), None, exc


async def run_waiting(
    in_thread: Callable[..., Any],
    run: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> T:
    """``run`` in a worker thread (``in_thread``: the caller's way there), held and run
    again while it ends in NotFound for an aggregate this process may yet commit and the
    request's ``Prefer: wait`` lasts."""
    preference = requested.get()
    if preference is None or preference.seconds <= 0:
        return await in_thread(run, *args, **kwargs)  # type: ignore[no-any-return]
    deadline = time.monotonic() + preference.seconds
    while True:
        since, missing, result, error = await in_thread(_attempt, run, args, kwargs)
        if error is None:
            return result  # type: ignore[return-value]
        left = deadline - time.monotonic()
        if not missing or left <= 0:
            raise error
        preference.applied = True
        await CHANGES.wait(missing, since, min(left, RECHECK_SECONDS))
