"""``python -m services.insights [--port N]``: one faust worker with its web views."""

from __future__ import annotations

import argparse
import asyncio

from faust.worker import Worker

from kernel.kafka import ensure_topics
from kernel.settings import get_settings
from kernel.telemetry import setup_telemetry
from kernel.topics import ALL_TOPICS
from services.insights.processors import INTERNAL_TOPICS, create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.insights")
    parser.add_argument("--port", type=int, default=8004, help="web views (read models)")
    args = parser.parse_args()
    settings = get_settings()
    setup_telemetry("insights", settings.otel_exporter, settings.otel_jsonl_path)
    asyncio.run(ensure_topics(settings, [*ALL_TOPICS, *INTERNAL_TOPICS]))
    app = create_app(settings, web_port=args.port)
    Worker(app, loglevel=settings.log_level.lower(), quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
