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
    def _link_phone(self, phone: str, deal_id: uuid.UUID) -> list[ContactPhone]:
        number = normalise_phone(phone)
        try:
            contact: ContactPhone = self.repository.get(ContactPhone.create_id(number))
        except AggregateNotFoundError:
            return [ContactPhone(number=number, deal_id=deal_id)]
        contact.link(deal_id)
        return [contact]

    def deal_for_contact(self, phone: str) -> uuid.UUID:
        """The one open deal a contact's number belongs to (refused when none or several)."""
        number = normalise_phone(phone)
        try:
            contact: ContactPhone = self.repository.get(ContactPhone.create_id(number))
        except AggregateNotFoundError:
            raise NotFound(f"no deal has a stakeholder with number {number}") from None
        open_deals = [d for d in contact.deal_ids if self.get_deal(d).status is DealStatus.OPEN]
        if len(open_deals) != 1:
            raise InvalidCommand(
                f"number {number} belongs to {len(open_deals)} open deals; "
                "the message must name the deal"
            )
        return open_deals[0]

    def relationship_of(self, account: str) -> dict[str, str]:
        return self.load(AccountRelationship, AccountRelationship.create_id(account)).view()
