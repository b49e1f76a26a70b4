"""``python -m services.gateway [--port N]``"""

from __future__ import annotations

import argparse

import uvicorn

from kernel.logs import setup_logging
from kernel.service import EVENT_LOOP, HTTP_PARSER, KEEP_ALIVE_SECONDS, exit_when_orphaned
from kernel.settings import get_settings
from kernel.telemetry import setup_telemetry
from services.gateway.app import build_gateway


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.gateway")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    settings = get_settings()
    setup_logging(settings.log_level, "gateway")
    setup_telemetry("gateway", settings.otel_exporter, settings.otel_jsonl_path)
    exit_when_orphaned()
    uvicorn.run(
        build_gateway(settings),
        host=settings.bind_host,
        port=args.port,
        log_level="warning",
        log_config=None,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        http=HTTP_PARSER,
        loop=EVENT_LOOP,
    )


if __name__ == "__main__":
    main()
