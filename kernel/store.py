"""The event-sourced application base every command-side service extends.

It adds to ``eventsourcing.Application`` what the library leaves to us:

* persistence chosen by :class:`~kernel.settings.Settings` (SQLite file per service,
  PostgreSQL, or KurrentDB);
* :meth:`ServiceApplication.execute`: one command = load, decide, save, atomically with an
  idempotency record when the caller sent a key, so a retried command never appends twice;
* a stale save (optimistic concurrency) turned into :class:`~kernel.errors.ConcurrencyConflict`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol, event
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, Transcoding

from kernel.commands import Catalog, Command, CommandSpec, build
from kernel.domain import L2CAggregate, Money
from kernel.errors import (
    ConcurrencyConflict,
    Contended,
    IdempotencyKeyReused,
    InvalidCommand,
    NotFound,
)
from kernel.personal import Personal, SealingMapper, Vault
from kernel.settings import Settings
from kernel.telemetry import tracer
from kernel.waiting import CHANGES, note_missing

if TYPE_CHECKING:
    from kernel.contracts import Outbound

log = logging.getLogger(__name__)

A = TypeVar("A", bound=L2CAggregate)
Result = dict[str, Any]

# Races lost on bookkeeping shared with other commands are decided again this many times
# (with growing, jittered pauses) before the caller hears 503 "retry".
BOOKKEEPING_RETRIES = 20

_IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d3c1e-6a53-4f0e-9a59-2b8c4f1e7d10")


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj: Money) -> dict[str, str]:
        return {"amount": str(obj.amount), "currency": obj.currency}

    def decode(self, data: dict[str, str]) -> Money:
        return Money.of(data["amount"], data["currency"])


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class IdempotencyRecord(L2CAggregate):
    """Remembers one handled command: which request it was and what it answered.

    Saved in the same transaction as the command's events, so either both exist or
    neither does. Its id is derived from the key, so a second save of the same key
    conflicts instead of appending twice.
    """

    @staticmethod
    def create_id(key: str) -> uuid.UUID:
        return uuid.uuid5(_IDEMPOTENCY_NAMESPACE, key)

    @event("Recorded")
    def __init__(self, key: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.key = key
        self.fingerprint = fingerprint
        self.result = result


def fingerprint_of(*parts: Any) -> str:
    """A stable digest of a command's name and arguments."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def persistence_env(settings: Settings, app_name: str) -> dict[str, str]:
    """The ``eventsourcing`` environment for one service, from the platform settings."""
    return {**_store_env(settings, app_name), **_cache_env(settings)}


def open_recorder(settings: Settings, app_name: str) -> Any:
    """The application recorder of one service's store, opened without the service (for
    tools that read the store as it is: ``l2c audit``)."""
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    env = Environment(app_name, persistence_env(settings, app_name))
    return InfrastructureFactory.construct(env).application_recorder()


def _cache_env(settings: Settings) -> dict[str, str]:
    """Recently used aggregates stay in memory; a load reads only the events stored after
    the cached version (by this process or another), so its cost does not grow with the
    aggregate's history. Callers get a copy: a refused command leaves the cache as it was."""
    if not settings.aggregate_cache_size:
        return {}
    return {
        "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size),
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }


def _store_env(settings: Settings, app_name: str) -> dict[str, str]:
    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "kernel.sqlite_store:DurableSQLiteFactory",
            "SQLITE_DBNAME": str((settings.data_dir / f"{app_name}.sqlite").resolve()),
            "SQLITE_LOCK_TIMEOUT": "30",
            "SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
        }
    if settings.store == "postgres":
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": settings.postgres_dbname,
            "POSTGRES_HOST": settings.postgres_host,
            "POSTGRES_PORT": str(settings.postgres_port),
            "POSTGRES_USER": settings.postgres_user,
            "POSTGRES_PASSWORD": settings.postgres_password or "",
        }
        if settings.postgres_schema:
            env["POSTGRES_SCHEMA"] = settings.postgres_schema
        return env
    return {
        "PERSISTENCE_MODULE": "eventsourcing_kurrentdb",
        "KURRENTDB_URI": settings.kurrentdb_uri or "",
        # Snapshots (an application's ``snapshotting_intervals``) are kept in SQLite and
        # PostgreSQL only; on KurrentDB aggregates are replayed in full.
        "IS_SNAPSHOTTING_ENABLED": "n",
    }


