"""Who may call what, generated from the policy table: every route of every API, asked by
every role, answers as ``kernel.access.POLICY`` says; tokens that do not verify get 401."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from devenv.issuer import DevIssuer
from kernel.access import INTEGRATION_CLIENTS, PAGES_PREFIX, POLICY, PUBLIC
from kernel.auth import ROLES
from kernel.settings import Settings
from services.billing.application import BillingApplication
from services.billing.entrypoints.http import build_api as billing_api
from services.deals.application import DealsApplication
from services.deals.entrypoints.http import build_api as deals_api
from services.gateway.app import build_gateway
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api as leads_api
from tests.auth_support import ISSUER, TestClient, bearer

USER_ROLES = [r for r in ROLES if r != "integration"]


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    nowhere = "http://127.0.0.1:1"  # the gateway forwards; no service answers there
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("access"),
        leads_url=nowhere,
        deals_url=nowhere,
        billing_url=nowhere,
        insights_url=nowhere,
    )
    built = {
        "leads": leads_api(LeadsApplication(settings)),
        "deals": deals_api(DealsApplication(settings)),
        "billing": billing_api(BillingApplication(settings)),
        "gateway": build_gateway(settings),
    }
    clients = {name: TestClient(api, raise_server_exceptions=False) for name, api in built.items()}
    for client in clients.values():
        client.auth = None  # every request below names its own caller
        client.__enter__()
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def _keys(client: TestClient) -> set[str]:
    """Every route an API serves: its documented operations and its own undocumented ones
    (the documentation pages)."""
    api = client.app
    assert isinstance(api, FastAPI)
    documented = {
        f"{method.upper()} {path}"
        for path, operations in api.openapi()["paths"].items()
        for method in operations
    }
    own = {
        f"{m} {route.path}"
        for route in api.router.routes
        if isinstance(route, APIRoute)
        for m in route.methods - {"HEAD"}
    }
    return documented | own


def test_the_table_names_every_route_and_only_routes_that_exist(
    apis: dict[str, TestClient],
) -> None:
    served = set().union(*(_keys(c) for c in apis.values()))
    assert served - POLICY.keys() - PUBLIC == set(), "routes with no policy (refused to all)"
    assert POLICY.keys() - served == set(), "policy rows for routes that do not exist"


def _concrete(route: str) -> tuple[str, str]:
    method, template = route.split(" ", 1)
    path = re.sub(r"\{number\}", "1", template)
    path = re.sub(r"\{name\}", "catalog", path)  # billing's: no literal route shadows it
    path = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path)
    return method, path


def _callers() -> dict[str, dict[str, str]]:
    callers = {role: bearer(f"a-{role}", [role]) for role in USER_ROLES}
    for client in INTEGRATION_CLIENTS:
        callers[f"integration:{client}"] = bearer(
            f"{client}-connector", ["integration"], client_id=client
        )
    callers["integration:unknown"] = bearer("stranger", ["integration"], client_id="crm-x")
    callers["no roles"] = bearer("nobody", [])
    return callers


def test_every_route_answers_every_role_as_the_table_says(apis: dict[str, TestClient]) -> None:
    callers = _callers()
    wrong = []
    for name, client in apis.items():
        for route in sorted(_keys(client) - PUBLIC):
            method, path = _concrete(route)
            for caller, headers in callers.items():
                answer = client.request(method, path, headers=headers, json={})
                expected_open = caller in POLICY[route]
                if expected_open and answer.status_code in (401, 403):
                    wrong.append(f"{name} {route} as {caller}: {answer.status_code}, expected open")
                if not expected_open and answer.status_code != 403:
                    wrong.append(f"{name} {route} as {caller}: {answer.status_code}, expected 403")
            anonymous = client.request(method, path, json={})
            if anonymous.status_code != 401 or not _asks_for_a_token(path, anonymous):
                wrong.append(f"{name} {route} without a token: {anonymous.status_code}")
    assert wrong == []


def _asks_for_a_token(path: str, answer: Any) -> bool:
    """The API says so in JSON; a page shows the sign-in form."""
    if path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/"):
        return 'id="token"' in answer.text and answer.headers["content-type"].startswith(
            "text/html"
        )
    return bool(answer.json()["error"] == "unauthenticated")


def test_probes_and_documentation_need_no_identity(apis: dict[str, TestClient]) -> None:
    for client in apis.values():
        assert client.get("/healthz").status_code == 200
        document = client.get("/openapi.json").json()
        assert client.get("/docs").status_code == 200
        # The document says so: a bearer scheme, required everywhere but on the probes.
        assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                public = f"{method.upper()} {path}" in PUBLIC
                assert operation["security"] == ([] if public else [{"bearer": []}]), path
    unready = apis["gateway"].get("/readyz")  # no upstream answers in this test
    assert unready.status_code == 503
    assert set(unready.json()["upstreams"]) == {"leads", "deals", "billing", "insights"}
    assert all(v.startswith("unreachable") for v in unready.json()["upstreams"].values())
    keys = apis["gateway"].get("/.well-known/jwks.json")
    assert keys.status_code == 200 and keys.json() == ISSUER.jwks()


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER.issuer,
        "aud": ISSUER.audience,
        "sub": "someone",
        "roles": ["auditor"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_tokens_that_do_not_verify_get_401(apis: dict[str, TestClient], tmp_path: Path) -> None:
    key, kid = ISSUER.signing_key()
    stranger = DevIssuer(tmp_path / "other").ensure()
    other_key, _ = stranger.signing_key()
    now = int(time.time())
    tokens = {
        "expired": jwt.encode(
            _claims(iat=now - 7200, nbf=now - 7200, exp=now - 3600),
            key,
            "ES256",
            headers={"kid": kid},
        ),
        "not yet valid": jwt.encode(
            _claims(nbf=now + 3600, exp=now + 7200), key, "ES256", headers={"kid": kid}
        ),
        "signed by another key under our key id": jwt.encode(
            _claims(), other_key, "ES256", headers={"kid": kid}
        ),
        "a key id the issuer does not have": stranger.mint("someone", ["auditor"]),
        "wrong audience": jwt.encode(
            _claims(aud="someone-else"), key, "ES256", headers={"kid": kid}
        ),
        "wrong issuer": jwt.encode(
            _claims(iss="https://evil.example"), key, "ES256", headers={"kid": kid}
        ),
        "no expiry": jwt.encode(_claims(exp=None), key, "ES256", headers={"kid": kid}),
        "no subject": jwt.encode(_claims(sub=None), key, "ES256", headers={"kid": kid}),
        "unsigned (alg none)": jwt.encode(_claims(), None, "none", headers={"kid": kid}),
        "garbage": "not.a.token",
        "oversized": "a" * 20_000,
    }
    gateway = apis["gateway"]
    for why, token in tokens.items():
        answer = gateway.get("/topics", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, why
        assert answer.json()["error"] == "unauthenticated", why
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), why
    basic = gateway.get("/topics", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    raw = gateway.get("/topics", headers={"Authorization": b"Bearer \xff\xfe\x00\x9c"})
    assert raw.status_code == 401
    # The same claims, properly signed, pass: what failed above was the token, not the route.
    good = jwt.encode(_claims(), key, "ES256", headers={"kid": kid})
    assert gateway.get("/topics", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_the_actor_of_an_event_is_the_token_not_a_header(apis: dict[str, TestClient]) -> None:
    leads = apis["leads"]
    headers = {
        **bearer("rep-ann", ["rep"], client_id="crm-web"),
        "X-Actor-Id": "ceo",
        "X-Actor-Kind": "system",
    }
    tag = uuid.uuid4().hex[:8]
    body = {
        "full_name": "Ada",
        "email": f"ada@example-{tag}.com",
        "company": f"Acme {tag}",
        "source": "web_form",
    }
    created = leads.post("/leads", json=body, headers=headers)
    assert created.status_code == 201, created.text
    lead_id = created.json()["lead_id"]
    events = leads.get(f"/leads/{lead_id}/events", headers=bearer("aud", ["auditor"])).json()
    assert events[0]["actor"] == {
        "id": "rep-ann",
        "kind": "user",
        "roles": ["rep"],
        "client_id": "crm-web",
    }


def test_one_identity_over_its_rate_limit_gets_429_and_others_go_on(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rate_limit="5/minute")
    with TestClient(build_gateway(settings)) as gateway:
        gateway.auth = None
        flood = bearer("runaway-script", ["auditor"])
        answers = [gateway.get("/topics", headers=flood).status_code for _ in range(7)]
        assert answers == [200] * 5 + [429] * 2
        limited = gateway.get("/topics", headers=flood)
        assert limited.json()["error"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert (
            gateway.get("/topics", headers=bearer("someone-else", ["auditor"])).status_code == 200
        )
        assert gateway.get("/healthz").status_code == 200  # probes are never limited
