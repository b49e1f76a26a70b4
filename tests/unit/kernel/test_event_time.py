"""Event times are bounded the same way at every edge: HTTP requests and every consumer
(the policies and insights decode records with the same kernel check)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ValidationError

from kernel.commands import EventTime, PlannedTime
from kernel.contracts import check_event_time, event_time, from_timestamp
from kernel.domain import Money
from kernel.errors import ContractError
from services.billing.adapters.erp import payment_message
from services.insights.adapters.codec import decode

RECEIVED = datetime(2026, 11, 20, 12, tzinfo=UTC)
RECEIVED_MS = int(RECEIVED.timestamp() * 1000)


def test_a_time_a_day_ahead_of_receipt_passes_and_beyond_it_is_refused() -> None:
    check_event_time(RECEIVED + timedelta(hours=23), RECEIVED)
    with pytest.raises(ContractError, match="after the record was received"):
        check_event_time(RECEIVED + timedelta(days=2), RECEIVED)


def test_times_before_2000_are_refused() -> None:
    with pytest.raises(ContractError, match="before 2000-01-01"):
        check_event_time(datetime(1970, 1, 1, tzinfo=UTC), RECEIVED)


def test_a_timestamp_python_cannot_hold_is_a_contract_error_not_a_crash() -> None:
    with pytest.raises(ContractError, match="not a valid moment"):
        from_timestamp(Timestamp(seconds=2**40))
    with pytest.raises(ContractError):
        event_time(Timestamp(seconds=-(2**40)))


def test_insights_refuses_an_erp_payment_from_year_9999_as_billing_does() -> None:
    far = payment_message(
        "m-1",
        "P-1",
        uuid.uuid4(),
        Money(Decimal("10.00"), "EUR"),
        datetime(9999, 12, 31, tzinfo=UTC),
    ).SerializeToString()
    with pytest.raises(ContractError, match="received_at"):
        decode("l2c.erp.inbound.v1", far, RECEIVED_MS)
    on_time = payment_message(
        "m-2", "P-2", uuid.uuid4(), Money(Decimal("10.00"), "EUR"), RECEIVED
    ).SerializeToString()
    assert decode("l2c.erp.inbound.v1", on_time, RECEIVED_MS).occurred_at == RECEIVED


class Happened(BaseModel):
    at: EventTime


class Planned(BaseModel):
    due_at: PlannedTime


def test_http_event_times_use_the_same_bounds() -> None:
    Happened(at=datetime.now(UTC))
    for bad in ("9999-12-31T00:00:00Z", "1970-01-01T00:00:00Z"):
        with pytest.raises(ValidationError):
            Happened.model_validate({"at": bad})
    Planned(due_at=datetime.now(UTC) + timedelta(days=400))
    with pytest.raises(ValidationError):
        Planned.model_validate({"due_at": "9999-12-31T00:00:00Z"})
