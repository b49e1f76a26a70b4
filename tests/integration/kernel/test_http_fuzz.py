"""Schema-driven fuzzing of every HTTP API (schemathesis over each service's own OpenAPI):
whatever a client sends, the answer is never a 5xx, every answer conforms to what the
document says of it (status, content type, body schema), and every error is in the
documented shape ``{"error", "message"}``.

Bounded: a fixed number of examples per operation, derandomized so a run is repeatable.
The services run in-process on SQLite with the session's real Kafka broker behind their
webhooks; the gateway's upstreams are absent, so its only allowed 5xx is the documented
``upstream_unavailable``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devenv.kafka import KafkaBroker
from kernel.settings import Settings
from services.billing.application import BillingApplication
from services.billing.entrypoints.http import build_api as billing_api
from services.deals.application import DealsApplication
from services.deals.entrypoints.http import build_api as deals_api
from services.gateway.app import build_gateway
from services.leads.application import LeadsApplication
from services.leads.entrypoints.http import build_api as leads_api

EXAMPLES = 15
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _settings(tmp: Path, broker: KafkaBroker) -> Settings:
    return Settings(data_dir=tmp, kafka_bootstrap=broker.bootstrap, store="sqlite")


def _schema(api: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", api)


@pytest.fixture(scope="module")
def leads_schema(tmp_path_factory: pytest.TempPathFactory, kafka_broker: KafkaBroker) -> Any:
    app = LeadsApplication(_settings(tmp_path_factory.mktemp("leads"), kafka_broker))
    return _schema(leads_api(app))


@pytest.fixture(scope="module")
def deals_schema(tmp_path_factory: pytest.TempPathFactory, kafka_broker: KafkaBroker) -> Any:
    app = DealsApplication(_settings(tmp_path_factory.mktemp("deals"), kafka_broker))
    return _schema(deals_api(app))


@pytest.fixture(scope="module")
def billing_schema(tmp_path_factory: pytest.TempPathFactory, kafka_broker: KafkaBroker) -> Any:
    app = BillingApplication(_settings(tmp_path_factory.mktemp("billing"), kafka_broker))
    return _schema(billing_api(app))


@pytest.fixture(scope="module")
def gateway_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    nowhere = "http://127.0.0.1:9"  # discard port: nothing answers
    settings_ = Settings(
        data_dir=tmp_path_factory.mktemp("gateway"), insights_url=nowhere, deals_url=nowhere
    )
    return _schema(build_gateway(settings_))


CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


def check(case: Any, allowed_5xx: tuple[str, ...] = ()) -> None:
    response = case.call()
    where = f"{case.method} {case.formatted_path}"
    # Every answer, success or error, matches what the OpenAPI document says of it.
    case.validate_response(response, checks=CONFORMANCE)
    body: Any = None
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            pytest.fail(f"{where}: {response.status_code} answered a body that is not JSON")
        assert isinstance(body, dict) and {"error", "message"} <= set(body), (where, body)
    if response.status_code >= 500:
        assert body["error"] in allowed_5xx, (where, response.status_code, body)


def fuzz(schema: Any, allowed_5xx: tuple[str, ...] = ()) -> int:
    """Every operation of ``schema`` with generated requests; returns how many it ran.
    (schemathesis's own pytest plugin does not load under this pytest, so the operations'
    Hypothesis strategies are driven here directly.)"""
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            check(case, allowed_5xx)

        run()
    return len(operations)


def test_the_leads_api_never_answers_a_server_error(leads_schema: Any) -> None:
    assert fuzz(leads_schema) > 20


def test_the_deals_api_never_answers_a_server_error(deals_schema: Any) -> None:
    assert fuzz(deals_schema) > 20


def test_the_billing_api_never_answers_a_server_error(billing_schema: Any) -> None:
    assert fuzz(billing_schema) > 20


def test_the_gateway_answers_in_its_own_shape_even_without_upstreams(gateway_schema: Any) -> None:
    assert fuzz(gateway_schema, allowed_5xx=("upstream_unavailable", "upstream_error")) > 10
