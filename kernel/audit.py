"""Tamper evidence for a service's event store: a hash chain over what is stored, signed
checkpoints over the chain, and the check that recomputes both.

* Every stored event gets a **digest** of what the store holds for it (aggregate id,
  version, event topic and the stored bytes: after compression or encryption, so checking
  needs no plaintext), a **stream hash** chained to the previous event of the same
  aggregate, and a **log hash** chained to the previous event of the store's log. They are
  kept in a table beside the events (``<events table>_chain``), written in log order by
  :class:`Seal` right after the events commit (the relay extends it after each batch).
* Every ``audit_checkpoint_every`` events, a **checkpoint** — the service, the log position
  and the log hash there — is signed with the Ed25519 key of the settings and kept in
  ``<events table>_checkpoints``. Whoever rewrites events and the chain to match cannot
  sign a new checkpoint without the key: the old checkpoints stop matching.
* :func:`verify` recomputes the chain from the stored events and names the first event
  that was altered, removed, inserted or moved, and checks every checkpoint's signature
  (with the public key only) and its log hash.

SQLite and PostgreSQL; a KurrentDB store is append-only by the server itself and is not
sealed here.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from l2c.v1 import audit_pb2

from kernel.keyfile import write_once

log = logging.getLogger(__name__)

GENESIS = bytes(32)
CHECKPOINT_COLUMNS = "position, log_hash, signed_at, key_id, signature"
PAGE = 1000


# -- the hashes -------------------------------------------------------------------------------


def digest(originator_id: uuid.UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """What the store holds for one event, hashed (no decoding, no plaintext needed)."""
    ident = originator_id if isinstance(originator_id, uuid.UUID) else uuid.UUID(originator_id)
    h = hashlib.sha256()
    h.update(ident.bytes)
    h.update(struct.pack(">q", version))
    h.update(topic.encode())
    h.update(b"\0")
    h.update(bytes(state))
    return h.digest()


def stream_hash(previous: bytes, event_digest: bytes) -> bytes:
    return hashlib.sha256(previous + event_digest).digest()


def log_hash(previous: bytes, position: int, event_stream_hash: bytes) -> bytes:
    return hashlib.sha256(previous + struct.pack(">q", position) + event_stream_hash).digest()


def checkpoint_message(service: str, position: int, chain_hash: bytes) -> bytes:
    return f"l2c-audit-checkpoint|{service}|{position}|{chain_hash.hex()}".encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# -- keys -------------------------------------------------------------------------------------


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 signing key in ``path`` (PEM, PKCS#8); made there when missing, readable
    by its owner only. Processes that start together agree on one key: the first to link
    its new file into place wins and the others load that one."""
    if not path.exists():
        made = Ed25519PrivateKey.generate()
        pem = made.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        if write_once(path, pem):
            public = public_pem(made.public_key())
            # Logged whole, so that a key made on a disk that is later lost still verifies.
            log.warning(
                "made an audit signing key in %s (key id %s); its public key: %s",
                path,
                key_id(made.public_key()),
                public.decode().replace("\n", " ").strip(),
            )
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    public_file = public_path(path)
    if not public_file.exists():
        try:
            draft = public_file.with_name(f".{public_file.name}.{uuid.uuid4().hex}")
            draft.write_bytes(public_pem(loaded.public_key()))
            draft.replace(public_file)
        except OSError as exc:  # a key mounted read-only (a Kubernetes Secret)
            log.info("the audit public key is not written beside %s: %s", path, exc)
    return loaded


def public_path(private: Path) -> Path:
    return private.with_name(private.stem + ".pub.pem")


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file, also in the one-line form the key's maker logs."""
    text = path.read_text().strip()
    if "\n" not in text:
        text = text.replace("----- ", "-----\n").replace(" -----", "\n-----")
    loaded = serialization.load_pem_public_key(text.encode())
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return loaded


# -- the tables beside the events --------------------------------------------------------------


