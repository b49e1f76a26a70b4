"""The producers' partitioner keeps Kafka's default placement of keyed records: a consumer
or another client relies on a key's records sharing a partition whatever wrote them."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner

from kernel.kafka import key_partitioner


def test_keyed_records_land_where_kafkas_default_partitioner_puts_them() -> None:
    rng = random.Random(7)
    default = DefaultPartitioner()
    for _ in range(3000):
        key = rng.randbytes(rng.randint(0, 48))
        partitions = list(range(rng.choice([1, 3, 6, 12, 50])))
        available = rng.sample(partitions, k=max(1, len(partitions) // 2))
        # Asked twice: the second answer comes from the kept hash.
        assert key_partitioner(key, partitions, available) == default(key, partitions, available)
        assert key_partitioner(key, partitions, available) == default(key, partitions, available)


def test_records_without_a_key_go_to_an_available_partition() -> None:
    chosen = {key_partitioner(None, [0, 1, 2, 3], [2, 3]) for _ in range(200)}
    assert chosen <= {2, 3}
    assert key_partitioner(None, [0, 1], []) in {0, 1}
