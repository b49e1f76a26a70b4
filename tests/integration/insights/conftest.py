"""A Kafka broker of the insights tests' own: their topics hold nothing but what they send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devenv.kafka import KafkaBroker


@pytest.fixture(scope="module")
def quiet_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("insights-kafka")).start()
    yield broker
    broker.stop()
