"""The event store port, run against every backend (SQLite, PostgreSQL, KurrentDB when named)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from kernel.domain import Money
from kernel.errors import ConcurrencyConflict, Contended, IdempotencyKeyReused
from kernel.settings import Settings
from kernel.store import BOOKKEEPING_RETRIES
from services.leads.application import LeadsApplication
from services.leads.domain.commands import AcceptLead, QualifyLead
from services.leads.domain.lead import Contact, Lead

BANT_OK = {"budget": "approved", "authority": "COO", "need": "downtime", "timeline": "Q3"}


def capture(app: LeadsApplication, key: str | None = None, name: str = "Ann") -> str:
    return str(
        app.capture_lead(
            Contact(name, email="ann@example.com", company="Acme"),
            "web_form",
            idempotency_key=key,
        )["lead_id"]
    )


def test_aggregates_round_trip_through_the_store_starting_at_version_0(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    lead_id = uuid.UUID(capture(app))
    app.dispatch(QualifyLead(lead_id=lead_id, note="webinar"))
    lead = LeadsApplication(store_settings).get_lead(lead_id)
    assert (lead.version, lead.status.value, lead.full_name) == (2, "mql", "Ann")
    history = [(e.originator_version, type(e).__name__) for e in app.history(Lead, lead_id)]
    assert history == [(0, "Captured"), (1, "MarketingQualified"), (2, "Routed")]


def test_a_retried_command_with_the_same_idempotency_key_appends_once(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    first = capture(app, key="import-row-17")
    again = capture(app, key="import-row-17")
    assert first == again
    lead_id = uuid.UUID(first)
    app.dispatch(QualifyLead(lead_id=lead_id, note="x"), idempotency_key="q-1")
    app.dispatch(QualifyLead(lead_id=lead_id, note="x"), idempotency_key="q-1")
    assert [type(e).__name__ for e in app.history(Lead, lead_id)] == [
        "Captured",
        "MarketingQualified",
        "Routed",
    ]
    lead_events = [
        n for n in app.recorder.select_notifications(1, 100) if n.originator_id == lead_id
    ]
    assert len(lead_events) == 3


def test_an_idempotency_key_reused_for_another_request_is_refused(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    capture(app, key="k-1", name="Ann")
    with pytest.raises(IdempotencyKeyReused, match="k-1"):
        capture(app, key="k-1", name="Bob")


def test_two_replicas_racing_on_one_aggregate_one_wins_the_other_conflicts(
    store_settings: Settings,
) -> None:
    """Both load version 2, both decide, both save: the store lets exactly one through."""
    setup = LeadsApplication(store_settings)
    lead_id = uuid.UUID(capture(setup))
    setup.dispatch(QualifyLead(lead_id=lead_id, note=""))
    setup.dispatch(AcceptLead(lead_id=lead_id, note=""))
    replicas = [LeadsApplication(store_settings), LeadsApplication(store_settings)]
    both_loaded = threading.Barrier(2)
    outcomes: list[str] = []

    def convert(app: LeadsApplication, owner: str) -> None:
        def decide() -> tuple[list[Lead], dict[str, object]]:
            lead = app.load(Lead, lead_id)
            both_loaded.wait(timeout=10)
            lead.convert("Deal", Money.of("10", "EUR"), owner, BANT_OK)
            return [lead], {}

        try:
            app.execute("convert", decide)
            outcomes.append("ok")
        except ConcurrencyConflict as exc:
            outcomes.append(f"conflict: {exc}")

    threads = [
        threading.Thread(target=convert, args=(app, f"rep-{i}")) for i, app in enumerate(replicas)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"]
    assert [type(e).__name__ for e in setup.history(Lead, lead_id)] == [
        "Captured",
        "MarketingQualified",
        "Routed",
        "SalesAccepted",
        "Converted",
    ]


def test_a_cached_aggregate_is_brought_up_to_date_with_what_another_process_stored(
    store_settings: Settings,
) -> None:
    first, second = LeadsApplication(store_settings), LeadsApplication(store_settings)
    lead_id = uuid.UUID(capture(first))
    assert first.get_lead(lead_id).version == 0  # now in first's cache
    second.dispatch(QualifyLead(lead_id=lead_id, note="webinar"))
    lead = first.get_lead(lead_id)
    assert (lead.version, lead.status.value, lead.rep) == (2, "mql", second.get_lead(lead_id).rep)


def test_a_refused_command_leaves_the_cached_aggregate_as_it_was(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    lead_id = uuid.UUID(capture(app))

    def decide() -> tuple[list[Lead], dict[str, object]]:
        lead = app.load(Lead, lead_id)
        lead.qualify_as_mql("changed, then refused")
        raise ConcurrencyConflict("refused after changing the loaded copy")

    with pytest.raises(ConcurrencyConflict):
        app.execute("qualify", decide)
    lead = app.get_lead(lead_id)
    assert (lead.version, lead.status.value) == (0, "new")


def test_an_aggregate_in_the_cache_exists_without_a_query_and_others_are_looked_up(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = LeadsApplication(store_settings), LeadsApplication(store_settings)
    lead_id = uuid.UUID(capture(first))
    assert second.exists(lead_id)  # stored by another process: looked up, then cached
    assert not second.exists(uuid.uuid4())

    def no_query(*args: object, **kwargs: object) -> None:
        raise AssertionError("exists() queried the store for a cached aggregate")

    monkeypatch.setattr(second.events, "get", no_query)
    assert second.exists(lead_id)


def test_rule_versions_are_validated_once_and_a_publish_elsewhere_is_seen(
    store_settings: Settings,
) -> None:
    first, second = LeadsApplication(store_settings), LeadsApplication(store_settings)
    number, rules = first.scoring_rules.current()
    assert first.scoring_rules.current()[1] is rules  # one validation per version
    document = rules.model_dump(mode="json")
    document["qualify_from"] = rules.qualify_from + 1
    assert second.scoring_rules.publish(document, "stricter", None)["version"] == number + 1
    newer, revised = first.scoring_rules.current()
    assert (newer, revised.qualify_from) == (number + 1, rules.qualify_from + 1)
    assert first.scoring_rules.version(number) is rules
    assert first.scoring_rules.version(newer) is revised


@pytest.mark.parametrize(("synchronous", "pragma"), [("full", 2), ("normal", 1)])
def test_the_sqlite_store_syncs_commits_as_configured(
    tmp_path: Path, synchronous: str, pragma: int
) -> None:
    settings = Settings(data_dir=tmp_path, sqlite_synchronous=synchronous)  # type: ignore[arg-type]
    app = LeadsApplication(settings)
    capture(app)
    datastore = app.factory.datastore  # type: ignore[attr-defined]
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA synchronous;")
        assert cursor.fetchone()[0] == pragma
        cursor.execute("PRAGMA journal_mode;")
        assert cursor.fetchone()[0] == "wal"


def test_sqlite_reads_are_single_statements_and_writes_stay_atomic(tmp_path: Path) -> None:
    app = LeadsApplication(Settings(data_dir=tmp_path))
    lead_id = uuid.UUID(capture(app))
    datastore = app.factory.datastore  # type: ignore[attr-defined]
    statements: list[str] = []
    with datastore.get_connection(commit=False) as connection:
        connection._sqlite_conn.set_trace_callback(statements.append)
        try:
            with connection.transaction(commit=False) as cursor:
                cursor.execute("SELECT COUNT(*) FROM stored_events")
                assert cursor.fetchone()[0] > 0
            # A read's errors are the library's, as they were inside BEGIN ... ROLLBACK.
            with pytest.raises(OperationalError), connection.transaction(commit=False) as cursor:
                cursor.execute("SELECT * FROM no_such_table")
            with pytest.raises(IntegrityError), connection.transaction(commit=True) as cursor:
                cursor.execute("CREATE TABLE IF NOT EXISTS pairs (k TEXT PRIMARY KEY)")
                cursor.execute("INSERT INTO pairs VALUES ('a')")
                cursor.execute("INSERT INTO pairs VALUES ('a')")
        finally:
            connection._sqlite_conn.set_trace_callback(None)
    # (A statement that fails to compile is not traced.)
    assert statements[0] == "SELECT COUNT(*) FROM stored_events", statements
    assert statements[1] == "BEGIN" and statements[-1] == "ROLLBACK", statements
    # The write failed as a whole: its table was not created either.
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'pairs'")
        assert cursor.fetchall() == []
    assert LeadsApplication(Settings(data_dir=tmp_path)).get_lead(lead_id).version == 0


def test_races_lost_on_shared_bookkeeping_are_retried_then_refused_as_contended(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    attempts = 0

    def always_loses() -> tuple[list[Lead], dict[str, object]]:
        nonlocal attempts
        attempts += 1
        raise ConcurrencyConflict("lost again")

    with pytest.raises(Contended, match="nothing was stored, retry"):
        app.execute("x", always_loses, retries=2, addressed_unchanged=lambda: True)
    assert attempts == 1 + 2 + BOOKKEEPING_RETRIES
    attempts = 0
    # The addressed aggregate moved: the caller hears it (409) once its retries are spent.
    with pytest.raises(ConcurrencyConflict) as refused:
        app.execute("x", always_loses, retries=2, addressed_unchanged=lambda: False)
    assert not isinstance(refused.value, Contended) and attempts == 3
