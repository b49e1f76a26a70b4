"""Campaigns: where leads come from, what they cost, and when they run."""

from __future__ import annotations

import re
import uuid
from datetime import date
from enum import StrEnum

from eventsourcing.domain import event

from kernel.domain import L2CAggregate, Money
from kernel.errors import InvalidCommand

_CAMPAIGN_NAMESPACE = uuid.UUID("c1a3e4f0-5b1d-4b8e-9a55-0d6f1f2e3a40")
_CAMPAIGN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


class ChannelType(StrEnum):
    WEB = "web"  # forms, landing pages, SEO/SEM
    EVENT = "event"  # trade shows, seminars, user conferences
    EMAIL = "email"
    SOCIAL = "social"
    PHONE = "phone"  # inbound call lines
    PARTNER = "partner"
    CONTENT = "content"  # white papers, webinars


class Campaign(L2CAggregate):
    """Identified by a readable slug ("spring-expo-2026"), the id leads and forms carry."""

    @staticmethod
    def create_id(slug: str) -> uuid.UUID:
        return uuid.uuid5(_CAMPAIGN_NAMESPACE, slug)

    @classmethod
    def launch(
        cls, slug: str, name: str, channel_type: str, cost: Money, starts_on: date, ends_on: date
    ) -> Campaign:
        if not _CAMPAIGN_ID.match(slug):
            raise InvalidCommand(
                f"campaign id {slug!r} must be 2-64 lowercase letters, digits or dashes"
            )
        if not name.strip():
            raise InvalidCommand("a campaign needs a name")
        try:
            channel = ChannelType(channel_type)
        except ValueError:
            raise InvalidCommand(
                f"channel type {channel_type!r} is not one of "
                f"{', '.join(c.value for c in ChannelType)}"
            ) from None
        if cost.amount < 0:
            raise InvalidCommand(f"a campaign's cost cannot be negative, got {cost}")
        if ends_on < starts_on:
            raise InvalidCommand(f"campaign ends ({ends_on}) before it starts ({starts_on})")
        return cls(
            slug=slug,
            name=name.strip(),
            channel_type=channel.value,
            cost=cost,
            starts_on=starts_on,
            ends_on=ends_on,
        )

    @event("Launched")
    def __init__(
        self, slug: str, name: str, channel_type: str, cost: Money, starts_on: date, ends_on: date
    ) -> None:
        self.slug = slug
        self.name = name
        self.channel_type = channel_type
        self.cost = cost
        self.starts_on = starts_on
        self.ends_on = ends_on

    def record_cost(self, cost: Money) -> None:
        if cost.currency != self.cost.currency:
            raise InvalidCommand(f"campaign {self.slug} is budgeted in {self.cost.currency}")
        if cost.amount < 0:
            raise InvalidCommand(f"a campaign's cost cannot be negative, got {cost}")
        if cost != self.cost:
            self._cost_recorded(slug=self.slug, cost=cost)

    @event("CostRecorded")
    def _cost_recorded(self, slug: str, cost: Money) -> None:
        self.cost = cost

    def runs_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on
