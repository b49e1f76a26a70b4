"""The engine around the projection: what one event changes, and what it makes us say.

Both the live processor and the rebuild feed events through ``Engine.handle``. Besides
folding the event into the records it

* schedules a judgement of the subjects the event touched at the event's time and, once
  the watermark has passed a scheduled moment, re-evaluates the health rules as of that
  moment and compares them with the breaches already announced: a new breach yields a
  ``breached`` output, an announced one that no longer holds a ``cleared`` output;
* after judging a deal, schedules its next judgement at the first whole minute after the
  earliest instant from which time alone may change its breaches (``health.next_wake``:
  a question's 24 h running out, a deal falling idle, a red flag fading). So a tick costs
  what is due at it, not a walk over every deal and lead: the cost of judging follows the
  deals that change, not the size of the business. Every subject is judged at a tick
  only when the rules in force are not those the schedule was made with (a changed
  ``health_rules.json``, or a store from before the schedule existed);
* takes the weekly forecast snapshots the watermark has passed.

Outputs are what the processor publishes on l2c.insights.v1. The announced breaches are
kept as records of kind "announced" (bookkeeping of what was said, not a read model), and
every announcement and clearing also goes into its subject's breach log (kind
"breach_log", one record per deal or lead), which a deal's timeline reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.insights.domain.events import Event, week_start
from services.insights.domain.forecast import due_snapshot_weeks, take_snapshot
from services.insights.domain.health import Breach, HealthRules, breaches_of, next_wake
from services.insights.domain.receivables import Thresholds
from services.insights.domain.state import Projection
from services.insights.domain.watermark import Watermark, marks_of

ANNOUNCED = "announced"
BREACH_LOG = "breach_log"
# The partition of events handed over without one (tests, tools feeding one stream).
LOCAL = "local:0"
# The meta entry naming the rules the scheduled judgements were worked out with.
RULES_JUDGED = "rules_judged"


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
    """Folds events and judges the health rules at the moments the watermark has passed
    (see ``watermark``): the announcements depend on the topics' contents, not on the
    relative speed at which their partitions are read."""

    def __init__(self, projection: Projection, rules: HealthRules, settings: ReadModelSettings):
        self.projection = projection
        self.rules = rules
        self.settings = settings
        self.watermark = Watermark(projection)
        self._snapshots_checked: datetime | None = None
        # Announced breaches by subject ("deal:<id>"), so that judging a few subjects does
        # not walk every breach ever announced. Built from the projection on first use,
        # then kept by _announce, the only writer of announcements.
        self._by_subject: dict[str, set[str]] | None = None
        # The wakes were scheduled under other rules (or none were): judge every subject
        # at the next tick, which schedules them afresh.
        fingerprint = hashlib.sha256(rules.model_dump_json().encode()).hexdigest()[:16]
        judged_with = projection.meta.get(RULES_JUDGED)
        if judged_with is None and not projection.kinds():
            judged_with = fingerprint  # nothing folded yet: every deal will be scheduled
        self._fingerprint = fingerprint
        self._sweep = judged_with != fingerprint
        if not self._sweep and RULES_JUDGED not in projection.meta:
            projection.meta[RULES_JUDGED] = fingerprint
            projection.meta_dirty = True

    def expect(self, partitions: Iterable[str]) -> None:
        """The source partitions (``topic:partition``) the watermark waits for."""
        self.watermark.expect(partitions)

    def handle(
        self, event: Event, partition: str = LOCAL, offset: int | None = None
    ) -> list[Output]:
        """Fold ``event``, read from ``partition`` at ``offset``, and judge what became due."""
        p, w = self.projection, self.watermark
        w.expect([partition])
        if event.type == "ClockTicked":
            p.apply(event)
            w.ticked(partition, event.occurred_at, marks_of(event.data))
            if self._sweep:
                w.schedule(event.occurred_at, everything=True)
                p.meta[RULES_JUDGED] = self._fingerprint  # committed with the sweep
                p.meta_dirty = True
                self._sweep = False
        else:
            late = w.saw(partition, event.occurred_at)
            applied = p.apply(event)
            if applied is not None:
                if late:
                    w.late()
                if applied.deals or applied.leads:
                    w.schedule(event.occurred_at, applied.deals, applied.leads)
        if offset is not None:
            w.read(partition, offset)
        return self._judge()

    def passed(self, partition: str, offset: int) -> list[Output]:
        """A record that is not folded (undecodable, or insights' own output) was read.
        Its partition is not waited for on that account: l2c.insights.v1 carries outputs
        on every partition and ticks on one."""
        self.watermark.read(partition, offset)
        return self._judge()

    def _judge(self) -> list[Output]:
        p = self.projection
        outputs: list[Output] = []
        for moment in self.watermark.due():
            outputs += self._snapshots(moment.at)
            if moment.everything:
                deals = set(p.all("deal"))
                leads = {k for k, lead in p.all("lead").items() if lead.get("speed_missed_at")}
            else:
                deals, leads = set(moment.deals), set(moment.leads)
            outputs += self._announce(deals, leads, moment.everything, moment.at)
            self._wake(deals, moment.at)
        mark = self.watermark.value
        if mark is not None:
            outputs += self._snapshots(mark - timedelta(microseconds=1))
        return outputs

    def _wake(self, deals: set[str], now: datetime) -> None:
        """Schedule each deal's next judgement that time alone calls for."""
        by_moment: dict[datetime, list[str]] = {}
        for deal_id in deals:
            deal = self.projection.get("deal", deal_id)
            instant = next_wake(self.rules, deal, now) if deal else None
            if instant is not None:
                # The first whole minute after it: strictly later, and the deals falling
                # due within one minute share a moment.
                at = instant.replace(second=0, microsecond=0) + timedelta(minutes=1)
                by_moment.setdefault(at, []).append(deal_id)
        for at, due in by_moment.items():
            self.watermark.schedule(at, due)

    def _snapshots(self, until: datetime) -> list[Output]:
        """The weekly forecast snapshots due by ``until`` (Monday + lateness)."""
        # Only a Monday (+ lateness) passed since the last look can make one due: the
        # snapshots due by an earlier moment were taken when the later one was looked at.
        # This runs at every event, so the end of the latest week looked at is kept.
        if self._snapshots_checked is not None and until < self._snapshots_checked:
            return []
        lateness = timedelta(hours=self.settings.forecast_snapshot_lateness_hours)
        self._snapshots_checked = week_start(until - lateness) + lateness + timedelta(days=7)
        outputs = []
        for monday in due_snapshot_weeks(self.projection, lateness, until):
            snapshot = take_snapshot(self.projection, monday)
            outputs.append(Output("snapshot", snapshot["id"], snapshot))
        return outputs

    def _announce(
        self, deals: set[str], leads: set[str], everything: bool, now: datetime
    ) -> list[Output]:
        p = self.projection
        current = breaches_of(p, self.rules, deals, leads, now)
        subjects = {f"deal:{d}" for d in deals} | {f"lead:{lead}" for lead in leads}
        by_subject = self._announced_by_subject()
        if everything:
            judged = sorted(p.all(ANNOUNCED))
        else:
            judged = sorted(k for s in subjects for k in by_subject.get(s, ()))
        outputs = []
        for key in judged:
            if key in current:
                continue
            announced = p.remove(ANNOUNCED, key)
            self._unindex(key)
            outputs.append(Output("cleared", key, {**announced, "cleared_at": now.isoformat()}))
            _log(p, key, announced, cleared_at=now.isoformat())
        for key, breach in sorted(current.items()):
            if p.get(ANNOUNCED, key) is None:
                p.put(ANNOUNCED, key, {"id": key, **breach.as_dict()})
                self._index(key)
                outputs.append(Output("breached", key, _announcement(breach, now.isoformat())))
                _log(p, key, breach.as_dict(), detected_at=now.isoformat())
        return outputs

    def _announced_by_subject(self) -> dict[str, set[str]]:
        if self._by_subject is None:
            self._by_subject = {}
            for key in self.projection.all(ANNOUNCED):
                self._index(key)
        return self._by_subject

    def _index(self, key: str) -> None:
        self._announced_by_subject().setdefault(key.split("|", 1)[1], set()).add(key)

    def _unindex(self, key: str) -> None:
        self._announced_by_subject().get(key.split("|", 1)[1], set()).discard(key)


def _log(p: Projection, key: str, breach: dict[str, Any], **moment: str) -> None:
    """Open a log entry (``detected_at``) or close the open one (``cleared_at``)."""
    subject = key.split("|", 1)[1]
    entries = p.edit(BREACH_LOG, subject).setdefault("entries", [])
    if "cleared_at" in moment:
        for entry in reversed(entries):
            if entry["key"] == key and entry.get("cleared_at") is None:
                entry["cleared_at"] = moment["cleared_at"]
                return
    fields = ("rule", "severity", "observed", "threshold", "since", "message", "rep", "team")
    entries.append(
        {"key": key, **{f: breach.get(f) for f in fields}, "detected_at": None, "cleared_at": None}
        | moment
    )


def _announcement(breach: Breach, detected_at: str) -> dict[str, Any]:
    return {**breach.as_dict(), "detected_at": detected_at}
