"""Who is calling: OAuth2/OIDC bearer tokens (JWT) checked against the issuer's JWKS.

Every HTTP API of the platform verifies the caller itself (the gateway is the public edge,
the services check again: defence in depth). A token must be signed by a key of the
issuer's JWKS (RS256 or ES256), name the configured issuer and audience, and be within its
``nbf``..``exp`` window (with a small leeway for clocks). The JWKS is fetched and cached;
a token signed by a key the cache does not know makes one refetch, so an issuer that
rotates its keys is followed without a restart.

Claims read: ``sub`` (the actor), ``roles`` (a list; see ``kernel.access``), ``teams``
(the teams a rep or manager works in), ``client_id`` or ``azp`` (the OAuth client; for an
integration, which one). Verified tokens are remembered until they expire, so a client
that reuses its token pays for the signature check once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from kernel.settings import Settings

ROLES = ("rep", "manager", "finance", "auditor", "integration", "admin", "migration")


@dataclass(frozen=True)
class Identity:
    """A verified caller."""

    subject: str
    roles: frozenset[str]
    teams: tuple[str, ...] = ()
    client_id: str = ""
    expires_at: float = field(default=0.0, compare=False)

    @property
    def kind(self) -> str:
        return "integration" if "integration" in self.roles else "user"


class Unauthenticated(Exception):
    """No token, or one that does not verify: HTTP 401."""


class Forbidden(Exception):
    """A verified caller asking for what its roles do not allow: HTTP 403."""


def jwks_path(settings: Settings) -> Path:
    """The local JWKS file: configured, or the development issuer's under the data
    directory (``l2c run`` creates it)."""
    return Path(settings.auth_jwks_file or settings.data_dir / "auth" / "jwks.json").resolve()


class FileKeys:
    """A JWKS read from a local file, read again when it changes or when a token names a
    key id it does not hold (the file was rotated)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: dict[str, jwt.PyJWK] = {}
        self._stamp: float | None = None

    def _load(self) -> None:
        try:
            stamp = self.path.stat().st_mtime
            if stamp == self._stamp:
                return
            found = jwt.PyJWKSet.from_json(self.path.read_text())
        except (OSError, jwt.PyJWTError) as exc:
            raise jwt.PyJWKClientError(f"the JWKS file {self.path} is unusable: {exc}") from None
        self._keys = {k.key_id or "": k for k in found.keys}
        self._stamp = stamp

    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK:
        kid = jwt.get_unverified_header(token).get("kid") or ""
        if kid not in self._keys:
            self._load()
        if kid not in self._keys:
            raise jwt.PyJWKClientError(f"no key with id {kid!r} in {self.path}")
        return self._keys[kid]


class TokenVerifier:
    def __init__(
        self,
        jwks: str | Path,
        issuer: str,
        audience: str,
        algorithms: Sequence[str] = ("RS256", "ES256"),
        leeway_seconds: float = 30,
        cache_size: int = 4096,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.algorithms = list(algorithms)
        self.leeway = leeway_seconds
        # A URL's keys are kept 5 minutes; an unknown key id refetches at once (rotation).
        self._keys: jwt.PyJWKClient | FileKeys = (
            FileKeys(jwks)
            if isinstance(jwks, Path)
            else jwt.PyJWKClient(jwks, cache_jwk_set=True, lifespan=300, timeout=5)
        )
        self._verified: OrderedDict[str, Identity] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        return cls(
            settings.auth_jwks_url or jwks_path(settings),
            settings.auth_issuer,
            settings.auth_audience,
            settings.auth_algorithms,
            settings.auth_leeway_seconds,
        )

    def remembered(self, token: str) -> Identity | None:
        """The identity of a token verified before and not expired since (no I/O)."""
        with self._lock:
            identity = self._verified.get(token)
            if identity is None:
                return None
            if identity.expires_at + self.leeway < time.time():
                del self._verified[token]
                return None
            self._verified.move_to_end(token)
            return identity

    def verify(self, token: str) -> Identity:
        """The caller a token names; ``Unauthenticated`` with the reason when it does not
        verify. May fetch the JWKS (blocking): call it off the event loop."""
        found = self.remembered(token)
        if found is not None:
            return found
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise Unauthenticated(f"the issuer's keys could not be fetched: {exc}") from None
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated(f"no key of the issuer signed this token: {exc}") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"the token is not valid: {exc}") from None
        identity = identity_of(claims)
        with self._lock:
            self._verified[token] = identity
            if len(self._verified) > self._size:
                self._verified.popitem(last=False)
        return identity


def _strings(value: object, claim: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unauthenticated(f"the token's {claim!r} claim must be a list of strings")
    if len(value) > 100 or any(len(v) > 200 for v in value):
        raise Unauthenticated(f"the token's {claim!r} claim is too large")
    return tuple(value)


def identity_of(claims: dict[str, Any]) -> Identity:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise Unauthenticated("the token's subject ('sub') must be a non-empty string")
    roles = frozenset(_strings(claims.get("roles"), "roles")) & frozenset(ROLES)
    client = claims.get("client_id") or claims.get("azp") or ""
    if not isinstance(client, str) or len(client) > 200:
        raise Unauthenticated("the token's client id must be a short string")
    return Identity(
        subject=subject,
        roles=roles,
        teams=_strings(claims.get("teams"), "teams"),
        client_id=client,
        expires_at=float(claims["exp"]),
    )
