"""How each command on a campaign is carried out. Declared in ``catalog.py``."""

from __future__ import annotations

from typing import Any

from kernel.domain import Money
from kernel.errors import InvalidCommand
from kernel.store import Result
from services.leads.application.views import campaign_view
from services.leads.domain import commands
from services.leads.domain.campaign import Campaign


def launch_campaign(
    app: Any, c: commands.LaunchCampaign, expected_version: int | None
) -> tuple[list[Campaign], Result]:
    if app.exists(Campaign.create_id(c.campaign_id)):
        raise InvalidCommand(f"campaign {c.campaign_id!r} already exists")
    cost = c.cost.to_domain() if c.cost else Money.zero(c.currency)
    campaign = Campaign.launch(
        c.campaign_id, c.name, c.channel_type.value, cost, c.starts_on, c.ends_on
    )
    return [campaign], campaign_view(campaign)


def record_campaign_cost(
    app: Any, c: commands.RecordCampaignCost, expected_version: int | None
) -> tuple[list[Campaign], Result]:
    app._known_campaign(c.campaign_id)
    campaign = app.load(Campaign, Campaign.create_id(c.campaign_id), expected_version)
    commands.record_campaign_cost(campaign, c)
    return [campaign], campaign_view(campaign)
