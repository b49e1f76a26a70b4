"""The insights projection: every published event folded into plain, JSON-able records.

Records are kept per entity (lead, deal, order, invoice, campaign, ...) exactly as the
events describe them; the reports (funnel, velocity, forecast, health, reconciliation,
campaigns, adherence) join and compute over them at query time. That split is what makes
the read models independent of the order in which different aggregates' events arrive:
each record only ever hears from the aggregates that own it, in their own order.

Idempotence: an event whose aggregate version is not newer than the last one applied for
that aggregate is a redelivery and changes nothing; ERP messages (no version) are
remembered by message id. The clock is the latest event time seen (ticks included).

Memory: a projection on its own holds every record. Given a ``Shelf`` (the worker's
store), the kinds that grow with the business (``SHELVED``: leads, deals, orders,
invoices, ERP documents, the redelivery bookkeeping) live there instead: the projection
keeps the records changed since the last commit and a bounded cache of recently used
ones, and reads the rest from the shelf. The small kinds (reps, campaigns, processes,
snapshots, announced breaches, due judgements) stay resident.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from services.insights.domain.events import Event, iso, money, parse_time

Record = dict[str, Any]

# The processes rule set of the deals service; insights reads stage probabilities and
# each stage's key-event path (SOP) from it.
PROCESSES_RULE_SET = "processes"

# Kinds whose number grows with the business: kept on a shelf when there is one.
SHELVED = frozenset(
    {"lead", "deal", "order", "invoice", "erp_invoice", "erp_payment", "seen", "breach_log"}
)
# The links the joins follow: (kind, attribute naming the parent).
LINKS = (("deal", "lead_id"), ("order", "deal_id"), ("invoice", "order_id"))
CACHED_RECORDS = 5000  # shelved records kept in memory besides the uncommitted ones
# Links a query follows through the shelf's index before it indexes the whole kind.
FROZEN_LOOKUPS = 64


class Shelf(Protocol):
    """Where shelved records are read from (what was committed; the projection holds the
    changes since)."""

    def fetch(self, kind: str, key: str) -> Record | None: ...

    def scan(self, kind: str) -> Iterator[tuple[str, Record]]: ...

    def scan_keys(self, kind: str) -> Iterator[str]: ...

    def linked(self, kind: str, attribute: str, value: str) -> list[str]: ...

    def kinds(self) -> list[str]: ...


@dataclass
class Applied:
    """What one new (not redelivered) event touched."""

    deals: set[str] = field(default_factory=set)
    leads: set[str] = field(default_factory=set)
    ticked: bool = False


class Shelved(Mapping[str, Record]):
    """The records of one shelved kind: the shelf's, overlaid with the uncommitted ones.
    Iterating reads the shelf once (no order is promised; callers sort)."""

    def __init__(self, p: Projection, kind: str) -> None:
        self.p, self.kind = p, kind

    def _pending(self) -> dict[str, Record]:
        return {key: r for (kind, key), r in self.p._pending.items() if kind == self.kind}

    def _pairs(self) -> Iterator[tuple[str, Record]]:
        assert self.p.shelf is not None
        pending, cache = self._pending(), self.p._cache
        for key, record in self.p.shelf.scan(self.kind):
            if key not in pending:
                yield key, cache.get((self.kind, key)) or record
        yield from pending.items()

    def __getitem__(self, key: str) -> Record:
        record = self.p.get(self.kind, key)
        if record is None:
            raise KeyError(key)
        return record

    def __iter__(self) -> Iterator[str]:
        assert self.p.shelf is not None
        pending = self._pending()
        for key in self.p.shelf.scan_keys(self.kind):
            if key not in pending:
                yield key
        yield from pending

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.p.get(self.kind, key) is not None

    def keys(self) -> KeysView[str]:
        return KeysView(self)

    def items(self) -> ItemsView[str, Record]:
        return _ShelvedItems(self)

    def values(self) -> ValuesView[Record]:
        return _ShelvedValues(self)


class _ShelvedItems(ItemsView[str, Record]):
    _mapping: Shelved

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        return self._mapping._pairs()


class _ShelvedValues(ValuesView[Record]):
    _mapping: Shelved

    def __iter__(self) -> Iterator[Record]:
        return (record for _, record in self._mapping._pairs())


class Projection:
    """All records, by kind and id, plus the clock and the consumed positions."""

    def __init__(
        self,
        records: dict[str, dict[str, Record]] | None = None,
        meta: dict[str, Any] | None = None,
        shelf: Shelf | None = None,
        cached: int = CACHED_RECORDS,
        frozen: bool = False,
    ) -> None:
        self.records: dict[str, dict[str, Record]] = records or {}
        self.meta: dict[str, Any] = meta or {}
        self.meta.setdefault("clock", "")
        self.meta.setdefault("positions", {})
        self.dirty: set[tuple[str, str]] = set()
        self.meta_dirty = False
        self._indexes: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._lookups: dict[tuple[str, str], int] = {}
        self._loaded: set[str] = set(self.records)  # resident kinds read (query views)
        self.shelf = shelf
        self.cached = cached
        self.frozen = frozen  # a query's view: never changed, so its indexes stay valid
        self._pending: dict[tuple[str, str], Record] = {}  # shelved, not yet committed
        self._cache: OrderedDict[tuple[str, str], Record] = OrderedDict()

    # -- records --------------------------------------------------------------------------

    def _shelved(self, kind: str) -> bool:
        return self.shelf is not None and kind in SHELVED

    def kinds(self) -> list[str]:
        found = set(self.records)
        if self.shelf is not None:
            found |= set(self.shelf.kinds()) | {kind for kind, _ in self._pending}
        return sorted(found)

    def all(self, kind: str) -> Mapping[str, Record]:
        if self._shelved(kind):
            return Shelved(self, kind)
        return self._resident(kind)

    def get(self, kind: str, key: str) -> Record | None:
        if not self._shelved(kind):
            return self._resident(kind).get(key)
        found = self._pending.get((kind, key))
        if found is not None:
            return found
        found = self._cache.get((kind, key))
        if found is not None:
            self._cache.move_to_end((kind, key))
            return found
        assert self.shelf is not None
        found = self.shelf.fetch(kind, key)
        if found is not None:
            self._keep((kind, key), found)
        return found

    def _resident(self, kind: str) -> dict[str, Record]:
        """A resident kind's records. A query's view reads each kind from the shelf when
        first asked for, so that a query does not load the worker's bookkeeping (the
        breaches announced, the judgements due) it never reads."""
        if self.frozen and self.shelf is not None and kind not in self._loaded:
            self._loaded.add(kind)
            found = dict(self.shelf.scan(kind))
            if found:
                self.records[kind] = found
        return self.records.get(kind, {})

    def _keep(self, at: tuple[str, str], record: Record) -> None:
        self._cache[at] = record
        while len(self._cache) > self.cached:
            self._cache.popitem(last=False)

    def put(self, kind: str, key: str, record: Record) -> None:
        if self._shelved(kind):
            self._cache.pop((kind, key), None)
            self._pending[(kind, key)] = record
            return
        self.records.setdefault(kind, {})[key] = record
        self.dirty.add((kind, key))
        self._forget_indexes(kind)

    def edit(self, kind: str, key: str) -> Record:
        """The record to change in place (created empty); marks it for persisting."""
        if self._shelved(kind):
            record = self.get(kind, key) or {"id": key}
            self.put(kind, key, record)
            return record
        record = self.records.setdefault(kind, {}).setdefault(key, {"id": key})
        self.dirty.add((kind, key))
        self._forget_indexes(kind)
        return record

    def remove(self, kind: str, key: str) -> Record:
        """Take a resident record out (for persisting as deleted)."""
        assert not self._shelved(kind), f"{kind} records are never removed"
        record = self.records[kind].pop(key)
        if not self.records[kind]:
            del self.records[kind]  # as a reopened store would have it
        self.dirty.add((kind, key))
        self._forget_indexes(kind)
        return record

    def _forget_indexes(self, kind: str) -> None:
        if self._indexes:
            for cached in [k for k in self._indexes if k[0] == kind]:
                del self._indexes[cached]

    def take_dirty(self) -> Iterator[tuple[str, str, Record | None]]:
        """What changed since the last call (None: deleted); shelved records move from
        uncommitted to the bounded cache."""
        for kind, key in sorted(self.dirty):
            yield kind, key, self.get(kind, key)
        self.dirty.clear()
        for at, record in sorted(self._pending.items()):
            yield at[0], at[1], record
        for at, record in self._pending.items():
            self._keep(at, record)
        self._pending.clear()

    @property
    def uncommitted(self) -> int:
        return len(self.dirty) + len(self._pending)

    @property
    def in_memory(self) -> int:
        """Records held: resident, uncommitted and cached."""
        return sum(len(r) for r in self.records.values()) + len(self._pending) + len(self._cache)

    # -- clock and positions --------------------------------------------------------------

    @property
    def clock(self) -> datetime | None:
        return parse_time(self.meta["clock"])

    def advance_clock(self, moment: datetime) -> None:
        if not self.meta["clock"] or moment > parse_time(self.meta["clock"]):  # type: ignore[operator]
            self.meta["clock"] = iso(moment)
            self.meta_dirty = True

    def position(self, topic: str, partition: int) -> int:
        """The next offset to read on this partition (0 when nothing was read)."""
        return int(self.meta["positions"].get(f"{topic}:{partition}", 0))

    def seen_offset(self, topic: str, partition: int, offset: int) -> None:
        key = f"{topic}:{partition}"
        if offset + 1 > int(self.meta["positions"].get(key, 0)):
            self.meta["positions"][key] = offset + 1
            self.meta_dirty = True

    def first_deal_opened(self) -> datetime | None:
        """When the first deal opened (kept in the meta; worked out once for a store
        written before it was)."""
        if "first_deal_opened" not in self.meta:
            deals = self.all("deal").values()
            opened = [t for d in deals if (t := parse_time(d.get("opened_at") or ""))]
            self.meta["first_deal_opened"] = iso(min(opened)) if opened else ""
            self.meta_dirty = True
        return parse_time(self.meta["first_deal_opened"])

    def note_deal_opened(self, at: datetime) -> None:
        if "first_deal_opened" in self.meta:  # else worked out when first asked
            first = self.first_deal_opened()
            if first is None or at < first:
                self.meta["first_deal_opened"] = iso(at)
                self.meta_dirty = True

    # -- folding --------------------------------------------------------------------------

    def apply(self, event: Event) -> Applied | None:
        """Fold one event; None when it was already applied (redelivery). Ticks are not
        deduplicated: moving the clock to where it already is changes nothing."""
        if event.type != "ClockTicked" and not self._first_time(event):
            return None
        self.advance_clock(event.occurred_at)
        applied = Applied()
        handler = HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event, applied)
        return applied

    def _first_time(self, event: Event) -> bool:
        if event.version is None:
            key = f"message:{event.event_id}"
            if self.get("seen", key) is not None:
                return False
            self.put("seen", key, {"id": key})
            return True
        seen = self.get("seen", event.aggregate_id)
        if seen is not None and int(seen["version"]) >= event.version:
            return False
        self.put("seen", event.aggregate_id, {"id": event.aggregate_id, "version": event.version})
        return True

    # -- joins ----------------------------------------------------------------------------

    def team_of_rep(self, rep: str) -> str:
        record = self.get("rep", rep)
        return str(record["team"]) if record else ""

    def deal_dims(self, deal: Record) -> dict[str, str]:
        """The slicing dimensions of a deal: from its lead when it has one."""
        lead = self.get("lead", deal.get("lead_id", "")) or {}
        rep = deal.get("owner") or lead.get("rep") or ""
        team = lead.get("team") or self.team_of_rep(rep) or "unassigned"
        return {
            "team": team,
            "rep": rep or "unassigned",
            "campaign": lead.get("campaign") or "none",
            "channel": lead.get("channel") or "direct",
            "product_line": lead.get("product_line") or self._order_line(deal) or "unknown",
            "region": lead.get("region") or "unknown",
        }

    def lead_dims(self, lead: Record) -> dict[str, str]:
        deal = self.deal_of_lead(lead["id"])
        rep = (deal or {}).get("owner") or lead.get("rep") or ""
        team = lead.get("team") or self.team_of_rep(rep) or "unassigned"
        return {
            "team": team,
            "rep": rep or "unassigned",
            "campaign": lead.get("campaign") or "none",
            "channel": lead.get("channel") or "direct",
            "product_line": lead.get("product_line") or "unknown",
            "region": lead.get("region") or "unknown",
        }

    def deal_of_lead(self, lead_id: str) -> Record | None:
        """The lead's deal (the first by id should a lead have opened several)."""
        deal_ids = self._linked("deal", "lead_id", lead_id)
        return self.get("deal", deal_ids[0]) if deal_ids else None

    def orders_of_deal(self, deal_id: str) -> list[Record]:
        return self._records("order", self._linked("order", "deal_id", deal_id))

    def invoices_of_order(self, order_id: str) -> list[Record]:
        return self._records("invoice", self._linked("invoice", "order_id", order_id))

    def _records(self, kind: str, keys: list[str]) -> list[Record]:
        return [r for r in (self.get(kind, k) for k in keys) if r is not None]

    def _order_line(self, deal: Record) -> str:
        for order in self.orders_of_deal(deal["id"]):
            return main_product_line(order)
        return ""

    def _linked(self, kind: str, attribute: str, value: str) -> list[str]:
        """Ids of the ``kind`` records whose ``attribute`` is ``value``, sorted. A frozen
        projection (a query's) or one without a shelf indexes them all once; the worker's
        asks its shelf, so that a fold never walks every record of a kind."""
        if self.shelf is None:
            return self._index(kind, attribute).get(value, [])
        if self.frozen:
            # A query: ask the shelf's index for a few, index the kind once for many (a
            # report walking every order) — one order's answer must not walk them all.
            asked = self._lookups[(kind, attribute)] = self._lookups.get((kind, attribute), 0) + 1
            if asked > FROZEN_LOOKUPS or (kind, attribute) in self._indexes:
                return self._index(kind, attribute).get(value, [])
            return sorted(self.shelf.linked(kind, attribute, value))
        found = set(self.shelf.linked(kind, attribute, value))
        for (pending_kind, key), record in self._pending.items():
            if pending_kind == kind:
                if record.get(attribute) == value:
                    found.add(key)
                else:
                    found.discard(key)
        return sorted(found)

    @property
    def indexed(self) -> set[tuple[str, str]]:
        """The links indexed by walking every record of their kind."""
        return set(self._indexes)

    def _index(self, kind: str, attribute: str) -> dict[str, list[str]]:
        """attribute value -> ids of the records with it, sorted (cached until a record of
        that kind changes)."""
        index = self._indexes.get((kind, attribute))
        if index is None:
            index = {}
            for key, record in sorted(self.all(kind).items()):
                value = record.get(attribute)
                if value:
                    index.setdefault(value, []).append(key)
            self._indexes[(kind, attribute)] = index
        return index

    def processes(self, version: int | None = None) -> dict[str, Any] | None:
        """The processes document of ``version`` (latest when None)."""
        versions = self.all("processes")
        if not versions:
            return None
        if version is not None and str(version) in versions:
            return dict(versions[str(version)]["document"])
        latest = max(versions, key=int)
        return dict(versions[latest]["document"])

    def stage_plan(self, process_id: str, version: int | None) -> list[dict[str, Any]]:
        document = self.processes(version) or {}
        for process in document.get("processes", []):
            if process.get("id") == process_id:
                return list(process.get("stages", []))
        return []


