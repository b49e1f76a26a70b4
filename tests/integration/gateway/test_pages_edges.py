"""The pages' edges in-process, with no upstream answering: hostile query strings get a
4xx page with the read model's own message and never reach an upstream; a sign-in with a
bad token keeps no cookie; the sign-in's next never leaves the pages; static files only
from their folder; every page carries its security headers. (The figures themselves are
checked against a running stack in a real browser: tests/e2e/test_pages.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel.access import SESSION_COOKIE
from kernel.settings import Settings
from services.gateway.app import build_gateway
from tests.auth_support import TestClient, bearer

BOSS = bearer("boss", ["manager", "finance", "auditor"])
NOBODY_LISTENS = "http://127.0.0.1:9"  # discard port: nothing answers


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path,
        insights_url=NOBODY_LISTENS,
        deals_url=NOBODY_LISTENS,
        billing_url=NOBODY_LISTENS,
    )
    with TestClient(build_gateway(settings)) as client:
        client.auth = None  # no default identity: each test says who asks
        yield client


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/pages/funnel?since=not-a-day", "since"),
        ("/pages/funnel?since=2026-09-01&until=2026-08-01", "since is after until"),
        ("/pages/funnel?basis=%00%ff", "basis"),
        ("/pages/funnel?since=99999-01-01", "since"),
        ("/pages/pipeline?grain=decade", "grain"),
        ("/pages/health?severity=apocalyptic", "severity"),
        ("/pages/cash?currency=" + "E" * 5000, "currency"),
        ("/pages/cash?currency=eur", "currency"),
    ],
)
def test_a_bad_filter_is_a_422_page_saying_why(gateway: TestClient, path: str, says: str) -> None:
    answer = gateway.get(path, headers=BOSS)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert says in answer.text and 'role="alert"' in answer.text


def test_a_page_whose_read_model_does_not_answer_says_so(gateway: TestClient) -> None:
    answer = gateway.get("/pages/funnel", headers=BOSS)
    assert answer.status_code == 503 and "Not available" in answer.text
    assert gateway.get("/pages/deals/not-a-uuid", headers=BOSS).status_code == 404
    # The change stream ends (the browser retries) rather than hang on a silent worker.
    changes = gateway.get("/pages/changes", headers=BOSS)
    assert changes.status_code == 200 and "event: unavailable" in changes.text


def test_every_page_carries_its_security_headers(gateway: TestClient) -> None:
    for path in ("/pages", "/pages/sign-in", "/pages/funnel?since=x"):
        answer = gateway.get(path, headers=BOSS)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert answer.headers["cache-control"] == "no-store", path


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", "x" * 9000, "\u00ff\u0000", "eyJhbGciOiJub25lIn0.e30."],
)
def test_a_bad_token_signs_nobody_in(gateway: TestClient, token: str) -> None:
    answer = gateway.post(
        "/pages/sign-in",
        content=f"token={token}&next=/pages/funnel".encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert answer.status_code == 401 and SESSION_COOKIE not in answer.cookies
    assert 'id="sign-in-error"' in answer.text


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/pages/health", "/pages/health"),
        ("https://evil.example/pages", "/pages"),
        ("//evil.example/pages", "/pages"),
        ("/pages\\@evil.example", "/pages"),
        ("/admin", "/pages"),
    ],
)
def test_signing_in_goes_to_a_page_of_ours_only(gateway: TestClient, asked: str, goes: str) -> None:
    token = BOSS["Authorization"].split(" ", 1)[1]
    answer = gateway.post(
        "/pages/sign-in",
        data={"token": token, "next": asked},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == goes
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/pages" in cookie
    # The cookie opens the pages, and nothing of the API.
    gateway.cookies.set(SESSION_COOKIE, token)
    assert gateway.get("/pages").status_code == 200
    assert gateway.get("/insights/funnel").status_code == 401


@pytest.mark.parametrize(
    "name", ["../app.py", "..%2Froutes.py", "%2e%2e/view.py", "pages.css%00.js", "nothing.css"]
)
def test_static_files_come_from_their_folder_only(gateway: TestClient, name: str) -> None:
    assert gateway.get(f"/pages/static/{name}").status_code == 404


def test_the_stylesheet_and_script_need_no_identity(gateway: TestClient) -> None:
    for name, kind in (("pages.css", "text/css"), ("live.js", "text/javascript")):
        answer = gateway.get(f"/pages/static/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
