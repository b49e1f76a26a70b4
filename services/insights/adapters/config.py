"""The insights rule sets and thresholds, as data (``services/insights/config``)."""

from __future__ import annotations

import json
from pathlib import Path

from services.insights.domain.engine import ReadModelSettings
from services.insights.domain.health import HealthRules

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"


def load_rules(directory: Path = CONFIG_DIR) -> HealthRules:
    return HealthRules.model_validate(json.loads((directory / "health_rules.json").read_text()))


def load_settings(directory: Path = CONFIG_DIR) -> ReadModelSettings:
    return ReadModelSettings(**json.loads((directory / "read_models.json").read_text()))
