"""The topic registry: every topic the platform produces or consumes, declared once.

Which message types travel on a topic is not listed by hand: ``payloads`` names the
proto files (or messages) whose messages a topic carries, and ``kernel/catalog.py`` reads
the event types from the compiled descriptors. The README's topic table and the gateway's
``GET /topics`` are both made from that catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    value: str  # full protobuf message name of every record's value
    description: str
    # Proto files ("l2c/v1/leads.proto": its top-level messages) or message names whose
    # messages are this topic's event types; a wrapper message stands for its oneof.
    payloads: tuple[str, ...] = ()
    # Topic configs given when the topic is created (e.g. retention).
    configs: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def dead_letter(self) -> TopicSpec:
        return dead_letter_of(self)


# The facts the read models are folded from (and folded again from: a rebuild, a read
# model as of a past time) and the audit's checkpoints: kept as long as the stores.
KEPT_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}

LEADS = TopicSpec(
    "l2c.leads.v1",
    "aggregate id (UUID): the lead, account, campaign or rule set",
    "l2c.v1.EventEnvelope",
    "events of the leads service: leads, accounts and territories, campaigns, rule sets",
    ("l2c/v1/leads.proto", "l2c.v1.RuleSetPublished"),
    configs=KEPT_FOREVER,
)
DEALS = TopicSpec(
    "l2c.deals.v1",
    "aggregate id (UUID): the deal, account relationship or rule set",
    "l2c.v1.EventEnvelope",
    "events of the deals service: deals through their sales process, relationships, rules",
    ("l2c/v1/deals.proto", "l2c.v1.RuleSetPublished"),
    configs=KEPT_FOREVER,
)
BILLING = TopicSpec(
    "l2c.billing.v1",
    "aggregate id (UUID): the quote, order, invoice, credit account or rule set",
    "l2c.v1.EventEnvelope",
    "events of the billing service: quotes, orders and contracts, invoices, credit, rules",
    ("l2c/v1/billing.proto", "l2c.v1.RuleSetPublished"),
    configs=KEPT_FOREVER,
)
INSIGHTS = TopicSpec(
    "l2c.insights.v1",
    'the subject as text, not the aggregate id: "<rule>|<kind>:<id>" for a breach, the '
    'week\'s Monday for a snapshot, "clock" (aggregate_id is its UUIDv5)',
    "l2c.v1.EventEnvelope",
    "what insights says: health breaches and clearings, weekly forecast snapshots, clock ticks",
    ("l2c/v1/insights.proto",),
    configs=KEPT_FOREVER,
)
ERP_INBOUND = TopicSpec(
    "l2c.erp.inbound.v1",
    "invoice or order id",
    "l2c.v1.ErpInboundMessage",
    "what the ERP posts back: invoices posted, shipments, milestones, payments received",
    ("l2c.v1.ErpInboundMessage",),
    configs=KEPT_FOREVER,
)
ERP_OUTBOUND = TopicSpec(
    "l2c.erp.outbound.v1",
    "order id",
    "l2c.v1.ErpOutboundMessage",
    "what the ERP must book: orders, invoices to post, credit notes",
    ("l2c.v1.ErpOutboundMessage",),
)

TELEPHONY_INBOUND = TopicSpec(
    "l2c.telephony.v1",
    "caller number",
    "l2c.v1.TelephonyInboundMessage",
    "what the telephony platform reports: inbound calls, recorded calls, detected key events",
    ("l2c.v1.TelephonyInboundMessage",),
)

AUDIT = TopicSpec(
    "l2c.audit.v1",
    "service (leads, deals or billing)",
    "l2c.v1.AuditCheckpoint",
    "signed checkpoints over each service's event store (tamper evidence), kept forever",
    ("l2c.v1.AuditCheckpoint",),
    configs=KEPT_FOREVER,
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
    AUDIT,
    *(dead_letter_of(t) for t in (*EVENT_TOPICS, *INSIGHTS_TOPICS, *INBOUND_TOPICS)),
)
