"""Identities for tests: one development issuer for the whole run, named by environment
before any setting is read, so every API a test builds (in this process or a child one)
verifies its tokens.

``TestClient`` is Starlette's, sending a token that opens every user route (ERP and
telephony webhooks get their integration's token); a test about access itself sends its
own ``Authorization`` header, which is left alone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient as StarletteTestClient

from devenv.issuer import USER_ROLES, DevIssuer, IssuerAuth

ISSUER = DevIssuer(Path(tempfile.mkdtemp(prefix="l2c-test-issuer-"))).ensure()
os.environ["L2C_AUTH_JWKS_FILE"] = str(ISSUER.jwks_file)
os.environ["L2C_AUTH_ISSUER"] = ISSUER.issuer
os.environ["L2C_AUTH_AUDIENCE"] = ISSUER.audience


def auth(
    subject: str = "tester", roles: list[str] | None = None, teams: list[str] | None = None
) -> IssuerAuth:
    return IssuerAuth(ISSUER, subject, roles or USER_ROLES, teams)


def bearer(subject: str, roles: list[str], **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {ISSUER.mint(subject, roles, **claims)}"}


class TestClient(StarletteTestClient):
    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auth = auth()
