"""The deals application's base: the store and its sales-process definitions."""

from __future__ import annotations

from pathlib import Path

from kernel.rules import RuleCatalog
from kernel.settings import Settings
from kernel.store import ServiceApplication
from services.deals.adapters.pipeline_config import ProcessesSchema

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


class DealsBase(ServiceApplication):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.processes = RuleCatalog(
            self, "processes", ProcessesSchema, CONFIG_DIR / "processes.json"
        )
        self.processes.ensure_published()
