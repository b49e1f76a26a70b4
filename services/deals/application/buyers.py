"""Contacts by phone and account relationships; the stakeholder use case (MEDDIC and the
decision map are commands of the catalog: ``domain/commands.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from kernel.errors import ConcurrencyConflict, InvalidCommand, NotFound
from kernel.phones import normalise_phone
from kernel.store import Result
from services.deals.application.process import ProcessUseCases
from services.deals.application.views import deal_state
from services.deals.domain import commands
from services.deals.domain.contacts import ContactPhone
from services.deals.domain.deal import Deal, DealStatus
from services.deals.domain.relationship import AccountRelationship


def add_stakeholder(
    app: BuyerUseCases, c: commands.AddStakeholder, expected_version: int | None
) -> tuple[list[Any], Result]:
    """The stakeholder joins the deal's decision map; their phone number, if given, is
    linked to the deal so that telephony can find it."""
    deal = app.load(Deal, c.deal_id, expected_version)
    commands.add_stakeholder(deal, c)
    linked = app._link_phone(c.phone, c.deal_id) if c.phone else []
    return [deal, *linked], deal_state(deal)


def assess_relationship(
    app: BuyerUseCases, c: commands.AssessRelationship, expected_version: int | None
) -> tuple[list[AccountRelationship], Result]:
    """Relationship level and customer quadrant of an account (created on first use)."""
    try:
        held: AccountRelationship = app.repository.get(AccountRelationship.create_id(c.account))
    except AggregateNotFoundError:
        if not c.account.strip():
            raise InvalidCommand("name the account") from None
        held = AccountRelationship(account=c.account)
    if expected_version is not None and held.version != expected_version:
        raise ConcurrencyConflict(
            f"the relationship with {c.account} is at version {held.version}, "
            f"not {expected_version}"
        )
    held.assess(c.level, c.relationship, c.potential)
    return [held], held.view()


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