class _Tables:
    """The chain and checkpoint tables in the store's own database, whichever it is."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.datastore = recorder.datastore
        module = type(recorder).__module__
        if module.startswith("eventsourcing.sqlite"):
            self.mark = "?"
            events = recorder.events_table_name
            self.chain, self.checkpoints = f"{events}_chain", f"{events}_checkpoints"
            self.blob = "BLOB"
        elif module.startswith("eventsourcing.postgres"):
            self.mark = "%s"
            schema, events = self.datastore.schema, recorder.events_table_name
            self.chain = f'"{schema}"."{events}_chain"'
            self.checkpoints = f'"{schema}"."{events}_checkpoints"'
            self.blob = "BYTEA"
        else:
            raise NotSealable(f"{type(recorder).__name__} stores are not sealed here")

    def sql(self, statement: str) -> str:
        return statement.replace("?", self.mark)

    def create(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.chain} ("
                "position BIGINT PRIMARY KEY, seq BIGINT NOT NULL, originator_id TEXT NOT NULL, "
                f"originator_version BIGINT NOT NULL, digest {self.blob} NOT NULL, "
                f"stream_hash {self.blob} NOT NULL, log_hash {self.blob} NOT NULL)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.checkpoints} ("
                f"position BIGINT PRIMARY KEY, log_hash {self.blob} NOT NULL, "
                f"signed_at TEXT NOT NULL, key_id TEXT NOT NULL, signature {self.blob} NOT NULL, "
                "published BOOLEAN NOT NULL DEFAULT FALSE)"
            )
            index = self.chain.replace('"', "").rsplit(".", 1)[-1] + "_stream"
            c.execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {self.chain} "
                "(originator_id, originator_version)"
            )

    def rows(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.sql(statement), params)
            return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]

    def read_checkpoints(self, service: str, where: str = "") -> list[Checkpoint]:
        return [
            Checkpoint(service, int(r[0]), bytes(r[1]), str(r[2]), str(r[3]), bytes(r[4]))
            for r in self.rows(
                f"SELECT {CHECKPOINT_COLUMNS} FROM {self.checkpoints} {where} ORDER BY position"
            )
        ]

    def insert_checkpoint(self, cursor: Any, checkpoint: Checkpoint) -> None:
        cursor.execute(
            self.sql(
                f"INSERT INTO {self.checkpoints} ({CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (position) DO NOTHING"
            ),
            (
                checkpoint.position,
                checkpoint.chain_hash,
                checkpoint.signed_at,
                checkpoint.key_id,
                checkpoint.signature,
            ),
        )


class NotSealable(Exception):
    """The store is of a kind this module does not seal (KurrentDB)."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed checkpoint, as kept beside the store and as copied to the audit topic."""

    service: str
    position: int
    chain_hash: bytes
    signed_at: str
    key_id: str
    signature: bytes


def checkpoint_record(checkpoint: Checkpoint) -> tuple[bytes, bytes]:
    """Key and value of the checkpoint's record on the audit topic."""
    message = audit_pb2.AuditCheckpoint(
        service=checkpoint.service,
        position=checkpoint.position,
        chain_hash=checkpoint.chain_hash,
        key_id=checkpoint.key_id,
        signature=checkpoint.signature,
    )
    message.signed_at.FromDatetime(datetime.fromisoformat(checkpoint.signed_at))
    return checkpoint.service.encode(), message.SerializeToString()


def checkpoint_of(value: bytes) -> Checkpoint:
    """A record of the audit topic, decoded (``DecodeError`` for anything else)."""
    message = audit_pb2.AuditCheckpoint.FromString(value)
    signed_at = message.signed_at.ToDatetime(tzinfo=UTC).isoformat()
    return Checkpoint(
        message.service,
        message.position,
        message.chain_hash,
        signed_at,
        message.key_id,
        message.signature,
    )


@dataclass(frozen=True)
class Link:
    position: int
    originator_id: str
    originator_version: int
    digest: bytes
    stream_hash: bytes
    log_hash: bytes


def _notifications(recorder: Any, after: int) -> Iterator[Any]:
    while True:
        page = recorder.select_notifications(after + 1, PAGE)
        if not page:
            return
        yield from page
        after = page[-1].id


def _oid(value: Any) -> str:
    return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).hex


# -- sealing ----------------------------------------------------------------------------------