def main_product_line(order: Record) -> str:
    lines: dict[str, str] = order.get("product_lines", {})
    if not lines:
        return ""
    return max(sorted(lines), key=lambda line: Decimal(lines[line]))


# -- handlers -------------------------------------------------------------------------------

Handler = Callable[[Projection, Event, Applied], None]
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def _at(event: Event, field_name: str = "") -> str:
    """A timestamp field of the payload, or the event time."""
    value = event.data.get(field_name) if field_name else None
    moment = parse_time(value) if value else None
    return iso(moment or event.occurred_at)


# Leads and campaigns


@handles("LeadCaptured")
def _lead_captured(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    d = e.data
    lead.update(
        captured_at=iso(e.occurred_at),
        channel=d.get("source", ""),
        campaign=d.get("campaign_id", ""),
        region=d.get("region", ""),
        product_line=d.get("product_interest", ""),
        company=d.get("company", ""),
    )
    applied.leads.add(e.aggregate_id)


@handles("LeadEnriched")
def _lead_enriched(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    lead["region"] = lead.get("region") or e.data.get("region", "")
    lead["industry"] = e.data.get("industry", "")


@handles("LeadMarketingQualified", "LeadRequalified")
def _lead_mql(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    lead.setdefault("mql_at", iso(e.occurred_at))


def _worked(lead: Record, e: Event) -> None:
    """The lead was worked: ``worked_at`` is the latest time, ``worked`` every time (the
    speed-to-lead rule asks whether it had been worked by a moment)."""
    lead["worked_at"] = iso(e.occurred_at)
    lead.setdefault("worked", []).append(iso(e.occurred_at))


@handles("LeadSalesAccepted", "LeadConverted")
def _lead_sql(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    lead.setdefault("sql_at", iso(e.occurred_at))
    _worked(lead, e)
    if e.type == "LeadConverted":
        lead["converted_at"] = iso(e.occurred_at)
    applied.leads.add(e.aggregate_id)


@handles("LeadSalesRejected", "LeadReturnedToNurture")
def _lead_worked(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    _worked(lead, e)
    if e.type == "LeadSalesRejected":
        lead["rejected_at"] = iso(e.occurred_at)
    applied.leads.add(e.aggregate_id)


@handles("LeadRouted")
def _lead_routed(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    team, rep = e.data.get("team", ""), e.data.get("rep", "")
    lead.update(team=team, rep=rep, routed_at=iso(e.occurred_at))
    if rep and team:
        known = p.get("rep", rep)
        at = iso(e.occurred_at)
        # The latest routing (by event time, then team name) says which team a rep is in.
        if known is None or (known["at"], known["team"]) < (at, team):
            p.put("rep", rep, {"id": rep, "team": team, "at": at})


@handles("LeadSpeedToLeadMissed")
def _lead_speed_missed(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    lead.update(
        speed_missed_at=iso(e.occurred_at),
        speed_deadline=_at(e, "deadline_at"),
        rep=e.data.get("rep", lead.get("rep", "")),
        team=e.data.get("team", lead.get("team", "")),
    )
    applied.leads.add(e.aggregate_id)


@handles("LeadDuplicateFlagged")
def _lead_duplicate_flagged(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    lead["duplicate_flagged_at"] = iso(e.occurred_at)
    matches = e.data.get("matches") or [{}]
    lead["duplicate_of"] = matches[0].get("owner_id", "")
    applied.leads.add(e.aggregate_id)


@handles("LeadMerged")
def _lead_merged(p: Projection, e: Event, applied: Applied) -> None:
    lead = p.edit("lead", e.aggregate_id)
    lead.update(merged_into=e.data.get("survivor_id", ""), merged_at=iso(e.occurred_at))
    applied.leads.add(e.aggregate_id)


@handles("LeadMergeUndone")
def _lead_merge_undone(p: Projection, e: Event, applied: Applied) -> None:
    p.edit("lead", e.aggregate_id)["merged_into"] = ""


@handles("CampaignLaunched")
def _campaign_launched(p: Projection, e: Event, applied: Applied) -> None:
    currency, cost = money(e.data.get("cost"))
    p.edit("campaign", e.data.get("campaign_id", e.aggregate_id)).update(
        name=e.data.get("name", ""),
        channel_type=e.data.get("channel_type", ""),
        currency=currency,
        cost=str(cost),
        starts_on=e.data.get("starts_on", ""),
        ends_on=e.data.get("ends_on", ""),
    )


@handles("CampaignCostRecorded")
def _campaign_cost(p: Projection, e: Event, applied: Applied) -> None:
    currency, cost = money(e.data.get("cost"))  # the campaign's cost to date, not a delta
    p.edit("campaign", e.data.get("campaign_id", e.aggregate_id)).update(
        currency=currency, cost=str(cost)
    )


@handles("RuleSetPublished")
def _rule_set(p: Projection, e: Event, applied: Applied) -> None:
    if e.data.get("name") != PROCESSES_RULE_SET:
        return
    version = str(e.data.get("version", 1))
    p.put("processes", version, {"id": version, "document": json.loads(e.data["document_json"])})


# Deals


def _deal(p: Projection, e: Event, applied: Applied) -> Record:
    applied.deals.add(e.aggregate_id)
    return p.edit("deal", e.aggregate_id)


def _timeline(deal: Record, e: Event, name: str, value: Any) -> None:
    deal.setdefault("timeline", []).append([iso(e.occurred_at), name, value])


@handles("DealOpened")
def _deal_opened(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    d = e.data
    currency, amount = money(d.get("amount"))
    at = iso(e.occurred_at)
    p.note_deal_opened(e.occurred_at)
    probability = int(d.get("win_probability_percent", 0))
    deal.update(
        lead_id=d.get("lead_id", ""),
        name=d.get("name", ""),
        owner=d.get("owner_id", ""),
        company=d.get("company", ""),
        process=d.get("pipeline_id", ""),
        process_version=int(d.get("process_version", 0) or 0),
        opened_at=at,
        currency=currency,
        amount=str(amount),
        stage=d.get("stage", ""),
        probability=probability,
        stages=[[d.get("stage", ""), at, None]],
        status="open",
        category="pipeline",
        close_date="",
        slips=0,
    )
    _timeline(deal, e, "opened", {"amount": str(amount), "probability": probability})


@handles("DealStageAdvanced", "DealStageMovedBack")
def _deal_stage(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    at = iso(e.occurred_at)
    stages = deal.setdefault("stages", [])
    if stages and stages[-1][2] is None:
        stages[-1][2] = at
    stages.append([e.data.get("to_stage", ""), at, None])
    deal["stage"] = e.data.get("to_stage", "")
    deal["probability"] = int(e.data.get("win_probability_percent", 0))
    if e.type == "DealStageMovedBack":
        deal["moved_back"] = int(deal.get("moved_back", 0)) + 1
    if e.data.get("overridden_by"):
        deal.setdefault("overrides", []).append([at, e.data.get("from_stage", "")])
    _timeline(deal, e, "probability", deal["probability"])


@handles("DealProcessMigrated")
def _deal_migrated(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    deal["process"] = e.data.get("to_process", deal.get("process", ""))
    deal["process_version"] = int(e.data.get("to_version", 0) or 0)


@handles("DealKeyEventRecorded")
def _deal_key_event(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    stage = e.data.get("stage") or deal.get("stage", "")
    deal.setdefault("key_events", []).append([iso(e.occurred_at), e.data.get("kind", ""), stage])


@handles("DealActivityLogged")
def _deal_activity(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    ratio = e.data.get("rep_talk_ratio", -1.0)
    deal.setdefault("activities", []).append(
        [
            _at(e, "at"),
            e.data.get("kind", ""),
            None if ratio is None or float(ratio) < 0 else float(ratio),
            e.data.get("stakeholder_id", ""),
        ]
    )


@handles("DealStakeholderAdded")
def _stakeholder_added(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    deal.setdefault("stakeholders", {})[e.data.get("stakeholder_id", "")] = {
        "role": e.data.get("role", ""),
        "attitude": e.data.get("attitude", ""),
        "level": e.data.get("level", ""),
        "contacted": 0,
    }


@handles("DealStakeholderChanged")
def _stakeholder_changed(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    person = deal.setdefault("stakeholders", {}).setdefault(
        e.data.get("stakeholder_id", ""), {"role": "", "attitude": "", "level": "", "contacted": 0}
    )
    for name in ("role", "attitude"):
        if e.data.get(name):
            person[name] = e.data[name]


@handles("DealStakeholderContacted")
def _stakeholder_contacted(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    person = deal.setdefault("stakeholders", {}).setdefault(
        e.data.get("stakeholder_id", ""), {"role": "", "attitude": "", "level": "", "contacted": 0}
    )
    person["contacted"] = int(person.get("contacted", 0)) + 1


@handles("DealBlockerRaised")
def _blocker_raised(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    deal.setdefault("blockers", {})[e.data.get("blocker_id", "")] = iso(e.occurred_at)


@handles("DealBlockerResolved")
def _blocker_resolved(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    blocker = e.data.get("blocker_id", "")
    raised = deal.setdefault("blockers", {}).pop(blocker, None)
    if raised is not None:  # kept with its span, so rules can be evaluated as of any moment
        deal.setdefault("resolved_blockers", {})[blocker] = [raised, iso(e.occurred_at)]


@handles("DealCustomerQuestionAsked")
def _question_asked(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    deal.setdefault("questions", {})[e.data.get("question_id", "")] = [_at(e, "asked_at"), None]


@handles("DealCustomerQuestionAnswered")
def _question_answered(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    question = deal.setdefault("questions", {}).setdefault(
        e.data.get("question_id", ""), [iso(e.occurred_at), None]
    )
    question[1] = _at(e, "answered_at")


@handles("DealNextStepAgreed")
def _next_step_agreed(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    deal.setdefault("next_steps", {})[e.data.get("step_id", "")] = [_at(e, "due_at"), None]


@handles("DealNextStepRescheduled")
def _next_step_rescheduled(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    step = deal.setdefault("next_steps", {}).setdefault(e.data.get("step_id", ""), ["", None])
    step[0] = _at(e, "due_at")


@handles("DealNextStepDone")
def _next_step_done(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    step = deal.setdefault("next_steps", {}).setdefault(e.data.get("step_id", ""), ["", None])
    step[1] = iso(e.occurred_at)


@handles("DealCloseDatePlanned")
def _close_date(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    deal["close_date"] = e.data.get("close_date", "")
    if e.data.get("slipped"):
        deal["slips"] = int(deal.get("slips", 0)) + 1
        deal.setdefault("slip_times", []).append(iso(e.occurred_at))
    _timeline(deal, e, "close_date", deal["close_date"])


@handles("DealAmountChanged")
def _amount_changed(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    currency, amount = money(e.data.get("amount"))
    deal.update(currency=currency, amount=str(amount))
    _timeline(deal, e, "amount", str(amount))


@handles("DealForecastCategoryChanged")
def _category_changed(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    deal["category"] = e.data.get("category", "pipeline")
    _timeline(deal, e, "category", deal["category"])


def _close(deal: Record, e: Event, status: str, closed_at: str) -> None:
    stages = deal.setdefault("stages", [])
    if stages and stages[-1][2] is None:
        stages[-1][2] = closed_at
    deal["status"] = status
    deal["closed_at"] = closed_at
    _timeline(deal, e, "status", status)


@handles("DealWon")
def _deal_won(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    currency, amount = money(e.data.get("amount"))
    deal["won_amount"] = str(amount) if currency else deal.get("amount", "0")
    if currency:
        deal["currency"] = currency
    _close(deal, e, "won", _at(e, "closed_at"))


@handles("DealLost")
def _deal_lost(p: Projection, e: Event, applied: Applied) -> None:
    deal = _deal(p, e, applied)
    deal["loss_reason"] = e.data.get("reason", "")
    deal["competitor"] = e.data.get("competitor", "")
    _close(deal, e, "lost", iso(e.occurred_at))


@handles("DealClosedWithoutDecision")
def _deal_no_decision(p: Projection, e: Event, applied: Applied) -> None:
    _close(_deal(p, e, applied), e, "no_decision", iso(e.occurred_at))


# Orders, invoices and the ERP's side


def _lines(lines: list[dict[str, Any]]) -> dict[str, str]:
    totals: dict[str, Decimal] = {}
    for line in lines:
        _, amount = money(line.get("net_amount"))
        name = line.get("product_line") or "unknown"
        totals[name] = totals.get(name, Decimal(0)) + amount
    return {k: str(v) for k, v in sorted(totals.items())}


def _installments(items: list[dict[str, Any]]) -> list[Record]:
    return [
        {
            "number": int(i.get("number", 0)),
            "amount": str(money(i.get("amount"))[1]),
            "trigger": i.get("trigger", ""),
            "due_date": i.get("due_date", ""),
            "status": i.get("status", "planned"),
            "invoice_id": i.get("invoice_id", ""),
        }
        for i in items
    ]


@handles("OrderBooked")
def _order_booked(p: Projection, e: Event, applied: Applied) -> None:
    order = p.edit("order", e.aggregate_id)
    d = e.data
    currency, amount = money(d.get("amount"))
    order.update(
        deal_id=d.get("deal_id", ""),
        owner=d.get("owner_id", ""),
        company=d.get("company", ""),
        booked_at=iso(e.occurred_at),
        booked_on=d.get("booked_on") or e.occurred_at.date().isoformat(),
        currency=currency,
        amount=str(amount),
        product_lines=_lines(d.get("lines", [])),
        installments=_installments(d.get("installments", [])),
    )


@handles("OrderCreditChecked")
def _order_credit(p: Projection, e: Event, applied: Applied) -> None:
    p.edit("order", e.aggregate_id)["held"] = not e.data.get("approved", False)


@handles("OrderCreditReleased")
def _order_released(p: Projection, e: Event, applied: Applied) -> None:
    p.edit("order", e.aggregate_id)["held"] = False


@handles("OrderCancelled")
def _order_cancelled(p: Projection, e: Event, applied: Applied) -> None:
    p.edit("order", e.aggregate_id)["cancelled_at"] = iso(e.occurred_at)


@handles("OrderAmended")
def _order_amended(p: Projection, e: Event, applied: Applied) -> None:
    order = p.edit("order", e.aggregate_id)
    order["amount"] = str(money(e.data.get("amount"))[1])
    if e.data.get("lines"):
        order["product_lines"] = _lines(e.data["lines"])
    if e.data.get("installments"):
        order["installments"] = _installments(e.data["installments"])


@handles("OrderLinesReturned")
def _order_returned(p: Projection, e: Event, applied: Applied) -> None:
    order = p.edit("order", e.aggregate_id)
    value = money(e.data.get("value"))[1]
    order["amount"] = str(Decimal(order.get("amount", "0")) - value)
    order["returned"] = str(Decimal(order.get("returned", "0")) + value)
    if e.data.get("installments"):
        order["installments"] = _installments(e.data["installments"])


@handles("InstallmentInvoiced")
def _installment_invoiced(p: Projection, e: Event, applied: Applied) -> None:
    order = p.edit("order", e.aggregate_id)
    for item in order.get("installments", []):
        if item["number"] == int(e.data.get("installment", 0)):
            item["status"] = "invoiced"
            item["invoice_id"] = e.data.get("invoice_id", "")


@handles("InvoiceIssued")
def _invoice_issued(p: Projection, e: Event, applied: Applied) -> None:
    invoice = p.edit("invoice", e.aggregate_id)
    d = e.data
    currency, amount = money(d.get("amount"))
    invoice.update(
        order_id=d.get("order_id", ""),
        number=d.get("number", ""),
        currency=currency,
        amount=str(amount),
        issued_at=iso(e.occurred_at),
        issued_on=d.get("issued_on") or e.occurred_at.date().isoformat(),
        due_on=d.get("due_on") or "",
        installment=int(d.get("installment", 0)),
    )
    invoice.setdefault("paid", "0")
    invoice.setdefault("credited", "0")
    invoice.setdefault("excess", "0")


@handles("InvoicePostedByErp")
def _invoice_posted(p: Projection, e: Event, applied: Applied) -> None:
    invoice = p.edit("invoice", e.aggregate_id)
    invoice["posted_at"] = _at(e, "posted_at")
    invoice["erp_number"] = e.data.get("erp_number", "")


@handles("PaymentApplied")
def _payment_applied(p: Projection, e: Event, applied: Applied) -> None:
    invoice = p.edit("invoice", e.aggregate_id)
    amount = money(e.data.get("amount"))[1]
    excess = money(e.data.get("excess"))[1]
    invoice["paid"] = str(Decimal(invoice.get("paid", "0")) + amount)
    invoice["excess"] = str(Decimal(invoice.get("excess", "0")) + excess)
    invoice.setdefault("payments", []).append(
        [iso(e.occurred_at), e.data.get("payment_id", ""), str(amount)]
    )


@handles("CreditNoteIssued")
def _credit_note(p: Projection, e: Event, applied: Applied) -> None:
    invoice = p.edit("invoice", e.data.get("invoice_id") or e.aggregate_id)
    amount = money(e.data.get("amount"))[1]
    invoice["credited"] = str(Decimal(invoice.get("credited", "0")) + amount)


@handles("ErpInvoicePosted")
def _erp_invoice_posted(p: Projection, e: Event, applied: Applied) -> None:
    currency, amount = money(e.data.get("amount"))
    p.put(
        "erp_invoice",
        e.data.get("invoice_id", ""),
        {
            "id": e.data.get("invoice_id", ""),
            "currency": currency,
            "amount": str(amount),
            "posted_at": _at(e, "posted_at"),
            "erp_number": e.data.get("erp_invoice_number", ""),
        },
    )


@handles("ErpPaymentReceived")
def _erp_payment(p: Projection, e: Event, applied: Applied) -> None:
    currency, amount = money(e.data.get("amount"))
    p.put(
        "erp_payment",
        e.data.get("payment_id", ""),
        {
            "id": e.data.get("payment_id", ""),
            "invoice_id": e.data.get("invoice_id", ""),
            "currency": currency,
            "amount": str(amount),
            "received_at": _at(e, "received_at"),
        },
    )


@handles("ClockTicked")
def _tick(p: Projection, e: Event, applied: Applied) -> None:
    tick = parse_time(p.meta.get("tick_clock", ""))
    if tick is None or e.occurred_at > tick:
        p.meta["tick_clock"] = iso(e.occurred_at)
        p.meta_dirty = True
    applied.ticked = True
