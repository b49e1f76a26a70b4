"""The Kafka grants as data: every event topic has one writer, integrations write only
their own inbound topic, BI writes nothing."""

from __future__ import annotations

from kernel.kafka_acls import acl_command_args, platform_acls
from kernel.topics import BILLING, DEALS, ERP_INBOUND, INSIGHTS, LEADS, TELEPHONY_INBOUND


def _writers(topic: str) -> set[str]:
    return {
        g.principal
        for g in platform_acls()
        if g.resource == "topic"
        and set(g.operations) & {"Write", "All"}
        and (topic in g.names or (g.prefix and topic.startswith(g.prefix)))
    }


def test_each_event_topic_has_one_writer() -> None:
    assert _writers(LEADS.name) == {"leads"}
    assert _writers(DEALS.name) == {"deals"}
    assert _writers(BILLING.name) == {"billing"}
    assert _writers(INSIGHTS.name) == {"insights"}


def test_integrations_write_their_inbound_topic_and_bi_writes_nothing() -> None:
    assert _writers(ERP_INBOUND.name) == {"erp", "billing"}  # billing: the ERP webhook
    assert _writers(TELEPHONY_INBOUND.name) == {"telephony", "leads"}  # the call webhook
    assert not any(
        set(g.operations) - {"Read", "Describe"} for g in platform_acls() if g.principal == "bi"
    )


def test_groups_carry_the_deployment_prefix() -> None:
    groups = {g.prefix for g in platform_acls("eu") if g.resource == "group"}
    assert {"eu.leads.", "eu.deals.", "eu.billing.", "eu.l2c-insights"} <= groups
    # the insights worker makes no topics of its own (faust's consumer is off)
    assert not any(
        g.principal == "insights"
        and g.resource == "topic"
        and set(g.operations) - {"Read", "Write", "Describe"}
        for g in platform_acls("eu")
    )
    args = acl_command_args(next(g for g in platform_acls() if g.resource == "cluster"))
    assert args[-1] == "--cluster" and "IdempotentWrite" in args