class Seal:
    """Extends a store's chain over what was committed since, and signs a checkpoint every
    ``every`` events. Deterministic and idempotent: two sealers of one store write the same
    rows, and the second's inserts are ignored."""

    def __init__(self, service: str, recorder: Any, key: Ed25519PrivateKey, every: int) -> None:
        self.service, self.recorder, self.key, self.every = service, recorder, key, every
        self.tables = _Tables(recorder)
        self.tables.create()
        self.key_id = key_id(key.public_key())

    def last(self) -> tuple[int, bytes, int]:
        """Log position, log hash and ordinal (1, 2, ...) of the chain's last link."""
        found = self.tables.rows(
            f"SELECT position, log_hash, seq FROM {self.tables.chain} "
            "ORDER BY position DESC LIMIT 1"
        )
        if not found:
            return 0, GENESIS, 0
        return int(found[0][0]), bytes(found[0][1]), int(found[0][2])

    def _stream_head(self, originator: str) -> bytes:
        found = self.tables.rows(
            f"SELECT stream_hash FROM {self.tables.chain} WHERE originator_id = ? "
            "ORDER BY originator_version DESC LIMIT 1",
            originator,
        )
        return bytes(found[0][0]) if found else GENESIS

    def extend(self, limit: int = 5000) -> int:
        """Chain up to ``limit`` newly stored events; returns how many."""
        position, previous, seq = self.last()
        links: list[Link] = []
        checkpoints: list[Checkpoint] = []
        heads: dict[str, bytes] = {}
        for n in self.recorder.select_notifications(position + 1, limit):
            originator = _oid(n.originator_id)
            head = heads.get(originator) or self._stream_head(originator)
            d = digest(n.originator_id, n.originator_version, n.topic, n.state)
            s = stream_hash(head, d)
            previous = log_hash(previous, n.id, s)
            links.append(Link(n.id, originator, n.originator_version, d, s, previous))
            heads[originator] = s
            seq += 1
            if seq % self.every == 0:  # the same for every sealer of the store
                checkpoints.append(self.sign(n.id, previous))
        if not links:
            return 0
        t = self.tables
        with t.datastore.transaction(commit=True) as c:
            first = seq - len(links) + 1
            for i, link in enumerate(links):
                c.execute(
                    t.sql(
                        f"INSERT INTO {t.chain} (position, seq, originator_id, "
                        "originator_version, digest, stream_hash, log_hash) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (position) DO NOTHING"
                    ),
                    (
                        link.position,
                        first + i,
                        link.originator_id,
                        link.originator_version,
                        link.digest,
                        link.stream_hash,
                        link.log_hash,
                    ),
                )
            for checkpoint in checkpoints:
                t.insert_checkpoint(c, checkpoint)
        return len(links)

    def sign(self, position: int, chain_hash: bytes) -> Checkpoint:
        signature = self.key.sign(checkpoint_message(self.service, position, chain_hash))
        signed_at = datetime.now(UTC).isoformat()
        return Checkpoint(self.service, position, chain_hash, signed_at, self.key_id, signature)

    def unpublished(self) -> list[Checkpoint]:
        """Signed checkpoints not yet copied to the audit topic, oldest first."""
        return self.tables.read_checkpoints(self.service, "WHERE NOT published")

    def mark_published(self, positions: Sequence[int]) -> None:
        t = self.tables
        with t.datastore.transaction(commit=True) as c:
            for position in positions:
                c.execute(
                    t.sql(f"UPDATE {t.checkpoints} SET published = TRUE WHERE position = ?"),
                    (position,),
                )

    def checkpoint_now(self) -> int | None:
        """Sign a checkpoint at the end of the chain as it is (e.g. at shutdown, or before
        an audit); None when nothing is chained yet."""
        position, head, _ = self.last()
        if not position:
            return None
        with self.tables.datastore.transaction(commit=True) as c:
            self.tables.insert_checkpoint(c, self.sign(position, head))
        return position


# -- verifying --------------------------------------------------------------------------------


@dataclass
class Report:
    service: str
    events: int = 0
    chained: int = 0
    checkpoints: int = 0
    published: int = 0  # of them, read back from the audit topic
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = (
            f"{self.service}: {self.events} events, {self.chained} chained, "
            f"{self.checkpoints} signed checkpoints"
            + (f" ({self.published} also on the audit topic)" if self.published else "")
        )
        if self.ok:
            return f"{head}: verified"
        return "\n".join([f"{head}: {len(self.problems)} problem(s)", *self.problems])


def _describe(n: Any) -> str:
    return f"{uuid.UUID(str(n.originator_id))} v{n.originator_version}"


