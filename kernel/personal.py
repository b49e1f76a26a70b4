"""Personal data under per-person keys, so that erasing a person is destroying one key
(crypto-shredding): the events stay, replay and the audit chain still work, and what was
personal in them can no longer be read anywhere — the store, the topics, backups.

- A service declares which fields of which events are personal (names, e-mail addresses,
  phone numbers, free-text notes about people); the person is the event's aggregate.
- The store's mapper seals those fields on the way in — AES-256-GCM under the person's
  key, the aggregate id as associated data — and opens them on the way out; the relay
  reads events sealed, so the topics carry the sealed text too.
- Erasing destroys the key (overwritten on disk: SQLite ``secure_delete``, PostgreSQL
  ``VACUUM``) and leaves a tombstone; from then on each sealed field opens as ``ERASED``,
  and a new event of that person stores ``ERASED`` instead of a value.
- Duplicate matching uses keyed hashes (HMAC-SHA256 under the service's hash key) of
  the normalised values, never the values.

Keys are cached per process for ``KEY_TTL_SECONDS``: a process other than the one that
erased stops opening the person's data within that time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from kernel.domain import ERASED
from kernel.keyfile import write_once
from kernel.settings import Settings

SEALED = "pd1:"
KEY_TTL_SECONDS = 60.0
# The row holding the service's hash key (no aggregate has this id).
_SHARED = uuid.UUID(int=0)
_CACHED_KEYS = 10_000


class KeyStore(Protocol):
    def key(self, subject: uuid.UUID, create: bool) -> bytes | None:
        """The person's key (made when ``create`` and none was ever made); None once
        erased, or when there is none and ``create`` is false."""

    def destroy(self, subject: uuid.UUID) -> bool:
        """Destroy the key for good; False if it was already gone."""

    def shared_key(self) -> bytes:
        """The service's hash key, made once and the same for every process that uses
        this store."""


class SQLiteKeys:
    """Keys in their own SQLite file, pages overwritten when freed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per process, shared by its threads under a lock.
        self._connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._connection.execute("PRAGMA journal_mode = WAL")
        self._connection.execute("PRAGMA synchronous = FULL")  # a key outlives no event
        self._connection.execute("PRAGMA secure_delete = ON")
        self._lock = threading.Lock()
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS person_keys ("
                " subject TEXT PRIMARY KEY, key BLOB, erased_at REAL)"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._connection:
            yield self._connection

    def key(self, subject: uuid.UUID, create: bool) -> bytes | None:
        with self._db() as db:
            if create:
                db.execute(
                    "INSERT OR IGNORE INTO person_keys (subject, key) VALUES (?, ?)",
                    (str(subject), AESGCM.generate_key(256)),
                )
            row = db.execute(
                "SELECT key FROM person_keys WHERE subject = ?", (str(subject),)
            ).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def destroy(self, subject: uuid.UUID) -> bool:
        with self._db() as db:
            changed = db.execute(
                "UPDATE person_keys SET key = NULL, erased_at = ? WHERE subject = ?"
                " AND key IS NOT NULL",
                (time.time(), str(subject)),
            ).rowcount
            if not changed:
                db.execute(
                    "INSERT OR IGNORE INTO person_keys (subject, key, erased_at)"
                    " VALUES (?, NULL, ?)",
                    (str(subject), time.time()),
                )
        with self._db() as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return bool(changed)

    def shared_key(self) -> bytes:
        key = self.key(_SHARED, create=True)
        assert key is not None
        return key


class PostgresKeys:
    """Keys in a table of the service's database; vacuumed after each erasure so that the
    old row's bytes do not linger in the table's pages."""

    def __init__(self, settings: Settings, table: str) -> None:
        self.settings, self.table = settings, table
        with self._db() as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} ("
                " subject TEXT PRIMARY KEY, key BYTEA, erased_at DOUBLE PRECISION)"
            )

    @contextmanager
    def _db(self, autocommit: bool = False) -> Iterator[Any]:
        import psycopg

        s = self.settings
        with psycopg.connect(
            host=s.postgres_host,
            port=s.postgres_port,
            dbname=s.postgres_dbname,
            user=s.postgres_user,
            password=s.postgres_password or "",
            autocommit=autocommit,
        ) as db:
            yield db

    def key(self, subject: uuid.UUID, create: bool) -> bytes | None:
        with self._db() as db:
            if create:
                db.execute(
                    f"INSERT INTO {self.table} (subject, key) VALUES (%s, %s)"
                    " ON CONFLICT (subject) DO NOTHING",
                    (str(subject), AESGCM.generate_key(256)),
                )
            row = db.execute(
                f"SELECT key FROM {self.table} WHERE subject = %s", (str(subject),)
            ).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def destroy(self, subject: uuid.UUID) -> bool:
        with self._db() as db:
            changed = db.execute(
                f"UPDATE {self.table} SET key = NULL, erased_at = %s"
                " WHERE subject = %s AND key IS NOT NULL",
                (time.time(), str(subject)),
            ).rowcount
            if not changed:
                db.execute(
                    f"INSERT INTO {self.table} (subject, key, erased_at) VALUES (%s, NULL, %s)"
                    " ON CONFLICT (subject) DO NOTHING",
                    (str(subject), time.time()),
                )
        with self._db(autocommit=True) as db:
            db.execute(f"VACUUM {self.table}")
        return bool(changed)

    def shared_key(self) -> bytes:
        key = self.key(_SHARED, create=True)
        assert key is not None
        return key


