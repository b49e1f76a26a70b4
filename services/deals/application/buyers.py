"""Contacts by phone and account relationships; the stakeholder use case (MEDDIC and the
decision map are commands of the catalog: ``domain/commands.py``)."""

from __future__ import annotations

import uuid

from eventsourcing.application import AggregateNotFoundError

from kernel.errors import InvalidCommand, NotFound
from kernel.phones import normalise_phone
from services.deals.application.process import ProcessUseCases
from services.deals.domain.contacts import ContactPhone
from services.deals.domain.deal import DealStatus
from services.deals.domain.relationship import AccountRelationship


class BuyerUseCases(ProcessUseCases):
    def _hashed_number(self, phone: str) -> str:
        number = normalise_phone(phone)
        return number if self.vault is None else self.vault.keyed_hash("phone", number)

    def _contacts(self, phone: str) -> list[ContactPhone]:
        """The number's index: under its keyed hash and, for numbers recorded before
        numbers were hashed, under the number itself."""
        found: list[ContactPhone] = []
        for key in dict.fromkeys([self._hashed_number(phone), normalise_phone(phone)]):
            try:
                found.append(self.repository.get(ContactPhone.create_id(key)))
            except AggregateNotFoundError:
                continue
        return found

    def _link_phone(self, phone: str, deal_id: uuid.UUID) -> list[ContactPhone]:
        hashed = self._hashed_number(phone)
        try:
            contact: ContactPhone = self.repository.get(ContactPhone.create_id(hashed))
        except AggregateNotFoundError:
            return [ContactPhone(number=hashed, deal_id=deal_id)]
        contact.link(deal_id)
        return [contact]

    def _unlink_phone(self, phone: str, deal_id: uuid.UUID) -> list[ContactPhone]:
        return [c for c in self._contacts(phone) if c.unlink(deal_id)]

    def deal_for_contact(self, phone: str) -> uuid.UUID:
        """The one open deal a contact's number belongs to (refused when none or several)."""
        number = normalise_phone(phone)
        deal_ids = [d for contact in self._contacts(phone) for d in contact.deal_ids]
        if not deal_ids:
            raise NotFound(f"no deal has a stakeholder with number {number}")
        open_deals = [
            d for d in dict.fromkeys(deal_ids) if self.get_deal(d).status is DealStatus.OPEN
        ]
        if len(open_deals) != 1:
            raise InvalidCommand(
                f"number {number} belongs to {len(open_deals)} open deals; "
                "the message must name the deal"
            )
        return open_deals[0]

    def relationship_of(self, account: str) -> dict[str, str]:
        return self.load(AccountRelationship, AccountRelationship.create_id(account)).view()
