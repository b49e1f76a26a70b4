"""Bulk import: CSV text -> rows the application can capture (each becomes the catalog's
``Capture`` command), each either a contact or the reason it could not be read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from pydantic import ValidationError

from kernel.errors import InvalidCommand
from services.leads.adapters.contact_schema import ContactModel, describe
from services.leads.application import ImportRow
from services.leads.domain.commands import Capture

# The columns are the fields of the command each row becomes (``Capture``), less what the
# import itself sets: the channel and the row's reference.
COLUMNS = set(Capture.model_fields) - {"channel", "external_ref"}
MAX_ROWS = 50_000


def parse_csv(text: str) -> Iterator[ImportRow]:
    """Rows numbered from 1 (the header is row 0). Needs a header with at least
    ``full_name``; unknown columns are refused up front, so a typo loses no data silently."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "full_name" not in header:
        raise InvalidCommand(f"the CSV header must name full_name; got {header or 'nothing'}")
    unknown = sorted(set(header) - COLUMNS)
    if unknown:
        raise InvalidCommand(f"unknown CSV columns {unknown}; known columns are {sorted(COLUMNS)}")
    for number, raw in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise InvalidCommand(f"an import holds at most {MAX_ROWS} rows")
        if None in raw:
            yield ImportRow(number, None, error="more values than columns")
            continue
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        campaign = values.pop("campaign_id", "")
        try:
            contact = ContactModel.model_validate(values).to_domain()
        except ValidationError as exc:
            yield ImportRow(number, None, error=describe(exc))
            continue
        yield ImportRow(number, contact, campaign_id=campaign)
