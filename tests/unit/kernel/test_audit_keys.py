"""The audit signing key: made once however many processes start together, private to its
owner, its public key beside it; a read-only key is used as it is."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kernel import audit


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "signing-key.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: audit.signing_key(path), range(16)))
    ids = {audit.key_id(k.public_key()) for k in keys}
    assert len(ids) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public = audit.load_public_key(audit.public_path(path))
    assert audit.key_id(public) in ids
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "signing-key.pem",
        "signing-key.pub.pem",
    ]


def test_a_read_only_key_without_its_public_file_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "mounted" / "signing-key.pem"
    path.parent.mkdir()
    path.write_bytes(
        key.private_bytes(
            audit.serialization.Encoding.PEM,
            audit.serialization.PrivateFormat.PKCS8,
            audit.serialization.NoEncryption(),
        )
    )

    def read_only(self: Path, *args: object) -> int:
        raise PermissionError(30, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "write_bytes", read_only)  # (root ignores file modes)
    loaded = audit.signing_key(path)
    assert audit.key_id(loaded.public_key()) == audit.key_id(key.public_key())
    assert not audit.public_path(path).exists()


def test_a_key_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"
    path.write_text("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ValueError):
        audit.signing_key(path)
