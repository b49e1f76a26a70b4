"""The contract gate: inside a version (l2c.v1), protobuf messages may only grow.

`proto/l2c/v1/contract.lock.json` records every message, field and enum value of the
contract as released. The build compares the contract generated from `proto/` against it
and refuses (exit 1, each break named) when a message, field or enum value disappeared or
a field changed its name, number, type, cardinality or oneof. Additions pass; record them
with `make proto-lock`.

    python -m devenv.proto_compat check | lock
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK = REPO_ROOT / "proto" / "l2c" / "v1" / "contract.lock.json"
PACKAGE = "l2c.v1"

Snapshot = dict[str, dict[str, Any]]

_SCALAR = {
    getattr(FieldDescriptor, n): n.removeprefix("TYPE_").lower()
    for n in dir(FieldDescriptor)
    if n.startswith("TYPE_")
}


def _field(field: FieldDescriptor) -> dict[str, Any]:
    kind = (
        field.message_type.full_name
        if field.message_type
        else (field.enum_type.full_name if field.enum_type else _SCALAR[field.type])
    )
    return {
        "name": field.name,
        "type": kind,
        "repeated": field.is_repeated,
        "oneof": field.containing_oneof.name if field.containing_oneof else "",
    }


def _walk_message(msg: Descriptor, out: Snapshot) -> None:
    out[msg.full_name] = {
        "kind": "message",
        "fields": {str(f.number): _field(f) for f in msg.fields},
    }
    for nested in msg.nested_types:
        _walk_message(nested, out)
    for enum in msg.enum_types:
        _walk_enum(enum, out)


def _walk_enum(enum: EnumDescriptor, out: Snapshot) -> None:
    out[enum.full_name] = {"kind": "enum", "values": {str(v.number): v.name for v in enum.values}}


def current_snapshot() -> Snapshot:
    """The contract as generated from proto/ (imports every l2c.v1 *_pb2 module)."""
    package = importlib.import_module(PACKAGE)
    out: Snapshot = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"{PACKAGE}.{info.name}")
        for msg in module.DESCRIPTOR.message_types_by_name.values():
            _walk_message(msg, out)
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            _walk_enum(enum, out)
    return dict(sorted(out.items()))


def breaking_changes(released: Snapshot, current: Snapshot) -> list[str]:
    """Everything in ``current`` that would break a reader or writer of ``released``."""
    problems = []
    for name, before in released.items():
        after = current.get(name)
        if after is None:
            problems.append(f"{name} was removed")
            continue
        if before["kind"] != after["kind"]:
            problems.append(f"{name} changed from {before['kind']} to {after['kind']}")
            continue
        if before["kind"] == "enum":
            for number, value in before["values"].items():
                if after["values"].get(number) != value:
                    problems.append(f"{name} value {number} ({value}) was removed or renamed")
            continue
        for number, field in before["fields"].items():
            now = after["fields"].get(number)
            if now is None:
                problems.append(f"{name} field {number} ({field['name']}) was removed")
                continue
            for aspect in ("name", "type", "repeated", "oneof"):
                if now[aspect] != field[aspect]:
                    problems.append(
                        f"{name} field {number} ({field['name']}) changed its {aspect}: "
                        f"{field[aspect]!r} -> {now[aspect]!r}"
                    )
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    current = current_snapshot()
    if command == "lock":
        released = json.loads(LOCK.read_text()) if LOCK.exists() else {}
        problems = breaking_changes(released, current)
        if problems:
            print("refusing to lock a breaking change:\n  " + "\n  ".join(problems))
            return 1
        LOCK.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
        print(f"locked {len(current)} types in {LOCK.relative_to(REPO_ROOT)}")
        return 0
    if not LOCK.exists():
        print(f"{LOCK} is missing: run `make proto-lock` once")
        return 1
    problems = breaking_changes(json.loads(LOCK.read_text()), current)
    if problems:
        print(
            f"breaking change in {PACKAGE} (add a new field or a v2 instead):\n  "
            + "\n  ".join(problems)
        )
        return 1
    added = sorted(set(current) - set(json.loads(LOCK.read_text())))
    print(
        f"{PACKAGE} contract compatible" + (f"; new types not yet locked: {added}" if added else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
