"""Dead letters: list what a consumer rejected, and re-submit a record after correction.

    l2c deadletters list l2c.erp.inbound.v1
    l2c deadletters show l2c.erp.inbound.v1 0:12
    l2c deadletters resubmit l2c.erp.inbound.v1 0:12 [--json corrected.json]

``list`` prints one line per dead letter (partition:offset, consumer, reason); ``show``
prints the record decoded as JSON (protobuf field names), ready to edit; ``resubmit``
sends the record — or the corrected JSON — back to the source topic with its key and a
``dlq.resubmitted_from`` header. The dead letter itself stays (the topic is the audit
trail). Broker address: ``L2C_KAFKA_BOOTSTRAP``, or the running `make run` stack's
(``services/cli.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from google.protobuf import json_format, message, symbol_database

import kernel.contracts  # noqa: F401 - registers every contract message
from kernel.kafka import client_options, read_all
from kernel.registry import FrameError, unframe
from kernel.settings import Settings
from kernel.topics import ALL_TOPICS, DEAD_LETTER_SUFFIX


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def reason(self) -> str:
        return self.headers.get("dlq.reason", "")

    def as_dict(self, message_type: str) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "key": (self.key or b"").decode(errors="replace"),
            "reason": self.reason,
            "consumer": self.headers.get("dlq.consumer", ""),
            "source": f"{self.headers.get('dlq.source.topic', '')}"
            f"[{self.headers.get('dlq.source.partition', '')}]"
            f"@{self.headers.get('dlq.source.offset', '')}",
            "failed_at": self.headers.get("dlq.failed_at", ""),
            "message": decode_json(self.value, message_type),
        }


def _message_class(topic: str) -> type[message.Message]:
    for spec in ALL_TOPICS:
        if spec.name == topic:
            name = spec.value.split(" ")[0]
            cls: type[message.Message] = symbol_database.Default().GetSymbol(name)
            return cls
    raise SystemExit(f"unknown topic {topic!r}; known: {', '.join(t.name for t in ALL_TOPICS)}")


def decode_json(value: bytes | None, message_type: str) -> Any:
    """The record as JSON, or None when it does not decode (then only raw bytes help)."""
    cls = symbol_database.Default().GetSymbol(message_type)
    msg = cls()
    try:
        msg.ParseFromString(unframe(value or b""))
    except (message.DecodeError, FrameError):
        return None
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)


def _to_letter(record: ConsumerRecord) -> DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    return DeadLetter(record.partition, record.offset, record.key, record.value, headers)


async def dead_letters(settings: Settings, topic: str) -> list[DeadLetter]:
    _message_class(topic)
    records = await read_all(
        settings.kafka_bootstrap, topic + DEAD_LETTER_SUFFIX, options=client_options(settings)
    )
    return [_to_letter(r) for r in records]


async def find(settings: Settings, topic: str, ref: str) -> DeadLetter:
    for letter in await dead_letters(settings, topic):
        if letter.ref == ref:
            return letter
    raise SystemExit(f"no dead letter {ref} on {topic}{DEAD_LETTER_SUFFIX}")


async def resubmit(
    settings: Settings, topic: str, ref: str, corrected: dict[str, Any] | None = None
) -> bytes:
    """Send the dead letter (or its corrected form) back to its topic; returns the value."""
    letter = await find(settings, topic, ref)
    value = letter.value or b""
    if corrected is not None:
        cls = _message_class(topic)
        try:
            value = json_format.ParseDict(corrected, cls()).SerializeToString()
        except json_format.ParseError as exc:
            raise SystemExit(
                f"the corrected message is not a valid {cls.DESCRIPTOR.full_name}: {exc}"
            ) from None
    producer = AIOKafkaProducer(
        **client_options(settings),
        bootstrap_servers=settings.kafka_bootstrap,
        enable_idempotence=True,
        acks="all",
    )
    await producer.start()
    try:
        keep = [(k, v.encode()) for k, v in letter.headers.items() if not k.startswith("dlq.")]
        await producer.send_and_wait(
            topic,
            value=value,
            key=letter.key,
            headers=[
                *keep,
                ("dlq.resubmitted_from", f"{topic}{DEAD_LETTER_SUFFIX}@{ref}".encode()),
                ("dlq.corrected", b"true" if corrected is not None else b"false"),
            ],
        )
    finally:
        await producer.stop()
    return value


def main(argv: list[str] | None = None, prog: str = "python -m kernel.deadletters") -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description=__doc__.split("\n")[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="one line per dead letter of a topic")
    listing.add_argument("topic")
    show = sub.add_parser("show", help="one dead letter as JSON")
    show.add_argument("topic")
    show.add_argument("ref", help="partition:offset on the .dlq topic")
    again = sub.add_parser("resubmit", help="send a dead letter back to its topic")
    again.add_argument("topic")
    again.add_argument("ref")
    again.add_argument("--json", type=Path, help="the corrected message (as `show` prints it)")
    args = parser.parse_args(argv)
    settings = Settings()
    message_type = _message_class(args.topic).DESCRIPTOR.full_name
    if args.command == "list":
        letters = asyncio.run(dead_letters(settings, args.topic))
        for letter in letters:
            print(f"{letter.ref}\t{letter.headers.get('dlq.consumer', '')}\t{letter.reason}")
        print(f"{len(letters)} dead letter(s) on {args.topic}{DEAD_LETTER_SUFFIX}", file=sys.stderr)
    elif args.command == "show":
        letter = asyncio.run(find(settings, args.topic, args.ref))
        print(json.dumps(letter.as_dict(message_type), indent=2))
    else:
        corrected = None
        if args.json:
            data = json.loads(args.json.read_text())
            corrected = data.get("message", data) if isinstance(data, dict) else data
        asyncio.run(resubmit(settings, args.topic, args.ref, corrected))
        print(
            f"re-submitted {args.ref} to {args.topic}"
            f"{' (corrected)' if corrected is not None else ''}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
