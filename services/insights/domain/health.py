"""Health thresholds: a rule engine over the projection's records and an event-time clock.

Every rule is a predicate over one subject (a deal, or a lead for speed to lead) at a
moment ``now``. It returns the breach with the value it observed, its threshold, and
``since`` — the event time the condition began to hold, computed from the record (not from
when it was noticed), so the same events give the same breaches whatever their arrival
order. Rules that watch for the *absence* of events (no answer, no activity, silence) need
the clock: the latest event time, advanced between events by periodic ticks.

The rules are data (``config/health_rules.json``, schema ``HealthRules``): each names its
kind, threshold and options, and can be disabled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from services.insights.domain.events import iso, parse_time
from services.insights.domain.state import Projection, Record

RuleKind = Literal[
    "open_blockers_above",
    "question_unanswered_hours",
    "days_without_activity",
    "days_in_stage",
    "next_step_overdue_hours",
    "talk_ratio_below_percent",
    "touches_per_week_below",
    "speed_to_lead_missed",
    "close_date_slips_above",
    "days_since_customer_signal",
    "contacts_below",
    "no_economic_buyer_or_power_sponsor",
    "key_events_missing",
    "red_flag_key_event",
]


class HealthRule(BaseModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    kind: RuleKind
    threshold: float = 0
    severity: Literal["low", "medium", "high"] = "medium"
    enabled: bool = True
    description: str = ""
    # days_in_stage: a limit per stage name (days); ``threshold`` is the default limit.
    stage_limits: dict[str, float] = Field(default_factory=dict)
    # Rules that only matter from some point of the process on (win probability %).
    from_probability: int = Field(0, ge=0, le=100)
    # key_events_missing / red_flag_key_event / days_since_customer_signal.
    key_events: list[str] = Field(default_factory=list)
    # days_since_customer_signal: activity kinds that are two-way (the customer took part).
    activity_kinds: list[str] = Field(default_factory=list)
    # talk_ratio_below_percent: how many of the latest calls are averaged.
    window: int = Field(5, ge=1)
    # red_flag_key_event: how long a red flag stays raised (days).
    window_days: float = Field(14, gt=0)


class HealthRules(BaseModel):
    rules: list[HealthRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> HealthRules:
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")
        return self


@dataclass(frozen=True)
class Breach:
    rule: str
    kind: str
    severity: str
    subject_kind: str  # "deal" or "lead"
    subject_id: str
    deal_id: str
    rep: str
    team: str
    observed: str
    threshold: str
    since: str  # ISO event time the condition began to hold
    message: str

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.subject_kind}:{self.subject_id}"

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "severity": self.severity,
            "subject_kind": self.subject_kind,
            "subject_id": self.subject_id,
            "deal_id": self.deal_id,
            "rep": self.rep,
            "team": self.team,
            "observed": self.observed,
            "threshold": self.threshold,
            "since": self.since,
            "message": self.message,
        }


@dataclass(frozen=True)
class Finding:
    observed: str
    since: datetime
    message: str


Check = Callable[[HealthRule, Record, datetime], Finding | None]
DEAL_CHECKS: dict[str, Check] = {}


def check(kind: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        DEAL_CHECKS[kind] = fn
        return fn

    return register


def _t(value: str) -> datetime:
    moment = parse_time(value)
    assert moment is not None
    return moment


def _open_at(closed_at: str | None, now: datetime) -> bool:
    """Still open at ``now``: never closed, or closed only later (rules are evaluated as of
    a moment, which may be before events the projection already holds)."""
    return closed_at is None or _t(closed_at) > now


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _first_time_at_probability(deal: Record, minimum: int) -> datetime | None:
    """When the deal first reached ``minimum`` win probability (None: not yet)."""
    for at, name, value in deal.get("timeline", []):
        probability = value.get("probability") if name == "opened" else value
        if name in ("opened", "probability") and int(probability) >= minimum:
            return _t(at)
    return None


@check("open_blockers_above")
def _blockers(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    raised = sorted(
        [_t(at) for at in deal.get("blockers", {}).values() if _t(at) <= now]
        + [
            _t(at)
            for at, resolved in deal.get("resolved_blockers", {}).values()
            if _t(at) <= now < _t(resolved)
        ]
    )
    limit = int(rule.threshold)
    if len(raised) <= limit:
        return None
    return Finding(str(len(raised)), raised[limit], f"{len(raised)} open blockers")


@check("question_unanswered_hours")
def _unanswered(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    waiting = [
        _t(asked)
        for asked, answered in deal.get("questions", {}).values()
        if _open_at(answered, now) and (now - _t(asked)) > timedelta(hours=rule.threshold)
    ]
    if not waiting:
        return None
    oldest = min(waiting)
    hours = (now - oldest).total_seconds() / 3600
    return Finding(
        _num(round(hours, 1)),
        oldest + timedelta(hours=rule.threshold),
        f"{len(waiting)} customer question(s) unanswered, oldest for {hours:.0f} h",
    )


def _last_activity(deal: Record, now: datetime) -> datetime:
    times = [_t(a[0]) for a in deal.get("activities", []) if _t(a[0]) <= now]
    return max([_t(deal["opened_at"]), *times])


def _quiet_since(rule: HealthRule, last: datetime, now: datetime, what: str) -> Finding | None:
    """More than ``threshold`` days since ``last``: the breach began when the days ran out."""
    days = (now - last).total_seconds() / 86400
    if days <= rule.threshold:
        return None
    return Finding(
        _num(round(days, 1)), last + timedelta(days=rule.threshold), f"{what} for {days:.0f} days"
    )


@check("days_without_activity")
def _idle(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    return _quiet_since(rule, _last_activity(deal, now), now, "no activity")


@check("days_in_stage")
def _stage_too_long(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    # The stay in effect at ``now``: entered by then and not yet left.
    stays = [s for s in deal.get("stages", []) if _t(s[1]) <= now and _open_at(s[2] or None, now)]
    if not stays:
        return None
    stage, entered, _ = stays[-1]
    limit = rule.stage_limits.get(stage, rule.threshold)
    days = (now - _t(entered)).total_seconds() / 86400
    if days <= limit:
        return None
    return Finding(
        _num(round(days, 1)),
        _t(entered) + timedelta(days=limit),
        f"{days:.0f} days in stage {stage} (limit {_num(limit)})",
    )


@check("next_step_overdue_hours")
def _next_step(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    grace = timedelta(hours=rule.threshold)
    overdue = sorted(
        _t(due)
        for due, done in deal.get("next_steps", {}).values()
        if due and _open_at(done, now) and _t(due) + grace < now
    )
    if not overdue:
        return None
    return Finding(str(len(overdue)), overdue[0] + grace, f"{len(overdue)} next step(s) overdue")


@check("talk_ratio_below_percent")
def _talk_ratio(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    calls = sorted(
        (a for a in deal.get("activities", []) if a[2] is not None and _t(a[0]) <= now),
        key=lambda a: a[0],
    )[-rule.window :]
    if not calls:
        return None
    percent = 100 * sum(float(a[2]) for a in calls) / len(calls)
    if percent >= rule.threshold:
        return None
    return Finding(
        _num(round(percent, 1)),
        _t(calls[-1][0]),
        f"rep talk ratio {percent:.0f}% over the last {len(calls)} call(s)",
    )


@check("touches_per_week_below")
def _cadence(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    week = timedelta(days=7)
    opened = _t(deal["opened_at"])
    if now - opened < week:
        return None
    touches = sorted(
        (_t(a[0]) for a in deal.get("activities", []) if _t(a[0]) <= now), reverse=True
    )
    needed = max(1, int(rule.threshold))
    recent = [t for t in touches if t > now - week]
    if len(recent) >= needed:
        return None
    # The window (t - 7d, t] last held ``needed`` touches when the needed-th most recent
    # touch left it.
    began = opened + week
    if len(touches) >= needed:
        began = max(began, touches[needed - 1] + week)
    return Finding(
        str(len(recent)),
        began,
        f"{len(recent)} touch(es) in the last 7 days (at least {needed} expected)",
    )


@check("close_date_slips_above")
def _slips(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    times = [_t(t) for t in deal.get("slip_times", []) if _t(t) <= now]
    limit = int(rule.threshold)
    if len(times) <= limit:
        return None
    return Finding(str(len(times)), sorted(times)[limit], f"close date slipped {len(times)} times")


@check("days_since_customer_signal")
def _silent(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    signals = [_t(deal["opened_at"])]
    signals += [_t(asked) for asked, _ in deal.get("questions", {}).values()]
    signals += [_t(answered) for _, answered in deal.get("questions", {}).values() if answered]
    signals += [_t(at) for at, kind, _ in deal.get("key_events", []) if kind in rule.key_events]
    signals += [_t(a[0]) for a in deal.get("activities", []) if a[1] in rule.activity_kinds]
    past = [s for s in signals if s <= now]
    return _quiet_since(rule, max(past), now, "customer silent") if past else None


@check("contacts_below")
def _contacts(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    reached = _first_time_at_probability(deal, rule.from_probability)
    if reached is None or reached > now:
        return None
    count = len(deal.get("stakeholders", {}))
    if count >= rule.threshold:
        return None
    return Finding(str(count), reached, f"{count} contact(s) on the deal")


@check("no_economic_buyer_or_power_sponsor")
def _no_power(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    reached = _first_time_at_probability(deal, rule.from_probability)
    if reached is None or reached > now:
        return None
    engaged = [
        s
        for s in deal.get("stakeholders", {}).values()
        if s.get("role") in ("economic_buyer", "power_sponsor")
        and s.get("attitude") != "opponent"
        and int(s.get("contacted", 0)) > 0
    ]
    if engaged:
        return None
    return Finding("0", reached, "no economic buyer or power sponsor engaged")


@check("key_events_missing")
def _missing_key_events(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    reached = _first_time_at_probability(deal, rule.from_probability)
    if reached is None or reached > now:
        return None
    seen = {kind for at, kind, _ in deal.get("key_events", []) if _t(at) <= now}
    if seen & set(rule.key_events):
        return None
    return Finding("0", reached, f"none of {', '.join(rule.key_events)} recorded")


@check("red_flag_key_event")
def _red_flag(rule: HealthRule, deal: Record, now: datetime) -> Finding | None:
    flags = sorted(
        (at, kind)
        for at, kind, _ in deal.get("key_events", [])
        if kind in rule.key_events and _t(at) <= now
    )
    if not flags:
        return None
    at, kind = flags[-1]
    if now - _t(at) > timedelta(days=rule.window_days):
        return None
    return Finding(kind, _t(at), f"red flag: {kind}")


def _speed_to_lead(rule: HealthRule, lead: Record, now: datetime) -> Finding | None:
    missed = lead.get("speed_missed_at")
    if not missed or _t(missed) > now:
        return None
    if lead.get("merged_into") and _t(lead.get("merged_at") or missed) <= now:
        return None
    worked = lead.get("worked") or ([lead["worked_at"]] if lead.get("worked_at") else [])
    # Work counts from the routing that set the deadline: an answer reported late with its
    # business time before the deadline (a back-dated accept) means the deadline was met.
    routed = lead.get("routed_at")
    start = _t(routed) if routed and _t(routed) <= _t(missed) else _t(missed)
    if any(start <= _t(t) <= now for t in worked):
        return None
    deadline = _t(lead.get("speed_deadline") or missed)
    hours = (now - deadline).total_seconds() / 3600
    return Finding(
        _num(round(hours, 1)), deadline, f"lead not touched {hours:.0f} h after its deadline"
    )


def _breach(
    rule: HealthRule, kind: str, subject: str, deal_id: str, dims: dict[str, str], found: Finding
) -> Breach:
    return Breach(
        rule=rule.id,
        kind=rule.kind,
        severity=rule.severity,
        subject_kind=kind,
        subject_id=subject,
        deal_id=deal_id,
        rep=dims.get("rep", ""),
        team=dims.get("team", ""),
        observed=found.observed,
        threshold=_num(rule.threshold),
        since=iso(found.since),
        message=found.message,
    )


def deal_breaches(
    p: Projection, rules: HealthRules, deal: Record, now: datetime
) -> Iterator[Breach]:
    if not deal.get("opened_at"):
        return
    closed = deal.get("closed_at")
    if deal.get("status") != "open" and (not closed or _t(closed) <= now):
        return
    if _t(deal["opened_at"]) > now:
        return
    dims = p.deal_dims(deal)
    for rule in rules.rules:
        fn = DEAL_CHECKS.get(rule.kind)
        if not rule.enabled or fn is None:
            continue
        found = fn(rule, deal, now)
        if found is not None:
            yield _breach(rule, "deal", deal["id"], deal["id"], dims, found)


def lead_breaches(
    p: Projection, rules: HealthRules, lead: Record, now: datetime
) -> Iterator[Breach]:
    for rule in rules.rules:
        if not rule.enabled or rule.kind != "speed_to_lead_missed":
            continue
        found = _speed_to_lead(rule, lead, now)
        if found is not None:
            dims = {"rep": lead.get("rep", ""), "team": lead.get("team", "")}
            deal = p.deal_of_lead(lead["id"]) or {}
            opened = deal.get("opened_at")
            deal_id = deal.get("id", "") if opened and _t(opened) <= now else ""
            yield _breach(rule, "lead", lead["id"], deal_id, dims, found)


def open_breaches(p: Projection, rules: HealthRules, now: datetime | None = None) -> list[Breach]:
    """Every breach open at ``now`` (default: the projection's clock)."""
    moment = now or p.clock
    if moment is None:
        return []
    found: list[Breach] = []
    for deal in p.all("deal").values():
        found.extend(deal_breaches(p, rules, deal, moment))
    for lead in p.all("lead").values():
        if lead.get("speed_missed_at"):
            found.extend(lead_breaches(p, rules, lead, moment))
    return sorted(found, key=lambda b: b.key)


def breaches_of(
    p: Projection, rules: HealthRules, deals: set[str], leads: set[str], now: datetime
) -> dict[str, Breach]:
    """The open breaches of some subjects (by breach key)."""
    found: dict[str, Breach] = {}
    for deal_id in deals:
        deal = p.get("deal", deal_id)
        if deal:
            found.update((b.key, b) for b in deal_breaches(p, rules, deal, now))
    for lead_id in leads:
        lead = p.get("lead", lead_id)
        if lead:
            found.update((b.key, b) for b in lead_breaches(p, rules, lead, now))
    return found


# -- when a deal's judgement can change with time alone -----------------------------------
#
# Events schedule a judgement of the subjects they touch at their own time, so only the
# rules that watch time pass (a question waits, a deal idles, a red flag fades) need to be
# woken. Each function below names the instants from which its rule's outcome may change
# with no new event; the engine judges the deal again just after the earliest one to come.
# Naming too many instants costs a judgement; naming too few would miss a breach, so each
# follows its check above term by term.

Wakes = Callable[[HealthRule, Record, datetime], Iterator[datetime]]
DEAL_WAKES: dict[str, Wakes] = {}


def wakes(kind: str) -> Callable[[Wakes], Wakes]:
    def register(fn: Wakes) -> Wakes:
        DEAL_WAKES[kind] = fn
        return fn

    return register


@wakes("question_unanswered_hours")
def _question_waits(rule: HealthRule, deal: Record, now: datetime) -> Iterator[datetime]:
    for asked, answered in deal.get("questions", {}).values():
        if _open_at(answered, now):
            yield _t(asked) + timedelta(hours=rule.threshold)


@wakes("days_without_activity")
def _idles(rule: HealthRule, deal: Record, now: datetime) -> Iterator[datetime]:
    yield _last_activity(deal, now) + timedelta(days=rule.threshold)


@wakes("days_in_stage")
def _stays(rule: HealthRule, deal: Record, now: datetime) -> Iterator[datetime]:
    stays = [s for s in deal.get("stages", []) if _t(s[1]) <= now and _open_at(s[2] or None, now)]
    if stays:
        stage, entered, _ = stays[-1]
        yield _t(entered) + timedelta(days=rule.stage_limits.get(stage, rule.threshold))


@wakes("next_step_overdue_hours")
def _steps_fall_due(rule: HealthRule, deal: Record, now: datetime) -> Iterator[datetime]:
    for due, done in deal.get("next_steps", {}).values():
        if due and _open_at(done, now):
            yield _t(due) + timedelta(hours=rule.threshold)


@wakes("touches_per_week_below")
def _touches_age(rule: HealthRule, deal: Record, now: datetime) -> Iterator[datetime]:
    week = timedelta(days=7)
    yield _t(deal["opened_at"]) + week
    for a in deal.get("activities", []):
        if _t(a[0]) <= now:
            yield _t(a[0]) + week  # the touch leaves the 7-day window


@wakes("days_since_customer_signal")
def _silence_grows(rule: HealthRule, deal: Record, now: datetime) -> Iterator[datetime]:
    # Every signal's time plus the threshold: the latest past one is among them.
    signals = [_t(deal["opened_at"])]
    signals += [_t(asked) for asked, _ in deal.get("questions", {}).values()]
    signals += [_t(answered) for _, answered in deal.get("questions", {}).values() if answered]
    signals += [_t(at) for at, kind, _ in deal.get("key_events", []) if kind in rule.key_events]
    signals += [_t(a[0]) for a in deal.get("activities", []) if a[1] in rule.activity_kinds]
    past = [s for s in signals if s <= now]
    if past:
        yield max(past) + timedelta(days=rule.threshold)


@wakes("red_flag_key_event")
def _flags_fade(rule: HealthRule, deal: Record, now: datetime) -> Iterator[datetime]:
    for at, kind, _ in deal.get("key_events", []):
        if kind in rule.key_events and _t(at) <= now:
            yield _t(at) + timedelta(days=rule.window_days)


def next_wake(rules: HealthRules, deal: Record, now: datetime) -> datetime | None:
    """The earliest instant at or after ``now`` from which the deal's breaches may change
    with time alone (None: only an event can change them). Lead rules need none: a missed
    speed to lead is itself an event, and only events (work, a merge) end it."""
    if not deal.get("opened_at") or _t(deal["opened_at"]) > now:
        return None  # its opening is an event, judged at its time
    closed = deal.get("closed_at")
    if deal.get("status") != "open" and (not closed or _t(closed) <= now):
        return None
    instants = [
        t
        for rule in rules.rules
        if rule.enabled and rule.kind in DEAL_WAKES
        for t in DEAL_WAKES[rule.kind](rule, deal, now)
        if t >= now
    ]
    return min(instants, default=None)


def summary(breaches: list[Breach]) -> dict[str, Any]:
    """Open breaches counted per deal, rep, team and rule."""

    def count(attribute: str) -> dict[str, int]:
        totals: dict[str, int] = {}
        for b in breaches:
            key = getattr(b, attribute) or "unassigned"
            totals[key] = totals.get(key, 0) + 1
        return dict(sorted(totals.items()))

    return {
        "total": len(breaches),
        "by_rule": count("rule"),
        "by_team": count("team"),
        "by_rep": count("rep"),
        "by_deal": {k: v for k, v in count("deal_id").items() if k != "unassigned"},
    }
