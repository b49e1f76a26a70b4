"""A policy names the payloads it reacts to; the others are done with, unhandled."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.structs import ConsumerRecord
from l2c.v1 import leads_pb2

from kernel.consumer import Inbound, PolicyConsumer
from kernel.settings import Settings
from kernel.topics import LEADS


def _record(offset: int) -> ConsumerRecord:
    return ConsumerRecord(LEADS.name, 0, offset, 0, 0, b"k", b"v", None, 1, 1, [])


def test_payloads_it_does_not_react_to_never_reach_the_handler() -> None:
    bodies = [leads_pb2.LeadCaptured(lead_id="a"), leads_pb2.LeadConverted(lead_id="a")]
    handled: list[Any] = []
    policy = PolicyConsumer(
        "test.reacts",
        LEADS,
        lambda message, key: handled.append(message.body),
        Settings(),
        decode=lambda record: Inbound(f"m{record.offset}", "x", bodies[record.offset]),
        reacts_to=(leads_pb2.LeadConverted,),
    )

    async def run() -> list[bool]:
        stop = asyncio.Event()
        return [await policy._process(_record(n), None, stop) for n in (0, 1)]  # type: ignore[arg-type]

    assert asyncio.run(run()) == [True, True]  # both done with, so committed
    assert handled == [bodies[1]]
