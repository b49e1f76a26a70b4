"""The billing service's command catalog (not to be confused with the product catalog,
``domain/catalog.py``): every command, what it changes, how it is carried out, the route
it is offered on and its policy facts. The HTTP routes and their OpenAPI are made from it
(``kernel.command_routes``)."""

from __future__ import annotations

from kernel.commands import Catalog, Facts, Route
from kernel.rule_commands import publish_rules_command
from services.billing.application import (
    closing_commands,
    credit_commands,
    invoice_commands,
    order_commands,
    quote_commands,
)
from services.billing.application.views import (
    CreditAnswer,
    InvoiceAnswer,
    OrderAnswer,
    QuoteAnswer,
    credit_view,
    invoice_view,
    order_view,
    quote_view,
)
from services.billing.domain import commands as c
from services.billing.domain.closing import DealClosing
from services.billing.domain.credit import CreditAccount
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order
from services.billing.domain.quote import Quote

BILLING = Catalog("billing")
SALES, APPROVERS = ("rep", "manager"), ("manager", "finance")

# Quotes
BILLING.command(
    "create_quote",
    c.CreateQuote,
    Quote,
    "",
    use_case=quote_commands.create_quote,
    route=Route(
        "POST",
        "/quotes",
        201,
        ("quotes",),
        "Quote a deal's needs: configuration checked, every line priced",
        "QuoteRequest",
        if_match=False,
    ),
    facts=Facts(roles=SALES),
    answer=quote_view,
    response_model=QuoteAnswer,
)
BILLING.command(
    "revise_quote",
    c.ReviseQuote,
    Quote,
    "quote_id",
    use_case=quote_commands.revise_quote,
    route=Route(
        "PUT",
        "/quotes/{quote_id}",
        200,
        ("quotes",),
        "Revise a draft or rejected quote (an approved one is frozen)",
        "ReviseQuoteRequest",
    ),
    facts=Facts(roles=SALES),
    answer=quote_view,
    response_model=QuoteAnswer,
)
BILLING.command(
    "submit_quote",
    c.SubmitQuote,
    Quote,
    "quote_id",
    handler=lambda quote, _: quote.submit(),
    route=Route(
        "POST",
        "/quotes/{quote_id}/submit",
        200,
        ("quotes",),
        "Submit: approved at once within thresholds, else pending approval",
    ),
    facts=Facts(roles=SALES),
    answer=quote_view,
    response_model=QuoteAnswer,
)
BILLING.command(
    "approve_quote",
    c.ApproveQuote,
    Quote,
    "quote_id",
    use_case=quote_commands.approve_quote,
    route=Route(
        "POST", "/quotes/{quote_id}/approve", 200, ("quotes",), body_name="DecisionRequest"
    ),
    facts=Facts(roles=APPROVERS, reason_required=True),
    answer=quote_view,
    response_model=QuoteAnswer,
)
BILLING.command(
    "reject_quote",
    c.RejectQuote,
    Quote,
    "quote_id",
    handler=lambda quote, cmd: quote.reject(cmd.by, cmd.role, cmd.reason),
    route=Route(
        "POST", "/quotes/{quote_id}/reject", 200, ("quotes",), body_name="RejectQuoteRequest"
    ),
    facts=Facts(roles=APPROVERS, reason_required=True),
    answer=quote_view,
    response_model=QuoteAnswer,
)
BILLING.command(
    "accept_quote",
    c.AcceptQuote,
    Quote,
    "quote_id",
    use_case=quote_commands.accept_quote,
    route=Route(
        "POST",
        "/quotes/{quote_id}/accept",
        200,
        ("quotes",),
        "The customer accepts; a won deal's order is booked at once",
        "AcceptRequest",
    ),
    facts=Facts(roles=SALES),
    answer=quote_view,
    response_model=QuoteAnswer,
)

# Deals, as the deals service reports them (the follow-deals policy)
for name, message, use_case in (
    ("record_deal_opened", c.RecordDealOpened, closing_commands.record_deal_opened),
    ("record_deal_won", c.RecordDealWon, closing_commands.record_deal_won),
    ("record_deal_lost", c.RecordDealLost, closing_commands.record_deal_lost),
):
    BILLING.command(
        name,
        message,
        DealClosing,
        "deal_id",
        use_case=use_case,
        facts=Facts(roles=("policy",)),
        answer=lambda closing: {"deal_id": str(closing.deal_id)},
        retries=2,
    )


def _order(
    name: str,
    message: type[c.Command],
    change: order_commands.OrderChange,
    route: Route | None,
    roles: tuple[str, ...],
    **facts: bool,
) -> None:
    """A command on one order (``order_id``) and its account's credit."""
    BILLING.command(
        name,
        message,
        Order,
        "order_id",
        use_case=order_commands.order_use_case(change),
        route=route,
        facts=Facts(roles=roles, **facts),
        answer=order_view,
        response_model=OrderAnswer,
    )


