"""MEDDIC, the decision map, contacts by phone, and account relationships."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from kernel.errors import InvalidCommand, NotFound
from kernel.phones import normalise_phone
from kernel.store import Result, fingerprint_of
from services.deals.application.process import ProcessUseCases
from services.deals.application.views import deal_state
from services.deals.domain.contacts import ContactPhone
from services.deals.domain.deal import Deal, DealStatus
from services.deals.domain.relationship import AccountRelationship


class BuyerUseCases(ProcessUseCases):
    def update_meddic(
        self,
        deal_id: uuid.UUID,
        values: dict[str, str],
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "update_meddic",
            Deal,
            deal_id,
            lambda deal: deal.update_meddic(values),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[values],
        )

    def add_stakeholder(
        self,
        deal_id: uuid.UUID,
        *,
        stakeholder_id: str,
        name: str,
        level: str,
        department: str,
        role: str,
        attitude: str,
        phone: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        def decide() -> tuple[list[Any], Result]:
            deal = self.load(Deal, deal_id, expected_version)
            deal.add_stakeholder(stakeholder_id, name, level, department, role, attitude, phone)
            linked = self._link_phone(phone, deal_id) if phone else []
            return [deal, *linked], deal_state(deal)

        return self.execute(
            "add_stakeholder",
            decide,
            idempotency_key=idempotency_key,
            retries=2 if expected_version is None else 0,
            fingerprint=fingerprint_of(
                "add_stakeholder",
                deal_id,
                stakeholder_id,
                name,
                level,
                department,
                role,
                attitude,
                phone,
            ),
        )

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

    def change_stakeholder(
        self,
        deal_id: uuid.UUID,
        stakeholder_id: str,
        *,
        role: str = "",
        attitude: str = "",
        note: str = "",
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "change_stakeholder",
            Deal,
            deal_id,
            lambda deal: deal.change_stakeholder(
                stakeholder_id, role=role, attitude=attitude, note=note
            ),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stakeholder_id, role, attitude, note],
        )

    def record_contact(
        self,
        deal_id: uuid.UUID,
        stakeholder_id: str,
        channel: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        return self.update(
            "record_contact",
            Deal,
            deal_id,
            lambda deal: deal.record_contact(stakeholder_id, channel),
            deal_state,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            request=[stakeholder_id, channel],
        )

    def assess_relationship(
        self,
        account: str,
        *,
        level: str = "",
        relationship: str = "",
        potential: str = "",
        idempotency_key: str | None = None,
    ) -> Result:
        """Relationship level and customer quadrant of an account (created on first use)."""

        def decide() -> tuple[list[AccountRelationship], Result]:
            try:
                held: AccountRelationship = self.repository.get(
                    AccountRelationship.create_id(account)
                )
            except AggregateNotFoundError:
                if not account.strip():
                    raise InvalidCommand("name the account") from None
                held = AccountRelationship(account=account)
            held.assess(level, relationship, potential)
            return [held], held.view()

        return self.execute(
            "assess_relationship",
            decide,
            idempotency_key=idempotency_key,
            retries=2,
            fingerprint=fingerprint_of("relationship", account, level, relationship, potential),
        )

    def relationship_of(self, account: str) -> dict[str, str]:
        return self.load(AccountRelationship, AccountRelationship.create_id(account)).view()
