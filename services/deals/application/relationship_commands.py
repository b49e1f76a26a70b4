"""How an account relationship is assessed (created on first use). Declared in
``catalog.py``."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError

from kernel.errors import ConcurrencyConflict, InvalidCommand
from kernel.store import Result
from services.deals.domain import commands
from services.deals.domain.relationship import AccountRelationship


def assess_relationship(
    app: Any, c: commands.AssessRelationship, expected_version: int | None
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
