"""A team's desk hears of every lead of the team; it is snapshotted every 100 events, so
loading it replays at most the events since the last snapshot, and the state loaded from
a snapshot is the state the events make."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from kernel.settings import Settings
from services.leads.application import LeadsApplication
from services.leads.domain.routing import TeamDesk


def test_a_long_lived_desk_loads_from_its_latest_snapshot(store_settings: Settings) -> None:
    app = LeadsApplication(store_settings)
    team = f"walk-{uuid.uuid4().hex[:6]}"
    desk = TeamDesk(team=team)
    app.save(desk)
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for n in range(130):  # 260 more events: assigned, then released
        lead = uuid.uuid4()
        held = app.repository.get(desk.id)
        held.assign(lead, f"rep-{n % 3}", start + timedelta(hours=n))
        if n % 4:
            held.release(lead, "worked")
        app.save(held)
    assert app.snapshots is not None
    (latest,) = list(app.snapshots.get(desk.id, desc=True, limit=1))
    assert latest.originator_version == 200
    loaded: TeamDesk = app.repository.get(desk.id)
    replayed = None
    for event in app.events.get(desk.id):  # every event from the first, no snapshot
        replayed = event.mutate(replayed)
    assert replayed is not None and loaded.version == replayed.version
    assert (loaded.open, loaded.deadlines, loaded.turns) == (
        replayed.open,
        replayed.deadlines,
        replayed.turns,
    )
    assert len(loaded.open) == 130 // 4 + 1
