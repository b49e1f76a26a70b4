"""Use cases of the leads service: load, decide, save (through the kernel's execute).

One application, layered by concern so each module stays readable:
base (store, rule sets) <- routing (qualification, routing) <- scoring (engagement,
enrichment, score) <- capture (channels, import, duplicates, campaigns) <- territories.
"""

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


__all__ = [
    "CONFIG_DIR",
    "Firmographics",
    "FirmographicsProvider",
    "ImportRow",
    "LeadsApplication",
    "ProviderUnavailable",
]
