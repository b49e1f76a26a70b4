"""KurrentDB is selectable by configuration; its store tests need a server to talk to.

With L2C_TEST_KURRENTDB_URI set (e.g. esdb://127.0.0.1:2113?Tls=false), every test that
takes the `store_settings` fixture runs against it too. Without it, this test says so.
"""

import os

import pytest

from kernel.settings import Settings
from kernel.store import persistence_env


@pytest.mark.skipif(
    not os.environ.get("L2C_TEST_KURRENTDB_URI"),
    reason="no KurrentDB server: set L2C_TEST_KURRENTDB_URI to run the store tests against one",
)
def test_the_store_tests_also_ran_against_kurrentdb() -> None:
    settings = Settings(store="kurrentdb", kurrentdb_uri=os.environ["L2C_TEST_KURRENTDB_URI"])
    assert persistence_env(settings, "leads")["PERSISTENCE_MODULE"] == "eventsourcing_kurrentdb"


def test_selecting_kurrentdb_without_a_uri_stops_start_up_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="L2C_KURRENTDB_URI"):
        Settings(store="kurrentdb")


def test_kurrentdb_configuration_reaches_the_eventsourcing_library() -> None:
    env = persistence_env(
        Settings(
            store="kurrentdb", kurrentdb_uri="esdb://h:2113?Tls=false", aggregate_cache_size=0
        ),
        "deals",
    )
    assert env == {
        "PERSISTENCE_MODULE": "eventsourcing_kurrentdb",
        "KURRENTDB_URI": "esdb://h:2113?Tls=false",
        "IS_SNAPSHOTTING_ENABLED": "n",  # snapshots are kept in SQLite and PostgreSQL only
    }
