"""The desk board kept current from the leads store: each routing decision reads the
board after folding the events stored since it last looked (a handful), never a stream
that grows with the team's history, and no lead command writes anything but its lead.

Within one process the board is exact: a pick and the reservation it makes happen under
one lock, and a reservation counts (as a turn taken and as load) until the command that
made it has ended and its ``Lead.Routed`` event, if it was stored, is on the board. Several
processes serving the same store each keep their own board from the same events; picks
made at the same moment in two of them can see the same turn.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic

from services.leads.domain.lead import Lead
from services.leads.domain.routing import DeskBoard, Overdue, Team

_PAGE = 1000

# The lead events the board folds, and what each does to it.
_ROUTED = get_topic(Lead.Routed)  # type: ignore[attr-defined]
_TOUCHED = {get_topic(Lead.SalesAccepted), get_topic(Lead.SpeedToLeadMissed)}  # type: ignore[attr-defined]
_RELEASED = {
    get_topic(cls)
    for cls in (
        Lead.QueuedForManualRouting,  # type: ignore[attr-defined]
        Lead.AssignmentRejected,  # type: ignore[attr-defined]
        Lead.ReturnedToNurture,  # type: ignore[attr-defined]
        Lead.SalesRejected,  # type: ignore[attr-defined]
        Lead.Converted,  # type: ignore[attr-defined]
        Lead.Merged,  # type: ignore[attr-defined]
    )
}
TOPICS = (_ROUTED, *sorted(_TOUCHED), *sorted(_RELEASED))


class DeskFollower:
    """The board, the store position it has folded up to, and the reservations of
    commands still running."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.RLock()
        self._board = DeskBoard()
        self._position = 0
        self._pending: dict[str, tuple[str, str]] = {}  # lead id -> (team, rep)
        self._mine = threading.local()  # lead ids this thread's command reserved

    @property
    def position(self) -> int:
        return self._position

    def catch_up(self) -> int:
        """Fold the board's events stored since the last call; returns how many."""
        folded = 0
        with self._lock:
            while True:
                page = self._app.recorder.select_notifications(
                    self._position + 1, _PAGE, topics=TOPICS
                )
                for notification in page:
                    self._fold(self._app.mapper.to_domain_event(notification), notification.topic)
                    self._position = notification.id
                folded += len(page)
                if len(page) < _PAGE:
                    return folded

    def _fold(self, event: Any, topic: str) -> None:
        lead = str(event.originator_id)
        if topic == _ROUTED:
            self._pending.pop(lead, None)
            self._board.routed(lead, event.team, event.rep, event.deadline_at)
        elif topic in _TOUCHED:
            self._board.touched(lead)
        elif topic in _RELEASED:
            self._board.released(lead)

    def pick_and_reserve(self, lead_id: uuid.UUID, team: Team, excluded: set[str]) -> str | None:
        """The team's next rep for the lead (None: every candidate is excluded), held for
        it until the command ends."""
        with self._lock:
            self.catch_up()
            pending = [rep for (t, rep) in self._pending.values() if t == team.name]
            rep = self._board.desk(team.name).pick(team, excluded, pending)
            if rep is not None:
                self.reserve(lead_id, team.name, rep)
            return rep

    def reserve(self, lead_id: uuid.UUID, team: str, rep: str) -> None:
        with self._lock:
            self._pending[str(lead_id)] = (team, rep)
            reserved: list[str] = getattr(self._mine, "leads", [])
            reserved.append(str(lead_id))
            self._mine.leads = reserved

    @contextmanager
    def command(self) -> Iterator[None]:
        """One attempt of a command: its reservations end with it (stored or not; a stored
        assignment is read back from the store by the next catch-up)."""
        outer = getattr(self._mine, "leads", None)
        self._mine.leads = []
        try:
            yield
        finally:
            with self._lock:
                for lead in self._mine.leads:
                    self._pending.pop(lead, None)
            self._mine.leads = outer if outer is not None else []

    def overdue(self, now: datetime) -> list[Overdue]:
        with self._lock:
            self.catch_up()
            return self._board.overdue(now)

    def open_leads(self, team: str) -> dict[str, str]:
        """Lead id -> rep of the team's open assignments."""
        with self._lock:
            self.catch_up()
            return dict(self._board.desk(team).open)
