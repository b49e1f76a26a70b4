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
from services.leads.domain.routing import TeamDesk


class LeadsApplication(TerritoryUseCases):
    name = "leads"
    commands = LEADS
    # A team's desk hears of every lead of the team: snapshot it so that loading it costs
    # the same however long the team has worked (see kernel.store.persistence_env).
    snapshotting_intervals = {TeamDesk: 100}  # noqa: RUF012 - the library's class variable


__all__ = [
    "CONFIG_DIR",
    "Firmographics",
    "FirmographicsProvider",
    "ImportRow",
    "LeadsApplication",
    "ProviderUnavailable",
]
