"""Read the L2C event topics from the start and write one flat table row per event.

A data team's consumer that needs nothing of the L2C code base: only the broker's address
and the contracts' descriptor set (``GET /contracts/l2c.v1.binpb`` on the gateway). Every
record's ``EventEnvelope`` is decoded with it, and the ``Any`` payload expanded to JSON in
the same step, so the table is ready for a warehouse load (CSV here; the same rows go to
Parquet with pyarrow's ``Table.from_pylist``).

    pip install -r requirements.txt
    python topics_to_csv.py --bootstrap localhost:9092 --descriptors l2c.v1.binpb \
        --out events.csv [--topic l2c.deals.v1 ...]

It reads each partition up to the end it had when it started (a snapshot, not a service)
and never commits offsets. The event topics carry an ``EventEnvelope``; the integration
and audit topics carry their own message, written whole as the payload, with the record
key as the aggregate id. Records that do not decode are written with the reason in
``error`` and an empty payload, never dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import DecodeError

ENVELOPE = "l2c.v1.EventEnvelope"
# Each topic's record value (GET /topics on the gateway lists them too).
VALUE_TYPES = {
    "l2c.leads.v1": ENVELOPE,
    "l2c.deals.v1": ENVELOPE,
    "l2c.billing.v1": ENVELOPE,
    "l2c.insights.v1": ENVELOPE,
    "l2c.erp.inbound.v1": "l2c.v1.ErpInboundMessage",
    "l2c.erp.outbound.v1": "l2c.v1.ErpOutboundMessage",
    "l2c.telephony.v1": "l2c.v1.TelephonyInboundMessage",
    "l2c.audit.v1": "l2c.v1.AuditCheckpoint",
}
COLUMNS = (
    "topic",
    "partition",
    "offset",
    "event_type",
    "aggregate_id",
    "aggregate_version",
    "occurred_at",
    "event_id",
    "payload",
    "error",
)


class Contracts:
    """The descriptor set as a pool of its own, and the envelope decoded with it."""

    def __init__(self, descriptor_set: bytes) -> None:
        files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set)
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:  # the set lists every file after its imports
            self.pool.Add(file)
        self.envelope = message_factory.GetMessageClass(
            self.pool.FindMessageTypeByName("l2c.v1.EventEnvelope")
        )

    def row(self, value: bytes, value_type: str = ENVELOPE, key: bytes = b"") -> dict[str, Any]:
        if value_type != ENVELOPE:  # an integration's message: the whole of it is the payload
            message = message_factory.GetMessageClass(
                self.pool.FindMessageTypeByName(value_type)
            ).FromString(value)
            as_dict = json_format.MessageToDict(
                message, descriptor_pool=self.pool, preserving_proto_field_name=True
            )
            return {
                "event_type": value_type,
                "aggregate_id": key.decode(errors="replace"),
                "payload": json.dumps(as_dict, sort_keys=True, ensure_ascii=False),
                "error": "",
            }
        envelope = self.envelope.FromString(value)
        as_json = json_format.MessageToDict(
            envelope, descriptor_pool=self.pool, preserving_proto_field_name=True
        )
        payload = as_json.get("payload", {})
        payload.pop("@type", None)
        return {
            "event_type": envelope.event_type,
            "aggregate_id": envelope.aggregate_id,
            "aggregate_version": envelope.aggregate_version,
            "occurred_at": as_json.get("occurred_at", ""),
            "event_id": envelope.event_id,
            "payload": json.dumps(payload, sort_keys=True, ensure_ascii=False),
            "error": "",
        }


async def partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """The partitions of those topics that exist, in order."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], p)
        for topic in described
        if topic["error_code"] == 0  # 3: no such topic (yet)
        for p in sorted(part["partition"] for part in topic["partitions"])
    ]


async def records(bootstrap: str, topics: list[str]) -> list[Any]:
    """Every record now on the topics, partition by partition, in offset order."""
    lanes = await partitions(bootstrap, topics)
    if not lanes:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        consumer.assign(lanes)
        await consumer.seek_to_beginning(*lanes)
        ends = await consumer.end_offsets(lanes)
        found: list[Any] = []
        for tp in lanes:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                found += [r for r in batch.get(tp, []) if r.offset < ends[tp]]
        return found
    finally:
        await consumer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True, help="host:port of a Kafka broker")
    parser.add_argument("--descriptors", required=True, type=Path, help="l2c.v1.binpb")
    parser.add_argument("--out", required=True, type=Path, help="the CSV file to write")
    parser.add_argument("--topic", action="append", help="default: every topic of the platform")
    options = parser.parse_args(argv)
    contracts = Contracts(options.descriptors.read_bytes())
    topics = options.topic or list(VALUE_TYPES)
    written = failed = 0
    with options.out.open("w", newline="", encoding="utf-8") as out:
        table = csv.DictWriter(out, COLUMNS)
        table.writeheader()
        for record in asyncio.run(records(options.bootstrap, topics)):
            place = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            try:
                value_type = VALUE_TYPES.get(record.topic, ENVELOPE)
                row = contracts.row(record.value or b"", value_type, record.key or b"")
            except (DecodeError, KeyError, TypeError, ValueError) as exc:
                failed += 1
                row = {"error": f"{type(exc).__name__}: {exc}"}
            table.writerow({**dict.fromkeys(COLUMNS, ""), **place, **row})
            written += 1
    print(f"{written} records from {len(topics)} topics to {options.out} ({failed} undecodable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
