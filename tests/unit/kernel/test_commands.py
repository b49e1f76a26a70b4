"""What a command's declaration promises is checked when it is declared."""

from __future__ import annotations

import uuid

import pytest
from pydantic import Field

from kernel.commands import Catalog, Command, Facts
from kernel.domain import L2CAggregate


class _Thing(L2CAggregate):
    pass


class _Explained(Command):
    thing_id: uuid.UUID
    reason: str = Field(min_length=1)


class _Optional(Command):
    thing_id: uuid.UUID
    reason: str = ""


class _Silent(Command):
    thing_id: uuid.UUID


def _declare(message: type[Command]) -> None:
    Catalog("test", answer=lambda result: result).command(
        "change",
        message,
        _Thing,
        "thing_id",
        handler=lambda thing, command: None,
        facts=Facts(reason_required=True),
    )


def test_a_command_that_needs_a_reason_must_ask_for_one() -> None:
    _declare(_Explained)
    for message in (_Optional, _Silent):
        with pytest.raises(TypeError, match="needs a reason"):
            _declare(message)
