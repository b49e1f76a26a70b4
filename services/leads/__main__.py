"""``python -m services.leads [serve|api|relay|policies]``"""

from kernel.domain import utcnow
from kernel.http import add_readiness
from kernel.relay import Relay
from kernel.service import ServiceParts, every, service_main
from kernel.settings import Settings
from kernel.topics import LEADS
from services.leads.adapters.contracts import LEAD_CONTRACTS
from services.leads.adapters.directory import LeadDirectory
from services.leads.adapters.firmographics import ReferenceFileProvider
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api
from services.leads.entrypoints.policies import (
    capture_lead_when_call_arrives,
    enrich_lead_when_captured,
)


def build(settings: Settings) -> ServiceParts:
    app = LeadsApplication(settings)
    provider = ReferenceFileProvider()
    relay = Relay(app, LEAD_CONTRACTS, LEADS, settings)
    directory = LeadDirectory(app, settings.data_dir / "leads-directory.sqlite")
    api = build_api(app, provider, directory)
    add_readiness(api, relay.readiness)
    return ServiceParts(
        api=api,
        ready=relay.readiness,
        relays=[relay.run],
        policies=[
            enrich_lead_when_captured(app, provider, settings).run,
            capture_lead_when_call_arrives(app, settings).run,
            every(30, lambda: app.flag_missed_deadlines(utcnow()), "speed-to-lead clock"),
            every(
                300,
                lambda: app.sweep_public_pool(utcnow(), directory.account_ids()),
                "public-pool clock",
            ),
            every(5, directory.catch_up, "directory"),
        ],
    )


if __name__ == "__main__":
    service_main("leads", build, default_port=8001)
