"""The schema-registry wire format, for teams whose pipelines expect it (off by default).

With ``L2C_SCHEMA_REGISTRY_URL`` set, a relay registers its topic's value schema with a
Confluent-compatible registry (subject ``<topic>-value``, the topic-name strategy; the
``.proto`` source, with the ``l2c/v1`` files it imports registered as references under
their file names; the ``google/protobuf`` ones are the registry's own) and frames every
record the registry way:

    0x00 | schema id (4 bytes, big-endian) | message indexes | protobuf bytes

The message indexes locate the value's message in its file: a zigzag varint count, then
each index as a zigzag varint, with ``[0]`` (the first message) written as one 0 byte.

Every consumer of the platform reads both forms: :func:`unframe` strips the frame when a
value starts with the magic byte, which a protobuf message of ours never does (its first
byte is a field tag, never 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from google.protobuf import descriptor_pool

MAGIC = 0
PROTO_ROOT = Path(__file__).resolve().parents[1] / "proto"
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class FrameError(ValueError):
    """A value that starts like a framed record but is not one."""


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if at >= len(data) or shift > 63:
            raise FrameError("the message indexes are cut short")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def frame(schema_id: int, indexes: list[int], payload: bytes) -> bytes:
    if not 0 <= schema_id < 2**31:
        raise ValueError(f"schema id {schema_id} is out of range")
    if indexes == [0]:
        encoded = b"\x00"
    else:
        encoded = _varint(_zigzag(len(indexes))) + b"".join(_varint(_zigzag(i)) for i in indexes)
    return bytes([MAGIC]) + schema_id.to_bytes(4, "big") + encoded + payload


@dataclass(frozen=True)
class Framed:
    schema_id: int
    indexes: list[int]
    payload: bytes


def parse_frame(data: bytes) -> Framed:
    if len(data) < 6 or data[0] != MAGIC:
        raise FrameError("not a schema-registry framed value")
    schema_id = int.from_bytes(data[1:5], "big")
    count, at = _read_varint(data, 5)
    count = _unzigzag(count)
    if count == 0:
        return Framed(schema_id, [0], data[at:])
    if not 0 < count <= 64:
        raise FrameError(f"{count} message indexes")
    indexes = []
    for _ in range(count):
        index, at = _read_varint(data, at)
        indexes.append(_unzigzag(index))
    return Framed(schema_id, indexes, data[at:])


def unframe(data: bytes) -> bytes:
    """The protobuf bytes of a value, framed or not (FrameError for a broken frame)."""
    if data[:1] == bytes([MAGIC]):
        return parse_frame(data).payload
    return data


def message_indexes(full_name: str) -> tuple[str, list[int]]:
    """The file of a message and its indexes there (top-level, then nested)."""
    found = descriptor_pool.Default().FindMessageTypeByName(full_name)
    message: Any = found
    path: list[int] = []
    while message is not None:
        parent = message.containing_type
        siblings = (
            parent.nested_types if parent else list(message.file.message_types_by_name.values())
        )
        path.insert(0, [m.full_name for m in siblings].index(message.full_name))
        message = parent
    return found.file.name, path


class SchemaRegistry:
    """The few calls of the Confluent schema-registry REST API a producer needs."""

    def __init__(self, url: str, auth: tuple[str, str] | None = None) -> None:
        self.client = httpx.AsyncClient(
            base_url=url.rstrip("/"),
            auth=auth,
            headers={"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE},
            timeout=10.0,
        )
        self._registered: dict[str, dict[str, Any]] = {}

    async def close(self) -> None:
        await self.client.aclose()

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(
                f"schema registry {path}: {response.status_code} {response.text[:300]}"
            )
        answer: dict[str, Any] = response.json()
        return answer

    async def register_file(self, subject: str, file: str) -> dict[str, Any]:
        """Register a .proto file (after the l2c files it imports) under ``subject``;
        returns the registry's ``{subject, id, version}``."""
        if subject in self._registered:
            return self._registered[subject]
        references = []
        for dependency in descriptor_pool.Default().FindFileByName(file).dependencies:
            if dependency.name.startswith("google/protobuf/"):
                continue  # the registry knows the well-known types
            known = await self.register_file(dependency.name, dependency.name)
            references.append(
                {"name": dependency.name, "subject": known["subject"], "version": known["version"]}
            )
        body = {
            "schemaType": "PROTOBUF",
            "schema": (PROTO_ROOT / file).read_text(),
            "references": references,
        }
        await self._call(f"/subjects/{subject}/versions", body)
        found = await self._call(f"/subjects/{subject}", body)
        self._registered[subject] = {
            "subject": subject,
            "id": int(found["id"]),
            "version": int(found["version"]),
        }
        return self._registered[subject]

    async def value_framer(self, topic: str, value_type: str) -> tuple[int, list[int]]:
        """Register the topic's value schema; returns (schema id, message indexes)."""
        file, indexes = message_indexes(value_type)
        registered = await self.register_file(f"{topic}-value", file)
        return registered["id"], indexes


class Framer:
    """Frames a topic's values when the settings name a schema registry, registering the
    value schema on first use (a failure raises, and the next value tries again); with no
    registry, values pass unchanged."""

    def __init__(self, settings: Any, topic: str, value_type: str) -> None:
        self.settings, self.topic, self.value_type = settings, topic, value_type
        self.framing: tuple[int, list[int]] | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.schema_registry_url is not None

    async def ready(self) -> None:
        if not self.enabled or self.framing is not None:
            return
        password = self.settings.schema_registry_password
        auth = (
            (self.settings.schema_registry_username or "", password.get_secret_value())
            if password is not None
            else None
        )
        schemas = SchemaRegistry(self.settings.schema_registry_url, auth)
        try:
            self.framing = await schemas.value_framer(self.topic, self.value_type)
        finally:
            await schemas.close()

    def __call__(self, value: bytes) -> bytes:
        """The value as it goes on the topic (call :meth:`ready` first)."""
        if self.framing is None:
            if self.enabled:
                raise RuntimeError(f"the value schema of {self.topic} is not registered yet")
            return value
        return frame(*self.framing, value)