class ServiceApplication(Application[uuid.UUID]):
    """Base application of a command-side service; subclasses add use cases and declare
    their commands (``commands``, see ``kernel.commands``)."""

    commands: ClassVar[Catalog | None] = None
    # Personal fields (event topic -> field names), sealed under per-person keys in the
    # store and on the topics; see kernel.personal.
    personal: ClassVar[Personal] = {}

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._publishers: list[Outbound] = []
        self._commit_listeners: list[Callable[[], None]] = []
        self.vault = Vault.for_service(settings, self.name.lower()) if self.personal else None
        self._sealed_mapper: Mapper[uuid.UUID] | None = None
        super().__init__(env=persistence_env(settings, self.name))

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        if self.vault is None:
            return super().construct_mapper()
        return SealingMapper(
            self.vault, self.personal, opens=True, transcoder=self.construct_transcoder()
        )

    @property
    def sealed_mapper(self) -> Mapper[uuid.UUID]:
        """A mapper that leaves personal fields sealed: what the relay publishes, and
        what reads that need no personal value use (no key is looked up)."""
        if self.vault is None:
            return self.mapper
        if self._sealed_mapper is None:
            self._sealed_mapper = SealingMapper(
                self.vault, self.personal, opens=False, transcoder=self.mapper.transcoder
            )
        return self._sealed_mapper

    def on_commit(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` (from the committing thread) after every save of this process:
        the relay wakes at once instead of waiting for its next poll. Returns the function
        that stops the calls."""
        self._commit_listeners.append(listener)
        return lambda: self._commit_listeners.remove(listener)

    def _notify(self, recordings: list[Any]) -> None:
        CHANGES.committed({r.domain_event.originator_id for r in recordings})
        for listener in list(self._commit_listeners):
            try:
                listener()
            except Exception:  # a listener must not turn a stored command into an error
                log.exception("commit listener %r failed", listener)

    def published_by(self, contracts: Outbound) -> None:
        """Every event a command stores must encode with ``contracts`` (a relay's) and fit
        in a Kafka record: a command whose events cannot be published is refused (422)
        instead of stored, where it would stall the relay."""
        self._publishers.append(contracts)

    def check_publishable(self, aggregates: Sequence[L2CAggregate]) -> None:
        for aggregate in aggregates:
            for pending in aggregate.pending_events:
                for contracts in self._publishers:
                    name = type(pending).__qualname__
                    try:
                        record = contracts.outbound(pending, 0)
                    except Exception as exc:  # any encoding failure: out of range, bad type
                        raise InvalidCommand(f"{name} cannot be published: {exc}") from None
                    if record is not None and len(record.value) > self.settings.max_event_bytes:
                        raise InvalidCommand(
                            f"{name} would be {len(record.value)} bytes, over the "
                            f"{self.settings.max_event_bytes}-byte limit for one event; "
                            "send less text"
                        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(MoneyAsDict())
        transcoder.register(DateAsISO())

    # -- loading ---------------------------------------------------------------------

    def load(self, cls: type[A], aggregate_id: uuid.UUID, expected_version: int | None = None) -> A:
        """The aggregate, or NotFound; ConcurrencyConflict when it moved past the
        version the caller last saw."""
        try:
            aggregate: L2CAggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            note_missing(aggregate_id)
            raise NotFound(f"{cls.__name__} {aggregate_id} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__} {aggregate_id} not found")
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(
                f"{cls.__name__} {aggregate_id} is at version {aggregate.version}, "
                f"not {expected_version}; reload it and retry"
            )
        return aggregate

    def exists(self, aggregate_id: uuid.UUID) -> bool:
        """Whether the aggregate is stored. One in the cache is (an aggregate is never
        removed from the store); any other is looked up, and then cached."""
        cache = self.repository.cache
        if cache is not None:
            try:
                cache.get(aggregate_id)
            except KeyError:
                pass
            else:
                return True
        try:
            self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            note_missing(aggregate_id)
            return False
        return True

    def history(self, cls: type[A], aggregate_id: uuid.UUID) -> list[DomainEventProtocol[Any]]:
        """Every stored event of one aggregate, oldest first."""
        self.load(cls, aggregate_id)
        return list(self.events.get(aggregate_id))

    def store_positions(self, aggregate_id: uuid.UUID, first: int, last: int) -> dict[int, int]:
        """Each version's position in the store's log (the notification id its relay
        publishes as ``store_position``), for versions ``first`` to ``last``. Empty for a
        store without one global log (KurrentDB's commit positions are not kept here)."""
        recorder: Any = self.recorder
        table = getattr(recorder, "events_table_name", None)
        if table is None:
            return {}
        if self.settings.store == "sqlite":
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT originator_version, rowid FROM {table} WHERE originator_id = ? "
                    "AND originator_version BETWEEN ? AND ?",
                    (aggregate_id.hex, first, last),
                )
                return {row[0]: row[1] for row in cursor.fetchall()}
        if self.settings.store == "postgres":
            from psycopg.sql import SQL, Identifier

            statement = SQL(
                "SELECT originator_version, notification_id FROM {}.{} "
                "WHERE originator_id = %s AND originator_version BETWEEN %s AND %s"
            ).format(Identifier(recorder.datastore.schema), Identifier(table))
            with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
                cursor.execute(statement, (aggregate_id, first, last))
                return {
                    row["originator_version"]: row["notification_id"] for row in cursor.fetchall()
                }
        return {}

    # -- executing commands ----------------------------------------------------------

    def execute(
        self,
        name: str,
        decide: Callable[[], tuple[Sequence[L2CAggregate], Result]],
        *,
        idempotency_key: str | None = None,
        fingerprint: str = "",
        retries: int = 0,
        addressed_unchanged: Callable[[], bool] | None = None,
    ) -> Result:
        """Run one command: ``decide`` loads and changes aggregates and returns them with
        the answer for the caller; their events are saved in one transaction.

        With an idempotency key, a repeat of the same request returns the first answer
        without appending anything; the same key with another request is refused.
        ``retries``: when another command got in first, decide again on the new state
        (for commands whose rules are re-checked by ``decide``; the default is to refuse).
        ``addressed_unchanged``: says, after a lost race, whether the aggregate the caller
        addressed is still as the caller saw it; then the race was lost on bookkeeping the
        command shares with others (an account's credit, a match key), which is the
        service's business: decided again, up to BOOKKEEPING_RETRIES times, never a 409.
        """
        attempt = 0
        while True:
            try:
                with self.attempt_scope():
                    return self._execute_once(name, decide, idempotency_key, fingerprint)
            except ConcurrencyConflict as conflict:
                attempt += 1
                if attempt <= retries:
                    pass
                elif addressed_unchanged is None or not addressed_unchanged():
                    raise
                elif attempt > retries + BOOKKEEPING_RETRIES:
                    raise Contended(
                        f"{name} lost {attempt} races on records other commands share "
                        f"({conflict}); nothing was stored, retry"
                    ) from None
            # Spread the retries of commands that collided, so that they stop colliding.
            time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))

    def attempt_scope(self) -> AbstractContextManager[None]:
        """Entered around each attempt of a command (decide and save); a service whose
        use cases hold something for the length of an attempt ends it here."""
        return nullcontext()

    def _execute_once(
        self,
        name: str,
        decide: Callable[[], tuple[Sequence[L2CAggregate], Result]],
        idempotency_key: str | None,
        fingerprint: str,
    ) -> Result:
        with tracer().start_as_current_span(f"{self.name}.{name}") as span:
            span.set_attribute("l2c.command", name)
            record_id = IdempotencyRecord.create_id(idempotency_key or "")
            if idempotency_key:
                earlier = self._earlier_result(record_id, fingerprint)
                if earlier is not None:
                    span.set_attribute("l2c.idempotent_replay", True)
                    return earlier
            aggregates, result = decide()
            self.check_publishable(aggregates)
            to_save: list[L2CAggregate] = list(aggregates)
            if idempotency_key:
                to_save.append(
                    IdempotencyRecord(key=idempotency_key, fingerprint=fingerprint, result=result)
                )
            try:
                with tracer().start_as_current_span(f"{self.name}.append"):
                    self._save_all(to_save)
            except IntegrityError:
                if idempotency_key:
                    earlier = self._earlier_result(record_id, fingerprint)
                    if earlier is not None:
                        return earlier
                names = ", ".join(f"{type(a).__name__} {a.id}" for a in aggregates)
                raise ConcurrencyConflict(
                    f"{names} changed while this command ran; reload and retry"
                ) from None
            return result

    def dispatch(
        self,
        command: Command,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Result:
        """Run a command of this service's catalog (``commands``): load the aggregate it
        names (``expected_version``: the caller's ``If-Match``), run its handler or use
        case, append atomically with the idempotency record, answer. Without
        ``expected_version`` a lost race is decided again on the new state."""
        if self.commands is None:
            raise TypeError(f"{type(self).__name__} declares no commands")
        spec = self.commands.spec_of(command)
        fingerprint = fingerprint_of(spec.name, command.model_dump(mode="json"))
        retries = spec.retries if spec.retries is not None else 2 if expected_version is None else 0
        if spec.use_case is not None:
            use_case = spec.use_case

            def decide() -> tuple[Sequence[L2CAggregate], Result]:
                return use_case(self, command, expected_version)

        else:
            handler = spec.handler
            assert handler is not None

            def decide() -> tuple[Sequence[L2CAggregate], Result]:
                aggregate = self.load(spec.aggregate, spec.aggregate_id(command), expected_version)
                handler(aggregate, command)
                return [aggregate], spec.answer(aggregate)

        # retries=0 declared: the command is never decided again (its caller retries).
        unchanged = (
            None if spec.retries == 0 else self._unchanged_check(spec, command, expected_version)
        )
        result = self.execute(
            spec.name,
            decide,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            retries=retries,
            addressed_unchanged=unchanged,
        )
        if spec.after is not None:
            spec.after(self, command)
        return result

    def _unchanged_check(
        self, spec: CommandSpec, command: Command, expected_version: int | None
    ) -> Callable[[], bool]:
        """Whether the aggregate ``command`` addresses is still at the version the caller
        named (If-Match). Without If-Match every lost race is the service's business; with
        it, a use case that finds its aggregate itself (no ``target``) checks the version
        itself, and its conflicts go to the caller."""
        if expected_version is None:
            return lambda: True
        if not spec.target:
            return lambda: False
        addressed = spec.aggregate_id(command)

        def unchanged() -> bool:
            try:
                return bool(self.repository.get(addressed).version == expected_version)
            except AggregateNotFoundError:
                return False

        return unchanged

    def send(
        self,
        message: type[Command],
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        /,
        **values: Any,
    ) -> Result:
        """Dispatch ``message`` made from plain values (what policies, clocks and tools
        have); values that do not validate are refused as InvalidCommand."""
        command = build(message, **values)
        return self.dispatch(
            command, idempotency_key=idempotency_key, expected_version=expected_version
        )

    def _save_all(self, aggregates: list[L2CAggregate]) -> None:
        if self.settings.store == "kurrentdb":
            # KurrentDB appends one stream per call: the command's aggregates first, the
            # idempotency record last. A crash in between leaves no record, so a retry
            # meets the aggregate's new version and is refused (409), never applied twice.
            for aggregate in aggregates:
                self.save(aggregate)
        else:
            self.save(*aggregates)

    def _earlier_result(self, record_id: uuid.UUID, fingerprint: str) -> Result | None:
        try:
            record: IdempotencyRecord = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        if fingerprint and record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"idempotency key {record.key!r} was already used for a different request"
            )
        return dict(record.result)
