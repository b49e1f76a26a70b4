"""The reference-file adapter of the firmographics port (`FirmographicsProvider`)."""

from __future__ import annotations

import csv
from pathlib import Path

from services.leads.application import Firmographics, ProviderUnavailable
from services.leads.domain.matching import normalise_company

REFERENCE_FILE = Path(__file__).resolve().parent.parent / "config" / "firmographics.csv"


class ReferenceFileProvider:
    """Reads a CSV of known companies (domain, company, industry, company_size, headcount,
    region). The file is read on each lookup, so an updated file is used at once."""

    name = "reference-file"

    def __init__(self, path: Path = REFERENCE_FILE) -> None:
        self.path = path

    def lookup(self, domain: str, company: str) -> Firmographics | None:
        try:
            with self.path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise ProviderUnavailable(f"reference data {self.path} unreadable: {exc}") from None
        wanted = normalise_company(company)
        by_name = None
        for row in rows:
            if domain and row["domain"].strip().lower() == domain:
                return self._of(row)
            if wanted and normalise_company(row["company"]) == wanted:
                by_name = by_name or row
        return self._of(by_name) if by_name else None

    def _of(self, row: dict[str, str]) -> Firmographics:
        return Firmographics(
            industry=row["industry"].strip(),
            company_size=row["company_size"].strip(),
            headcount=int(row["headcount"] or 0),
            region=row["region"].strip(),
            provider=self.name,
        )
