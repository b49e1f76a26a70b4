"""The contract gate, run the way a data team knows it: `buf lint` on proto/, and `buf
breaking` against the released contract (proto/released/l2c.v1.binpb). Additions pass;
a removed message or field, a renumbered, renamed or retyped field, or a field moved out
of its oneof fails, and buf names each break."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RELEASED = REPO / "proto" / "released" / "l2c.v1.binpb"


def _buf() -> str:
    found = sorted((REPO / ".cache" / "buf").glob("*/buf"))
    assert found, "no buf binary under .cache/buf: `make contracts` builds it"
    return str(found[-1])


def _buf_run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_buf(), *args], cwd=workdir, capture_output=True, text=True, timeout=120)


def _breaking(workdir: Path) -> subprocess.CompletedProcess[str]:
    return _buf_run(workdir, "breaking", "--against", str(RELEASED))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the module (buf.yaml and proto/) to edit."""
    shutil.copy(REPO / "buf.yaml", tmp_path / "buf.yaml")
    shutil.copytree(REPO / "proto", tmp_path / "proto", ignore=shutil.ignore_patterns("*.binpb"))
    return tmp_path


def _edit(tree: Path, file: str, old: str, new: str) -> None:
    path = tree / "proto" / "l2c" / "v1" / file
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_the_contract_lints_and_is_compatible_with_the_released_one() -> None:
    assert (lint := _buf_run(REPO, "lint")).returncode == 0, lint.stdout + lint.stderr
    done = _breaking(REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_adding_a_field_or_a_message_is_not_a_break(tree: Path) -> None:
    _edit(
        tree,
        "leads.proto",
        "  string lead_id = 1;\n",
        "  string lead_id = 1;\n  string industry = 99;\n",
    )
    _edit(
        tree,
        "leads.proto",
        "message LeadCaptured {",
        "message LeadNurtured {\n  string lead_id = 1;\n}\n\nmessage LeadCaptured {",
    )
    done = _breaking(tree)
    assert done.returncode == 0, done.stdout + done.stderr


BREAKS: dict[str, tuple[Callable[[Path], None], str]] = {
    "field removed": (
        lambda t: _edit(t, "leads.proto", "  string full_name = 2;\n", ""),
        r'Previously present field "2" with name "full_name" on message "LeadCaptured" was deleted',
    ),
    "field renumbered": (
        lambda t: _edit(t, "leads.proto", "string email = 3;", "string email = 33;"),
        r'"3" with name "email" on message "LeadCaptured" was deleted',
    ),
    "field renamed": (
        lambda t: _edit(t, "leads.proto", "string company = 4;", "string organisation = 4;"),
        r'Field "4" on message "LeadCaptured" changed name from "company" to "organisation"',
    ),
    "field retyped": (
        lambda t: _edit(t, "leads.proto", "string company = 4;", "bytes company = 4;"),
        r'Field "4" with name "company" on message "LeadCaptured" changed type '
        r'from "string" to "bytes"',
    ),
    "message removed": (
        lambda t: _edit(t, "deals.proto", "message DealLost {", "message DealLostRenamed {"),
        r'Previously present message "DealLost" was deleted',
    ),
    "field moved out of its oneof": (
        lambda t: (
            _edit(
                t,
                "erp.proto",
                "    ErpPaymentReceived payment_received = 10;\n",
                "",
            )
            or _edit(
                t,
                "erp.proto",
                "  oneof body {",
                "  ErpPaymentReceived payment_received = 10;\n  oneof body {",
            )
        ),
        r'Field "10" with name "payment_received" on message "ErpInboundMessage" '
        r"moved from inside to outside a oneof",
    ),
}


@pytest.mark.parametrize("change", sorted(BREAKS))
def test_a_break_fails_and_is_named(tree: Path, change: str) -> None:
    edit, named = BREAKS[change]
    edit(tree)
    done = _breaking(tree)
    assert done.returncode != 0, f"{change} passed buf breaking"
    assert re.search(named, done.stdout + done.stderr), done.stdout + done.stderr


def test_buf_convert_with_the_served_descriptor_set_expands_a_record_like_protobuf_does(
    tmp_path: Path,
) -> None:
    """The same record through `buf convert` (with the set the gateway serves) and through
    protobuf's JSON printer gives the same JSON, the Any payload expanded by both."""
    from google.protobuf import json_format
    from l2c.v1 import billing_pb2, common_pb2, envelope_pb2

    from kernel.catalog import descriptor_set

    image = tmp_path / "l2c.v1.binpb"
    image.write_bytes(descriptor_set())
    record = envelope_pb2.EventEnvelope(
        event_id="5a0e6a4c-7b7e-4a55-9d1f-4e0b2a0c0001",
        event_type="l2c.v1.PaymentApplied",
        aggregate_id="inv-1",
        aggregate_version=3,
        store_position=42,
    )
    record.occurred_at.FromJsonString("2026-11-30T17:00:00.250Z")
    record.payload.Pack(
        billing_pb2.PaymentApplied(
            invoice_id="inv-1",
            payment_id="BANK-77",
            amount=common_pb2.Money(currency="EUR", amount="1234.56"),
        )
    )
    value = tmp_path / "record.binpb"
    value.write_bytes(record.SerializeToString())
    done = _buf_run(
        tmp_path,
        "convert", f"{image}#format=binpb", "--type", "l2c.v1.EventEnvelope",
        "--from", f"{value}#format=binpb", "--to", "-#format=json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    converted = json.loads(done.stdout)
    assert converted == json_format.MessageToDict(record)
    assert converted["payload"]["@type"] == "type.googleapis.com/l2c.v1.PaymentApplied"
    assert converted["payload"]["amount"] == {"currency": "EUR", "amount": "1234.56"}
