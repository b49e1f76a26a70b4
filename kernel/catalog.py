"""The topic catalog: every topic with its key, value type and event types, read from the
compiled protobuf descriptors so that it cannot drift from ``proto/``.

The README's topic table (``make catalog`` writes it) and the gateway's ``GET /topics``
are both made from :func:`catalog`; ``tests/unit/kernel/test_catalog.py`` fails when a
message in ``proto/`` is on no topic, or when the README's table is not the generated one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from google.protobuf import descriptor, descriptor_pb2, descriptor_pool

from kernel.topics import ALL_TOPICS, DEAD_LETTER_SUFFIX, TopicSpec

_POOL = descriptor_pool.Default()
PROTO_ROOT = Path(__file__).resolve().parents[1] / "proto"


@cache
def proto_files() -> tuple[str, ...]:
    """Every contract file under ``proto/``, its generated module imported (registered)."""
    names = tuple(sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto")))
    for name in names:
        importlib.import_module(name.removesuffix(".proto").replace("/", ".") + "_pb2")
    return names


DESCRIPTOR_SET_NAME = "l2c.v1.binpb"


@cache
def descriptor_set() -> bytes:
    """Every contract file with the files it imports (``google/protobuf/any.proto`` ...),
    each after its imports, as one serialized ``FileDescriptorSet``: what generic tools
    (``protoc --decode --descriptor_set_in``, ``buf convert``, Kafka UIs, warehouse
    loaders) need to decode a record and the ``Any`` payload inside it in one step."""
    files = descriptor_pb2.FileDescriptorSet()
    added: set[str] = set()

    def add(file: descriptor.FileDescriptor) -> None:
        if file.name in added:
            return
        added.add(file.name)
        for dependency in file.dependencies:
            add(dependency)
        file.CopyToProto(files.file.add())

    for name in proto_files():
        add(_POOL.FindFileByName(name))
    return files.SerializeToString(deterministic=True)


DEAD_LETTER_HEADERS = (
    "dlq.reason",
    "dlq.consumer",
    "dlq.source.topic",
    "dlq.source.partition",
    "dlq.source.offset",
    "dlq.failed_at",
)
EVENT_HEADERS = ("event_id", "event_type", "content-type", "traceparent")


@dataclass(frozen=True)
class TopicEntry:
    name: str
    key: str
    value: str
    description: str
    event_types: tuple[str, ...]  # full protobuf names
    headers: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "key": self.key,
            "value": self.value,
            "description": self.description,
            "event_types": list(self.event_types),
            "headers": list(self.headers),
        }


def _referenced_in(file: descriptor.FileDescriptor) -> set[str]:
    """Messages of a file used as a field of another message of it (parts, not events)."""
    used: set[str] = set()
    for message in file.message_types_by_name.values():
        for field in message.fields:
            if field.message_type is not None:
                used.add(field.message_type.full_name)
    return used


def _types_of(payload: str) -> list[str]:
    proto_files()
    if payload.endswith(".proto"):
        file = _POOL.FindFileByName(payload)
        parts = _referenced_in(file)
        messages = file.message_types_by_name.values()
        return [m.full_name for m in messages if m.full_name not in parts]
    message = _POOL.FindMessageTypeByName(payload)
    if message.oneofs:  # a wrapper: each of its oneof's messages is one event type
        fields = [f for o in message.oneofs for f in o.fields]
        return [f.message_type.full_name for f in fields if f.message_type is not None]
    return [message.full_name]


def event_types(spec: TopicSpec) -> tuple[str, ...]:
    return tuple(name for payload in spec.payloads for name in _types_of(payload))


def catalog() -> list[TopicEntry]:
    """Every topic of the platform, dead-letter topics included."""
    entries = []
    for spec in ALL_TOPICS:
        dead_letter = spec.name.endswith(DEAD_LETTER_SUFFIX)
        envelope = spec.value == "l2c.v1.EventEnvelope"
        headers = DEAD_LETTER_HEADERS if dead_letter else EVENT_HEADERS if envelope else ()
        entries.append(
            TopicEntry(
                spec.name, spec.key, spec.value, spec.description, event_types(spec), headers
            )
        )
    return entries


def uncatalogued_messages() -> list[str]:
    """Messages in ``proto/`` that no topic carries and that are neither a part of another
    message nor a topic's value: a new event type that the catalog would leave out."""
    carried = {name for entry in catalog() for name in entry.event_types}
    carried |= {spec.value for spec in ALL_TOPICS}
    files = [_POOL.FindFileByName(name) for name in proto_files()]
    parts = set().union(*(_referenced_in(file) for file in files))
    return [
        message.full_name
        for file in files
        for message in file.message_types_by_name.values()
        if message.full_name not in carried and message.full_name not in parts
    ]
