"""The Lead aggregate: captured from a channel, checked for duplicates, qualified by
marketing (MQL), accepted or rejected by sales (SQL), converted into a deal — or merged
into the lead it duplicates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from kernel.domain import ERASED, L2CAggregate, Money
from kernel.errors import InvalidCommand, RuleViolation
from services.leads.domain.scoring import Engagement, EngagementKind, Profile, Score


class LeadStatus(StrEnum):
    NEW = "new"
    NURTURING = "nurturing"  # in a warm or cold pool until engagement lifts its score
    MQL = "mql"  # marketing qualified
    SQL = "sql"  # accepted by sales
    REJECTED = "rejected"  # refused by sales, with a reason
    CONVERTED = "converted"
    MERGED = "merged"  # folded into the lead it duplicates


class Channel(StrEnum):
    WEB_FORM = "web_form"
    IMPORT = "import"
    EVENT = "event"  # campaign / event registration
    INBOUND_CALL = "inbound_call"
    REFERRAL = "referral"
    PARTNER = "partner"
    OTHER = "other"


class SalesRejection(StrEnum):
    NOT_A_FIT = "not_a_fit"
    NO_BUDGET = "no_budget"
    NO_AUTHORITY = "no_authority"
    NO_NEED = "no_need"
    BAD_TIMING = "bad_timing"
    BAD_DATA = "bad_data"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Contact:
    """What a channel tells us about a new lead."""

    full_name: str
    email: str = ""
    phone: str = ""
    company: str = ""
    website: str = ""
    job_title: str = ""
    region: str = ""
    product_interest: str = ""


@dataclass(frozen=True)
class DuplicateMatch:
    owner_kind: str  # "lead" or "account"
    owner_id: uuid.UUID
    reason: str

    def as_data(self) -> dict[str, str]:
        return {
            "owner_kind": self.owner_kind,
            "owner_id": str(self.owner_id),
            "reason": self.reason,
        }


class Lead(L2CAggregate):
    @classmethod
    def capture(
        cls, contact: Contact, channel: str, campaign_id: str = "", external_ref: str = ""
    ) -> Lead:
        if not contact.full_name.strip():
            raise InvalidCommand("a lead needs a name")
        if not (contact.email.strip() or contact.phone.strip()):
            raise InvalidCommand("a lead needs an email or a phone number to be followed up")
        try:
            source = Channel(channel)
        except ValueError:
            raise InvalidCommand(
                f"channel {channel!r} is not one of {', '.join(c.value for c in Channel)}"
            ) from None
        return cls(
            full_name=contact.full_name.strip(),
            email=contact.email.strip().lower(),
            company=contact.company.strip(),
            phone=contact.phone.strip(),
            source=source.value,
            campaign_id=campaign_id.strip(),
            website=contact.website.strip(),
            job_title=contact.job_title.strip(),
            region=contact.region.strip(),
            product_interest=contact.product_interest.strip().lower(),
            external_ref=external_ref.strip(),
        )

    @event("Captured")
    def __init__(
        self,
        full_name: str,
        email: str,
        company: str,
        phone: str,
        source: str,
        campaign_id: str,
        website: str,
        job_title: str,
        region: str,
        product_interest: str,
        external_ref: str,
    ) -> None:
        self.full_name = full_name
        self.email = email
        self.company = company
        self.phone = phone
        self.source = source
        self.campaign_id = campaign_id
        self.website = website
        self.job_title = job_title
        self.region = region
        self.product_interest = product_interest
        self.external_ref = external_ref
        self.status = LeadStatus.NEW
        self.duplicates: list[dict[str, str]] = []
        self.merged_into: uuid.UUID | None = None
        self.status_before_merge = LeadStatus.NEW
        self.absorbed: list[uuid.UUID] = []
        self.rejection = ""
        self.firmographics: dict[str, Any] = {}
        self.enrichment = "pending"  # "pending", "enriched", "failed"
        self.engagements: list[tuple[str, datetime, str]] = []
        self.score: dict[str, Any] = {}
        self.pool = ""
        self.team = ""
        self.rep = ""
        self.deadline_at: datetime | None = None
        self.in_manual_queue = False
        self.rejected_by: list[str] = []

    # -- routing -------------------------------------------------------------------------

    @property
    def awaits_routing(self) -> bool:
        return self.status is LeadStatus.MQL and not self.rep and not self.in_manual_queue

    def route_to(self, team: str, rep: str, reason: str, deadline_at: datetime) -> None:
        self._routed(
            team=team,
            rep=rep,
            reason=reason,
            deadline_at=deadline_at,
            grade=self.score.get("grade", ""),
        )

    @event("Routed")
    def _routed(self, team: str, rep: str, reason: str, deadline_at: datetime, grade: str) -> None:
        self.team, self.rep, self.deadline_at = team, rep, deadline_at
        self.in_manual_queue = False

    def queue_for_manual_routing(self, team: str, reason: str) -> None:
        self._queued_for_manual_routing(team=team, reason=reason)

    @event("QueuedForManualRouting")
    def _queued_for_manual_routing(self, team: str, reason: str) -> None:
        self.team, self.rep, self.deadline_at = team, "", None
        self.in_manual_queue = True

    def reject_assignment(self, rep: str, reason: str) -> None:
        """The rep says the lead is not theirs (wrong region, size, product): re-route it."""
        self._check_assigned_to(rep)
        if not reason.strip():
            raise InvalidCommand("say why the lead does not fit (it guides re-routing)")
        self._assignment_rejected(rep=rep, team=self.team, reason=reason.strip())

    @event("AssignmentRejected")
    def _assignment_rejected(self, rep: str, team: str, reason: str) -> None:
        self.rejected_by.append(rep)
        self.rep, self.deadline_at = "", None

    def return_to_nurture(self, rep: str, reason: str) -> None:
        """The rep finds the lead immature: back to a nurture pool until it warms up."""
        self._check_assigned_to(rep)
        pool = _pool_for(self.score.get("temperature", "cold"))
        self._returned_to_nurture(rep=rep, pool=pool, reason=reason.strip())

    @event("ReturnedToNurture")
    def _returned_to_nurture(self, rep: str, pool: str, reason: str) -> None:
        self.status = LeadStatus.NURTURING
        self.pool = pool
        self.team, self.rep, self.deadline_at = "", "", None

    def miss_speed_to_lead(self, deadline_at: datetime) -> bool:
        """False when the lead was touched in time (or moved on) after all."""
        if self.status is not LeadStatus.MQL or not self.rep or self.deadline_at != deadline_at:
            return False
        self._speed_to_lead_missed(rep=self.rep, team=self.team, deadline_at=deadline_at)
        return True

    @event("SpeedToLeadMissed")
    def _speed_to_lead_missed(self, rep: str, team: str, deadline_at: datetime) -> None:
        pass

    def _check_assigned_to(self, rep: str) -> None:
        if self.status is not LeadStatus.MQL or self.rep != rep:
            holder = self.rep or "nobody"
            raise RuleViolation(
                f"lead {self.id} is {self.status.value} and assigned to {holder}, not {rep}"
            )

    # -- enrichment, engagement, score and nurture ---------------------------------------

    @property
    def profile(self) -> Profile:
        f = self.firmographics
        return Profile(
            industry=f.get("industry", ""),
            company_size=f.get("company_size", ""),
            headcount=int(f.get("headcount", 0)),
            region=f.get("region") or self.region,
            product_interest=self.product_interest,
        )

    @property
    def engagement_history(self) -> list[Engagement]:
        return [Engagement(kind, at) for kind, at, _ in self.engagements]

    def enrich(
        self, industry: str, company_size: str, headcount: int, region: str, provider: str
    ) -> None:
        if self.status is LeadStatus.MERGED:
            return
        self._enriched(
            industry=industry.lower(),
            company_size=company_size,
            headcount=headcount,
            region=region,
            provider=provider,
        )

    @event("Enriched")
    def _enriched(
        self, industry: str, company_size: str, headcount: int, region: str, provider: str
    ) -> None:
        self.firmographics = {
            "industry": industry,
            "company_size": company_size,
            "headcount": headcount,
            "region": region,
        }
        self.enrichment = "enriched"

    def record_enrichment_failure(self, reason: str, attempts: int, retryable: bool) -> None:
        self._enrichment_failed(reason=reason, attempts=attempts, retryable=retryable)

    @event("EnrichmentFailed")
    def _enrichment_failed(self, reason: str, attempts: int, retryable: bool) -> None:
        self.enrichment = "failed"

    def record_engagement(self, kind: str, occurred_at: datetime, ref: str = "") -> bool:
        """False when the same signal (same ref) was recorded before."""
        try:
            signal = EngagementKind(kind)
        except ValueError:
            raise InvalidCommand(
                f"engagement {kind!r} is not one of {', '.join(k.value for k in EngagementKind)}"
            ) from None
        if occurred_at.tzinfo is None:
            raise InvalidCommand("an engagement's time must carry a time zone")
        if ref and any(r == ref for _, _, r in self.engagements):
            return False
        self._engagement_recorded(kind=signal.value, occurred_at=occurred_at, ref=ref)
        return True

    @event("EngagementRecorded")
    def _engagement_recorded(self, kind: str, occurred_at: datetime, ref: str) -> None:
        self.engagements.append((kind, occurred_at, ref))

    def apply_score(self, new: Score) -> None:
        """Record a changed score, then move the lead where the score puts it: a new lead
        at or over the threshold is an MQL, under it enters a nurture pool; a nurtured lead
        lifted over the threshold is re-qualified. Each move says why."""
        if self.status in (LeadStatus.MERGED, LeadStatus.CONVERTED):
            return
        summary = (new.total, new.grade, new.temperature, new.rule_set_version)
        current = self.score
        if summary != (
            current.get("total"),
            current.get("grade"),
            current.get("temperature"),
            current.get("rule_set_version"),
        ):
            self._scored(
                total=new.total,
                grade=new.grade,
                temperature=new.temperature,
                rule_set_version=new.rule_set_version,
                as_of=new.as_of,
                contributions=[{"rule": c.rule, "points": c.points} for c in new.contributions],
            )
        why = (
            f"score {new.total} {{}} threshold {new.qualify_from} "
            f"(scoring rules v{new.rule_set_version})"
        )
        over = new.total >= new.qualify_from
        if self.status is LeadStatus.NEW and over:
            self._marketing_qualified(note=why.format("reached"))
        elif self.status is LeadStatus.NEW:
            self._entered_nurture(pool=_pool_for(new.temperature), reason=why.format("below"))
        elif self.status is LeadStatus.NURTURING and over:
            self._requalified(pool=self.pool, reason=why.format("reached"))

    @event("Scored")
    def _scored(
        self,
        total: float,
        grade: str,
        temperature: str,
        rule_set_version: int,
        as_of: datetime,
        contributions: list[dict[str, Any]],
    ) -> None:
        self.score = {
            "total": total,
            "grade": grade,
            "temperature": temperature,
            "rule_set_version": rule_set_version,
            "as_of": as_of,
        }

    @event("EnteredNurture")
    def _entered_nurture(self, pool: str, reason: str) -> None:
        self.status = LeadStatus.NURTURING
        self.pool = pool
        self.team, self.rep, self.deadline_at = "", "", None

    @event("Requalified")
    def _requalified(self, pool: str, reason: str) -> None:
        self.status = LeadStatus.MQL
        self.pool = ""
        self.rejected_by = []

    # -- duplicates and merging ------------------------------------------------------

    def flag_duplicates(self, matches: list[DuplicateMatch]) -> None:
        new = [
            m.as_data()
            for m in matches
            if m.owner_id != self.id and m.as_data() not in self.duplicates
        ]
        if new:
            self._duplicate_flagged(matches=new)

    @event("DuplicateFlagged")
    def _duplicate_flagged(self, matches: list[dict[str, str]]) -> None:
        self.duplicates.extend(matches)

    def merge_into(self, survivor: Lead) -> None:
        """Fold this lead into ``survivor``; both keep their histories."""
        if survivor.id == self.id:
            raise InvalidCommand("a lead cannot be merged into itself")
        for lead in (self, survivor):
            if lead.status is LeadStatus.MERGED:
                raise RuleViolation(f"lead {lead.id} is already merged into {lead.merged_into}")
        if self.status is LeadStatus.CONVERTED:
            raise RuleViolation(f"lead {self.id} is converted; merge the deal instead")
        self._merged_into(survivor_id=survivor.id, previous_status=self.status.value)
        survivor._absorbed_duplicate(duplicate_id=self.id)

    def undo_merge(self, survivor: Lead) -> None:
        """The compensating events of a merge: this lead stands on its own again."""
        if self.status is not LeadStatus.MERGED or self.merged_into != survivor.id:
            raise RuleViolation(f"lead {self.id} is not merged into {survivor.id}")
        self._merge_undone(survivor_id=survivor.id, restored_status=self.status_before_merge.value)
        survivor._absorption_undone(duplicate_id=self.id)

    @event("Merged")
    def _merged_into(self, survivor_id: uuid.UUID, previous_status: str) -> None:
        self.status_before_merge = LeadStatus(previous_status)
        self.status = LeadStatus.MERGED
        self.merged_into = survivor_id

    @event("AbsorbedDuplicate")
    def _absorbed_duplicate(self, duplicate_id: uuid.UUID) -> None:
        self.absorbed.append(duplicate_id)

    @event("MergeUndone")
    def _merge_undone(self, survivor_id: uuid.UUID, restored_status: str) -> None:
        self.status = LeadStatus(restored_status)
        self.merged_into = None

    @event("AbsorptionUndone")
    def _absorption_undone(self, duplicate_id: uuid.UUID) -> None:
        self.absorbed.remove(duplicate_id)

    # -- qualification -----------------------------------------------------------------

    def qualify_as_mql(self, note: str) -> None:
        if self.status is LeadStatus.NURTURING:
            self._requalified(pool=self.pool, reason=f"qualified by marketing: {note}".strip())
            return
        self._check_status(LeadStatus.NEW, "be marketing-qualified")
        self._marketing_qualified(note=note)

    def accept_as_sql(self, note: str) -> None:
        self._check_status(LeadStatus.MQL, "be accepted by sales")
        self._sales_accepted(note=note, campaign_id=self.campaign_id, source=self.source)

    def reject_by_sales(self, reason: str, note: str = "") -> None:
        self._check_status(LeadStatus.MQL, "be rejected by sales")
        try:
            why = SalesRejection(reason)
        except ValueError:
            raise InvalidCommand(
                f"rejection reason {reason!r} is not one of "
                f"{', '.join(r.value for r in SalesRejection)}"
            ) from None
        self._sales_rejected(
            reason=why.value, note=note, campaign_id=self.campaign_id, source=self.source
        )

    def convert(
        self,
        deal_name: str,
        expected_amount: Money,
        owner_id: str,
        qualification: dict[str, str] | None = None,
        process_id: str = "",
    ) -> None:
        """Only a lead that passes BANT becomes an opportunity (without a gate, reps rewarded
        on opportunity counts build a fat funnel whose conversion rates mean nothing)."""
        self._check_status(LeadStatus.SQL, "be converted")
        qualification = {k: v.strip() for k, v in (qualification or {}).items()}
        missing = [
            c for c in ("budget", "authority", "need", "timeline") if not qualification.get(c)
        ]
        if missing:
            raise InvalidCommand(
                f"a lead becomes a deal only when it passes BANT; missing: {', '.join(missing)}"
            )
        if not deal_name.strip():
            raise InvalidCommand("a conversion needs a deal name")
        if not expected_amount.is_positive:
            raise InvalidCommand(f"expected amount must be positive, got {expected_amount}")
        if not owner_id.strip():
            raise InvalidCommand("a conversion needs the owning rep's id")
        # The event carries what downstream services need to act without asking us.
        self._converted(
            deal_name=deal_name.strip(),
            expected_amount=expected_amount,
            owner_id=owner_id.strip(),
            company=self.company,
            source=self.source,
            campaign_id=self.campaign_id,
            qualification=qualification,
            process_id=process_id,
            team=self.team,
        )

    def _check_status(self, required: LeadStatus, action: str) -> None:
        if self.status != required:
            raise RuleViolation(
                f"lead {self.id} is {self.status.value}; only a {required.value} lead can {action}"
            )

    @event("MarketingQualified")
    def _marketing_qualified(self, note: str) -> None:
        self.status = LeadStatus.MQL

    @event("SalesAccepted")
    def _sales_accepted(self, note: str, campaign_id: str, source: str) -> None:
        self.status = LeadStatus.SQL

    @event("SalesRejected")
    def _sales_rejected(self, reason: str, note: str, campaign_id: str, source: str) -> None:
        self.status = LeadStatus.REJECTED
        self.rejection = reason

    # -- erasure -------------------------------------------------------------------------

    personal_data_erased = False  # leads recorded before erasure existed have not been

    def erase_personal_data(self, reason: str) -> bool:
        """The person asked to be forgotten (or the law says so): their name, e-mail,
        phone and job title read ERASED from now on, and the service destroys the key
        that sealed them in every earlier event. The lead itself stays (it counts in the
        funnel; its deal and invoices are the company's records). False: already done."""
        if not reason.strip():
            raise InvalidCommand("an erasure needs a reason (the request or the legal ground)")
        if self.personal_data_erased:
            return False
        self._personal_data_erased(reason=reason.strip())
        return True

    @event("PersonalDataErased")
    def _personal_data_erased(self, reason: str) -> None:
        self.full_name = self.email = self.phone = self.job_title = ERASED
        self.personal_data_erased = True

    @event("Converted")
    def _converted(
        self,
        deal_name: str,
        expected_amount: Money,
        owner_id: str,
        company: str,
        source: str,
        campaign_id: str,
        qualification: dict[str, str],
        process_id: str,
        team: str = "",  # recorded since access scopes (earlier conversions have none)
    ) -> None:
        self.status = LeadStatus.CONVERTED
        self.deal_name = deal_name
        self.expected_amount = expected_amount
        self.owner_id = owner_id

    def snapshot(self) -> dict[str, Any]:
        return {
            "lead_id": str(self.id),
            "version": self.version,
            "status": self.status.value,
            "full_name": self.full_name,
            "email": self.email,
            "company": self.company,
            "phone": self.phone,
            "source": self.source,
            "campaign_id": self.campaign_id,
            "website": self.website,
            "job_title": self.job_title,
            "region": self.region,
            "product_interest": self.product_interest,
            "external_ref": self.external_ref,
            "duplicates": list(self.duplicates),
            "merged_into": str(self.merged_into) if self.merged_into else None,
            "absorbed": [str(i) for i in self.absorbed],
            "rejection": self.rejection,
            "firmographics": dict(self.firmographics),
            "enrichment": self.enrichment,
            "engagements": [
                {"kind": k, "occurred_at": at.isoformat(), "ref": r}
                for k, at, r in self.engagements
            ],
            "score": {
                k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.score.items()
            },
            "pool": self.pool,
            "team": self.team,
            "rep": self.rep,
            "deadline_at": self.deadline_at.isoformat() if self.deadline_at else None,
            "in_manual_queue": self.in_manual_queue,
            "rejected_by": list(self.rejected_by),
            "personal_data_erased": self.personal_data_erased,
        }


def _pool_for(temperature: str) -> str:
    """Interested but still researching: warm; long followed without interest: cold."""
    return "cold" if temperature == "cold" else "warm"
