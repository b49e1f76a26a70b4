"""``python -m services.insights [--port N]``: one faust worker with its web views."""

from __future__ import annotations

import argparse

from faust.worker import Worker

from kernel.settings import get_settings
from kernel.telemetry import setup_telemetry
from services.insights.processors import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.insights")
    parser.add_argument("--port", type=int, default=8004, help="web views (read models)")
    args = parser.parse_args()
    settings = get_settings()
    setup_telemetry("insights", settings.otel_exporter, settings.otel_jsonl_path)
    app = create_app(settings, web_port=args.port)
    Worker(app, loglevel=settings.log_level.lower(), quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
