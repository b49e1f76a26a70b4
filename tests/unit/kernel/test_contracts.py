from decimal import Decimal

import pytest
from l2c.v1 import envelope_pb2, leads_pb2

from kernel.contracts import decode_envelope, envelope_as_dict
from kernel.domain import CommandContext, Money, command_context
from kernel.errors import ContractError
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.domain.lead import Contact, Lead

BANT_OK = {"budget": "approved", "authority": "COO", "need": "downtime", "timeline": "Q3"}


def converted_lead_events() -> list[object]:
    with command_context(CommandContext(correlation_id="c-1", actor_id="rep-7")):
        lead = Lead.capture(
            Contact("Ann", email="ann@example.com", company="Acme"), "web_form", "expo"
        )
        lead.qualify_as_mql("")
        lead.accept_as_sql("")
        lead.convert("Deal", Money(Decimal("99.50"), "EUR"), "rep-7", BANT_OK)
    return list(lead.collect_events())


def test_an_envelope_carries_the_event_and_its_metadata_and_decodes_back() -> None:
    event = converted_lead_events()[-1]
    envelope = LEAD_CONTRACTS.envelope(event, position=42)
    assert envelope is not None
    decoded, payload = decode_envelope(envelope.SerializeToString())
    assert decoded.event_type == "l2c.v1.LeadConverted"
    assert decoded.aggregate_type == "Lead"
    assert decoded.aggregate_version == 3
    assert decoded.store_position == 42
    assert decoded.event_id == event.metadata["event_id"]
    assert (decoded.correlation_id, decoded.actor.id) == ("c-1", "rep-7")
    assert isinstance(payload, leads_pb2.LeadConverted)
    assert (payload.expected_amount.amount, payload.expected_amount.currency) == ("99.50", "EUR")
    assert envelope_as_dict(decoded)["payload"]["company"] == "Acme"


def test_garbage_bytes_are_not_an_envelope() -> None:
    with pytest.raises(ContractError, match="not an l2c.v1.EventEnvelope"):
        decode_envelope(b"\xff\xff\xff not protobuf")


def test_an_envelope_without_an_event_id_is_refused() -> None:
    with pytest.raises(ContractError, match="no event_id"):
        decode_envelope(
            envelope_pb2.EventEnvelope(event_type="x", aggregate_id="y").SerializeToString()
        )


def test_an_envelope_whose_type_does_not_match_its_payload_is_refused() -> None:
    envelope = LEAD_CONTRACTS.envelope(converted_lead_events()[0], position=1)
    assert envelope is not None
    envelope.event_type = "l2c.v1.LeadConverted"
    with pytest.raises(ContractError, match="does not match payload"):
        decode_envelope(envelope.SerializeToString())


def test_events_without_a_contract_are_not_published() -> None:
    from kernel.store import IdempotencyRecord

    record = IdempotencyRecord(key="k", fingerprint="f", result={})
    assert LEAD_CONTRACTS.envelope(record.collect_events()[0], position=1) is None
