"""Use cases of the leads service: load, decide, save (through the kernel's execute).

One application, layered by concern so each module stays readable:
base (store, rule sets) <- routing (qualification, routing) <- scoring (engagement,
enrichment, score) <- capture (channels, import, duplicates, campaigns) <- territories.
"""

from eventsourcing.utils import get_topic

from services.leads.application.base import CONFIG_DIR
from services.leads.application.catalog import LEADS  # noqa: I001 - after the use cases
from services.leads.application.ports import (
    Firmographics,
    FirmographicsProvider,
    ImportRow,
    ProviderUnavailable,
)
from services.leads.application.territories import TerritoryUseCases
from services.leads.domain.lead import Lead

_PERSON = (("full_name", "email", "phone", "job_title"), "")
_NOTE = (("note",), "")


class LeadsApplication(TerritoryUseCases):
    name = "leads"
    commands = LEADS
    # The person behind a lead, and what people wrote about them: sealed under the lead's
    # key in the store and on l2c.leads.v1 (see kernel.personal).
    personal = {
        get_topic(Lead.Captured): _PERSON,  # type: ignore[attr-defined]
        get_topic(Lead.MarketingQualified): _NOTE,  # type: ignore[attr-defined]
        get_topic(Lead.SalesAccepted): _NOTE,  # type: ignore[attr-defined]
        get_topic(Lead.SalesRejected): _NOTE,  # type: ignore[attr-defined]
    }


__all__ = [
    "CONFIG_DIR",
    "Firmographics",
    "FirmographicsProvider",
    "ImportRow",
    "LeadsApplication",
    "ProviderUnavailable",
]
