"""The watermark: how far event time has progressed on *every* source partition.

Absence rules ("no answer for 24 h", "no activity for 14 days") can only be judged at a
moment once every fact that happened before it has been read. Topics are read at
different speeds (a backlog on one, a replay of another), so the projection's latest
event time says nothing about what is still unread elsewhere. Each source partition
therefore keeps its own progress — the latest event time read from it — and the
watermark is the minimum over all of them: every event at or before it has been read,
except late ones (below).

Idle partitions would hold the watermark back for ever, so the worker's ticks carry
*marks*: for every source partition, its end offset when the tick's time was taken. A
partition progresses to the tick's time once it has been read up to its mark — never
before, so a partition that is read slowly still holds the watermark back, and a tick
read ahead of the data it covers waits for it.

Judging happens at due moments, in time order, once the watermark has passed them: the
event time of each event for the subjects it touched, and the moments the engine
schedules for deals whose breaches time alone may change (ticks move the watermark past
them). Given the same topics, the moments and what is known at each are the same
whatever the relative speed at which the partitions were read, and so is every
announcement.

An event whose time is behind its own partition's progress when it is read (back-dated
business time, a partition's events out of order) is *late*: it is folded like any other
— the read models are exact — and its subjects are judged again at the latest moment
already judged, but judgements made before it arrived are not revised. Late events are
counted (``late_events``).

State lives in the projection (meta ``watermark`` and records of kind ``due``), so it is
committed with the records it describes and survives restarts.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from services.insights.domain.events import iso, parse_time
from services.insights.domain.state import Projection

DUE = "due"


@dataclass(frozen=True)
class Moment:
    """A due judgement: at ``at``, of some deals and leads, or of every subject."""

    at: datetime
    deals: frozenset[str]
    leads: frozenset[str]
    everything: bool


class Watermark:
    def __init__(self, projection: Projection) -> None:
        self.p = projection
        state = projection.meta.setdefault("watermark", {})
        state.setdefault("expected", [])  # partitions the watermark waits for
        state.setdefault("progress", {})  # partition -> ISO time
        state.setdefault("marks", {})  # partition -> [[offset, ISO time], ...] not yet reached
        state.setdefault("judged", "")  # the latest moment judged
        state.setdefault("late", 0)
        self.state = state
        self._progress = {k: _time(v) for k, v in state["progress"].items()}
        self._heap = [(_time(key), key) for key in projection.all(DUE)]
        heapq.heapify(self._heap)
        self._members: dict[str, tuple[set[str], set[str]]] = {}  # a due moment's subjects

    # -- what there is to wait for ----------------------------------------------------------

    def expect(self, partitions: Iterable[str]) -> None:
        """Wait for these partitions too (topic:partition); the set only grows."""
        known = set(self.state["expected"])
        added = set(partitions) - known
        if added:
            self.state["expected"] = sorted(known | added)
            self._changed()

    @property
    def late_events(self) -> int:
        return int(self.state["late"])

    @property
    def judged(self) -> datetime | None:
        return parse_time(self.state["judged"])

    def progress(self, partition: str) -> datetime | None:
        return self._progress.get(partition)

    @property
    def value(self) -> datetime | None:
        """The minimum progress over every expected partition; None while one has none."""
        expected = self.state["expected"]
        if not expected:
            return None
        times = [self._progress.get(partition) for partition in expected]
        if any(t is None for t in times):
            return None
        return min(t for t in times if t is not None)

    # -- what was read ------------------------------------------------------------------

    def read(self, partition: str, offset: int) -> None:
        """The record at ``offset`` was consumed (folded or passed over)."""
        self.p.seen_offset(partition.rsplit(":", 1)[0], int(partition.rsplit(":", 1)[1]), offset)
        self._reach_marks(partition)

    def saw(self, partition: str, moment: datetime) -> bool:
        """An event of ``moment`` was read from ``partition``; True when it is late."""
        current = self.progress(partition)
        self._advance(partition, moment)
        return current is not None and moment < current

    def late(self) -> None:
        self.state["late"] = self.late_events + 1
        self._changed()

    def ticked(self, partition: str, at: datetime, marks: dict[str, int] | None) -> None:
        """A tick of ``at`` read from ``partition``. With marks, each source partition
        progresses to ``at`` once read up to its mark; without, every expected one does."""
        self._advance(partition, at)
        self.expect([partition])
        if marks is None:
            for other in self.state["expected"]:
                self._advance(other, at)
            return
        self.expect(marks)
        for other, offset in marks.items():
            pending = self.state["marks"].setdefault(other, [])
            pending.append([offset, iso(at)])
            self._reach_marks(other)
        self._changed()

    def _reach_marks(self, partition: str) -> None:
        pending = self.state["marks"].get(partition)
        if not pending:
            return
        topic, number = partition.rsplit(":", 1)
        position = self.p.position(topic, int(number))
        reached = [m for m in pending if position >= int(m[0])]
        if not reached:
            return
        self.state["marks"][partition] = [m for m in pending if position < int(m[0])]
        if not self.state["marks"][partition]:
            del self.state["marks"][partition]
        self._advance(partition, max(_time(m[1]) for m in reached))
        self._changed()

    def _advance(self, partition: str, moment: datetime) -> None:
        current = self.progress(partition)
        if current is None or moment > current:
            self._progress[partition] = moment
            self.state["progress"][partition] = iso(moment)
            self._changed()

    # -- what is due --------------------------------------------------------------------

    def schedule(
        self,
        at: datetime,
        deals: Iterable[str] = (),
        leads: Iterable[str] = (),
        everything: bool = False,
    ) -> None:
        """Judge these subjects at ``at`` (never before the latest moment judged)."""
        judged = self.judged
        if judged is not None and at < judged:
            at = judged
        key = iso(at)
        record = self.p.get(DUE, key)
        if record is None:
            record = {"id": key, "deals": [], "leads": [], "everything": False}
            heapq.heappush(self._heap, (at, key))
        # Many deals may fall due in one minute: add to the moment without re-sorting it.
        members = self._members.get(key)
        if members is None:
            members = self._members[key] = (set(record["deals"]), set(record["leads"]))
        added_deals = [d for d in dict.fromkeys(deals) if d not in members[0]]
        added_leads = [lead for lead in dict.fromkeys(leads) if lead not in members[1]]
        if not (added_deals or added_leads or (everything and not record["everything"])):
            return
        members[0].update(added_deals)
        members[1].update(added_leads)
        record = self.p.edit(DUE, key)
        record.setdefault("deals", []).extend(added_deals)
        record.setdefault("leads", []).extend(added_leads)
        record["everything"] = bool(record.get("everything") or everything)

    def next_due(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def due(self) -> Iterator[Moment]:
        """Pop the moments strictly before the watermark, in time order; each popped
        moment becomes the latest judged."""
        while self._heap:
            mark = self.value
            at, key = self._heap[0]
            if mark is None or at >= mark:
                return
            heapq.heappop(self._heap)
            record = self.p.get(DUE, key)
            if record is None:
                continue
            self.p.remove(DUE, key)
            self._members.pop(key, None)
            self.state["judged"] = key
            self._changed()
            yield Moment(
                at,
                frozenset(record["deals"]),
                frozenset(record["leads"]),
                bool(record["everything"]),
            )

    def _changed(self) -> None:
        self.p.meta_dirty = True


def _time(value: str) -> datetime:
    moment = parse_time(value)
    assert moment is not None
    return moment


def marks_of(data: dict[str, object]) -> dict[str, int] | None:
    """The marks of a ClockTicked payload (as a dict), or None for a tick without any."""
    marks = data.get("marks")
    if not marks:
        return None
    found: dict[str, int] = {}
    for mark in marks:  # type: ignore[attr-defined]
        key = f"{mark.get('topic', '')}:{int(mark.get('partition', 0))}"
        found[key] = max(found.get(key, 0), int(mark.get("offset", 0)))
    return found