def hash_key(path: Path) -> bytes:
    """The service's key for keyed hashes: 32 random bytes in ``path``, made once."""
    write_once(path, os.urandom(32))
    key = path.read_bytes()
    if len(key) < 32:
        raise ValueError(f"{path} holds {len(key)} bytes; a hash key needs 32")
    return key


class Vault:
    """Seals and opens one service's personal fields; erases a person."""

    def __init__(self, keys: KeyStore, hashing_key: bytes) -> None:
        self.keys = keys
        self._hashing_key = hashing_key
        self._cache: OrderedDict[uuid.UUID, tuple[float, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def for_service(cls, settings: Settings, service: str) -> Vault:
        """Keys beside the store: a table of its PostgreSQL database (every replica of
        the service shares them), else a SQLite file in the data directory. The hash key
        is kept with them unless ``L2C_PERSONAL_HASH_KEY_FILE`` names one."""
        keys: KeyStore = (
            PostgresKeys(settings, f"{service}_person_keys")
            if settings.store == "postgres"
            else SQLiteKeys(settings.data_dir / "personal" / f"{service}-keys.sqlite")
        )
        given = settings.personal_hash_key_file
        return cls(keys, hash_key(Path(given)) if given else keys.shared_key())

    def keyed_hash(self, kind: str, value: str) -> str:
        digest = hmac.new(self._hashing_key, f"{kind}:{value}".encode(), hashlib.sha256)
        return "h1:" + digest.hexdigest()

    def _key(self, subject: uuid.UUID, create: bool) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(subject)
            fresh = cached is not None and now - cached[0] < KEY_TTL_SECONDS
            if fresh and cached is not None and (cached[1] is not None or not create):
                return cached[1]
        key = self.keys.key(subject, create)
        with self._lock:
            self._cache[subject] = (now, key)
            self._cache.move_to_end(subject)
            while len(self._cache) > _CACHED_KEYS:
                self._cache.popitem(last=False)
        return key

    def seal(self, subject: uuid.UUID, value: str) -> str:
        if not value or value.startswith(SEALED) or value == ERASED:
            return value
        key = self._key(subject, create=True)
        if key is None:
            return ERASED  # the person was erased: what arrives for them is not kept
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, value.encode(), subject.bytes)
        return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, subject: uuid.UUID, value: str) -> str:
        if not isinstance(value, str) or not value.startswith(SEALED):
            return value
        key = self._key(subject, create=False)
        if key is None:
            return ERASED
        raw = base64.urlsafe_b64decode(value[len(SEALED) :])
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], subject.bytes).decode()
        except InvalidTag:
            return ERASED  # sealed under a key that is no longer this person's

    def erase(self, subject: uuid.UUID) -> bool:
        if subject == _SHARED:
            raise ValueError("not a person")
        destroyed = self.keys.destroy(subject)
        with self._lock:
            self._cache[subject] = (time.monotonic(), None)
        return destroyed


# Event topic -> its personal fields, and the field naming the person when the aggregate
# holds several (a deal's stakeholders); without one, the aggregate is the person.
Personal = dict[str, tuple[tuple[str, ...], str]]


def person_of(aggregate_id: uuid.UUID, person: str = "") -> uuid.UUID:
    """The key subject of a person: the aggregate, or one named person within it."""
    return uuid.uuid5(aggregate_id, person) if person else aggregate_id


class SealingMapper(Mapper[uuid.UUID]):
    """The store's mapper with a service's personal fields sealed in what it stores and,
    when ``opens``, opened in what it reads (the relay's copy reads them sealed)."""

    def __init__(self, vault: Vault, personal: Personal, *, opens: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vault, self.personal, self.opens = vault, personal, opens

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        declared = self.personal.get(get_topic(type(domain_event)))
        if declared:
            state = dict(vars(domain_event))
            _each_field(state, domain_event.originator_id, declared, self.vault.seal)
            sealed = object.__new__(type(domain_event))
            object.__setattr__(sealed, "__dict__", state)
            domain_event = sealed
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        domain_event = super().to_domain_event(stored_event)
        declared = self.personal.get(stored_event.topic)
        if declared and self.opens:
            _each_field(vars(domain_event), domain_event.originator_id, declared, self.vault.open)
        return domain_event


def _each_field(
    state: dict[str, Any],
    aggregate_id: uuid.UUID,
    declared: tuple[tuple[str, ...], str],
    change: Callable[[uuid.UUID, str], str],
) -> None:
    """Seal or open, in place, the declared personal fields of one event's state."""
    fields, person = declared
    subject = person_of(aggregate_id, state.get(person, "") if person else "")
    for name in fields:
        if isinstance(state.get(name), str):
            state[name] = change(subject, state[name])
