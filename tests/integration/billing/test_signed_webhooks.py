"""ERP webhooks signed with the integration's shared secret (no bearer token): a good
signature is accepted once; a bad, replayed, stale or foreign one gets 401 or 403 and
nothing reaches the topic."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from kernel.kafka import ensure_topics
from kernel.settings import Settings
from kernel.signatures import sign
from kernel.topics import ALL_TOPICS, ERP_INBOUND
from services.billing.application import BillingApplication
from services.billing.entrypoints.http import build_api
from tests.auth_support import TestClient
from tests.kafka_support import read_topic

SECRET = "erp-shared-secret"


def _payment() -> bytes:
    return json.dumps(
        {
            "payment_id": f"P-{uuid.uuid4().hex[:8]}",
            "invoice_id": str(uuid.uuid4()),
            "amount": {"amount": "10.00", "currency": "EUR"},
            "received_at": "2026-11-20T10:00:00Z",
        }
    ).encode()


def _send(http: TestClient, body: bytes, signature: str, client: str = "erp") -> int:
    return http.post(
        "/integrations/erp/payments",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-L2C-Client": client,
            "X-L2C-Signature": signature,
        },
    ).status_code


def test_signed_erp_webhooks(kafka_settings: Settings) -> None:
    asyncio.run(ensure_topics(kafka_settings, ALL_TOPICS))
    settings = kafka_settings.model_copy(
        update={"webhook_secrets": {"erp": SECRET, "telephony": "other-secret"}}
    )
    bootstrap = settings.kafka_bootstrap
    before = len(asyncio.run(read_topic(bootstrap, ERP_INBOUND.name)))
    app = BillingApplication(settings)
    with TestClient(build_api(app)) as http:
        http.auth = None  # the signature is the only credential here
        good = _payment()
        signature = sign(SECRET, good)
        assert _send(http, good, signature) == 202

        refused = {
            "bad signature": _send(http, _payment(), sign("guessed", _payment())),
            "body changed after signing": _send(http, _payment(), signature),
            "replayed": _send(http, good, signature),
            "stale": _send(http, (old := _payment()), sign(SECRET, old, int(time.time()) - 3600)),
            "from the future": _send(
                http, (later := _payment()), sign(SECRET, later, int(time.time()) + 3600)
            ),
            "malformed": _send(http, _payment(), "v1=abc"),
            "unknown client": _send(http, (b := _payment()), sign(SECRET, b), client="crm"),
        }
        assert refused == dict.fromkeys(refused, 401)
        # Telephony's own secret signs telephony's webhooks, not the ERP's.
        other = _payment()
        assert _send(http, other, sign("other-secret", other), client="telephony") == 403
    app.close()
    after = asyncio.run(read_topic(bootstrap, ERP_INBOUND.name))
    assert len(after) == before + 1  # only the one good call reached the topic
