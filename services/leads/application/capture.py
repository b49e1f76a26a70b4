"""Capture from every channel, bulk import, duplicates and merges, campaigns."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from kernel.commands import build
from kernel.errors import DomainError, InvalidCommand, NotFound
from kernel.store import Result
from services.leads.application.ports import (
    ImportRow,
)
from services.leads.application.scoring import ScoringUseCases
from services.leads.domain import commands
from services.leads.domain.campaign import Campaign
from services.leads.domain.identity import IdentityKey
from services.leads.domain.lead import Contact, DuplicateMatch
from services.leads.domain.matching import MatchKey, match_keys


class CaptureUseCases(ScoringUseCases):
    def capture_lead(
        self,
        contact: Contact,
        channel: str,
        *,
        campaign_id: str = "",
        external_ref: str = "",
        idempotency_key: str | None = None,
    ) -> Result:
        """``Capture`` from a domain contact (what imports and unknown callers send)."""
        command = build(
            commands.Capture,
            **contact.__dict__,
            channel=channel,
            campaign_id=campaign_id,
            external_ref=external_ref,
        )
        return self.dispatch(command, idempotency_key=idempotency_key)

    def handle_inbound_call(
        self,
        *,
        call_id: str,
        caller_number: str,
        caller_name: str,
        campaign_id: str,
        started_at: datetime,
        answered: bool,
        idempotency_key: str | None = None,
    ) -> Result:
        """A known caller's call is engagement on their lead; an unknown caller becomes a
        lead from the inbound-call channel (and, if answered, engaged at once)."""
        known = self._lead_with_phone(caller_number)
        if known is None:
            name = caller_name.strip() or f"Caller {caller_number}"
            captured = self.capture_lead(
                Contact(name, phone=caller_number),
                "inbound_call",
                campaign_id=campaign_id,
                external_ref=f"call:{call_id}",
                idempotency_key=f"{idempotency_key}:capture" if idempotency_key else None,
            )
            known = uuid.UUID(str(captured["lead_id"]))
        if not answered:
            return {"lead_id": str(known), "engaged": False}
        engaged = self.record_engagement(
            known,
            "call_answered",
            started_at,
            ref=f"call:{call_id}",
            idempotency_key=idempotency_key,
        )
        return {**engaged, "engaged": True}

    def _lead_with_phone(self, phone: str) -> uuid.UUID | None:
        keys = [k for k in match_keys("", phone, "", "") if k.kind == "phone"]
        if not keys:
            return None
        for index in self._indexes(keys[0]):
            for kind, owner in index.owners:
                if kind == "lead" and self.get_lead(owner).merged_into is None:
                    return owner
        return None

    def _hashed(self, key: MatchKey) -> MatchKey:
        """The key as identity keys hold it: a keyed hash of the normalised value."""
        return (
            key
            if self.vault is None
            else MatchKey(key.kind, self.vault.keyed_hash(key.kind, key.value))
        )

    def _indexes(self, key: MatchKey) -> list[IdentityKey]:
        """The identity keys of ``key``: its keyed hash's and, for leads recorded before
        keys were hashed, the one named by the value itself."""
        found: list[IdentityKey] = []
        for candidate in dict.fromkeys([self._hashed(key), key]):
            try:
                found.append(self.repository.get(IdentityKey.id_of(candidate)))
            except AggregateNotFoundError:
                continue
        return found

    def _release_identity(
        self, owner_kind: str, owner_id: uuid.UUID, keys: list[MatchKey]
    ) -> list[IdentityKey]:
        released = []
        for key in keys:
            for index in self._indexes(key):
                if index.release(owner_kind, owner_id):
                    released.append(index)
        return released

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
            hashed = self._hashed(key)
            indexes = self._indexes(key)
            for index in indexes:
                matches += [DuplicateMatch(kind, oid, key.reason) for kind, oid in index.owners]
            current = next((i for i in indexes if i.id == IdentityKey.id_of(hashed)), None)
            if current is None:
                current = IdentityKey(
                    kind=hashed.kind, value=hashed.value, owner_kind=owner_kind, owner_id=owner_id
                )
            else:
                current.claim(owner_kind, owner_id)
            claimed.append(current)
        return claimed, list(dict.fromkeys(matches))

    def get_campaign(self, slug: str) -> Campaign:
        return self.load(Campaign, Campaign.create_id(slug))

    def _known_campaign(self, slug: str) -> Campaign:
        try:
            return self.get_campaign(slug)
        except NotFound:
            raise InvalidCommand(f"unknown campaign {slug!r}") from None
