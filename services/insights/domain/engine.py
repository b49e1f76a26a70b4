"""The engine around the projection: what one event changes, and what it makes us say.

Both the live processor and the rebuild feed events through ``Engine.handle``. Besides
folding the event into the records it

* re-evaluates the health rules of the subjects the event touched (all subjects on a
  tick) and compares them with the breaches already announced: a new breach yields a
  ``breached`` output, an announced one that no longer holds a ``cleared`` output;
* on a tick, takes the weekly forecast snapshots that became due.

Outputs are what the processor publishes on l2c.insights.v1. The announced breaches are
kept as records of kind "announced" (bookkeeping of what was said, not a read model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from services.insights.domain.events import Event
from services.insights.domain.forecast import due_snapshot_weeks, take_snapshot
from services.insights.domain.health import Breach, HealthRules, breaches_of
from services.insights.domain.receivables import Thresholds
from services.insights.domain.state import Projection

ANNOUNCED = "announced"


@dataclass(frozen=True)
class ReadModelSettings:
    """The read models' own thresholds (``config/read_models.json``)."""

    reporting_currency: str = "EUR"
    invoice_not_posted_hours: float = 24
    dso_days: int = 90
    forecast_snapshot_lateness_hours: float = 1

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self.invoice_not_posted_hours, self.dso_days)


@dataclass(frozen=True)
class Output:
    kind: str  # "breached", "cleared", "snapshot"
    key: str
    data: dict[str, Any] = field(default_factory=dict)


class Engine:
    def __init__(self, projection: Projection, rules: HealthRules, settings: ReadModelSettings):
        self.projection = projection
        self.rules = rules
        self.settings = settings

    def handle(self, event: Event, announce: bool = True) -> list[Output]:
        """Fold ``event``; with ``announce`` off (catching up on a backlog, when the clock
        runs ahead of most deals' events) breaches are not evaluated — the first tick
        after catching up announces what holds then."""
        p = self.projection
        applied = p.apply(event)
        if applied is None or p.clock is None:
            return []
        outputs: list[Output] = []
        if applied.ticked:
            lateness = timedelta(hours=self.settings.forecast_snapshot_lateness_hours)
            for monday in due_snapshot_weeks(p, lateness):
                snapshot = take_snapshot(p, monday)
                outputs.append(Output("snapshot", snapshot["id"], snapshot))
            if not announce:
                return outputs
            deals = {k for k, d in p.all("deal").items() if d.get("status") == "open"}
            leads = {k for k, lead in p.all("lead").items() if lead.get("speed_missed_at")}
            outputs += self._announce(deals, leads, everything=True)
        elif announce and (applied.deals or applied.leads):
            outputs += self._announce(applied.deals, applied.leads, everything=False)
        return outputs

    def _announce(self, deals: set[str], leads: set[str], everything: bool) -> list[Output]:
        p = self.projection
        now = p.clock
        assert now is not None
        current = breaches_of(p, self.rules, deals, leads, now)
        subjects = {f"deal:{d}" for d in deals} | {f"lead:{lead}" for lead in leads}
        outputs = []
        for key, announced in sorted(p.all(ANNOUNCED).items()):
            subject = key.split("|", 1)[1]
            if key in current or not (everything or subject in subjects):
                continue
            del p.records[ANNOUNCED][key]
            p.dirty.add((ANNOUNCED, key))
            outputs.append(Output("cleared", key, {**announced, "cleared_at": now.isoformat()}))
        for key, breach in sorted(current.items()):
            if p.get(ANNOUNCED, key) is None:
                p.put(ANNOUNCED, key, {"id": key, **breach.as_dict()})
                outputs.append(Output("breached", key, _announcement(breach, now.isoformat())))
        return outputs


def _announcement(breach: Breach, detected_at: str) -> dict[str, Any]:
    return {**breach.as_dict(), "detected_at": detected_at}
