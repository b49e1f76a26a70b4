"""The neutral shape of one event as the read models see it.

Adapters turn protobuf envelopes (and ERP messages, which have no envelope) into
``Event``s whose ``data`` is the payload as a plain dict (proto field names; money as
``{"currency", "amount"}``; timestamps as ISO strings). The domain reads nothing else, so
its tests build events by hand and need no Kafka and no protobuf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Event:
    type: str  # payload message name without package: "DealOpened", "ErpPaymentReceived"
    event_id: str
    aggregate_id: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    # The aggregate's version; None for messages without one (ERP), which are deduplicated
    # on their event (message) id instead.
    version: int | None = None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# Records keep times as ISO strings and the health rules read the same deal's times at
# every judgement of it: parsing is pure, so the times of the deals being judged are kept.
@lru_cache(maxsize=1 << 15)
def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def money(data: dict[str, Any] | None) -> tuple[str, Decimal]:
    """(currency, amount) of a Money dict; ("", 0) when absent."""
    if not data:
        return "", Decimal(0)
    return str(data.get("currency", "")), Decimal(str(data.get("amount") or "0"))


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week that contains ``moment``."""
    day = moment.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of "2026-Q3"."""
    year, q = quarter.split("-Q")
    first_month = (int(q) - 1) * 3 + 1
    start = date(int(year), first_month, 1)
    end_month = first_month + 3
    end = (
        date(int(year) + 1, 1, 1) if end_month > 12 else date(int(year), end_month, 1)
    ) - timedelta(days=1)
    return start, end
