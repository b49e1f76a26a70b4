"""Won deals with accepted quotes, booked through the billing application."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from kernel.domain import Money
from services.billing.application import BillingApplication
from services.billing.domain.commands import AcceptQuote, SubmitQuote
from services.billing.domain.pricing import LineRequest
from services.billing.domain.schedule import InstallmentTerms

MILESTONE_PLAN = (
    InstallmentTerms("advance", Decimal(30)),
    InstallmentTerms("go-live", Decimal(70), "on_milestone", milestone="go_live"),
)


def book_order(
    app: BillingApplication,
    lines: list[LineRequest],
    plan: tuple[InstallmentTerms, ...] = MILESTONE_PLAN,
    account: str = "Acme",
    deal_id: uuid.UUID | None = None,
) -> uuid.UUID:
    deal_id = deal_id or uuid.uuid4()
    app.record_deal_opened(deal_id, account=account, owner_id="rep-1", name="CRM rollout")
    quote = app.create_quote(deal_id, lines=lines, requester_role="sales_manager", plan=plan)
    quote_id = uuid.UUID(quote["quote_id"])
    app.dispatch(SubmitQuote(quote_id=quote_id))
    app.dispatch(AcceptQuote(quote_id=quote_id, accepted_by="buyer"))
    won = app.record_deal_won(
        deal_id,
        amount=Money.of(quote["total"], "EUR"),
        closed_at=datetime.now(UTC),
        account=account,
    )
    return uuid.UUID(won["order_id"])
