"""Use cases of the leads service: load, decide, save (through the kernel's execute).

One application, layered by concern so each module stays readable:
base (store, rule sets) <- routing (qualification, routing) <- scoring (engagement,
enrichment, score) <- capture (channels, import, duplicates, campaigns) <- territories.
"""

from kernel.settings import Settings
from services.leads.application.base import CONFIG_DIR
from services.leads.application.catalog import LEADS  # noqa: I001 - after the use cases
from services.leads.application.ports import (
    Firmographics,
    FirmographicsProvider,
    ImportRow,
    ProviderUnavailable,
)
from services.leads.application.territories import TerritoryUseCases


class LeadsApplication(TerritoryUseCases):
    name = "leads"
    commands = LEADS

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        # Fold the team desks now, before the first request: on a long history the first
        # routing decision would otherwise read every assignment ever made while it waits.
        self.desks.catch_up()


__all__ = [
    "CONFIG_DIR",
    "Firmographics",
    "FirmographicsProvider",
    "ImportRow",
    "LeadsApplication",
    "ProviderUnavailable",
]
