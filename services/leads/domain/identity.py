"""Identity keys: one aggregate per normalised key, listing who claimed it. The key's
value is a keyed hash of the normalised e-mail, phone or company (see kernel.personal),
never the value itself.

Its id derives from the key, so two captures of the same email at once conflict in the
store instead of both passing unnoticed; the loser retries and sees the duplicate.
"""

from __future__ import annotations

import uuid

from eventsourcing.domain import event

from kernel.domain import L2CAggregate
from services.leads.domain.matching import MatchKey

_NAMESPACE = uuid.UUID("4d9a7c52-1f0b-4f3e-8f6a-2c7d9e1b5a33")


class IdentityKey(L2CAggregate):
    @staticmethod
    def create_id(kind: str, value: str) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"{kind}:{value}")

    @classmethod
    def id_of(cls, key: MatchKey) -> uuid.UUID:
        return cls.create_id(key.kind, key.value)

    @event("Claimed")
    def __init__(self, kind: str, value: str, owner_kind: str, owner_id: uuid.UUID) -> None:
        self.kind = kind
        self.value = value
        self.owners: list[tuple[str, uuid.UUID]] = [(owner_kind, owner_id)]

    def claim(self, owner_kind: str, owner_id: uuid.UUID) -> None:
        if (owner_kind, owner_id) not in self.owners:
            self._also_claimed(owner_kind=owner_kind, owner_id=owner_id)

    @event("AlsoClaimed")
    def _also_claimed(self, owner_kind: str, owner_id: uuid.UUID) -> None:
        self.owners.append((owner_kind, owner_id))

    def release(self, owner_kind: str, owner_id: uuid.UUID) -> bool:
        """The owner no longer claims the key (its person was erased): new leads stop
        matching it."""
        if (owner_kind, owner_id) not in self.owners:
            return False
        self._released(owner_kind=owner_kind, owner_id=owner_id)
        return True

    @event("Released")
    def _released(self, owner_kind: str, owner_id: uuid.UUID) -> None:
        self.owners.remove((owner_kind, owner_id))
