"""Token verification against a JWKS file: keys kept, a rotated key picked up at once, the
claims read into an identity; the development issuer's key made once and kept."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devenv.issuer import DevIssuer
from kernel.auth import TokenVerifier, Unauthenticated


def test_a_rotated_key_is_picked_up_without_a_restart(tmp_path: Path) -> None:
    old = DevIssuer(tmp_path / "old").ensure()
    verifier = TokenVerifier(old.jwks_file, old.issuer, old.audience)
    who = verifier.verify(old.mint("ann", ["rep", "nonsense"], teams=["north"], client_id="crm"))
    assert (who.subject, who.roles, who.teams, who.client_id) == (
        "ann",
        frozenset({"rep"}),  # unknown roles are dropped
        ("north",),
        "crm",
    )
    # The issuer rotates: the same file now holds a new key; tokens signed with it verify.
    new = DevIssuer(tmp_path / "new").ensure()
    shutil.copy(new.jwks_file, old.jwks_file)
    assert verifier.verify(new.mint("bob", ["manager"])).subject == "bob"
    # The retired key signs nothing any more (its token names the file's new key id).
    with pytest.raises(Unauthenticated, match="not valid"):
        verifier.verify(old.mint("ann", ["rep"], ttl_seconds=60, jti="fresh"))


def test_the_development_issuer_is_made_once(tmp_path: Path) -> None:
    l2c = str(Path(sys.executable).with_name("l2c"))
    subprocess.run([l2c, "issuer", str(tmp_path)], check=True, capture_output=True)
    first = (tmp_path / "jwks.json").read_text()
    subprocess.run([l2c, "issuer", str(tmp_path)], check=True, capture_output=True)
    assert (tmp_path / "jwks.json").read_text() == first
    assert (tmp_path / "signing-key.pem").stat().st_mode & 0o077 == 0  # owner only
