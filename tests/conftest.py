"""Shared fixtures: the real engines (Kafka broker, PostgreSQL cluster) and settings per
store backend. Nothing here is a stand-in: integration tests talk to the real things."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.auth_support  # noqa: F401 - names the test issuer before any setting is read
from devenv.kafka import KafkaBroker
from devenv.postgres import PostgresCluster
from kernel.settings import Settings

KURRENTDB_URI = os.environ.get("L2C_TEST_KURRENTDB_URI")
_ENGINE_FACTS: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which real engines the run used and how long they took to start."""
    for fact in _ENGINE_FACTS:
        terminalreporter.write_line(fact)


@pytest.fixture(scope="session")
def kafka_broker(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[KafkaBroker]:
    """One real broker for the session (topics are shared; tests use fresh ids)."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    broker.start()
    _ENGINE_FACTS.append(
        f"Kafka broker (session) {broker.bootstrap} started in {broker.started_in_seconds:.1f}s"
    )
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="l2c-pg-"))
    cluster = PostgresCluster(base)
    began = time.monotonic()
    cluster.start()
    _ENGINE_FACTS.append(
        f"PostgreSQL cluster (session) on port {cluster.port} started in "
        f"{time.monotonic() - began:.1f}s"
    )
    yield cluster
    cluster.stop()
    shutil.rmtree(base, ignore_errors=True)


def _backends() -> list[object]:
    """SQLite and PostgreSQL always; KurrentDB when L2C_TEST_KURRENTDB_URI names a server
    (tests/integration/kernel/test_kurrentdb.py reports, as a skip, when it does not)."""
    backends: list[object] = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
    if KURRENTDB_URI:
        backends.append(pytest.param("kurrentdb", marks=pytest.mark.kurrentdb))
    return backends


def settings_for(
    backend: str, data_dir: Path, request: pytest.FixtureRequest, bootstrap: str = "127.0.0.1:1"
) -> Settings:
    if backend == "sqlite":
        return Settings(data_dir=data_dir, kafka_bootstrap=bootstrap, store="sqlite")
    if backend == "postgres":
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        dbname = cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")
        return Settings(
            data_dir=data_dir,
            kafka_bootstrap=bootstrap,
            store="postgres",
            postgres_host="127.0.0.1",
            postgres_port=cluster.port,
            postgres_dbname=dbname,
            postgres_user=cluster.user,
            postgres_password=cluster.password,
        )
    return Settings(
        data_dir=data_dir, kafka_bootstrap=bootstrap, store="kurrentdb", kurrentdb_uri=KURRENTDB_URI
    )


@pytest.fixture(params=_backends())
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each store backend in turn (the same test runs against each)."""
    return settings_for(request.param, tmp_path, request)


@pytest.fixture(params=_backends())
def kafka_settings(
    request: pytest.FixtureRequest, tmp_path: Path, kafka_broker: KafkaBroker
) -> Settings:
    """Like store_settings, wired to the session's Kafka broker."""
    return settings_for(request.param, tmp_path, request, kafka_broker.bootstrap)
