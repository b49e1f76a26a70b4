"""HMAC-signed webhooks: how an integration (ERP, telephony) may call its webhooks without
an OAuth client, with a shared secret per integration (``L2C_WEBHOOK_SECRETS``).

The caller sends ``X-L2C-Client: erp`` and
``X-L2C-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + the raw body>``.
A request is accepted when the client has a secret, the signature matches (compared in
constant time), ``t`` is within the tolerance of this process's clock (either way), and
the same signature was not seen before within that window (a replay). What verifies
becomes the identity ``<client>-webhook`` with the ``integration`` role and the client's id,
so the policy table's integration grants apply exactly as for a bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping

from kernel.auth import Identity, Unauthenticated

SIGNATURE_HEADER = "x-l2c-signature"
CLIENT_HEADER = "x-l2c-client"


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """The ``X-L2C-Signature`` value for ``body`` (what an integration computes)."""
    t = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


class SignedWebhooks:
    def __init__(self, secrets: Mapping[str, str], tolerance_seconds: float = 300) -> None:
        self.secrets = dict(secrets)
        self.tolerance = tolerance_seconds
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, client: str, header: str, body: bytes, now: float | None = None) -> Identity:
        now = time.time() if now is None else now
        secret = self.secrets.get(client)
        if not secret:
            raise Unauthenticated(f"no webhook secret is configured for client {client!r}")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        t, given = parts.get("t", ""), parts.get("v1", "")
        if not t.isdigit() or len(t) > 12 or not given:
            raise Unauthenticated("the signature header must be 't=<unix seconds>,v1=<hex>'")
        if abs(now - int(t)) > self.tolerance:
            raise Unauthenticated(
                f"the signature's time is more than {self.tolerance:.0f} s from ours (stale)"
            )
        expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            raise Unauthenticated("the webhook signature does not match the body")
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - self.tolerance:
                self._seen.popitem(last=False)
            key = f"{client}:{given}"
            if key in self._seen:
                raise Unauthenticated("this signature was used before (a replay)")
            self._seen[key] = float(t)
        return Identity(
            subject=f"{client}-webhook",
            roles=frozenset({"integration"}),
            client_id=client,
            expires_at=now + self.tolerance,
        )
