"""The validated shape of a contact at the edges (HTTP bodies, CSV rows, telephony)."""

from __future__ import annotations

from pydantic import BaseModel, Field, ValidationError

from services.leads.domain.lead import Contact

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ContactModel(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    email: str = Field("", max_length=254, pattern=f"({EMAIL})|^$")
    phone: str = Field("", max_length=40, pattern=r"^[0-9+()\-. /]*$")
    company: str = Field("", max_length=200)
    website: str = Field("", max_length=200)
    job_title: str = Field("", max_length=200)
    region: str = Field("", max_length=60)
    product_interest: str = Field("", max_length=60)

    def to_domain(self) -> Contact:
        return Contact(**self.model_dump())


def describe(error: ValidationError) -> str:
    """One line naming each invalid field, for reports and error messages."""
    parts = []
    for err in error.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return "; ".join(parts)
