from decimal import Decimal

import pytest

from kernel.domain import CommandContext, Money, command_context
from kernel.errors import InvalidCommand, RuleViolation
from services.leads.domain.lead import Contact, Lead, LeadStatus

BANT_OK = {"budget": "approved", "authority": "COO", "need": "downtime", "timeline": "Q3"}


def captured(source: str = "web_form", **overrides: str) -> Lead:
    fields = dict(full_name="Mei Chen", email="Mei@Example.com ", company="Hangzhou Robotics")
    fields.update(overrides)
    return Lead.capture(Contact(**fields), source, "spring-expo")


def test_a_captured_lead_is_new_keeps_its_channel_and_campaign_and_starts_at_version_0() -> None:
    lead = captured()
    assert (lead.status, lead.source, lead.campaign_id) == (
        LeadStatus.NEW,
        "web_form",
        "spring-expo",
    )
    assert lead.email == "mei@example.com"
    assert lead.version == 0


def test_a_lead_without_email_or_phone_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="email or a phone"):
        captured(email="", phone="")


def test_a_lead_comes_through_a_known_channel() -> None:
    with pytest.raises(InvalidCommand, match="channel 'carrier_pigeon' is not one of"):
        captured(source="carrier_pigeon")


def test_a_lead_goes_new_then_mql_then_sql_then_converted() -> None:
    lead = captured()
    lead.qualify_as_mql("downloaded the white paper")
    lead.accept_as_sql("budget confirmed")
    lead.convert("Line automation", Money(Decimal("48000"), "EUR"), "rep-7", BANT_OK)
    assert lead.status is LeadStatus.CONVERTED
    names = [type(e).__name__ for e in lead.collect_events()]
    assert names == ["Captured", "MarketingQualified", "SalesAccepted", "Converted"]


def test_sales_cannot_accept_a_lead_marketing_has_not_qualified() -> None:
    lead = captured()
    with pytest.raises(RuleViolation, match="only a mql lead can be accepted"):
        lead.accept_as_sql("")


def test_an_unqualified_lead_cannot_be_converted() -> None:
    lead = captured()
    lead.qualify_as_mql("")
    with pytest.raises(RuleViolation, match="only a sql lead can be converted"):
        lead.convert("Deal", Money(Decimal("1"), "EUR"), "rep-7", BANT_OK)


def test_a_conversion_needs_a_positive_amount() -> None:
    lead = captured()
    lead.qualify_as_mql("")
    lead.accept_as_sql("")
    with pytest.raises(InvalidCommand, match="must be positive"):
        lead.convert("Deal", Money(Decimal("0"), "EUR"), "rep-7", BANT_OK)


def test_the_converted_event_carries_company_source_and_campaign_for_downstream() -> None:
    lead = captured()
    lead.qualify_as_mql("")
    lead.accept_as_sql("")
    lead.convert("Deal", Money(Decimal("10"), "EUR"), "rep-7", BANT_OK)
    converted = lead.collect_events()[-1]
    assert (converted.company, converted.source, converted.campaign_id) == (
        "Hangzhou Robotics",
        "web_form",
        "spring-expo",
    )


def test_every_event_records_who_why_and_within_which_flow() -> None:
    ctx = CommandContext(
        correlation_id="corr-1",
        causation_id="req-9",
        actor_id="rep-7",
        actor_kind="user",
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    with command_context(ctx):
        lead = captured()
        lead.qualify_as_mql("")
    first, second = lead.collect_events()
    for event in (first, second):
        assert event.metadata["correlation_id"] == "corr-1"
        assert event.metadata["causation_id"] == "req-9"
        assert event.metadata["actor_id"] == "rep-7"
        assert event.metadata["traceparent"] == ctx.traceparent
    assert first.metadata["event_id"] != second.metadata["event_id"]
