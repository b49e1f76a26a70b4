"""Which open deals a phone number belongs to, so calls and key events reported by the
telephony platform find their deal. One aggregate per number: its id and ``number`` are
a keyed hash of the normalised number (see kernel.personal), never the number itself."""

from __future__ import annotations

import uuid

from eventsourcing.domain import event

from kernel.domain import L2CAggregate

_NAMESPACE = uuid.UUID("8d6f0b2e-7c41-4a9e-b3d5-1e2f3a4b5c6d")


class ContactPhone(L2CAggregate):
    @staticmethod
    def create_id(number: str) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, number)

    @event("Linked")
    def __init__(self, number: str, deal_id: uuid.UUID) -> None:
        self.number = number
        self.deal_ids: list[uuid.UUID] = [deal_id]

    def link(self, deal_id: uuid.UUID) -> None:
        if deal_id not in self.deal_ids:
            self._also_linked(deal_id=deal_id)

    @event("AlsoLinked")
    def _also_linked(self, deal_id: uuid.UUID) -> None:
        self.deal_ids.append(deal_id)

    def unlink(self, deal_id: uuid.UUID) -> bool:
        """The number no longer leads to the deal (its stakeholder was erased)."""
        if deal_id not in self.deal_ids:
            return False
        self._unlinked(deal_id=deal_id)
        return True

    @event("Unlinked")
    def _unlinked(self, deal_id: uuid.UUID) -> None:
        self.deal_ids.remove(deal_id)
