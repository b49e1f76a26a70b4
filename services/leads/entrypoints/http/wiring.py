"""What the leads API's routers are built from."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.kafka import LazyProducer
from services.leads.adapters.directory import LeadDirectory
from services.leads.application import FirmographicsProvider, LeadsApplication


@dataclass(frozen=True)
class Wiring:
    app: LeadsApplication
    provider: FirmographicsProvider
    directory: LeadDirectory
    producer: LazyProducer
