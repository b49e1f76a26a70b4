"""The development token issuer: a signing key and its JWKS under ``<data_dir>/auth``.

`l2c run` makes one on first start (and points every process at its JWKS), the gateway
serves that JWKS at ``/.well-known/jwks.json``, and ``l2c token`` mints bearer tokens
with it, so a newcomer can call every route without an identity provider. A production
deployment sets ``L2C_AUTH_JWKS_URL``, ``L2C_AUTH_ISSUER`` and ``L2C_AUTH_AUDIENCE`` to its
real issuer instead, and no signing key exists on the platform's machines at all.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from kernel.auth import jwks_path
from kernel.settings import Settings

KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"


@dataclass(frozen=True)
class DevIssuer:
    """Signs tokens with one EC P-256 key (ES256); ``directory`` holds the key and JWKS."""

    directory: Path
    issuer: str = "l2c-dev"
    audience: str = "l2c"

    @property
    def jwks_file(self) -> Path:
        return self.directory / JWKS_FILE

    def ensure(self) -> DevIssuer:
        """Create the key pair and JWKS if they are not there yet (kept across runs, so
        tokens minted earlier stay valid until they expire)."""
        key_path = self.directory / KEY_FILE
        if key_path.exists() and self.jwks_file.exists():
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        self.jwks_file.write_text(json.dumps(jwks_of(key, kid=str(uuid.uuid4()))))
        return self

    def signing_key(self) -> tuple[Any, str]:
        """(private key, key id)."""
        key = serialization.load_pem_private_key((self.directory / KEY_FILE).read_bytes(), None)
        return key, self.jwks()["keys"][0]["kid"]

    def jwks(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.jwks_file.read_text())
        return found

    def mint(
        self,
        subject: str,
        roles: list[str],
        teams: list[str] | None = None,
        client_id: str = "l2c-cli",
        ttl_seconds: int = 8 * 3600,
        **claims: Any,
    ) -> str:
        key, kid = self.signing_key()
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "roles": roles,
            "teams": teams or [],
            "client_id": client_id,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            **claims,
        }
        return jwt.encode(body, key, algorithm="ES256", headers={"kid": kid})


def jwks_of(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "ES256"}]}


USER_ROLES = ["rep", "manager", "finance", "auditor", "admin"]


def issuer_for(settings: Settings) -> DevIssuer:
    """The development issuer whose JWKS the settings point at (its key lies beside it)."""
    return DevIssuer(jwks_path(settings).parent, settings.auth_issuer, settings.auth_audience)


class IssuerAuth(httpx.Auth):
    """Bearer tokens from a development issuer for a script or a test that acts as
    several parties: ERP and telephony webhooks get their integration's token, every
    other request a user's with ``roles`` (all user roles unless told)."""

    def __init__(
        self,
        issuer: DevIssuer,
        subject: str = "demo",
        roles: list[str] | None = None,
        teams: list[str] | None = None,
    ) -> None:
        self.issuer = issuer
        self.subject = subject
        self.roles = roles or USER_ROLES
        self.teams = teams or []
        self._tokens: dict[str, str] = {}

    def token_for(self, path: str) -> str:
        for client in ("erp", "telephony"):
            if path.startswith(f"/integrations/{client}/"):
                return self._minted(f"{client}-connector", ["integration"], client)
        return self._minted(self.subject, self.roles, "l2c-cli")

    def _minted(self, subject: str, roles: list[str], client_id: str) -> str:
        if client_id not in self._tokens:
            self._tokens[client_id] = self.issuer.mint(
                subject, roles, teams=self.teams, client_id=client_id
            )
        return self._tokens[client_id]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {self.token_for(request.url.path)}"
        yield request
