"""Service routes run a plain-def endpoint off the event loop in one hop to the requests'
thread pool, with the request's context variables, and still validate and shape its
answer by the response model."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

import kernel.routing
from kernel.routing import service_router
from kernel.settings import Settings


class Answer(BaseModel):
    n: int


def _api() -> tuple[FastAPI, list[str]]:
    ran_in: list[str] = []
    router = service_router()

    @router.get("/things/{n}", response_model=Answer)
    def thing(n: int, extra: bool = False) -> dict[str, Any]:
        ran_in.append(threading.current_thread().name)
        return {"n": n, "secret": "not in the model"}

    @router.get("/broken")
    def broken() -> Answer:
        return {"n": "not a number"}  # type: ignore[return-value]

    api = FastAPI()
    api.include_router(router)
    return api, ran_in


def test_a_sync_endpoint_runs_off_the_loop_in_one_hop(monkeypatch: pytest.MonkeyPatch) -> None:
    hops: list[str] = []

    def counting(hop: Any) -> Any:
        async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
            hops.append(getattr(func, "__name__", repr(func)))
            return await hop(func, *args, **kwargs)

        return counted

    for module in (fastapi.routing, fastapi.dependencies.utils):
        monkeypatch.setattr(module, "run_in_threadpool", counting(run_in_threadpool))
    monkeypatch.setattr(
        kernel.routing, "in_request_thread", counting(kernel.routing.in_request_thread)
    )
    api, ran_in = _api()
    with TestClient(api) as client:
        loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
        hops.clear()
        answer = client.get("/things/7", params={"extra": "true"})
    assert answer.status_code == 200
    assert answer.json() == {"n": 7}  # shaped by the response model
    assert len(hops) == 1, hops
    assert ran_in and ran_in[0] != loop_thread
    assert ran_in[0].startswith("l2c-request"), ran_in


caller: ContextVar[str] = ContextVar("caller", default="nobody")


async def named_caller(who: str = "nobody") -> str:
    caller.set(who)  # as the command-context middleware sets the request's context
    return who


def test_the_endpoint_sees_the_requests_context() -> None:
    router = service_router()

    @router.get("/whoami")
    def whoami(who: str = Depends(named_caller)) -> dict[str, str]:
        return {"caller": caller.get()}

    api = FastAPI()
    api.include_router(router)
    with TestClient(api) as client:
        answers = [client.get("/whoami", params={"who": f"rep-{n}"}).json() for n in range(3)]
    assert answers == [{"caller": f"rep-{n}"} for n in range(3)]


def test_the_signature_and_the_answers_validation_stay() -> None:
    api, _ = _api()
    with TestClient(api, raise_server_exceptions=False) as client:
        assert client.get("/things/seven").status_code == 422
        assert client.get("/broken").status_code == 500
    assert "n" in str(api.openapi()["paths"]["/things/{n}"]["get"]["parameters"])


def test_the_request_threads_are_as_many_as_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(kernel.routing, "_pool", None)
    monkeypatch.setattr(
        kernel.routing, "get_settings", lambda: Settings(data_dir=tmp_path, request_threads=2)
    )
    ran_in: set[str] = set()
    router = service_router()

    @router.get("/slow")
    def slow() -> dict[str, bool]:
        ran_in.add(threading.current_thread().name)
        threading.Event().wait(0.05)
        return {"ok": True}

    api = FastAPI()
    api.include_router(router)
    with TestClient(api) as client:
        results: list[int] = []
        askers = [
            threading.Thread(target=lambda: results.append(client.get("/slow").status_code))
            for _ in range(6)
        ]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
    assert results == [200] * 6
    assert 1 <= len(ran_in) <= 2, ran_in
    pool = kernel.routing._pool
    assert pool is not None
    pool.shutdown()
