"""The gateway forwards a service's route as the client asked it and answers as the
service did: body, query and meaningful headers through, no cookie kept between clients,
no redirect followed, no content type made up, and a service that does not answer in
time is a 503 in the gateway's own shape."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import services.gateway.forward
from kernel.settings import Settings
from services.gateway.app import build_gateway
from tests.auth_support import TestClient


class _Leads(BaseHTTPRequestHandler):
    """Echoes what reached it; ``/leads/<id>`` also sets a cookie, a ``moved`` lead
    redirects, a ``slow`` lead answers late."""

    seen: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        got = {
            "method": self.command,
            "path": self.path,
            "cookie": self.headers.get("cookie"),
            "content_type": self.headers.get("content-type"),
            "body": self.rfile.read(length).decode() if length else "",
        }
        type(self).seen.append(got)
        if "moved" in self.path:
            self.send_response(302)
            self.send_header("location", "/leads/elsewhere")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if "slow" in self.path:
            time.sleep(2)
        payload = json.dumps(got).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("set-cookie", "session=of-another-client; Path=/")
        self.send_header("x-internal", "not passed on")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[TestClient]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Leads)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Leads.seen = []
    settings = Settings(data_dir=tmp_path, leads_url=f"http://127.0.0.1:{server.server_port}")
    try:
        with TestClient(build_gateway(settings)) as client:
            yield client
    finally:
        server.shutdown()


def test_the_request_goes_through_as_asked(gateway: TestClient) -> None:
    lead = uuid.uuid4()
    read = gateway.get(f"/leads/{lead}", params=[("as_of", "2026-11-01"), ("as_of", "x y")])
    assert read.status_code == 200, read.text
    assert read.json()["path"] == f"/leads/{lead}?as_of=2026-11-01&as_of=x+y"
    assert read.json()["method"] == "GET" and read.json()["content_type"] is None
    assert read.headers["content-type"] == "application/json"
    assert "x-internal" not in read.headers and "set-cookie" not in read.headers
    sent = gateway.post(f"/leads/{lead}/qualify", json={"note": "webinar"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["content_type"] == "application/json"
    assert json.loads(sent.json()["body"]) == {"note": "webinar"}


def test_no_cookie_is_kept_between_requests(gateway: TestClient) -> None:
    for _ in range(2):
        assert gateway.get(f"/leads/{uuid.uuid4()}").status_code == 200
    assert [seen["cookie"] for seen in _Leads.seen] == [None, None]


def test_a_redirect_reaches_the_client(gateway: TestClient) -> None:
    moved = gateway.get("/leads/moved", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (302, "/leads/elsewhere")
    assert len(_Leads.seen) == 1


def test_a_service_that_does_not_answer_in_time_is_a_503(
    gateway: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.gateway.forward, "TIMEOUT_SECONDS", 0.3)
    late = gateway.get("/leads/slow")
    assert late.status_code == 503, late.text
    assert late.json()["error"] == "upstream_unavailable"
    assert "leads service did not answer" in late.json()["message"]
