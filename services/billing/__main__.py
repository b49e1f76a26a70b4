"""``python -m services.billing [serve|api|relay|policies]``"""

import uuid

from kernel.domain import utcnow
from kernel.http import add_readiness
from kernel.relay import Relay
from kernel.service import ServiceParts, every, service_main
from kernel.settings import Settings
from kernel.topics import BILLING, ERP_OUTBOUND
from services.billing.adapters.contracts import BILLING_CONTRACTS, ERP_OUTBOUND_CONTRACTS
from services.billing.adapters.directory import BillingDirectory
from services.billing.application import BillingApplication
from services.billing.entrypoints.http import build_api
from services.billing.entrypoints.policies import follow_deals, handle_erp_inbound


def build(settings: Settings) -> ServiceParts:
    app = BillingApplication(settings)
    directory = BillingDirectory(app, settings.data_dir / "billing-directory.sqlite")
    events = Relay(app, BILLING_CONTRACTS, BILLING, settings)
    erp = Relay(app, ERP_OUTBOUND_CONTRACTS, ERP_OUTBOUND, settings, seals=False)
    api = build_api(app, directory)
    add_readiness(api, events.readiness)

    def invoice_due_installments() -> list[str]:
        """The clock: installments due on a date are invoiced when the date comes."""
        due = directory.orders_to_invoice(utcnow().date())
        for order_id in due:
            app.invoice_due(uuid.UUID(order_id))
        return due

    return ServiceParts(
        api=api,
        ready=events.readiness,
        relays=[events.run, erp.run],
        policies=[
            follow_deals(app, settings).run,
            handle_erp_inbound(app, settings).run,
            every(60, invoice_due_installments, "billing.invoice-clock"),
        ],
    )


if __name__ == "__main__":
    service_main("billing", build, default_port=8003)