FINANCE = ("finance",)
# Orders and credit
_order(
    "release_credit_hold",
    c.ReleaseCreditHold,
    order_commands.release,
    Route(
        "POST",
        "/orders/{order_id}/credit-release",
        200,
        ("orders",),
        "Finance releases an order held by the credit check",
        "ReleaseRequest",
    ),
    FINANCE,
    reason_required=True,
)
_order(
    "cancel_order",
    c.CancelOrder,
    order_commands.cancel,
    Route("POST", "/orders/{order_id}/cancel", 200, ("orders",), body_name="CancelRequest"),
    ("manager", "finance"),
    reason_required=True,
)
_order(
    "report_milestone",
    c.ReportMilestone,
    order_commands.milestone_from("api"),
    Route(
        "POST",
        "/orders/{order_id}/milestones/{milestone}",
        200,
        ("orders",),
        "Report a delivery milestone delivered or accepted; acceptance invoices its "
        "installment at once",
        "MilestoneRequest",
    ),
    ("project", "manager"),
    backdated=True,
)
_order(
    "record_erp_milestone",
    c.RecordErpMilestone,
    order_commands.milestone_from("erp"),
    None,
    ("erp",),
    backdated=True,
    external_id=True,
)
_order("post_shipment", c.PostShipment, order_commands.ship, None, ("erp",), external_id=True)
_order("invoice_due", c.InvoiceDue, lambda app, order, credit, cmd: None, None, ("policy",))
_order(
    "amend_order",
    c.AmendOrder,
    order_commands.amend,
    Route(
        "POST",
        "/orders/{order_id}/amendments",
        200,
        ("orders",),
        "Change the lines (contract prices); open installments re-planned",
        "AmendRequest",
    ),
    ("manager",),
    reason_required=True,
)
BILLING.command(
    "return_lines",
    c.ReturnLines,
    Order,
    "order_id",
    use_case=order_commands.return_lines,
    route=Route(
        "POST",
        "/orders/{order_id}/returns",
        200,
        ("orders",),
        "Take back quantities of lines: credit notes for what was invoiced",
        "ReturnRequest",
    ),
    facts=Facts(roles=("manager", "finance"), reason_required=True, external_id=True),
    answer=order_view,
    response_model=OrderAnswer,
    retries=2,
)
BILLING.command(
    "set_credit_limit",
    c.SetCreditLimit,
    CreditAccount,
    "",
    use_case=credit_commands.set_credit_limit,
    route=Route(
        "PUT", "/accounts/{account}/credit-limit", 200, ("credit",), body_name="CreditLimitRequest"
    ),
    facts=Facts(roles=FINANCE, reason_required=True),
    answer=credit_view,
    response_model=CreditAnswer,
    retries=2,
)


def _invoice(
    name: str,
    message: type[c.Command],
    change: invoice_commands.InvoiceChange,
    route: Route | None,
    roles: tuple[str, ...],
    with_order: bool = False,
    **facts: bool,
) -> None:
    """A command on one invoice (``invoice_id``), its account's credit and maybe its order."""
    BILLING.command(
        name,
        message,
        Invoice,
        "invoice_id",
        use_case=invoice_commands.invoice_use_case(change, with_order),
        route=route,
        facts=Facts(roles=roles, **facts),
        answer=invoice_view,
        response_model=InvoiceAnswer,
    )


# Invoices and cash
_invoice("post_invoice", c.PostInvoice, invoice_commands.post, None, ("erp",), external_id=True)
_invoice("apply_payment", c.ApplyPayment, invoice_commands.pay, None, ("erp",), external_id=True)
_invoice(
    "apply_account_credit",
    c.ApplyAccountCredit,
    invoice_commands.settle_from_credit,
    Route(
        "POST",
        "/invoices/{invoice_id}/apply-credit",
        200,
        ("invoices",),
        "Settle from the account's unapplied cash (overpayments, credit notes)",
        "ApplyCreditRequest",
    ),
    FINANCE,
)
_invoice(
    "issue_credit_note",
    c.IssueCreditNote,
    invoice_commands.credit_note,
    Route(
        "POST",
        "/invoices/{invoice_id}/credit-notes",
        201,
        ("invoices",),
        body_name="CreditNoteRequest",
    ),
    FINANCE,
    with_order=True,
    reason_required=True,
)

# Rule sets: quotes and orders keep the versions they were priced with
for rule_set, rules_of in (
    ("catalog", lambda app: app.catalog),
    ("price_book", lambda app: app.price_book),
    ("discounts", lambda app: app.discounts),
    ("credit", lambda app: app.credit_policy),
):
    publish_rules_command(
        BILLING,
        rule_set,
        rules_of,
        f"/rules/{rule_set}",
        ("rules",),
        "Publish a new version (quotes and orders keep the version they used)",
    )
