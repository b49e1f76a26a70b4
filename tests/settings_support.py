"""A test's settings as the ``L2C_*`` variables another process (or the command line
under test) reads them from."""

from __future__ import annotations

import json

from kernel.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    data = settings.model_dump(mode="json")
    return {
        f"L2C_{k.upper()}": json.dumps(v) if isinstance(v, list | dict) else str(v)
        for k, v in data.items()
        if v is not None
    }
