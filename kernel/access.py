"""Who may call what: the policy table, declared once, and its enforcement on every route.

``POLICY`` maps each HTTP route of every API (method and path template, exactly as the
route is declared) to the roles that may call it. A route not in the table is refused to
everyone (the tests walk every API and fail on a route the table does not name), and
``PUBLIC`` routes (probes, the issuer's keys, the API documentation) need no identity.

Roles (claim ``roles`` of the bearer token):

- ``rep``: works leads, accounts, deals, activities and quotes
- ``manager``: what a rep does, plus assignment, merges, imports, campaigns, quote
  approval, process migration and the teams' reports
- ``finance``: quote approval, orders, invoices, credit, reconciliation and receivables
- ``auditor``: reads everything, histories included; changes nothing
- ``integration``: only its own webhooks — ``integration:erp`` is an integration identity
  whose client id is ``erp`` (see ``INTEGRATION_CLIENTS``)
- ``admin``: rule sets (scoring, routing, territories, processes, catalog, price book,
  discounts, credit policy); reads them and the catalogs
- ``migration``: loads an existing history (``l2c import``): every command and read of
  the services but rule sets and integration webhooks, and the only role that may give a
  command a business time in the past (``Occurred-At``, see ``BACKDATING_ROLES``)

Row-level scope (a rep's own records, a manager's teams: ``kernel.scope``) is applied by
the routes that know each record's owner; this table decides only whether the route is
open to the caller at all.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from kernel.auth import Forbidden, Identity, TokenVerifier, Unauthenticated
from kernel.domain import act_as
from kernel.ratelimit import PerIdentityLimit
from kernel.scope import narrow_to, scope_of
from kernel.signatures import CLIENT_HEADER, SIGNATURE_HEADER, SignedWebhooks

REP, MANAGER, FINANCE, AUDITOR, ADMIN = "rep", "manager", "finance", "auditor", "admin"
MIGRATION = "migration"
# Who may send a command with a business time (Occurred-At): loading history only.
BACKDATING_ROLES = frozenset({MIGRATION})
ERP, TELEPHONY = "integration:erp", "integration:telephony"

# Integration clients and the integration grant each one holds.
INTEGRATION_CLIENTS = {"erp": ERP, "telephony": TELEPHONY}

SALES = (REP, MANAGER)
SALES_READ = (REP, MANAGER, AUDITOR)
DEAL_READ = (REP, MANAGER, FINANCE, AUDITOR)
RULES_READ = (MANAGER, ADMIN, AUDITOR)
BILLING_READ = (REP, MANAGER, FINANCE, AUDITOR)
MONEY_READ = (MANAGER, FINANCE, AUDITOR)
EVERY_ROLE = (REP, MANAGER, FINANCE, AUDITOR, ADMIN)
# An aggregate's history (who, when, why): its owner's side, the auditors, and admins.
HISTORY_READ = (REP, MANAGER, AUDITOR, ADMIN)
MONEY_HISTORY_READ = (MANAGER, FINANCE, AUDITOR, ADMIN)
RULES_HISTORY_READ = (MANAGER, FINANCE, AUDITOR, ADMIN)
# Which record a caller's own id names (ids only: integrations and migrations reconcile).
EXTERNAL_ID_READ = (MANAGER, FINANCE, AUDITOR, ADMIN)

# No identity needed: probes, the local issuer's public keys, and the API documentation
# (Swagger UI, ReDoc, /openapi.json: the contract, which holds no business data).
PUBLIC = frozenset(
    {
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",  # operational, like the probes; a cluster's NetworkPolicy limits it
        "GET /.well-known/jwks.json",
        "GET /docs",
        "GET /docs/oauth2-redirect",
        "GET /redoc",
        # The pages' sign-in form and their stylesheet and script (no business data).
        "GET /pages/sign-in",
        "POST /pages/sign-in",
        "POST /pages/sign-out",
        "GET /pages/static/{name}",
    }
)

# The pages (server-rendered, on the gateway) take the bearer token from the
# Authorization header (a signing-in proxy's) or from the session cookie the sign-in form
# sets: HttpOnly, SameSite=Strict, for GETs under /pages/ only.
PAGES_PREFIX = "/pages"
SESSION_COOKIE = "l2c_session"

Policy = dict[str, tuple[str, ...]]

LEADS_ROUTES: Policy = {
    "GET /leads": SALES_READ,
    "POST /leads": SALES,
    "POST /leads/imports": (MANAGER,),
    "GET /leads/{lead_id}": SALES_READ,
    "GET /leads/{lead_id}/events": SALES_READ,
    "GET /leads/{lead_id}/history": HISTORY_READ,
    "POST /leads/{lead_id}/enrich": SALES,
    "GET /leads/{lead_id}/score": SALES_READ,
    "POST /leads/{lead_id}/qualify": SALES,
    "POST /leads/{lead_id}/accept": SALES,
    "POST /leads/{lead_id}/reject": SALES,
    "POST /leads/{lead_id}/convert": SALES,
    "POST /leads/{lead_id}/assignment/reject": SALES,
    "POST /leads/{lead_id}/return": SALES,
    "POST /leads/{lead_id}/assign": (MANAGER,),
    "POST /leads/{lead_id}/merges": (MANAGER,),
    "POST /leads/{lead_id}/unmerge": (MANAGER,),
    "POST /leads/{lead_id}/erasure": (MANAGER, ADMIN),
    "GET /external-ids/leads/{external_id}": EXTERNAL_ID_READ,
    "POST /leads/{lead_id}/engagements": SALES,
    "GET /reports/mql-acceptance": (MANAGER, AUDITOR),
    "GET /campaigns": SALES_READ,
    "POST /campaigns": (MANAGER,),
    "GET /campaigns/{campaign_id}": SALES_READ,
    "GET /campaigns/{campaign_id}/history": (MANAGER, AUDITOR, ADMIN),
    "PUT /campaigns/{campaign_id}/cost": (MANAGER,),
    "POST /campaigns/{campaign_id}/registrations": (MANAGER,),
    "GET /accounts": SALES_READ,
    "POST /accounts": SALES,
    "GET /accounts/{account_id}": SALES_READ,
    "GET /accounts/{account_id}/history": HISTORY_READ,
    "POST /accounts/{account_id}/visits": SALES,
    "POST /accounts/{account_id}/claim": SALES,
    "GET /rules/territories": RULES_READ,
    "GET /rules/territories/history": RULES_HISTORY_READ,
    "PUT /rules/territories": (ADMIN,),
    "POST /territories/preview": (MANAGER, ADMIN),
    "GET /rules/routing": RULES_READ,
    "GET /rules/routing/history": RULES_HISTORY_READ,
    "PUT /rules/routing": (ADMIN,),
    "GET /rules/scoring": RULES_READ,
    "GET /rules/scoring/history": RULES_HISTORY_READ,
    "PUT /rules/scoring": (ADMIN,),
    "GET /rules/scoring/versions/{number}": RULES_READ,
    "POST /integrations/telephony/calls": (TELEPHONY,),
}

DEALS_ROUTES: Policy = {
    "GET /deals": DEAL_READ,
    "GET /deals/{deal_id}": DEAL_READ,
    "GET /deals/by-lead/{lead_id}": DEAL_READ,
    "GET /deals/{deal_id}/events": (REP, MANAGER, AUDITOR),
    "GET /deals/{deal_id}/history": HISTORY_READ,
    "GET /deals/{deal_id}/decision-map": SALES_READ,
    "GET /relationships/{account}": SALES_READ,
    "PUT /relationships/{account}": SALES,
    "GET /rules/processes": (REP, MANAGER, ADMIN, AUDITOR),
    "GET /rules/processes/history": RULES_HISTORY_READ,
    "PUT /rules/processes": (ADMIN,),
    "POST /deals/{deal_id}/activities": SALES,
    "POST /deals/{deal_id}/blockers": SALES,
    "POST /deals/{deal_id}/blockers/{blocker_id}/resolve": SALES,
    "POST /deals/{deal_id}/questions": SALES,
    "POST /deals/{deal_id}/questions/{question_id}/answer": SALES,
    "POST /deals/{deal_id}/next-steps": SALES,
    "POST /deals/{deal_id}/next-steps/{step_id}/done": SALES,
    "POST /deals/{deal_id}/next-steps/{step_id}/reschedule": SALES,
    "PUT /deals/{deal_id}/forecast": SALES,
    "PUT /deals/{deal_id}/meddic": SALES,
    "POST /deals/{deal_id}/stakeholders": SALES,
    "POST /deals/{deal_id}/stakeholders/{stakeholder_id}/erasure": (MANAGER, ADMIN),
    "GET /external-ids/deals/{external_id}": EXTERNAL_ID_READ,
    "PATCH /deals/{deal_id}/stakeholders/{stakeholder_id}": SALES,
    "POST /deals/{deal_id}/stakeholders/{stakeholder_id}/contacts": SALES,
    "POST /deals/{deal_id}/advance": SALES,
    "POST /deals/{deal_id}/move-back": SALES,
    "POST /deals/{deal_id}/actions": SALES,
    "POST /deals/{deal_id}/key-events": SALES,
    "POST /deals/{deal_id}/migrate": (MANAGER,),
    "POST /deals/{deal_id}/win": SALES,
    "POST /deals/{deal_id}/lose": SALES,
    "POST /deals/{deal_id}/no-decision": SALES,
}

BILLING_ROUTES: Policy = {
    "GET /rules/{name}": (REP, MANAGER, FINANCE, ADMIN, AUDITOR),
    "GET /rules/{name}/versions/{number}": (REP, MANAGER, FINANCE, ADMIN, AUDITOR),
    "GET /rules/{name}/history": RULES_HISTORY_READ,
    "PUT /rules/catalog": (ADMIN,),
    "PUT /rules/price_book": (ADMIN,),
    "PUT /rules/discounts": (ADMIN,),
    "PUT /rules/credit": (ADMIN,),
    "POST /quotes/preview": SALES,
    "GET /quotes": BILLING_READ,
    "POST /quotes": SALES,
    "GET /quotes/{quote_id}": BILLING_READ,
    "GET /quotes/{quote_id}/history": MONEY_HISTORY_READ,
    "PUT /quotes/{quote_id}": SALES,
    "POST /quotes/{quote_id}/submit": SALES,
    "POST /quotes/{quote_id}/approve": (MANAGER, FINANCE),
    "POST /quotes/{quote_id}/reject": (MANAGER, FINANCE),
    "POST /quotes/{quote_id}/accept": SALES,
    "GET /orders": BILLING_READ,
    "GET /orders/by-deal/{deal_id}": BILLING_READ,
    "GET /orders/{order_id}": BILLING_READ,
    "GET /orders/{order_id}/history": MONEY_HISTORY_READ,
    "GET /orders/{order_id}/contract": BILLING_READ,
    "POST /orders/{order_id}/credit-release": (FINANCE,),
    "POST /orders/{order_id}/cancel": (FINANCE,),
    "POST /orders/{order_id}/milestones/{milestone}": (FINANCE,),
    "POST /orders/{order_id}/amendments": (FINANCE,),
    "POST /orders/{order_id}/returns": (FINANCE,),
    "GET /accounts/{account}/credit": MONEY_READ,
    "GET /accounts/{account}/credit/history": MONEY_HISTORY_READ,
    "PUT /accounts/{account}/credit-limit": (FINANCE,),
    "GET /invoices": MONEY_READ,
    "GET /invoices/{invoice_id}": MONEY_READ,
    "GET /invoices/{invoice_id}/history": MONEY_HISTORY_READ,
    "POST /invoices/{invoice_id}/apply-credit": (FINANCE,),
    "POST /invoices/{invoice_id}/credit-notes": (FINANCE,),
    "GET /external-ids/billing/{external_id}": EXTERNAL_ID_READ,
    "POST /integrations/erp/payments": (ERP,),
    "POST /integrations/erp/invoices-posted": (ERP,),
    "POST /integrations/erp/shipments": (ERP,),
    "POST /integrations/erp/milestones": (ERP,),
}


def _open_to_migration(policy: Policy) -> Policy:
    """The routes a history load needs: all but rule sets and integration webhooks."""
    return {
        route: (*roles, MIGRATION)
        if " /rules/" not in route and " /integrations/" not in route and "/erasure" not in route
        else roles
        for route, roles in policy.items()
    }


LEADS_ROUTES = _open_to_migration(LEADS_ROUTES)
DEALS_ROUTES = _open_to_migration(DEALS_ROUTES)
BILLING_ROUTES = _open_to_migration(BILLING_ROUTES)

# The gateway's own routes (read models are the insights worker's too).
GATEWAY_ROUTES: Policy = {
    "GET /insights/funnel": SALES_READ,
    "GET /insights/funnel/teams": (MANAGER, AUDITOR),
    "GET /insights/velocity": SALES_READ,
    "GET /insights/forecast": (MANAGER, FINANCE, AUDITOR),
    "GET /insights/forecast/snapshots": (MANAGER, FINANCE, AUDITOR),
    "GET /insights/forecast/accuracy": (MANAGER, FINANCE, AUDITOR),
    "GET /insights/breaches": SALES_READ,
    "GET /insights/breaches/history": SALES_READ,
    "GET /insights/reconciliation": MONEY_READ,
    "GET /insights/receivables": MONEY_READ,
    "GET /insights/campaigns": (MANAGER, AUDITOR),
    "GET /insights/campaigns/reverse-funnel": (MANAGER, AUDITOR),
    "GET /insights/adherence": (MANAGER, AUDITOR),
    "GET /topics": EVERY_ROLE,
    "GET /contracts/l2c.v1.binpb": EVERY_ROLE,
    # Pages: the same roles as the read models they show.
    "GET /pages": EVERY_ROLE,
    "GET /pages/changes": EVERY_ROLE,
    "GET /pages/funnel": SALES_READ,
    "GET /pages/pipeline": (MANAGER, FINANCE, AUDITOR),
    "GET /pages/health": SALES_READ,
    "GET /pages/cash": MONEY_READ,
    "GET /pages/deals/{deal_id}": HISTORY_READ,
}

# The services whose routes the gateway forwards, and the routes each one owns.
SERVICE_ROUTES: dict[str, Policy] = {
    "leads": LEADS_ROUTES,
    "deals": DEALS_ROUTES,
    "billing": BILLING_ROUTES,
}

POLICY: Policy = {**LEADS_ROUTES, **DEALS_ROUTES, **BILLING_ROUTES, **GATEWAY_ROUTES}


def grants(identity: Identity) -> frozenset[str]:
    """What an identity holds: its roles, and for an integration identity the grant of
    its client (an integration token of an unknown client holds nothing)."""
    held = set(identity.roles - {"integration"})
    if "integration" in identity.roles and identity.client_id in INTEGRATION_CLIENTS:
        held.add(INTEGRATION_CLIENTS[identity.client_id])
    return frozenset(held)


def allowed(route: str, identity: Identity) -> bool:
    return bool(grants(identity) & set(POLICY.get(route, ())))


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An OAuth2/OIDC access token (JWT, RS256 or ES256) of the configured issuer.",
)


def route_key(request: Request) -> str:
    route = request.scope.get("route")
    # The matched route's template, else the raw path (request.url would parse it again).
    return f"{request.method} {getattr(route, 'path', None) or request.scope['path']}"


async def admit(
    verifier: TokenVerifier,
    authorization: str | None,
    key: str,
    limit: PerIdentityLimit | None = None,
) -> Identity:
    """The verified caller of route ``key`` from its ``Authorization`` header: raises
    ``Unauthenticated`` (401) or ``Forbidden`` (403) with the reason."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("this route needs 'Authorization: Bearer <token>'")
    if len(token) > 8192:
        raise Unauthenticated("the bearer token is too large")
    identity = verifier.remembered(token)
    if identity is None:  # not seen yet: the signature check may fetch the JWKS
        identity = await run_in_threadpool(verifier.verify, token)
    if limit is not None:
        limit.hit(f"{identity.client_id}/{identity.subject}")
    if not allowed(key, identity):
        raise Forbidden(f"{key} is not open to the roles {sorted(identity.roles) or '(none)'}")
    return identity


