"""The insights worker's source records, read in batches straight from aiokafka.

faust's stream machinery (a channel, an event object and an acknowledgement per record)
cost the worker more than folding the records did; this reads whole fetches instead. The
store, not the consumer group, says where to read: every partition the group assigns is
sought to the position the store has applied, so a worker resumes exactly where its last
commit left off whatever offsets the group holds. The group's offsets are committed after
each store commit all the same, for the lag that operators' tools read from the group.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalGenerationError, IllegalStateError
from aiokafka.structs import ConsumerRecord

from kernel.kafka import consumer
from kernel.settings import Settings

log = logging.getLogger(__name__)


class _SeekToStore(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, feed: SourceFeed) -> None:
        self.feed = feed

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        for tp in assigned:
            self.feed.reader.seek(tp, self.feed.position(tp.topic, tp.partition))


class SourceFeed:
    """Batches of records from ``topics`` for the consumer group ``group`` (named as
    ``kernel.kafka.consumer`` names groups), each partition starting at
    ``position(topic, partition)``."""

    def __init__(
        self,
        settings: Settings,
        group: str,
        topics: Sequence[str],
        position: Callable[[str, int], int],
        limit: int,
        within: float,
    ) -> None:
        self.position = position
        self.limit = limit
        self.within = within
        self.reader = consumer(settings, group)
        self.reader.subscribe(list(topics), listener=_SeekToStore(self))

    async def start(self) -> None:
        await self.reader.start()

    async def stop(self) -> None:
        await self.reader.stop()

    async def batch(self) -> list[ConsumerRecord]:
        """The next records, at most ``limit``: once the first have come, what else comes
        within ``within`` seconds joins them (freshness against commits per second).
        Empty when nothing came for a second. Each partition's records keep their order."""
        loop = asyncio.get_running_loop()
        records = _flat(await self.reader.getmany(timeout_ms=1000, max_records=self.limit))
        if not records:
            return records
        deadline = loop.time() + self.within
        while len(records) < self.limit and (left := deadline - loop.time()) > 0:
            records += _flat(
                await self.reader.getmany(
                    timeout_ms=max(1, int(left * 1000)), max_records=self.limit - len(records)
                )
            )
        return records

    async def committed(self, positions: dict[tuple[str, int], int]) -> None:
        """Tell the group how far the store has applied (best effort: the store is what
        a restart reads from; a rebalance under way refuses, and the next commit says it)."""
        mine = self.reader.assignment()
        offsets = {
            tp: offset
            for (topic, partition), offset in positions.items()
            if (tp := TopicPartition(topic, partition)) in mine
        }
        if not offsets:
            return
        try:
            await self.reader.commit(offsets)
        except (CommitFailedError, IllegalGenerationError, IllegalStateError) as exc:
            log.info("insights: group offsets not committed (%s); the store has them", exc)


def _flat(fetched: dict[TopicPartition, list[ConsumerRecord]]) -> list[ConsumerRecord]:
    return [record for records in fetched.values() for record in records]
