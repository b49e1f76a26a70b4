"""Use cases of the billing service, layered by concern: base (store, rules, deals,
credit accounts) <- quotes (CPQ, approval, acceptance) <- orders (booking, credit check,
milestones, invoicing, amendments) <- settlement (ERP posting, payments, credit notes,
returns)."""

from services.billing.application.base import CONFIG_DIR
from services.billing.application.catalog import BILLING  # noqa: I001 - after the use cases
from services.billing.application.settlement import SettlementUseCases
from services.billing.application.views import credit_view, invoice_view, order_view, quote_view


class BillingApplication(SettlementUseCases):
    name = "billing"
    commands = BILLING


__all__ = [
    "CONFIG_DIR",
    "BillingApplication",
    "credit_view",
    "invoice_view",
    "order_view",
    "quote_view",
]
