"""Who may do what on Kafka: the platform's ACLs, declared once as data.

One principal per service and integration (SASL/SCRAM user names, ``L2C_KAFKA_USERNAME``
of each process):

- ``leads``, ``deals``, ``billing``: write their own event topic (and the webhook topics
  their HTTP edges feed), read the topics their policies consume, write those topics'
  dead letters, use consumer groups named after themselves;
- ``insights``: read every topic it folds, write ``l2c.insights.v1`` and dead letters,
  use its consumer groups (``l2c-insights`` prefix, one per store generation); it makes
  no topics of its own;
- ``erp``: write ``l2c.erp.inbound.v1`` only, read ``l2c.erp.outbound.v1``;
- ``telephony``: write ``l2c.telephony.v1`` only;
- ``bi``: read every ``l2c.`` topic, write nothing; groups prefixed ``bi``.

Everyone listed may describe the ``l2c.`` topics (clients look up metadata). Topics are
created by the operator (``admin``, a super user) before the services start; the
services' own "create if missing" then finds them. Anything not granted is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.topics import (
    AUDIT,
    BILLING,
    DEALS,
    ERP_INBOUND,
    ERP_OUTBOUND,
    INSIGHTS,
    LEADS,
    TELEPHONY_INBOUND,
    TopicSpec,
)

PREFIX = "l2c."


@dataclass(frozen=True)
class Grant:
    """``principal`` may do ``operations`` on the named topics, or on every topic or
    group whose name starts with ``prefix`` (``resource`` "topic", "group" or "cluster")."""

    principal: str
    operations: tuple[str, ...]
    resource: str = "topic"
    names: tuple[str, ...] = ()
    prefix: str = ""


def _names(*specs: TopicSpec) -> tuple[str, ...]:
    return tuple(s.name for s in specs)


def _dead_letters(*specs: TopicSpec) -> tuple[str, ...]:
    return tuple(s.dead_letter.name for s in specs)


# principal -> (topics it writes, topics it reads)
SERVICES: dict[str, tuple[tuple[TopicSpec, ...], tuple[TopicSpec, ...]]] = {
    "leads": ((LEADS, TELEPHONY_INBOUND, AUDIT), (LEADS, TELEPHONY_INBOUND)),
    "deals": ((DEALS, AUDIT), (LEADS, TELEPHONY_INBOUND)),
    "billing": ((BILLING, ERP_OUTBOUND, ERP_INBOUND, AUDIT), (DEALS, ERP_INBOUND)),
}
INSIGHTS_READS = (LEADS, DEALS, BILLING, ERP_INBOUND, INSIGHTS)
INSIGHTS_APP = "l2c-insights"


def platform_acls(deployment: str = "") -> list[Grant]:
    """Every grant of a deployment (its consumer groups carry ``<deployment>.``)."""
    group = f"{deployment}." if deployment else ""
    grants: list[Grant] = []
    everyone = (*SERVICES, "insights", "erp", "telephony", "bi")
    for principal in everyone:
        grants.append(Grant(principal, ("Describe",), prefix=PREFIX))
    # Idempotent producers (every writer here) ask the cluster for a producer id.
    for principal in (*SERVICES, "insights", "erp", "telephony"):
        grants.append(Grant(principal, ("IdempotentWrite",), resource="cluster"))
    for service, (writes, reads) in SERVICES.items():
        grants += [
            Grant(service, ("Write",), names=_names(*writes) + _dead_letters(*reads)),
            Grant(service, ("Read",), names=_names(*reads)),
            Grant(service, ("Read",), resource="group", prefix=f"{group}{service}."),
        ]
    grants += [
        Grant("insights", ("Read",), names=_names(*INSIGHTS_READS)),
        Grant("insights", ("Write",), names=_names(INSIGHTS) + _dead_letters(*INSIGHTS_READS)),
        Grant("insights", ("Read",), resource="group", prefix=f"{group}{INSIGHTS_APP}"),
        Grant("erp", ("Write",), names=_names(ERP_INBOUND)),
        Grant("erp", ("Read",), names=_names(ERP_OUTBOUND)),
        Grant("erp", ("Read",), resource="group", prefix="erp"),
        Grant("telephony", ("Write",), names=_names(TELEPHONY_INBOUND)),
        Grant("bi", ("Read",), prefix=PREFIX),
        Grant("bi", ("Read",), resource="group", prefix="bi"),
    ]
    return grants


def acl_command_args(grant: Grant) -> list[str]:
    """The grant as arguments of Kafka's ``kafka-acls`` tool (after ``--add``)."""
    args = ["--allow-principal", f"User:{grant.principal}"]
    for operation in grant.operations:
        args += ["--operation", operation]
    if grant.resource == "cluster":
        return [*args, "--cluster"]
    flag = "--topic" if grant.resource == "topic" else "--group"
    if grant.prefix:
        args += ["--resource-pattern-type", "prefixed", flag, grant.prefix]
    else:
        for name in grant.names:
            args += [flag, name]
    return args
