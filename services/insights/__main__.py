"""``python -m services.insights [--port N]``: the insights worker and its read-model views.
``python -m services.insights rebuild``: rebuild every read model from the topics."""

from __future__ import annotations

import argparse
import asyncio
import sys

from kernel.kafka import ensure_topics
from kernel.logs import logging_config
from kernel.service import exit_when_orphaned, patiently, settle_heap
from kernel.settings import get_settings
from kernel.telemetry import setup_telemetry
from kernel.topics import ALL_TOPICS


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        from services.insights.rebuild import main as rebuild

        rebuild(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(prog="python -m services.insights")
    parser.add_argument("--port", type=int, default=8004, help="web views (read models)")
    args = parser.parse_args()
    settings = get_settings()
    setup_telemetry("insights", settings.otel_exporter, settings.otel_jsonl_path)
    exit_when_orphaned()
    patiently("creating the topics", lambda: asyncio.run(ensure_topics(settings, ALL_TOPICS)))

    from faust.worker import Worker

    from services.insights.processors import create_app

    app = create_app(settings, web_port=args.port)
    settle_heap()
    Worker(
        app,
        loglevel=settings.log_level.lower(),
        quiet=True,
        logging_config=logging_config(settings.log_level, "insights"),
    ).execute_from_commandline()


if __name__ == "__main__":
    main()
