"""The leads application's base: the store, and the three rule sets it decides by."""

from __future__ import annotations

from pathlib import Path

from kernel.rules import RuleCatalog
from kernel.settings import Settings
from kernel.store import ServiceApplication
from services.leads.adapters.rules_schema import (
    RoutingRulesSchema,
    ScoringRulesSchema,
    TerritoryRulesSchema,
)

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


class LeadsBase(ServiceApplication):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.scoring_rules = RuleCatalog(
            self, "scoring", ScoringRulesSchema, CONFIG_DIR / "scoring.json"
        )
        self.scoring_rules.ensure_published()
        self.routing_rules = RuleCatalog(
            self, "routing", RoutingRulesSchema, CONFIG_DIR / "routing.json"
        )
        self.routing_rules.ensure_published()
        self.territory_rules = RuleCatalog(
            self, "territories", TerritoryRulesSchema, CONFIG_DIR / "territories.json"
        )
        self.territory_rules.ensure_published()
