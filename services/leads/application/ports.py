"""The leads application's ports and the plain data crossing them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.leads.domain.lead import Contact


class ProviderUnavailable(Exception):
    """The firmographics provider could not answer now (down, unreadable, timed out)."""


class FirmographicsProvider(Protocol):
    """Port: what is known of a company, by web domain or else by name (None: unknown)."""

    name: str

    def lookup(self, domain: str, company: str) -> Firmographics | None: ...


@dataclass(frozen=True)
class Firmographics:
    """What a firmographics provider knows of a company."""

    industry: str
    company_size: str
    headcount: int
    region: str
    provider: str


@dataclass(frozen=True)
class ImportRow:
    """One parsed row of a bulk import: a contact, or the reason it could not be read."""

    row: int
    contact: Contact | None
    campaign_id: str = ""
    error: str = ""