def credentials_of(request: Request) -> str | None:
    """The request's Authorization header; for a page, the session cookie stands in."""
    given = request.headers.get("authorization")
    if given or request.method != "GET":
        return given
    path = request.url.path
    if path != PAGES_PREFIX and not path.startswith(PAGES_PREFIX + "/"):
        return None
    session = request.cookies.get(SESSION_COOKIE)
    return f"Bearer {session}" if session else None


def authorization(
    verifier: TokenVerifier,
    limit: PerIdentityLimit | None = None,
    signed: SignedWebhooks | None = None,
) -> Any:
    """The dependency every route of an API carries: 401 without a valid token, 403 when
    the token's roles do not open the route. The identity goes on ``request.state`` and
    becomes the actor of the events the request records."""

    async def authorize(
        request: Request,
        _: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008 - documents it
    ) -> Identity | None:
        key = route_key(request)
        if key in PUBLIC:
            return None
        signature = request.headers.get(SIGNATURE_HEADER)
        if signed is not None and signature and "authorization" not in request.headers:
            # An integration signing its call with its shared secret instead of a token.
            identity = signed.verify(
                request.headers.get(CLIENT_HEADER, ""), signature, await request.body()
            )
            if not allowed(key, identity):
                raise Forbidden(f"{key} is not open to the {identity.client_id!r} integration")
            if limit is not None:
                limit.hit(f"{identity.client_id}/{identity.subject}")
        else:
            identity = await admit(verifier, credentials_of(request), key, limit)
        request.state.identity = identity
        act_as(
            identity.subject, identity.kind, " ".join(sorted(identity.roles)), identity.client_id
        )
        narrow_to(scope_of(identity.subject, identity.roles, identity.teams))
        return identity

    return Depends(authorize)
