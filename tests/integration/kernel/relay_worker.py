"""A relay process for the kill test: the leads store, published to L2C_TEST_RELAY_TOPIC.

With L2C_TEST_KILL_AFTER_SENDS=N the process SIGKILLs itself right after its N-th send has
reached the broker: a real, abrupt death in the middle of a batch, at a known point.
"""

import asyncio
import os
import signal
from typing import Any

import kernel.relay
from kernel.relay import Relay
from kernel.settings import get_settings
from kernel.topics import TopicSpec
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.application import LeadsApplication

KILL_AFTER = int(os.environ.get("L2C_TEST_KILL_AFTER_SENDS", "0"))


class DiesMidBatch:
    """The real producer, plus a SIGKILL after the N-th record is on the broker."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.sent = 0

    async def start(self) -> None:
        await self.real.start()

    async def stop(self) -> None:
        await self.real.stop()

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        ack = await self.real.send(*args, **kwargs)
        self.sent += 1
        if self.sent == KILL_AFTER:
            await self.real.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return ack


async def main() -> None:
    settings = get_settings()
    if KILL_AFTER:
        real_factory = kernel.relay.idempotent_producer
        kernel.relay.idempotent_producer = lambda *a, **k: DiesMidBatch(real_factory(*a, **k))  # type: ignore[assignment]
    topic = TopicSpec(os.environ["L2C_TEST_RELAY_TOPIC"], "lead id", "l2c.v1.EventEnvelope", "")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await Relay(LeadsApplication(settings), LEAD_CONTRACTS, topic, settings).run(stop)


if __name__ == "__main__":
    asyncio.run(main())