def verify(
    service: str,
    recorder: Any,
    public_keys: Sequence[Ed25519PublicKey],
    every: int | None = None,
    published: Sequence[Checkpoint] = (),
) -> Report:
    """Recompute the chain from the stored events; compare it with the stored chain and
    the signed checkpoints. The first difference in the log is named (what follows an
    altered event is not reported again). With ``every`` (the sealer's checkpoint
    interval), a chain that runs further than that past its last checkpoint signed by one
    of ``public_keys`` is reported too: checkpoints were removed, or signed by another.
    ``published`` are the checkpoints read back from the audit topic: each must also be in
    the store's table, and hold."""
    tables = _Tables(recorder)
    tables.create()
    report = Report(service)
    chain = {
        int(r[0]): Link(int(r[0]), r[1], int(r[2]), bytes(r[3]), bytes(r[4]), bytes(r[5]))
        for r in tables.rows(
            "SELECT position, originator_id, originator_version, digest, stream_hash, log_hash "
            f"FROM {tables.chain} ORDER BY position"
        )
    }
    report.chained = len(chain)
    by_event = {(link.originator_id, link.originator_version): link for link in chain.values()}
    last_chained = max(chain, default=0)
    recomputed: dict[int, bytes] = {}
    heads: dict[str, bytes] = {}
    previous = GENESIS
    seen: set[int] = set()
    for n in _notifications(recorder, 0):
        report.events += 1
        seen.add(n.id)
        originator = _oid(n.originator_id)
        d = digest(n.originator_id, n.originator_version, n.topic, n.state)
        s = stream_hash(heads.get(originator, GENESIS), d)
        previous = log_hash(previous, n.id, s)
        heads[originator] = s
        recomputed[n.id] = previous
        if report.problems or n.id > last_chained:
            continue  # after the first difference, or not sealed yet
        link = chain.get(n.id)
        if link is None or (link.originator_id, link.originator_version) != (
            originator,
            n.originator_version,
        ):
            moved = by_event.get((originator, n.originator_version))
            if moved is not None:
                report.problems.append(
                    f"moved: {_describe(n)} is at log position {n.id}; "
                    f"it was sealed at {moved.position}"
                )
            else:
                report.problems.append(f"inserted: {_describe(n)} at log position {n.id}")
        elif link.digest != d:
            report.problems.append(f"altered: {_describe(n)} at log position {n.id}")
        elif link.stream_hash != s:
            report.problems.append(
                f"altered: an earlier event of {uuid.UUID(originator)} before v"
                f"{n.originator_version} (log position {n.id})"
            )
    if not report.problems:
        for position, link in chain.items():
            if position not in seen:
                report.problems.append(
                    f"removed: {uuid.UUID(link.originator_id)} v{link.originator_version} "
                    f"from log position {position}"
                )
                break
    trusted = _check_checkpoints(service, tables, public_keys, chain, recomputed, report, published)
    if every is not None:
        unsigned = sum(1 for position in chain if position > trusted)
        if unsigned > every:
            report.problems.append(
                f"unsigned: {unsigned} chained events after the last checkpoint signed by a "
                f"trusted key (log position {trusted or 'none'}); one is signed every {every}"
            )
    return report


def _check_checkpoints(
    service: str,
    tables: _Tables,
    public_keys: Sequence[Ed25519PublicKey],
    chain: dict[int, Link],
    recomputed: dict[int, bytes],
    report: Report,
    published: Sequence[Checkpoint],
) -> int:
    """Check every checkpoint, those kept beside the store and those copied to the audit
    topic (``published``); returns the position of the last one that holds."""
    keys = {key_id(k): k for k in public_keys}
    stored = tables.read_checkpoints(service)
    kept = {(c.position, c.chain_hash, c.signature) for c in stored}
    copies = [c for c in published if c.service == service]
    missing = [c for c in copies if (c.position, c.chain_hash, c.signature) not in kept]
    for copy in missing:
        report.problems.append(
            f"checkpoint {copy.position}: on the audit topic but not in the store's "
            "checkpoint table (removed or replaced there)"
        )
    trusted = 0
    for checkpoint in sorted([*stored, *missing], key=lambda c: c.position):
        report.checkpoints += 1
        position, head = checkpoint.position, checkpoint.chain_hash
        key = keys.get(checkpoint.key_id)
        if key is None:
            report.problems.append(
                f"checkpoint {position}: signed by unknown key {checkpoint.key_id}"
            )
            continue
        try:
            key.verify(checkpoint.signature, checkpoint_message(service, position, head))
        except InvalidSignature:
            report.problems.append(f"checkpoint {position}: the signature does not verify")
            continue
        if recomputed.get(position) != head:
            report.problems.append(
                f"checkpoint {position}: the stored events no longer hash to the signed "
                "checkpoint (an event at or before it was changed, removed or inserted)"
            )
        elif chain.get(position) is None or chain[position].log_hash != head:
            report.problems.append(f"checkpoint {position}: the chain table was rewritten")
        else:
            trusted = max(trusted, position)
    report.published = len(copies)
    return trusted
