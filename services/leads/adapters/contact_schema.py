"""Contacts at the edges (HTTP bodies, CSV rows, telephony): the shape is the commands'
``ContactModel``; ``describe`` words its validation errors for reports."""

from __future__ import annotations

from pydantic import ValidationError

from services.leads.domain.commands import ContactModel

__all__ = ["ContactModel", "describe"]


def describe(error: ValidationError) -> str:
    """One line naming each invalid field, for reports and error messages."""
    parts = []
    for err in error.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return "; ".join(parts)
