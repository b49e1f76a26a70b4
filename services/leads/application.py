"""Use cases of the leads service: load, decide, save (through the kernel's execute)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from eventsourcing.application import AggregateNotFoundError

from kernel.domain import L2CAggregate, Money, command_context, current_context, utcnow
from kernel.errors import DomainError, InvalidCommand, NotFound, RuleViolation
from kernel.rules import RuleCatalog
from kernel.settings import Settings
from kernel.store import Result, ServiceApplication, fingerprint_of
from services.leads.adapters.rules_schema import (
    RoutingRulesSchema,
    ScoringRulesSchema,
    TerritoryRulesSchema,
)
from services.leads.domain.account import Account
from services.leads.domain.campaign import Campaign
from services.leads.domain.identity import IdentityKey
from services.leads.domain.lead import Contact, DuplicateMatch, Lead, LeadStatus
from services.leads.domain.matching import MatchKey, match_keys, web_domain
from services.leads.domain.routing import RoutingRules, TeamDesk
from services.leads.domain.scoring import ScoringRules, score
from services.leads.domain.territory import TerritoryRules, preview_moves

CONFIG_DIR = Path(__file__).resolve().parent / "config"


class ProviderUnavailable(Exception):
    """The firmographics provider could not answer now (down, unreadable, timed out)."""


class FirmographicsProvider(Protocol):
    """Port: what is known of a company, by web domain or else by name (None: unknown)."""

    name: str

    def lookup(self, domain: str, company: str) -> Firmographics | None: ...


@dataclass(frozen=True)
class Firmographics:
    """What a firmographics provider knows of a company."""

    industry: str
    company_size: str
    headcount: int
    region: str
    provider: str


@dataclass(frozen=True)
class ImportRow:
    """One parsed row of a bulk import: a contact, or the reason it could not be read."""

    row: int
    contact: Contact | None
    campaign_id: str = ""
    error: str = ""


class LeadsApplication(ServiceApplication):
    name = "leads"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.scoring_rules = RuleCatalog(
            self, "scoring", ScoringRulesSchema, CONFIG_DIR / "scoring.json"
        )
        self.scoring_rules.ensure_published()
        self.routing_rules = RuleCatalog(self, "routing", RoutingRulesSchema,
                                         CONFIG_DIR / "routing.json")
        self.routing_rules.ensure_published()
        self.territory_rules = RuleCatalog(self, "territories", TerritoryRulesSchema,
                                           CONFIG_DIR / "territories.json")
        self.territory_rules.ensure_published()

    # -- territories and the public pool ------------------------------------------------

    def current_territories(self) -> TerritoryRules:
        version, schema = self.territory_rules.current()
        return schema.to_domain(version)

    def preview_territories(
        self, document: dict[str, Any], account_ids: Iterable[uuid.UUID]
    ) -> dict[str, Any]:
        """What activating ``document`` would move; nothing is written."""
        proposed = self.territory_rules.validate(document).to_domain(0)
        accounts = [self.get_account(a).snapshot() for a in account_ids]
        moves = preview_moves(accounts, proposed)
        return {"accounts": len(accounts), "moves": moves}

    def activate_territories(
        self, document: dict[str, Any], note: str, account_ids: Iterable[uuid.UUID], *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Publish the rules as a new version, then re-place every account under them."""
        published = self.territory_rules.publish(document, note, idempotency_key)
        rules = self.current_territories()
        moved = 0
        for account_id in account_ids:
            result = self._place_account(account_id, rules)
            moved += int(result["moved"])
        return {**published, "moved": moved}

    def _place_account(self, account_id: uuid.UUID, rules: TerritoryRules) -> Result:
        def decide() -> tuple[list[Account], Result]:
            account = self.get_account(account_id)
            before = (account.territory, account.owner)
            account.place(rules.territory_for(account.region, account.industry), rules.version,
                          current_context().occurred_at or utcnow())
            return [account], {"moved": (account.territory, account.owner) != before}

        return self.execute("place_account", decide, retries=2,
                            idempotency_key=f"territories:v{rules.version}:{account_id}")

    def record_visit(
        self, account_id: uuid.UUID, rep: str, at: datetime, *,
        idempotency_key: str | None = None,
    ) -> Result:
        return self.update("record_visit", Account, account_id,
                           lambda account: account.record_visit(rep, at), _account_state,
                           idempotency_key=idempotency_key, request=[rep, at])

    def claim_account(
        self, account_id: uuid.UUID, rep: str, *, idempotency_key: str | None = None
    ) -> Result:
        at = current_context().occurred_at or utcnow()
        return self.update("claim_account", Account, account_id,
                           lambda account: account.claim(rep, at), _account_state,
                           idempotency_key=idempotency_key, request=[rep])

    def sweep_public_pool(self, now: datetime, account_ids: Iterable[uuid.UUID]) -> list[str]:
        """Every account whose owner let its N days pass without a visit returns to the
        public pool, dated when it became due (the clock follows event time)."""
        returned = []
        for account_id in account_ids:
            due = self.get_account(account_id).due_back_at()
            if due is None or due > now:
                continue

            def decide(account_id: uuid.UUID = account_id) -> tuple[list[Account], Result]:
                account = self.get_account(account_id)
                return [account], {"due": str(account.return_to_public_pool_if_idle(now))}

            with command_context(replace(current_context(), occurred_at=due,
                                         actor_id="leads.public-pool-clock",
                                         actor_kind="policy")):
                self.execute("return_to_public_pool", decide, retries=2,
                             idempotency_key=f"public-pool:{account_id}:{due.isoformat()}")
            returned.append(str(account_id))
        return returned

    # -- routing -----------------------------------------------------------------------

    def current_routing(self) -> RoutingRules:
        version, schema = self.routing_rules.current()
        return schema.to_domain(version)

    def _desk(self, team: str) -> TeamDesk:
        try:
            desk: TeamDesk = self.repository.get(TeamDesk.create_id(team))
        except AggregateNotFoundError:
            desk = TeamDesk(team=team)
        return desk

    def _route_if_due(
        self, lead: Lead, loaded: Sequence[L2CAggregate] = ()
    ) -> list[L2CAggregate]:
        """A lead that just became an MQL goes to a team and a rep, with a deadline.
        ``loaded``: aggregates the command already holds (a desk must be saved once)."""
        if not lead.awaits_routing:
            return []
        rules = self.current_routing()
        team_name, why = rules.team_for(lead.profile)
        desk = next((a for a in loaded if isinstance(a, TeamDesk) and a.team == team_name),
                    None) or self._desk(team_name)
        rep = desk.pick(rules.teams[team_name], set(lead.rejected_by))
        if rep is None:
            lead.queue_for_manual_routing(
                team_name, f"every rep of {team_name} rejected it; {why}")
            return []
        now = current_context().occurred_at or utcnow()
        grade = lead.score.get("grade", "")
        deadline = now + timedelta(minutes=rules.minutes_to_first_touch(grade))
        desk.assign(lead.id, rep, deadline)
        lead.route_to(team_name, rep, why, deadline)
        return [desk]

    def _release(self, lead: Lead, why: str) -> list[L2CAggregate]:
        if not lead.team:
            return []
        desk = self._desk(lead.team)
        desk.release(lead.id, why)
        return [desk]

    def _update_lead(
        self, name: str, lead_id: uuid.UUID,
        change: Callable[[Lead], list[L2CAggregate] | None],
        answer: Callable[[Lead], Result], *, idempotency_key: str | None,
        expected_version: int | None = None, request: Sequence[Any] = (),
    ) -> Result:
        """Change one lead (and whatever desks it touches), then route it if it just
        qualified; all in one transaction."""

        def decide() -> tuple[list[L2CAggregate], Result]:
            lead = self.load(Lead, lead_id, expected_version)
            extra = change(lead) or []
            extra += [d for d in self._route_if_due(lead, extra) if d not in extra]
            return [lead, *extra], answer(lead)

        return self.execute(name, decide, idempotency_key=idempotency_key,
                            fingerprint=fingerprint_of(name, lead_id, *request),
                            retries=2 if expected_version is None else 0)

    def reject_assignment(
        self, lead_id: uuid.UUID, rep: str, reason: str, *, idempotency_key: str | None = None
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            released = self._release(lead, f"rejected by {rep}: {reason}")
            lead.reject_assignment(rep, reason)
            return released

        return self._update_lead("reject_assignment", lead_id, change, _routed_state,
                                 idempotency_key=idempotency_key, request=[rep, reason])

    def return_lead(
        self, lead_id: uuid.UUID, rep: str, reason: str, *, idempotency_key: str | None = None
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            released = self._release(lead, f"returned by {rep}: {reason}")
            lead.return_to_nurture(rep, reason)
            return released

        return self._update_lead("return_lead", lead_id, change, _routed_state,
                                 idempotency_key=idempotency_key, request=[rep, reason])

    def assign_lead(
        self, lead_id: uuid.UUID, team: str, rep: str, note: str, *,
        idempotency_key: str | None = None,
    ) -> Result:
        """Manual routing (the manual queue, or a manager moving a lead)."""
        rules = self.current_routing()
        if team not in rules.teams or rep not in rules.teams[team].reps:
            raise InvalidCommand(f"{rep!r} is not a rep of team {team!r}")

        def change(lead: Lead) -> list[L2CAggregate]:
            if lead.status is not LeadStatus.MQL:
                raise RuleViolation(f"lead {lead.id} is {lead.status.value}; only MQLs are routed")
            released = self._release(lead, f"reassigned to {rep}")
            desk = next((d for d in released if isinstance(d, TeamDesk) and d.team == team),
                        None) or self._desk(team)
            now = current_context().occurred_at or utcnow()
            deadline = now + timedelta(
                minutes=rules.minutes_to_first_touch(lead.score.get("grade", "")))
            desk.assign(lead.id, rep, deadline)
            lead.route_to(team, rep, f"assigned manually: {note}".strip(), deadline)
            return [*released, desk] if desk not in released else released

        return self._update_lead("assign_lead", lead_id, change, _routed_state,
                                 idempotency_key=idempotency_key, request=[team, rep, note])

    def flag_missed_deadlines(self, now: datetime) -> list[str]:
        """The speed-to-lead clock: every lead whose first-touch deadline passed without
        sales accepting or rejecting it gets a SpeedToLeadMissed event, at the deadline."""
        flagged = []
        for team in self.current_routing().teams:
            if not self.exists(TeamDesk.create_id(team)):
                continue
            for lead_key in self._desk(team).overdue(now):
                if self._flag_missed(team, uuid.UUID(lead_key)):
                    flagged.append(lead_key)
        return flagged

    def _flag_missed(self, team: str, lead_id: uuid.UUID) -> bool:
        desk = self._desk(team)
        deadline = desk.deadlines[str(lead_id)]

        def decide() -> tuple[list[L2CAggregate], Result]:
            lead, desk_now = self.load(Lead, lead_id), self._desk(team)
            missed = lead.miss_speed_to_lead(deadline)
            desk_now.note_missed(lead_id)
            return [lead, desk_now], {"missed": missed}

        with command_context(replace(current_context(), occurred_at=deadline,
                                     actor_id="leads.speed-to-lead-clock", actor_kind="policy")):
            result = self.execute("flag_missed_deadline", decide, retries=2,
                                  idempotency_key=f"speed-to-lead:{lead_id}:{deadline.isoformat()}")
        return bool(result["missed"])

    # -- scoring -----------------------------------------------------------------------

    def current_scoring(self) -> ScoringRules:
        version, schema = self.scoring_rules.current()
        return schema.to_domain(version)

    def _rescore(self, lead: Lead, as_of: datetime) -> None:
        previous = lead.score.get("as_of")
        moment = max(as_of, previous) if isinstance(previous, datetime) else as_of
        lead.apply_score(
            score(lead.profile, lead.engagement_history, self.current_scoring(), moment)
        )

    def record_engagement(
        self,
        lead_id: uuid.UUID,
        kind: str,
        occurred_at: datetime,
        *,
        ref: str = "",
        idempotency_key: str | None = None,
    ) -> Result:
        def change(lead: Lead) -> None:
            if lead.record_engagement(kind, occurred_at, ref):
                self._rescore(lead, occurred_at)

        return self._update_lead(
            "record_engagement",
            lead_id,
            change,
            _scored_state,
            idempotency_key=idempotency_key,
            request=[kind, occurred_at, ref],
        )

    def enrich_lead(
        self,
        lead_id: uuid.UUID,
        found: Firmographics,
        *,
        as_of: datetime,
        idempotency_key: str | None = None,
    ) -> Result:
        def change(lead: Lead) -> None:
            lead.enrich(
                found.industry, found.company_size, found.headcount, found.region, found.provider
            )
            self._rescore(lead, as_of)

        return self._update_lead(
            "enrich_lead",
            lead_id,
            change,
            _scored_state,
            idempotency_key=idempotency_key,
            request=[found],
        )

    def enrich_from(
        self,
        lead_id: uuid.UUID,
        provider: FirmographicsProvider,
        *,
        as_of: datetime,
        attempts: int = 3,
        backoff_seconds: float = 0.5,
        idempotency_key: str | None = None,
    ) -> Result:
        """Ask the provider (retrying while it is down) and record what came of it: the
        firmographics, or a failure that says whether a later retry can help."""
        lead = self.get_lead(lead_id)
        domain = web_domain(lead.website, lead.email)
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                found = provider.lookup(domain, lead.company)
                break
            except ProviderUnavailable as exc:
                error = str(exc)
                if attempt < attempts:
                    time.sleep(backoff_seconds * 2 ** (attempt - 1))
        else:
            return self.record_enrichment_failure(
                lead_id,
                f"{provider.name} unavailable after {attempts} attempts: {error}",
                attempts,
                True,
                as_of=as_of,
                idempotency_key=idempotency_key,
            )
        if found is None:
            return self.record_enrichment_failure(
                lead_id,
                f"{provider.name} knows no company {domain or lead.company or '(none)'}",
                attempt,
                False,
                as_of=as_of,
                idempotency_key=idempotency_key,
            )
        return self.enrich_lead(lead_id, found, as_of=as_of, idempotency_key=idempotency_key)

    def record_enrichment_failure(
        self,
        lead_id: uuid.UUID,
        reason: str,
        attempts: int,
        retryable: bool,
        *,
        as_of: datetime,
        idempotency_key: str | None = None,
    ) -> Result:
        """The lead is scored on what it has; enrichment can be retried later."""

        def change(lead: Lead) -> None:
            lead.record_enrichment_failure(reason, attempts, retryable)
            self._rescore(lead, as_of)

        return self._update_lead(
            "record_enrichment_failure",
            lead_id,
            change,
            _scored_state,
            idempotency_key=idempotency_key,
            request=[reason, attempts],
        )

    def explain_score(self, lead_id: uuid.UUID) -> dict[str, Any]:
        """The lead's latest recorded score next to the same score recomputed from its
        history and the rule-set version it used."""
        scored = [e for e in self.history(Lead, lead_id) if type(e).__name__ == "Scored"]
        if not scored:
            raise NotFound(f"lead {lead_id} has not been scored yet")
        recorded: Any = scored[-1]
        then: Lead = self.repository.get(lead_id, version=recorded.originator_version)
        version, schema = (
            recorded.rule_set_version,
            self.scoring_rules.version(recorded.rule_set_version),
        )
        again = score(
            then.profile, then.engagement_history, schema.to_domain(version), recorded.as_of
        )
        recomputed = [{"rule": c.rule, "points": c.points} for c in again.contributions]
        return {
            "lead_id": str(lead_id),
            "rule_set_version": version,
            "as_of": recorded.as_of.isoformat(),
            "recorded": {
                "total": recorded.total,
                "grade": recorded.grade,
                "contributions": recorded.contributions,
            },
            "recomputed": {"total": again.total, "grade": again.grade, "contributions": recomputed},
            "matches": again.total == recorded.total and recomputed == recorded.contributions,
        }

    # -- capture -----------------------------------------------------------------------

    def capture_lead(
        self,
        contact: Contact,
        channel: str,
        *,
        campaign_id: str = "",
        external_ref: str = "",
        idempotency_key: str | None = None,
    ) -> Result:
        """Capture a lead; flag it when it matches known leads or accounts."""

        def decide() -> tuple[list[L2CAggregate], Result]:
            if campaign_id:
                self._known_campaign(campaign_id)
            lead = Lead.capture(contact, channel, campaign_id, external_ref)
            keys, matches = self._claim_identity(
                "lead",
                lead.id,
                match_keys(contact.email, contact.phone, contact.company, contact.website),
            )
            lead.flag_duplicates(matches)
            return [lead, *keys], {**_state(lead), "duplicates": list(lead.duplicates)}

        return self.execute(
            "capture_lead",
            decide,
            idempotency_key=idempotency_key,
            retries=3,
            fingerprint=fingerprint_of("capture_lead", contact, channel, campaign_id, external_ref),
        )

    def handle_inbound_call(
        self, *, call_id: str, caller_number: str, caller_name: str, campaign_id: str,
        started_at: datetime, answered: bool, idempotency_key: str | None = None,
    ) -> Result:
        """A known caller's call is engagement on their lead; an unknown caller becomes a
        lead from the inbound-call channel (and, if answered, engaged at once)."""
        known = self._lead_with_phone(caller_number)
        if known is None:
            name = caller_name.strip() or f"Caller {caller_number}"
            captured = self.capture_lead(
                Contact(name, phone=caller_number), "inbound_call", campaign_id=campaign_id,
                external_ref=f"call:{call_id}",
                idempotency_key=f"{idempotency_key}:capture" if idempotency_key else None)
            known = uuid.UUID(str(captured["lead_id"]))
        if not answered:
            return {"lead_id": str(known), "engaged": False}
        engaged = self.record_engagement(known, "call_answered", started_at, ref=f"call:{call_id}",
                                         idempotency_key=idempotency_key)
        return {**engaged, "engaged": True}

    def _lead_with_phone(self, phone: str) -> uuid.UUID | None:
        keys = [k for k in match_keys("", phone, "", "") if k.kind == "phone"]
        if not keys:
            return None
        try:
            index: IdentityKey = self.repository.get(IdentityKey.id_of(keys[0]))
        except AggregateNotFoundError:
            return None
        for kind, owner in index.owners:
            if kind == "lead" and self.get_lead(owner).merged_into is None:
                return owner
        return None

    def import_leads(
        self, rows: Iterable[ImportRow], *, import_key: str, default_campaign: str = ""
    ) -> dict[str, Any]:
        """Capture every readable row; report, row by row, what was rejected and why.
        Each row has its own idempotency key, so re-sending an import adds nothing twice."""
        accepted, rejected, duplicates = 0, [], []
        total = 0
        for row in rows:
            total += 1
            if row.contact is None:
                rejected.append({"row": row.row, "reason": row.error})
                continue
            try:
                result = self.capture_lead(
                    row.contact,
                    "import",
                    campaign_id=row.campaign_id or default_campaign,
                    external_ref=f"{import_key}#{row.row}",
                    idempotency_key=f"import:{import_key}:{row.row}",
                )
            except DomainError as exc:
                rejected.append({"row": row.row, "reason": str(exc)})
                continue
            accepted += 1
            if result["duplicates"]:
                duplicates.append(
                    {"row": row.row, "lead_id": result["lead_id"], "matches": result["duplicates"]}
                )
        return {
            "import_key": import_key,
            "rows": total,
            "accepted": accepted,
            "rejected": rejected,
            "duplicates": duplicates,
        }

    def _claim_identity(
        self, owner_kind: str, owner_id: uuid.UUID, keys: list[MatchKey]
    ) -> tuple[list[IdentityKey], list[DuplicateMatch]]:
        claimed, matches = [], []
        for key in keys:
            try:
                index: IdentityKey = self.repository.get(IdentityKey.id_of(key))
            except AggregateNotFoundError:
                claimed.append(
                    IdentityKey(
                        kind=key.kind, value=key.value, owner_kind=owner_kind, owner_id=owner_id
                    )
                )
                continue
            matches += [DuplicateMatch(kind, oid, key.reason) for kind, oid in index.owners]
            index.claim(owner_kind, owner_id)
            claimed.append(index)
        return claimed, matches

    # -- duplicates --------------------------------------------------------------------

    def merge_leads(
        self,
        survivor_id: uuid.UUID,
        duplicate_id: uuid.UUID,
        *,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[Lead], Result]:
            survivor, duplicate = self.load(Lead, survivor_id), self.load(Lead, duplicate_id)
            duplicate.merge_into(survivor)
            return [duplicate, survivor], {
                "survivor": _state(survivor),
                "merged": _state(duplicate),
            }

        return self.execute(
            "merge_leads",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("merge", survivor_id, duplicate_id),
        )

    def undo_merge(self, duplicate_id: uuid.UUID, *, idempotency_key: str | None = None) -> Result:
        def decide() -> tuple[list[Lead], Result]:
            duplicate = self.load(Lead, duplicate_id)
            if duplicate.merged_into is None:
                raise InvalidCommand(f"lead {duplicate_id} is not merged")
            survivor = self.load(Lead, duplicate.merged_into)
            duplicate.undo_merge(survivor)
            return [duplicate, survivor], {
                "survivor": _state(survivor),
                "restored": _state(duplicate),
            }

        return self.execute(
            "undo_merge",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of("unmerge", duplicate_id),
        )

    # -- qualification -----------------------------------------------------------------

    def qualify_lead(
        self,
        lead_id: uuid.UUID,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self._update_lead(
            "qualify_lead",
            lead_id,
            lambda lead: lead.qualify_as_mql(note),
            _routed_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[note],
        )

    def accept_lead(
        self,
        lead_id: uuid.UUID,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            lead.accept_as_sql(note)
            if not lead.team:
                return []
            desk = self._desk(lead.team)
            desk.touched(lead.id)  # the first touch came in time: stop the clock
            return [desk]

        return self._update_lead(
            "accept_lead",
            lead_id,
            change,
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[note],
        )

    def reject_lead(
        self,
        lead_id: uuid.UUID,
        reason: str,
        note: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            lead.reject_by_sales(reason, note)
            return self._release(lead, f"rejected by sales: {reason}")

        return self._update_lead(
            "reject_lead",
            lead_id,
            change,
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[reason, note],
        )

    def convert_lead(
        self,
        lead_id: uuid.UUID,
        *,
        deal_name: str,
        expected_amount: Money,
        owner_id: str,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def change(lead: Lead) -> list[L2CAggregate]:
            lead.convert(deal_name, expected_amount, owner_id)
            return self._release(lead, "converted")

        return self._update_lead(
            "convert_lead",
            lead_id,
            change,
            _state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[deal_name, str(expected_amount), owner_id],
        )

    def get_lead(self, lead_id: uuid.UUID) -> Lead:
        return self.load(Lead, lead_id)

    # -- campaigns and accounts --------------------------------------------------------

    def launch_campaign(
        self,
        slug: str,
        *,
        name: str,
        channel_type: str,
        cost: Money,
        starts_on: date,
        ends_on: date,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[Campaign], Result]:
            if self.exists(Campaign.create_id(slug)):
                raise InvalidCommand(f"campaign {slug!r} already exists")
            campaign = Campaign.launch(slug, name, channel_type, cost, starts_on, ends_on)
            return [campaign], _campaign_state(campaign)

        return self.execute(
            "launch_campaign",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint_of(
                "campaign", slug, name, channel_type, str(cost), starts_on, ends_on
            ),
        )

    def record_campaign_cost(
        self, slug: str, cost: Money, *, idempotency_key: str | None = None
    ) -> Result:
        self._known_campaign(slug)
        return self.update(
            "record_campaign_cost",
            Campaign,
            Campaign.create_id(slug),
            lambda campaign: campaign.record_cost(cost),
            _campaign_state,
            idempotency_key=idempotency_key,
            request=[str(cost)],
        )

    def get_campaign(self, slug: str) -> Campaign:
        return self.load(Campaign, Campaign.create_id(slug))

    def _known_campaign(self, slug: str) -> Campaign:
        try:
            return self.get_campaign(slug)
        except NotFound:
            raise InvalidCommand(f"unknown campaign {slug!r}") from None

    def register_account(
        self,
        *,
        name: str,
        website: str,
        region: str,
        industry: str,
        idempotency_key: str | None = None,
    ) -> Result:
        def decide() -> tuple[list[L2CAggregate], Result]:
            account = Account.register(name, website, region, industry)
            rules = self.current_territories()
            account.place(rules.territory_for(account.region, account.industry), rules.version,
                          current_context().occurred_at or utcnow())
            keys, matches = self._claim_identity(
                "account", account.id, match_keys("", "", name, website)
            )
            known = [m for m in matches if m.owner_kind == "account"]
            if known:
                raise InvalidCommand(f"account {known[0].owner_id} has the same name and domain")
            return [account, *keys], _account_state(account)

        return self.execute(
            "register_account",
            decide,
            idempotency_key=idempotency_key,
            retries=3,
            fingerprint=fingerprint_of("account", name, website, region, industry),
        )

    def get_account(self, account_id: uuid.UUID) -> Account:
        return self.load(Account, account_id)


def _state(lead: Lead) -> Result:
    return {"lead_id": str(lead.id), "status": lead.status.value, "version": lead.version}


def _account_state(account: Account) -> Result:
    return account.snapshot()


def _routed_state(lead: Lead) -> Result:
    return {**_state(lead), "team": lead.team, "rep": lead.rep,
            "deadline_at": lead.deadline_at.isoformat() if lead.deadline_at else None,
            "in_manual_queue": lead.in_manual_queue}


def _scored_state(lead: Lead) -> Result:
    return {**_routed_state(lead), "score": lead.score.get("total"),
            "grade": lead.score.get("grade"), "temperature": lead.score.get("temperature"),
            "pool": lead.pool}


def _campaign_state(campaign: Campaign) -> Result:
    return {
        "campaign_id": campaign.slug,
        "name": campaign.name,
        "channel_type": campaign.channel_type,
        "cost": str(campaign.cost.amount),
        "currency": campaign.cost.currency,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "version": campaign.version,
    }
