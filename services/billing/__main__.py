"""``python -m services.billing [serve|api|relay|policies]``"""

from kernel.http import add_readiness
from kernel.relay import Relay
from kernel.service import ServiceParts, service_main
from kernel.settings import Settings
from kernel.topics import BILLING
from services.billing.adapters.contracts import BILLING_CONTRACTS
from services.billing.application import BillingApplication
from services.billing.entrypoints.http import build_api
from services.billing.entrypoints.policies import (
    apply_payment_when_erp_reports_it,
    book_order_when_deal_won,
)


def build(settings: Settings) -> ServiceParts:
    app = BillingApplication(settings)
    relay = Relay(app, BILLING_CONTRACTS, BILLING, settings)
    api = build_api(app, settings)
    add_readiness(api, relay.readiness)
    return ServiceParts(
        api=api,
        relays=[relay.run],
        policies=[
            book_order_when_deal_won(app, settings).run,
            apply_payment_when_erp_reports_it(app, settings).run,
        ],
    )


if __name__ == "__main__":
    service_main("billing", build, default_port=8003)
