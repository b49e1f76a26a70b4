"""The deal commands that need more than the deal itself: opening one behind its
process's gate, migrating it onto another process version, adding a stakeholder whose
phone links the deal for telephony. (The others are plain handlers in
``domain/commands.py``.) Declared in ``catalog.py``."""

from __future__ import annotations

from typing import Any

from kernel.errors import RuleViolation
from kernel.personal import person_of
from kernel.store import Result
from services.deals.application.views import deal_state
from services.deals.domain import commands
from services.deals.domain.deal import Deal


def open_deal(
    app: Any, c: commands.OpenDealForLead, expected_version: int | None
) -> tuple[list[Deal], Result]:
    if app.exists(Deal.create_id(c.lead_id)):
        raise RuleViolation(f"lead {c.lead_id} already has a deal")
    deal = Deal.open(
        c.lead_id,
        c.name,
        c.amount.to_domain(),
        c.owner_id,
        c.company,
        app.process(c.process_id),
        c.qualification,
        team=c.team,
    )
    return [deal], deal_state(deal)


def migrate_deal(
    app: Any, c: commands.MigrateDeal, expected_version: int | None
) -> tuple[list[Deal], Result]:
    """Move a deal onto the current version of its process (or another process)."""
    deal = app.load(Deal, c.deal_id, expected_version)
    deal.migrate_to(app.process(c.process_id or deal.pipeline_definition.id))
    return [deal], deal_state(deal)


def erase_stakeholder(
    app: Any, c: commands.EraseStakeholder, expected_version: int | None
) -> tuple[list[Any], Result]:
    """The erasure event, and the stakeholder's number no longer leads to the deal; the
    key that sealed their name and number is destroyed once this is stored."""
    deal = app.load(Deal, c.deal_id, expected_version)
    stakeholder = dict(deal.stakeholders.get(c.stakeholder_id, {}))
    unlinked = []
    if stakeholder.get("phone") and not stakeholder.get("erased"):
        unlinked = app._unlink_phone(stakeholder["phone"], c.deal_id)
    deal.erase_stakeholder(c.stakeholder_id, c.reason)
    return [deal, *unlinked], deal_state(deal)


def destroy_stakeholder_key(app: Any, c: commands.EraseStakeholder) -> None:
    app.vault.erase(person_of(c.deal_id, c.stakeholder_id))


def add_stakeholder(
    app: Any, c: commands.AddStakeholder, expected_version: int | None
) -> tuple[list[Any], Result]:
    """The stakeholder joins the deal's decision map; their phone number, if given, is
    linked to the deal so that telephony can find it."""
    deal = app.load(Deal, c.deal_id, expected_version)
    commands.add_stakeholder(deal, c)
    linked = app._link_phone(c.phone, c.deal_id) if c.phone else []
    return [deal, *linked], deal_state(deal)
