"""The topic registry: every topic the platform produces or consumes, declared once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    value: str  # full protobuf message name of every record's value
    description: str

    @property
    def dead_letter(self) -> TopicSpec:
        return dead_letter_of(self)


LEADS = TopicSpec(
    "l2c.leads.v1", "lead id (UUID)", "l2c.v1.EventEnvelope", "events of the leads service"
)
DEALS = TopicSpec(
    "l2c.deals.v1", "deal id (UUID)", "l2c.v1.EventEnvelope", "events of the deals service"
)
BILLING = TopicSpec(
    "l2c.billing.v1",
    "order or invoice id (UUID)",
    "l2c.v1.EventEnvelope",
    "events of the billing service",
)
INSIGHTS = TopicSpec(
    "l2c.insights.v1",
    'breach (rule|subject), snapshot week or "clock"',
    "l2c.v1.EventEnvelope",
    "what insights says: health breaches and clearings, weekly forecast snapshots, clock ticks",
)
ERP_INBOUND = TopicSpec(
    "l2c.erp.inbound.v1",
    "invoice or order id",
    "l2c.v1.ErpInboundMessage",
    "what the ERP posts back: invoices posted, shipments, milestones, payments received",
)
ERP_OUTBOUND = TopicSpec(
    "l2c.erp.outbound.v1",
    "order id",
    "l2c.v1.ErpOutboundMessage",
    "what the ERP must book: orders, invoices to post, credit notes",
)

TELEPHONY_INBOUND = TopicSpec(
    "l2c.telephony.v1",
    "caller number",
    "l2c.v1.TelephonyInboundMessage",
    "what the telephony platform reports: inbound calls",
)

DEAD_LETTER_SUFFIX = ".dlq"


def dead_letter_of(spec: TopicSpec) -> TopicSpec:
    """Rejected records of a topic, with the reason in headers (``dlq.reason`` ...)."""
    return TopicSpec(
        spec.name + DEAD_LETTER_SUFFIX,
        spec.key,
        spec.value + " (as received, possibly undecodable)",
        f"records of {spec.name} that a consumer rejected",
    )


EVENT_TOPICS = (LEADS, DEALS, BILLING)
INSIGHTS_TOPICS = (INSIGHTS,)
INBOUND_TOPICS = (ERP_INBOUND, TELEPHONY_INBOUND)
OUTBOUND_TOPICS = (ERP_OUTBOUND,)
ALL_TOPICS = (
    *EVENT_TOPICS,
    *INSIGHTS_TOPICS,
    *INBOUND_TOPICS,
    *OUTBOUND_TOPICS,
    *(dead_letter_of(t) for t in (*EVENT_TOPICS, *INSIGHTS_TOPICS, *INBOUND_TOPICS)),
)
