"""``python -m services.leads [serve|api|relay]``"""

from kernel.http import add_readiness
from kernel.relay import Relay
from kernel.service import ServiceParts, service_main
from kernel.settings import Settings
from kernel.topics import LEADS
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api


def build(settings: Settings) -> ServiceParts:
    app = LeadsApplication(settings)
    relay = Relay(app, LEAD_CONTRACTS, LEADS, settings)
    api = build_api(app)
    add_readiness(api, relay.readiness)
    return ServiceParts(api=api, relays=[relay.run])


if __name__ == "__main__":
    service_main("leads", build, default_port=8001)
