"""A relay process for the kill test: the leads store, published to L2C_TEST_RELAY_TOPIC."""

import asyncio
import os
import signal

from kernel.relay import Relay
from kernel.settings import get_settings
from kernel.topics import TopicSpec
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.application import LeadsApplication


async def main() -> None:
    settings = get_settings()
    topic = TopicSpec(os.environ["L2C_TEST_RELAY_TOPIC"], "lead id", "l2c.v1.EventEnvelope", "")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await Relay(LeadsApplication(settings), LEAD_CONTRACTS, topic, settings).run(stop)


if __name__ == "__main__":
    asyncio.run(main())
