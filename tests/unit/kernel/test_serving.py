"""How service processes serve: the C HTTP parser and the libuv loop, both installed."""

from __future__ import annotations

import asyncio

import uvicorn
import uvloop
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kernel.service import HTTP_PARSER, run_loop


def test_the_http_servers_parse_with_httptools() -> None:
    config = uvicorn.Config(FastAPI(), http=HTTP_PARSER)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol


def test_a_service_process_runs_on_uvloop() -> None:
    async def running_loop() -> asyncio.AbstractEventLoop:
        await asyncio.sleep(0)
        return asyncio.get_running_loop()

    assert isinstance(run_loop(running_loop()), uvloop.Loop)
