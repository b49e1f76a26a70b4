"""Request and response bodies of the leads API, validated at the edge."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from kernel.commands import EventTime


class PublishRulesRequest(BaseModel):
    document: dict[str, Any]
    note: str = Field("", max_length=500, description="why the rules change")


class InboundCallRequest(BaseModel):
    call_id: str = Field(min_length=1, max_length=100)
    caller_number: str = Field(min_length=7, max_length=40, pattern=r"^[0-9+()\-. /]*$")
    caller_name: str = Field("", max_length=200)
    dialled_number: str = Field("", max_length=40)
    campaign_id: str = Field("", max_length=64)
    started_at: EventTime
    answered: bool = True
    duration_seconds: int = Field(0, ge=0, le=2**32 - 1)  # uint32 on the wire
