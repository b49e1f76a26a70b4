"""Typed errors. Each maps to one HTTP status (kernel.http) and to a dead-letter reason
(kernel.consumer) in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command was refused; the message says why in words a caller can act on.

    ``details``: structured reasons (e.g. every violated configuration rule) that the
    HTTP layer returns beside the message."""

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class NotFound(DomainError):
    """The named aggregate does not exist."""


class InvalidCommand(DomainError):
    """The command's input breaks a rule of the domain (HTTP 422)."""


class RuleViolation(DomainError):
    """The command is valid but not allowed in the aggregate's current state (HTTP 409)."""


class ConcurrencyConflict(DomainError):
    """Another command changed the aggregate first (HTTP 409); reload and retry."""


class Contended(ConcurrencyConflict):
    """The command kept losing races on bookkeeping it shares with other commands (not on
    the aggregate the caller addressed); nothing was stored. HTTP 503: retry shortly."""


class IdempotencyKeyReused(DomainError):
    """An idempotency key was sent again with a different request (HTTP 422)."""


class ContractError(Exception):
    """A message does not decode or does not satisfy its protobuf contract."""


def problems_of(errors: list[Any]) -> str:
    """Pydantic validation errors (``exc.errors()``) as one line: ``where: what; ...``."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
