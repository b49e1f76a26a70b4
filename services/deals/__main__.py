"""``python -m services.deals [serve|api|relay|policies]``"""

from kernel.domain import utcnow
from kernel.http import add_readiness
from kernel.relay import Relay
from kernel.service import ServiceParts, every, service_main
from kernel.settings import Settings
from kernel.topics import DEALS
from services.deals.adapters.contracts import DEAL_CONTRACTS
from services.deals.adapters.directory import DealDirectory
from services.deals.application import DealsApplication
from services.deals.entrypoints.http import build_api
from services.deals.entrypoints.policies import (
    attach_conversation_to_deal,
    open_deal_when_lead_converted,
)


def build(settings: Settings) -> ServiceParts:
    app = DealsApplication(settings)
    relay = Relay(app, DEAL_CONTRACTS, DEALS, settings)
    directory = DealDirectory(app, settings.data_dir / "deals-directory.sqlite")
    api = build_api(app, directory)
    add_readiness(api, relay.readiness)
    return ServiceParts(
        api=api,
        ready=relay.readiness,
        relays=[relay.run],
        policies=[
            open_deal_when_lead_converted(app, settings).run,
            attach_conversation_to_deal(app, settings).run,
            every(60, lambda: app.flag_overdue_next_steps(utcnow()), "next-step clock"),
            every(5, directory.catch_up, "directory"),
        ],
    )


if __name__ == "__main__":
    service_main("deals", build, default_port=8002)
