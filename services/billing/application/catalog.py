"""The billing service's command catalog (not to be confused with the product catalog,
``domain/catalog.py``): every command, what it changes, how it is carried out, the route
it is offered on and its policy facts. The HTTP routes and their OpenAPI are made from it
(``kernel.command_routes``)."""

from __future__ import annotations

from kernel.commands import Catalog, Facts, Route
from services.billing.application import quotes
from services.billing.application.views import quote_view
from services.billing.domain import commands as c
from services.billing.domain.quote import Quote

BILLING = Catalog("billing")
SALES, APPROVERS = ("rep", "manager"), ("manager", "finance")

# Quotes
BILLING.command(
    "create_quote",
    c.CreateQuote,
    Quote,
    "",
    use_case=quotes.create_quote,
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
)
BILLING.command(
    "revise_quote",
    c.ReviseQuote,
    Quote,
    "quote_id",
    use_case=quotes.revise_quote,
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
)
BILLING.command(
    "approve_quote",
    c.ApproveQuote,
    Quote,
    "quote_id",
    use_case=quotes.approve_quote,
    route=Route(
        "POST", "/quotes/{quote_id}/approve", 200, ("quotes",), body_name="DecisionRequest"
    ),
    facts=Facts(roles=APPROVERS, reason_required=True),
    answer=quote_view,
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
)
BILLING.command(
    "accept_quote",
    c.AcceptQuote,
    Quote,
    "quote_id",
    use_case=quotes.accept_quote,
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
)
